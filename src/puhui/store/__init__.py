"""Storage 存储: SQLAlchemy tables, repositories, migrations and the set-based end-of-day.

Owns every SQL statement in puhui. SQLite (WAL) in the data directory is the embedded default;
PostgreSQL via ``PUHUI_DATABASE_URL``. Money is stored as integer fen and rates as integers in
1e-8 so both engines compute identical results (docs/decisions/0002-integer-money-in-sql.md).
May import: the domain packages (``money`` … ``loans``), never ``api``/``web``/``cli``.
"""
