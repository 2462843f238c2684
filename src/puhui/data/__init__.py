"""Partner data 合作方数据: file contracts, validation, identity protection, consent rules.

Owns, as pure functions over files and pandas frames:

- ``sources`` — the catalogue of partner files (columns, kinds, natural keys, the day a row
  becomes known, how a row names its person), in import order; the default source agreements;
- ``files`` — reading CSV / Parquet / JSON lines by extension, the file's SHA-256;
- ``schemas`` and ``validate`` — coercion, normalisation, pandera value rules, identity-number
  checks (``puhui.idcard``), duplicates; an :class:`~puhui.data.report.ErrorReport` naming
  file, row, column and reason for every problem;
- ``identity`` — the person key (HMAC-SHA256), identity numbers encrypted at rest
  (AES-256-GCM), masking;
- ``consent`` — purposes, scopes, channels, source agreements, and who may be stored, featured
  and scored.

Invariants: a clear identity number never leaves this package except to be encrypted; every
message shows it masked. Nothing here reads the clock (``as_of`` / ``now`` are parameters).

May import: ``puhui.errors``, ``puhui.idcard``, pandas, numpy, pyarrow, pandera, cryptography and
the standard library — never ``store``, ``services`` or ``cli`` (import-linter contract).
Storage is ``store.facts`` / ``store.consent``; orchestration ``services.data_import``.
"""
