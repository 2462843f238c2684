"""Domain errors and invariants.

Every error a user can cause is a :class:`PuhuiError` with a stable ``code`` (for machines and
for the docs) and a sentence in Chinese and English. The shell maps them once: HTTP status in
``api``, exit code in ``cli``. Domain code never formats HTTP or prints.

``invariant()`` states what must be true where money moves. Unlike ``assert`` it survives
``python -O``; a broken invariant is a bug in puhui, not a user error, so it raises
:class:`InvariantViolation`, which the edges report as an internal error.
"""

from __future__ import annotations

from typing import ClassVar


class PuhuiError(Exception):
    """A failure the caller can understand and act on.

    ``code`` is stable (UPPER_SNAKE) and documented; ``message_zh`` / ``message_en`` are one
    sentence each. ``http_status`` is a hint the API edge uses (400 unless a subclass says more).
    """

    http_status: ClassVar[int] = 400

    def __init__(self, code: str, message_zh: str, message_en: str, **details: object) -> None:
        super().__init__(f"[{code}] {message_en}")
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en
        self.details = details


class ValidationError(PuhuiError):
    """Bad input: wrong type, out of range, too many decimals (HTTP 422)."""

    http_status = 422


class NotFound(PuhuiError):
    """The named record does not exist (HTTP 404)."""

    http_status = 404


class Conflict(PuhuiError):
    """The request is valid but the current state forbids it (HTTP 409).

    Examples: drawing on a frozen line, an idempotency key reused with a different request,
    an illegal state transition.
    """

    http_status = 409


class Forbidden(PuhuiError):
    """The caller may not see or do this (HTTP 403)."""

    http_status = 403


class InvariantViolation(Exception):
    """An internal invariant failed: a bug, never a user error."""


def invariant(condition: bool, message: str) -> None:
    """Raise :class:`InvariantViolation` unless ``condition`` holds (not stripped by ``-O``)."""
    if not condition:
        raise InvariantViolation(message)
