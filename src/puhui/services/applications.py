"""The 310 application 申请: facts → features → score → decision → line, with no human step.

``apply`` gathers what the lender already knows (household register, consent, exclusion list,
loans on file, last decline), the person's features (the nightly snapshot, or computed for them
now if they consented since), scores them with the champion model, runs the pure
``decision.decide``, and in one transaction stores the decision with its inputs, feature
snapshot, model and policy versions and trace — and, when approved, opens the credit line with
the offered limit, price and penalty rate. ``replay`` re-runs a stored decision from its record
(policy text by digest, model by version) and says whether it is identical. An adverse decision
can be sent to a person at the applicant's request (``request_review``): the only human step,
and only when asked.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from puhui.decision import (
    Applicant,
    Application,
    Decision,
    Policy,
    ScoreOutcome,
    decide,
    policy_from_text,
)
from puhui.decision.engine import Check, Offer, eligibility, record_fields
from puhui.errors import Conflict, NotFound, PuhuiError, ValidationError, invariant
from puhui.loans import CreditLine
from puhui.products import Catalogue, Product
from puhui.scoring import Scorer
from puhui.scoring.registry import ModelRegistry
from puhui.services.features import FeatureStore
from puhui.services.lending import Lending
from puhui.store import decisions as decision_store
from puhui.store import idempotency
from puhui.store import loans as loan_store
from puhui.store.db import Database

#: A nightly snapshot older than this is recomputed for the applicant.
SNAPSHOT_MAX_AGE = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class ApplyResult:
    decision_id: int
    decision: Decision
    line_id: int | None


@dataclass(frozen=True, slots=True)
class ApplyRequest:
    """One 310 application as its caller sends it (``key``: the client's idempotency key)."""

    key: str
    customer_id: int
    person_key: str
    product_code: str
    now: datetime
    channel: str = "app"
    requested_limit_fen: int | None = None

    def recorded(self) -> dict[str, object]:
        """What the idempotency key records of the request (a retry must match it)."""
        return {
            "customer_id": self.customer_id,
            "product": self.product_code,
            "requested_limit_fen": self.requested_limit_fen,
            "channel": self.channel,
        }


@dataclass(frozen=True, slots=True)
class _Prepared:
    """An application with everything known before scoring: the applicant's facts, whether
    the eligibility rules pass, and (when they do) the features to score."""

    index: int
    request: ApplyRequest
    key: str
    product: Product
    on: date
    application: Application
    who: Applicant
    eligible: bool
    features: dict[str, object]


@dataclass(frozen=True, slots=True)
class _Decided:
    """An application decided, its line (if approved) built but not yet stored."""

    index: int
    request: ApplyRequest
    key: str
    on: date
    decision: Decision
    inputs: dict[str, object]
    line: CreditLine | None


@dataclass(frozen=True, slots=True)
class Replay:
    decision_id: int
    identical: bool
    stored: str
    replayed: str


def outcome_of(result: Any) -> ScoreOutcome:
    return ScoreOutcome(
        pd=float(result.pd),
        credit_points=int(result.credit_points),
        band=str(result.band),
        model_version=str(result.model_version),
        reasons=tuple((r.feature, r.text_zh, r.text_en) for r in result.reasons),
    )


def decision_from_dict(data: Mapping[str, Any]) -> Decision:
    offer = data.get("offer")
    return Decision(
        approved=data["approved"],
        product_code=data["product_code"],
        policy_version=data["policy_version"],
        model_version=data["model_version"],
        credit_points=data["credit_points"],
        band=data["band"],
        offer=None
        if offer is None
        else Offer(
            **{
                **offer,
                "methods": tuple(offer["methods"]),
                "terms_months": tuple(offer["terms_months"]),
            }
        ),
        reasons_zh=tuple(data["reasons_zh"]),
        reasons_en=tuple(data["reasons_en"]),
        reason_codes=tuple(data["reason_codes"]),
        checks=tuple(Check(**c) for c in data["checks"]),
    )


class Applications:
    """The 310 use cases over one database, catalogue, policy, model registry and services."""

    def __init__(
        self,
        db: Database,
        catalogue: Catalogue,
        policy: Policy,
        lending: Lending,
        features: FeatureStore,
        registry: ModelRegistry,
        model_name: str,
    ) -> None:
        self.db = db
        self.catalogue = catalogue
        self.policy = policy
        self.lending = lending
        self.features = features
        self.registry = registry
        self.model_name = model_name
        self._scorer: Scorer | None = None
        #: Digests of policies known to be stored in this database (checked once per process).
        self._policies_stored: set[str] = set()

    # -- the model ------------------------------------------------------------------------
    def scorer(self) -> Scorer:
        """The champion model, loaded (and its files verified) once per process."""
        if self._scorer is None:
            if self.model_name not in self.registry.names():
                raise NotFound(
                    "MODEL_NOT_TRAINED",
                    f"尚无评分模型 {self.model_name}；请先训练并发布（puhui model train）",
                    f"no model {self.model_name!r} in the registry; train and promote one first",
                )
            self._scorer = self.registry.load_scorer(self.model_name)
        return self._scorer

    def reload_model(self) -> str:
        self._scorer = None
        return self.scorer().model_version

    # -- facts ----------------------------------------------------------------------------
    def _applicant(self, facts: decision_store.ApplicantFacts, person_key: str) -> Applicant:
        return Applicant(
            person_key=person_key,
            real_name_verified=facts.registered_name is not None
            and facts.registered_name == facts.name,
            birth_date=facts.birth_date or date(1900, 1, 1),
            county=facts.county,
            segment=facts.segment,
            has_consent=facts.has_consent,
            blacklisted=facts.blacklisted,
            max_open_days_past_due=facts.max_open_days_past_due,
            last_decline_on=facts.last_decline_on,
            existing_limit_fen=facts.existing_limit_fen,
            annual_debt_service_fen=facts.annual_debt_service_fen,
        )

    # -- apply ----------------------------------------------------------------------------
    def apply(
        self,
        key: str,
        customer_id: int,
        person_key: str,
        product_code: str,
        now: datetime,
        *,
        channel: str = "app",
        requested_limit_fen: int | None = None,
    ) -> ApplyResult:
        """Decide an application and, if approved, open the line — all or nothing (one
        application through ``apply_many``; its error, if any, is raised)."""
        request = ApplyRequest(
            key, customer_id, person_key, product_code, now, channel, requested_limit_fen
        )
        (result,) = self.apply_many([request])
        if isinstance(result, PuhuiError):
            raise result
        return result

    def apply_many(self, requests: Sequence[ApplyRequest]) -> list[ApplyResult | PuhuiError]:
        """Decide applications together, each exactly as it would be alone, sharing the trips
        to the database: one statement reads every applicant's facts (customer, register,
        consent, exclusion list, last decline, open DPD, limits, debt service, business date
        and — when the consent covers scoring — the newest feature snapshot, used only for an
        eligible applicant); the pure decisions run outside any transaction; one write
        transaction opens the lines and stores the decisions and the idempotency keys (one
        statement each, ``store.rows.insert_batch``).

        The result in each request's place is its decision, or the domain error that stopped
        it (an unknown customer or product, a bad key): one failure does not stop the others.
        A customer's second application in the batch (another key: a second device, a double
        tap) is decided after the first is stored, on facts that include it — as it would be
        alone. The key is not looked up first: a retry's key is already stored, so the shared
        insert fails and everything in it rolls back; then each decision is stored on its
        own, and the retry gets the decision stored under its key (a different request under
        the key gets ``IDEMPOTENCY_KEY_REUSED``)."""
        first: list[int] = []
        later: list[int] = []
        applying: set[int] = set()
        for index, request in enumerate(requests):
            (later if request.customer_id in applying else first).append(index)
            applying.add(request.customer_id)
        if later:
            outcomes = dict(
                zip(first, self._apply_batch([requests[i] for i in first]), strict=True)
            )
            outcomes |= zip(later, self.apply_many([requests[i] for i in later]), strict=True)
            return [outcomes[index] for index in range(len(requests))]
        return self._apply_batch(requests)

    def _apply_batch(self, requests: Sequence[ApplyRequest]) -> list[ApplyResult | PuhuiError]:
        """``apply_many`` for applications of distinct customers."""
        started = time.perf_counter()
        results: list[ApplyResult | PuhuiError | None] = [None] * len(requests)
        checked: list[tuple[int, str, Product]] = []
        for index, request in enumerate(requests):
            try:
                key = idempotency.check_key(request.key)
                checked.append((index, key, self.catalogue.get(request.product_code)))
            except PuhuiError as error:
                results[index] = error
        prepared: list[_Prepared] = []
        read = self._facts([requests[index] for index, _, _ in checked])
        for (index, key, product), facts in zip(checked, read, strict=True):
            try:
                if isinstance(facts, PuhuiError):
                    raise facts
                prepared.append(self._prepare(index, requests[index], key, product, facts))
            except PuhuiError as error:
                results[index] = error
        scores = self._scores([p for p in prepared if p.eligible])
        decided: list[_Decided] = []
        for one in prepared:
            try:
                decided.append(self._decide(one, scores.get(one.index)))
            except PuhuiError as error:
                results[one.index] = error
        if decided:
            self._store_policy(decided[0].request.now)
            for one, outcome in zip(decided, self._store(decided, started), strict=True):
                results[one.index] = outcome
        invariant(None not in results, "every application has an outcome")
        return cast(list[ApplyResult | PuhuiError], results)

    def _facts(
        self, requests: Sequence[ApplyRequest]
    ) -> list[decision_store.ApplicantFacts | PuhuiError]:
        """Every applicant's facts, in one statement (an unknown customer: its error)."""
        if not requests:
            return []
        with self.db.read() as conn:
            read = decision_store.applicants_facts(
                conn,
                [(r.customer_id, r.person_key, r.now) for r in requests],
                self.policy.require_consent,
            )
        return [
            NotFound(
                "CUSTOMER_NOT_FOUND", f"客户不存在：{r.customer_id}", f"no customer {r.customer_id}"
            )
            if found is None
            else found
            for r, found in zip(requests, read, strict=True)
        ]

    def _prepare(
        self,
        index: int,
        request: ApplyRequest,
        key: str,
        product: Product,
        facts: decision_store.ApplicantFacts,
    ) -> _Prepared:
        self.scorer()  # no champion model, no decision — not even a decline (as alone)
        on = facts.business_date
        who = self._applicant(facts, request.person_key)
        application = Application(product.code, on, request.channel, request.requested_limit_fen)
        # Features are used only for an eligible applicant (and read only with consent).
        eligible = all(c.passed for c in eligibility(application, who, self.policy, product))
        snapshot = facts.snapshot if eligible else None
        if eligible and (snapshot is None or on - snapshot.as_of > SNAPSHOT_MAX_AGE):
            snapshot = self.features.person_features(
                request.person_key, min(on, request.now.date()), request.now
            )
        features: dict[str, object] = {} if snapshot is None else dict(snapshot.features)
        return _Prepared(index, request, key, product, on, application, who, eligible, features)

    def _scores(self, eligible: Sequence[_Prepared]) -> dict[int, ScoreOutcome | PuhuiError]:
        """The eligible applicants scored together (one model call); each score is exactly
        what the applicant alone would get, so the decision replays one at a time. Features the
        model refuses fail only their own applicant."""
        if not eligible:
            return {}
        scorer = self.scorer()
        try:
            scored: list[Any] = scorer.score_many([p.features for p in eligible])
        except PuhuiError:
            scored = []
            for one in eligible:
                try:
                    scored.append(scorer.score_one(one.features))
                except PuhuiError as error:
                    scored.append(error)
        return {
            p.index: s if isinstance(s, PuhuiError) else outcome_of(s)
            for p, s in zip(eligible, scored, strict=True)
        }

    def _decide(self, one: _Prepared, score: ScoreOutcome | PuhuiError | None) -> _Decided:
        """Decide with the score computed for the batch (``decide`` asks for it only when
        the eligibility rules pass — exactly when it was computed)."""

        def scored(features: Mapping[str, object]) -> ScoreOutcome:
            invariant(features is one.features and score is not None, "scored with the batch")
            if isinstance(score, PuhuiError):
                raise score
            return score

        request = one.request
        decision = decide(one.application, one.who, one.features, scored, self.policy, one.product)
        line = None
        if decision.approved and decision.offer is not None:
            offer = decision.offer
            sales = one.features.get(self.policy.monthly_sales_feature)
            line = self.lending.new_line(
                one.on,
                request.customer_id,
                one.product.code,
                offer.limit_fen,
                offer.band,
                Decimal(str(sales)) if one.product.sales_pricing and sales else None,
                Decimal(offer.penalty_rate_annual),
                one.who.segment,
            )
        inputs = {
            "application": record_fields(one.application),
            "applicant": record_fields(one.who),
            "features": one.features,
        }
        return _Decided(one.index, request, one.key, one.on, decision, inputs, line)

    def _store_policy(self, now: datetime) -> None:
        if self.policy.digest not in self._policies_stored:
            # Once per process, serialised, so two processes never insert the same policy.
            with self.db.write() as conn:
                decision_store.ensure_policy(
                    conn, self.policy.digest, self.policy.version, self.policy.source_text, now
                )
            self._policies_stored.add(self.policy.digest)

    def _store(self, decided: Sequence[_Decided], started: float) -> list[ApplyResult | PuhuiError]:
        try:
            # No money moves: the write skips the ledger lock (ids from sequences).
            with self.db.write_records() as conn:
                return self._write(conn, decided, started)
        except IntegrityError:
            if len(decided) > 1:
                # A stored key among them (a retry) — or a concurrent twin: each on its own.
                return [outcome for one in decided for outcome in self._store([one], started)]
            # A retry, or the same key committed by a concurrent request first: answer with
            # what that request stored.
            (one,) = decided
            with self.db.read() as conn:
                try:
                    stored = idempotency.lookup(conn, one.key, "apply", one.request.recorded())
                except PuhuiError as error:  # the key was used for a different request
                    return [error]
                if stored is None:
                    raise
                return [self._result(conn, int(stored["decision_id"]))]

    def _write(
        self, conn: Connection, decided: Sequence[_Decided], started: float
    ) -> list[ApplyResult | PuhuiError]:
        opened = iter(self.lending.open_lines_in(conn, [d.line for d in decided if d.line]))
        line_ids = [None if d.line is None else next(opened).line_id for d in decided]
        latency_ms = round((time.perf_counter() - started) * 1000)
        decision_ids = decision_store.record(
            conn,
            [
                decision_store.NewDecision(
                    person_key=d.request.person_key,
                    customer_id=d.request.customer_id,
                    product_code=d.decision.product_code,
                    channel=d.request.channel,
                    applied_on=d.on,
                    outcome=d.decision.to_dict(),
                    inputs=d.inputs,
                    policy_digest=self.policy.digest,
                    line_id=line_id,
                    latency_ms=latency_ms,
                    now=d.request.now,
                )
                for d, line_id in zip(decided, line_ids, strict=True)
            ],
        )
        idempotency.record_many(
            conn,
            [
                (
                    d.key,
                    "apply",
                    d.request.recorded(),
                    {"decision_id": decision_id, "line_id": line_id},
                )
                for d, decision_id, line_id in zip(decided, decision_ids, line_ids, strict=True)
            ],
        )
        return [
            ApplyResult(decision_id, d.decision, line_id)
            for d, decision_id, line_id in zip(decided, decision_ids, line_ids, strict=True)
        ]

    def _result(self, conn: Connection, decision_id: int) -> ApplyResult:
        stored = decision_store.get(conn, decision_id)
        return ApplyResult(decision_id, decision_from_dict(stored.outcome), stored.line_id)

    def decision(self, decision_id: int) -> decision_store.StoredDecision:
        with self.db.read() as conn:
            return decision_store.get(conn, decision_id)

    # -- replay ---------------------------------------------------------------------------
    def replay(self, decision_id: int) -> Replay:
        """Re-run a stored decision from its record; ``identical`` if bit for bit the same."""
        with self.db.read() as conn:
            stored = decision_store.get(conn, decision_id)
            text = decision_store.policy_text(conn, stored.policy_digest)
        policy = policy_from_text(
            text, self.catalogue, f"stored policy {stored.policy_digest[:12]}"
        )
        app = stored.inputs["application"]
        who = stored.inputs["applicant"]
        application = Application(
            app["product_code"],
            date.fromisoformat(app["applied_on"]),
            app["channel"],
            app["requested_limit_fen"],
        )
        applicant = Applicant(
            **{
                **who,
                "birth_date": date.fromisoformat(who["birth_date"]),
                "last_decline_on": (
                    date.fromisoformat(who["last_decline_on"]) if who["last_decline_on"] else None
                ),
            }
        )
        if stored.model_version is not None:
            name, _, version = stored.model_version.partition(":")
            scorer = self.registry.load_scorer(name, version or None)
        else:
            scorer = None

        def score(features: Mapping[str, object]) -> ScoreOutcome:
            if scorer is None:
                raise Conflict(
                    "REPLAY_MODEL_MISSING",
                    "原决定没有评分，重放却需要评分",
                    "the stored decision was not scored, but the replay needs a score",
                )
            return outcome_of(scorer.score_one(features))

        replayed = decide(
            application,
            applicant,
            stored.inputs["features"],
            score,
            policy,
            self.catalogue.get(stored.product_code),
        )
        again = replayed.canonical_json()
        original = decision_from_dict(stored.outcome).canonical_json()
        return Replay(decision_id, again == original, original, again)

    # -- human review, at the applicant's request -----------------------------------------
    def request_review(self, decision_id: int, note: str, now: datetime) -> decision_store.Review:
        with self.db.write() as conn:
            stored = decision_store.get(conn, decision_id)
            if stored.approved:
                raise Conflict(
                    "REVIEW_NOT_NEEDED",
                    "该申请已获批准，无需人工复核",
                    "the application was approved; there is nothing to review",
                )
            county = ""
            if stored.customer_id is not None:
                county = loan_store.get_customer(conn, stored.customer_id)["county"]
            return decision_store.request_review(conn, decision_id, county, note[:500], now)

    def reviews(
        self, county: str | None, status: str | None = "open"
    ) -> list[decision_store.Review]:
        with self.db.read() as conn:
            return decision_store.reviews(conn, county, status)

    def resolve_review(
        self,
        review_id: int,
        officer_user_id: int,
        overturn: bool,
        note: str,
        now: datetime,
        limit_fen: int | None = None,
        band: str | None = None,
    ) -> tuple[decision_store.Review, int | None]:
        """An officer upholds the automated decision or overturns it (then opens a line)."""
        if not note.strip():
            raise ValidationError(
                "REVIEW_NOTE_REQUIRED", "请填写复核意见", "write down why (the review note)"
            )
        with self.db.write() as conn:
            review = decision_store.get_review(conn, review_id)
            stored = decision_store.get(conn, review.decision_id)
            line_id = None
            if overturn:
                if limit_fen is None or band is None or stored.customer_id is None:
                    raise ValidationError(
                        "REVIEW_OFFER_REQUIRED",
                        "改判为批准时需填写额度和信用等级",
                        "overturning needs a limit and a band",
                    )
                line = self.lending.grant_in(
                    conn,
                    self.db.business_date(conn),
                    stored.customer_id,
                    stored.product_code,
                    limit_fen,
                    band,
                    None,
                    None,
                )
                line_id = line.line_id
            resolved = decision_store.resolve_review(
                conn,
                review_id,
                officer_user_id,
                "overturned" if overturn else "upheld",
                note.strip(),
                now,
            )
        return resolved, line_id
