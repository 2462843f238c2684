"""Error reports 错误报告 for partner files: every problem with its file, row, column and reason.

A file is validated as a whole and all its problems are reported together (beancount's habit:
errors are values, collected, then shown), so an operator fixes a delivery in one round.

Invariants
- ``row`` is the 1-based number of the data record in the file (the CSV header is not a
  record, so CSV line = row + 1); ``None`` for a problem of the whole file (a missing column).
- A report lists at most :data:`MAX_LISTED` problems and :data:`MAX_PER_KIND` of one
  (column, code) pair, but counts them all in ``total``.
- No problem text holds a clear identity number: values of ID columns are masked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from puhui.errors import ValidationError

MAX_LISTED = 200
MAX_PER_KIND = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong in a file."""

    row: int | None
    column: str | None
    code: str
    reason_en: str
    reason_zh: str


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """The problems found in one file (capped list, full count)."""

    file: str
    source: str
    problems: tuple[Problem, ...]
    total: int

    @staticmethod
    def build(file: str, source: str, problems: Iterable[Problem], more: int = 0) -> ErrorReport:
        """Order, cap and count ``problems``; ``more`` counts problems not even materialised."""
        ordered = sorted(
            problems,
            key=lambda p: (p.row is not None, p.row or 0, p.column or "", p.code),
        )
        per_kind: Counter[tuple[str | None, str]] = Counter()
        listed = []
        for problem in ordered:
            per_kind[(problem.column, problem.code)] += 1
            if per_kind[(problem.column, problem.code)] <= MAX_PER_KIND:
                listed.append(problem)
        return ErrorReport(file, source, tuple(listed[:MAX_LISTED]), len(ordered) + more)

    def lines(self) -> list[str]:
        """Plain text, one problem a line: ``file:row column CODE reason`` (for logs, tests)."""
        out = []
        for p in self.problems:
            where = f"{self.file}:{p.row}" if p.row is not None else self.file
            out.append(f"{where} {p.column or '-'} {p.code} {p.reason_en}")
        if self.total > len(self.problems):
            out.append(f"… and {self.total - len(self.problems)} more problems")
        return out


class ImportRejected(ValidationError):
    """A file failed validation; nothing from it was stored. Carries the full report."""

    def __init__(self, report: ErrorReport) -> None:
        first = report.problems[0]
        where = f"row {first.row}, " if first.row is not None else ""
        where_zh = f"第 {first.row} 行，" if first.row is not None else ""
        super().__init__(
            "IMPORT_REJECTED",
            f"文件 {report.file}（{report.source}）有 {report.total} 处问题，未导入任何数据；"
            f"第一处：{where_zh}列 {first.column or '-'}：{first.reason_zh}",
            f"{report.file} ({report.source}) has {report.total} problem(s); nothing was "
            f"imported. First: {where}column {first.column or '-'}: {first.reason_en}",
        )
        self.report = report
