"""API 接口: the FastAPI application — borrower, officer, risk, admin and government endpoints.

Owns HTTP only: request and response schemas (one per use, never a table on the wire), the one
error shape (code + Chinese + English sentence, never a stack trace), authentication (session
cookie or bearer token, CSRF on cookie-authenticated writes, login rate limit), authorisation
(``authz`` — the single place that decides who may see or do what), security headers and
structured request logs without personal data. Business rules live in ``services`` and below.
May import: ``services``, ``store`` (to open the database), domain types; only ``web`` (pages
reuse the dependencies and ``authz``) and ``cli`` import ``api``.
"""
