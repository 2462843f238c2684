"""puhui (普惠) — a platform for digital inclusive credit.

Functional core, thin shell: the domain packages (``money``, ``schedule``, ``products``,
``ledger``, ``loans``, ``scoring``, ``decision``, ``risk``, ``sim``) are pure and know nothing
of SQL or HTTP; ``store``, ``services``, ``api``, ``web``, ``cli`` and ``batch`` are the shell.
See ARCHITECTURE.md for the map.
"""

__version__ = "0.1.0"
