"""Re-scoring 重新评分: keep the credit scores of everyone holding a line current.

:meth:`Rescoring.run` for business date ``D``:

1. loads the champion model — refused with ``MODEL_NO_CHAMPION`` before anything is read or
   written; a ``D`` after the open business date is refused (``RESCORE_DATE_AHEAD``);
2. finds everyone holding an open (active or frozen) credit line granted by ``D`` who is known
   by a person key (``store.loans.line_holders``), and the score each line was granted on;
3. per chunk of :data:`RESCORE_CHUNK_PERSONS` people: computes their features **as of D**
   (point in time: only facts known before ``D``), for those whose scoring consent is active
   now — the others are not scored at all; then, in one serialised write transaction, re-reads
   their last scores, runs the pure ``scoring.history.rescore_many`` (people whose features and
   model are unchanged are skipped), appends the new records to ``score_history`` and stores a
   ``score_update`` event (``risk.events.score_update``) in ``risk_event`` for everyone whose
   points moved against a comparable earlier score (their last record, or before any record
   the decision that granted the line; only scores of the same model version compare).

The events are dated ``D``: the risk run of ``D`` turns them into ``score_drop`` and
``rescore`` alerts and the policy's freeze and limit changes. The day close runs re-scoring at
each month end *before* that day's risk run (``services.day_close``; why month end: decision
0404).

Idempotent: a re-run of ``D`` finds every person's features unchanged since the record it
appended, so it appends and emits nothing; an event id is derived from the re-score itself.
A chunk's records and events commit together, so a crash leaves whole chunks done and the
re-run completes the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from puhui.errors import NotFound, ValidationError
from puhui.logs import log_event
from puhui.risk.events import score_update, validate
from puhui.scoring.history import GrantScore, PriorScore, features_sha256, rescore_many
from puhui.scoring.registry import ModelRegistry
from puhui.scoring.scorer import Scorer
from puhui.services.features import MAX_PERSONS_PER_CALL, FeatureStore
from puhui.settings import Settings
from puhui.store import decisions as decision_store
from puhui.store import events as event_store
from puhui.store import loans as loan_store
from puhui.store import scores as score_store
from puhui.store.db import Database

#: People per chunk: one feature computation and one write transaction each.
RESCORE_CHUNK_PERSONS = MAX_PERSONS_PER_CALL

Progress = Callable[[str, int, int], None]


class FeatureSource(Protocol):
    """Features as of a date for the consenting among some people (``FeatureStore``)."""

    def features_of(
        self, person_keys: Sequence[str], as_of: date, now: datetime
    ) -> Mapping[str, Mapping[str, object]]: ...


@dataclass(frozen=True, slots=True)
class RescoreResult:
    business_date: date
    model_version: str
    #: People holding an open line, known by a person key.
    holders: int
    #: Of them, without an active scoring consent: not scored.
    not_consented: int
    #: Features and model as at their last score: nothing new.
    unchanged: int
    #: Score records appended.
    recorded: int
    #: ``score_update`` events stored (points moved against a comparable score).
    score_updates: int


def _quiet(_step: str, _done: int, _total: int) -> None:
    return None


def _no_champion(name: str, root: object) -> NotFound:
    return NotFound(
        "MODEL_NO_CHAMPION",
        f"模型库中没有 {name} 的冠军模型，无法重新评分；"
        "请先训练并发布（puhui model train / promote）",
        f"there is no champion of model {name!r} in the registry at {root}, so nobody can be "
        "re-scored; train and promote one first (puhui model train / promote)",
    )


class Rescoring:
    """The re-scoring use case over one database, feature source and model registry."""

    def __init__(
        self, db: Database, features: FeatureSource, registry: ModelRegistry, model_name: str
    ) -> None:
        self.db = db
        self.features = features
        self.registry = registry
        self.model_name = model_name

    def has_champion(self) -> bool:
        if self.model_name not in self.registry.names():
            return False
        return any(v.role == "champion" for v in self.registry.list_versions(self.model_name))

    def champion(self) -> Scorer:
        """The champion model, loaded now (so a promotion takes effect at the next run)."""
        if not self.has_champion():
            raise _no_champion(self.model_name, self.registry.root)
        return self.registry.load_scorer(self.model_name)

    def run(self, on: date, now: datetime, progress: Progress = _quiet) -> RescoreResult:
        """Re-score, as of ``on``, everyone holding a line whose features changed."""
        scorer = self.champion()
        with self.db.read() as conn:
            open_day = self.db.business_date(conn)
            if on > open_day:
                raise ValidationError(
                    "RESCORE_DATE_AHEAD",
                    f"重新评分日期 {on} 晚于当前营业日 {open_day}",
                    f"the re-scoring date {on} is after the open business date {open_day}",
                )
            holders = loan_store.line_holders(conn, on)
            granted = decision_store.granted_scores(conn, [h.line_id for h in holders])
        grant_scores = {
            h.person_key: GrantScore(g.model_version, g.credit_points, features_sha256(g.features))
            for h in holders
            if (g := granted.get(h.line_id)) is not None
        }
        not_consented = unchanged = recorded = updates = 0
        progress("rescore", 0, len(holders))
        for start in range(0, len(holders), RESCORE_CHUNK_PERSONS):
            chunk = holders[start : start + RESCORE_CHUNK_PERSONS]
            keys = [h.person_key for h in chunk]
            features = self.features.features_of(keys, on, now)
            not_consented += len(chunk) - len(features)
            with self.db.write() as conn:
                prior: dict[str, PriorScore] = {
                    k: grant_scores[k] for k in features if k in grant_scores
                }
                prior.update(score_store.latest_of(conn, list(features)))
                rescored = rescore_many(scorer, features, prior, on)
                score_store.append_many(conn, [r.record for r in rescored])
                by_person = {h.person_key: h for h in chunk}
                events = []
                for r in rescored:
                    if r.points_before is None or r.points_before == r.record.credit_points:
                        continue
                    holder = by_person[r.record.person_key]
                    events.append(
                        score_update(
                            holder.person_key,
                            on,
                            r.points_before,
                            r.record.credit_points,
                            customer_id=holder.customer_id,
                            line_id=holder.line_id,
                            model_version=r.record.model_version,
                            features_sha256=r.record.features_sha256,
                        )
                    )
                if events:
                    stored, _ = event_store.insert_events(conn, validate(events), now)
                    updates += stored
            unchanged += len(features) - len(rescored)
            recorded += len(rescored)
            progress("rescore", start + len(chunk), len(holders))
        result = RescoreResult(
            on, scorer.model_version, len(holders), not_consented, unchanged, recorded, updates
        )
        log_event(
            "rescore_run",
            business_date=on.isoformat(),
            model_version=result.model_version,
            holders=result.holders,
            not_consented=not_consented,
            recorded=recorded,
            score_updates=updates,
        )
        return result


def rescoring_service(settings: Settings, db: Database) -> Rescoring:
    """Re-scoring as configured: the feature store and the model registry's champion."""
    keyer, _ = settings.identity_keys()
    return Rescoring(
        db,
        FeatureStore(db, keyer),
        ModelRegistry(settings.resolved_models_dir),
        settings.model_name,
    )
