"""Score history 评分历史: every (re-)score of a person, append-only.

:class:`ScoreHistory` is the port; :class:`JsonlScoreHistory` keeps one JSON line per record in
a file; ``puhui.store.scores.SqlScoreHistory`` keeps them in the database. :func:`rescore`
scores a person and appends a record when their features or the model changed since their last
record; :func:`rescore_many` does the same for many people at once and says, for each new
record, which earlier points it may be compared with.

Invariants
- Records are only appended, never rewritten; ``scored_at`` is passed in, never read from a
  clock here.
- A record is plain values (str, float, int, date/datetime, tuple of str), so any store can
  keep it. ``reasons`` holds the reason codes (feature names), most important first.
- A torn last line (a crash mid-append) is ignored on read; any other unreadable line is an
  error naming the line.
- Points are compared only between scores of the same model version: a new champion re-bases
  a person's score, it is not a change in their behaviour.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol

from puhui.errors import ValidationError
from puhui.scoring.scorer import Scorer, ScoreResult

#: People scored per model call when rescoring (bounds the matrix, not the result).
RESCORE_CHUNK = 1024


@dataclass(frozen=True, slots=True)
class ScoreRecord:
    person_key: str
    scored_at: date | datetime
    model_version: str
    pd: float
    credit_points: int
    band: str
    reasons: tuple[str, ...]
    #: sha256 of the canonical JSON of the features scored (detects a change).
    features_sha256: str


class PriorScore(Protocol):
    """What a new score is compared with: a :class:`ScoreRecord`, or the score a person was
    granted their line on (:class:`GrantScore`)."""

    @property
    def model_version(self) -> str: ...

    @property
    def credit_points(self) -> int: ...

    @property
    def features_sha256(self) -> str: ...


@dataclass(frozen=True, slots=True)
class GrantScore:
    """The score of the decision that granted a person's line (before any re-score)."""

    model_version: str
    credit_points: int
    features_sha256: str


@dataclass(frozen=True, slots=True)
class Rescored:
    """A new record, and the earlier points of the same model it replaces (None: nothing to
    compare with — no earlier score, or one from another model version)."""

    record: ScoreRecord
    points_before: int | None


class ScoreHistory(Protocol):
    def append(self, record: ScoreRecord) -> None: ...

    def for_person(self, person_key: str) -> list[ScoreRecord]:
        """All records of one person, oldest first."""
        ...

    def latest(self, person_key: str) -> ScoreRecord | None: ...


def features_sha256(features: Mapping[str, object]) -> str:
    canonical = json.dumps(
        {str(k): v for k, v in features.items()}, sort_keys=True, default=str, ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _to_json(record: ScoreRecord) -> str:
    return json.dumps(
        {
            "person_key": record.person_key,
            "scored_at": record.scored_at.isoformat(),
            "model_version": record.model_version,
            "pd": record.pd,
            "credit_points": record.credit_points,
            "band": record.band,
            "reasons": list(record.reasons),
            "features_sha256": record.features_sha256,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _from_json(line: str) -> ScoreRecord:
    data = json.loads(line)
    stamp = data["scored_at"]
    scored_at = datetime.fromisoformat(stamp) if "T" in stamp else date.fromisoformat(stamp)
    return ScoreRecord(
        person_key=data["person_key"],
        scored_at=scored_at,
        model_version=data["model_version"],
        pd=float(data["pd"]),
        credit_points=int(data["credit_points"]),
        band=data["band"],
        reasons=tuple(data["reasons"]),
        features_sha256=data["features_sha256"],
    )


class JsonlScoreHistory:
    """Score history in a JSON-lines file (one record per line, appended and fsynced)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def append(self, record: ScoreRecord) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = _to_json(record) + "\n"
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(line)
            fh.flush()
            os.fsync(fh.fileno())

    def _records(self) -> list[ScoreRecord]:
        if not self.path.exists():
            return []
        text = self.path.read_text("utf-8")
        # Text after the last newline is a torn append (a crash mid-write): not a record.
        complete = text.split("\n")[:-1]
        records = []
        for number, line in enumerate(complete, start=1):
            try:
                records.append(_from_json(line))
            except (ValueError, KeyError, TypeError) as exc:
                raise ValidationError(
                    "SCORE_HISTORY_CORRUPT",
                    f"评分历史 {self.path} 第 {number} 行无法读取",
                    f"score history {self.path} line {number} must be a score record; got "
                    f"{line[:60]!r} ({exc})",
                ) from None
        return records

    def for_person(self, person_key: str) -> list[ScoreRecord]:
        return [r for r in self._records() if r.person_key == person_key]

    def latest(self, person_key: str) -> ScoreRecord | None:
        records = self.for_person(person_key)
        return records[-1] if records else None


def _unchanged(prior: PriorScore | None, digest: str, model_version: str) -> bool:
    return (
        prior is not None
        and prior.features_sha256 == digest
        and prior.model_version == model_version
    )


def rescore(
    scorer: Scorer,
    history: ScoreHistory,
    person_key: str,
    features: Mapping[str, object],
    scored_at: date | datetime,
) -> tuple[ScoreResult, bool]:
    """Score a person; append a record unless features and model equal their last record's.

    Returns the result and whether a record was appended.
    """
    result = scorer.score_one(features)
    digest = features_sha256(features)
    if _unchanged(history.latest(person_key), digest, result.model_version):
        return result, False
    history.append(_record(result, person_key, digest, scored_at))
    return result, True


def _record(
    result: ScoreResult, person_key: str, digest: str, scored_at: date | datetime
) -> ScoreRecord:
    return ScoreRecord(
        person_key=person_key,
        scored_at=scored_at,
        model_version=result.model_version,
        pd=result.pd,
        credit_points=result.credit_points,
        band=result.band,
        reasons=tuple(r.feature for r in result.reasons),
        features_sha256=digest,
    )


def rescore_many(
    scorer: Scorer,
    features: Mapping[str, Mapping[str, object]],
    prior: Mapping[str, PriorScore],
    scored_at: date | datetime,
) -> list[Rescored]:
    """Score everyone in ``features`` (person key → their features) whose features or model
    differ from their ``prior`` score; one record each, in person-key order.

    People whose features and model equal their prior score's are left out: nothing about them
    is new. People are scored with ``score_many``, the 310 decision's own path, so the same
    features give exactly the points the line was granted on.
    """
    changed = []
    for key in sorted(features):
        digest = features_sha256(features[key])
        if not _unchanged(prior.get(key), digest, scorer.model_version):
            changed.append((key, digest))
    out = []
    for start in range(0, len(changed), RESCORE_CHUNK):
        chunk = changed[start : start + RESCORE_CHUNK]
        results = scorer.score_many([features[key] for key, _ in chunk])
        for (key, digest), result in zip(chunk, results, strict=True):
            record = _record(result, key, digest, scored_at)
            before = prior.get(key)
            comparable = before is not None and before.model_version == record.model_version
            out.append(Rescored(record, before.credit_points if comparable else None))
    return out
