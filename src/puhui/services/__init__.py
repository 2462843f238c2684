"""Services 业务服务: use cases that run the pure domain inside storage transactions.

Owns the orchestration (load → domain rule → post journal entry → save → record idempotent
response) for lending, and the end-of-day run. Takes and returns plain values; the API, web and
CLI shells call these and nothing below them.
May import: domain packages and ``store``; never ``api``/``web``/``cli``.
"""
