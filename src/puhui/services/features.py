"""Feature store use cases 特征服务: build snapshots, serve one person, make a training table.

- :meth:`FeatureStore.build` — features as of a date for every person with an active
  ``credit_scoring`` consent (``data.consent``), stored as that date's snapshot (and optionally
  written to Parquet with the fairness groups beside);
- :meth:`FeatureStore.latest` — one person's newest snapshot for the 310 decision: refused
  with ``CONSENT_REQUIRED`` unless the person's scoring consent is active *now*, so a
  withdrawal stops serving at once (a primary-key read; bench/features.py measures it);
- :meth:`FeatureStore.person_features` / :meth:`FeatureStore.features_of` — one person's (or
  a few hundred people's) features computed on demand from their facts and their contacts';
- :meth:`FeatureStore.training_table` — features as of ``T`` + label + groups (+ oracle PD
  from a simulator's ``truth/``), Parquet or CSV, and the YAML config next to it.

Facts are read with windows trimmed in SQL (monthly tables: the 12 complete months before the
date); the point-in-time rule itself is applied by ``features.asof`` on every frame.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import yaml
from sqlalchemy import Connection

from puhui.data.consent import require_scoring, scoring_scopes
from puhui.data.files import read_file
from puhui.data.identity import PersonKeyer
from puhui.data.sources import SOURCES, Kind
from puhui.errors import Conflict, NotFound, ValidationError
from puhui.features.asof import last_complete_month, month_start
from puhui.features.build import FeatureTable, compute_features
from puhui.features.catalogue import FEATURE_NAMES, FEATURE_VERSION
from puhui.features.training import oracle_pd, training_config, training_frame
from puhui.features.windows import WINDOW_MONTHS
from puhui.store import consent as consent_store
from puhui.store import facts as fact_store
from puhui.store import features as snapshot_store
from puhui.store.db import Database
from puhui.store.tables import feature_snapshot

#: People per :meth:`FeatureStore.features_of` call: their facts and their contacts' are read
#: with ``IN (…)`` lists, which must stay a sane size on either engine.
MAX_PERSONS_PER_CALL = 500


@dataclass(frozen=True, slots=True)
class BuildResult:
    build_id: int
    as_of: date
    persons: int
    refused_no_consent: int
    out: Path | None


@dataclass(frozen=True, slots=True)
class TrainingResult:
    as_of: date
    rows: int
    positives: int
    table_path: Path
    config_path: Path
    oracle: bool


def _check_as_of(as_of: date, now: datetime) -> None:
    if as_of > now.date():
        raise ValidationError(
            "AS_OF_IN_FUTURE",
            f"特征日期 {as_of} 晚于今天 {now.date()}",
            f"as-of date {as_of} is after today ({now.date()})",
        )


class FeatureStore:
    """Feature snapshots over one database."""

    def __init__(self, db: Database, keyer: PersonKeyer) -> None:
        self.db = db
        self.keyer = keyer

    def load_facts(self, conn: Connection, as_of: date) -> dict[str, pd.DataFrame]:
        """Every source's stored facts, monthly tables trimmed to the feature windows."""
        first_month = (last_complete_month(as_of) - pd.DateOffset(months=WINDOW_MONTHS - 1)).date()
        facts = {}
        for source in SOURCES:
            monthly = source.known_from and source.column(source.known_from).kind is Kind.MONTH
            if monthly:
                facts[source.name] = fact_store.read_facts(
                    conn, source, since=first_month, until=month_start(as_of).date()
                )
            else:
                facts[source.name] = fact_store.read_facts(conn, source)
        return facts

    def _compute(
        self, as_of: date, now: datetime
    ) -> tuple[FeatureTable, dict[str, pd.DataFrame], int, int | None]:
        with self.db.read() as conn:
            scopes = scoring_scopes(consent_store.consents_frame(conn), now)
            registered = len(fact_store.known_persons(conn))
            last_batch = fact_store.last_batch_id(conn)
            facts = self.load_facts(conn, as_of)
        table = compute_features(facts, as_of, scopes)
        return table, facts, registered - len(scopes), last_batch

    def build(self, as_of: date, now: datetime, out: Path | None = None) -> BuildResult:
        """Build and store the snapshot of ``as_of`` for everyone with a scoring consent."""
        now = now.astimezone(UTC)
        _check_as_of(as_of, now)
        if out is not None:
            _table_format(out)
        table, _, refused, last_batch = self._compute(as_of, now)
        if table.features.empty:
            raise Conflict(
                "FEATURES_NOBODY_CONSENTED",
                f"没有任何人持有有效的信用评估授权（已登记 {refused} 人），无法构建特征；"
                "请先登记授权（puhui data consents grant 或 grant-all）",
                f"nobody holds an active credit-scoring consent ({refused} registered), so there "
                "are no features to build; record consents first (puhui data consents grant "
                "or grant-all)",
            )
        with fact_store.import_transaction(self.db) as conn:
            build_id = snapshot_store.replace_build(
                conn,
                as_of,
                now,
                FEATURE_VERSION,
                list(FEATURE_NAMES),
                [str(k) for k in table.features.index],
                table.json_rows(),
                refused,
                last_batch,
            )
        self.db.analyze(feature_snapshot.name)
        if out is not None:
            frame = table.features.join(table.groups)
            frame.insert(0, "as_of", pd.Timestamp(as_of))
            _write_table(frame.reset_index(), out)
        return BuildResult(build_id, as_of, len(table.features), refused, out)

    def latest(self, person_key: str, now: datetime) -> snapshot_store.Snapshot:
        """The person's newest features, only while their scoring consent is active."""
        now = now.astimezone(UTC)
        with self.db.read() as conn:
            require_scoring(consent_store.person_consents(conn, person_key), now)
            snapshot = snapshot_store.latest(conn, person_key)
        if snapshot is None:
            raise NotFound(
                "FEATURES_NOT_BUILT",
                "此人尚无特征快照；请先运行 puhui features build",
                "no feature snapshot for this person yet; run `puhui features build` first",
            )
        return snapshot

    def person_features(
        self, person_key: str, as_of: date, now: datetime
    ) -> snapshot_store.Snapshot:
        """One person's features as of ``as_of``, computed now and stored (the 310 path for
        someone who consented after the last nightly build).

        Reads only the person's facts and, for the social-graph features, their contacts'
        accounts and loan status — the same computation as :meth:`build`, on a neighbourhood
        instead of the county (``tests/features`` checks the two agree)."""
        now = now.astimezone(UTC)
        _check_as_of(as_of, now)
        with self.db.read() as conn:
            consents = consent_store.consents_frame(conn, person_key)
            require_scoring(consent_store.person_consents(conn, person_key), now)
            scopes = scoring_scopes(consents, now)
            facts = self._neighbourhood(conn, [person_key], as_of)
            last_batch = fact_store.last_batch_id(conn)
        table = compute_features(facts, as_of, scopes)
        with fact_store.import_transaction(self.db) as conn:
            return snapshot_store.put_person(
                conn,
                person_key,
                as_of,
                now,
                FEATURE_VERSION,
                list(FEATURE_NAMES),
                table.json_rows()[0],
                last_batch,
            )

    def features_of(
        self, person_keys: Sequence[str], as_of: date, now: datetime
    ) -> dict[str, dict[str, float | None]]:
        """The features as of ``as_of`` of those of ``person_keys`` whose scoring consent is
        active ``now`` (the others are left out, never computed), as a snapshot would hold them
        — person key → {feature: number or None}. Computed on their neighbourhood like
        :meth:`person_features`, and not stored: the re-scoring run keeps a digest instead.
        ``as_of`` is a business date and may lie ahead of the wall clock (a simulated county
        closes days ahead of it): nothing is stored that a later reader could take for today's
        snapshot, and the caller bounds the date (re-scoring: a day the books have reached).

        At most :data:`MAX_PERSONS_PER_CALL` people per call (the caller chunks).
        """
        keys = sorted(set(person_keys))
        if len(keys) > MAX_PERSONS_PER_CALL:
            raise ValidationError(
                "TOO_MANY_PERSONS",
                f"一次最多计算 {MAX_PERSONS_PER_CALL} 人的特征；收到 {len(keys)} 人",
                f"`person_keys` must name at most {MAX_PERSONS_PER_CALL} people; got {len(keys)}",
            )
        now = now.astimezone(UTC)
        with self.db.read() as conn:
            scopes = scoring_scopes(consent_store.consents_of(conn, keys), now)
            if scopes.empty:
                return {}
            facts = self._neighbourhood(conn, sorted(scopes.index), as_of)
        table = compute_features(facts, as_of, scopes)
        return {
            str(key): json.loads(row)
            for key, row in zip(table.features.index, table.json_rows(), strict=True)
        }

    def _neighbourhood(
        self, conn: Connection, person_keys: list[str], as_of: date
    ) -> dict[str, pd.DataFrame]:
        """The facts of ``person_keys`` and, for the social-graph features, their contacts'
        accounts, lines and loan status."""
        facts = self._facts_of(conn, person_keys, as_of)
        contacts = self._contacts(conn, facts)
        if contacts:
            for name in ("platform/accounts", "lender/lines", "lender/monthly_status"):
                extra = self._facts_of(conn, contacts, as_of, only=name)[name]
                facts[name] = pd.concat([facts[name], extra]).drop_duplicates()
        return facts

    def _facts_of(
        self, conn: Connection, person_keys: list[str], as_of: date, only: str | None = None
    ) -> dict[str, pd.DataFrame]:
        first_month = (last_complete_month(as_of) - pd.DateOffset(months=WINDOW_MONTHS - 1)).date()
        facts = {}
        for source in SOURCES:
            if only is not None and source.name != only:
                continue
            monthly = source.known_from and source.column(source.known_from).kind is Kind.MONTH
            window = (first_month, month_start(as_of).date()) if monthly else (None, None)
            facts[source.name] = fact_store.read_facts_of(conn, source, person_keys, *window)
        return facts

    @staticmethod
    def _contacts(conn: Connection, facts: dict[str, pd.DataFrame]) -> list[str]:
        transfers = facts["platform/transfers"]
        if transfers.empty:
            return []
        user_ids = set(transfers["user_id"]) | set(transfers["counterparty_user_id"])
        return fact_store.persons_of_users(conn, sorted(int(u) for u in user_ids))

    def training_table(
        self,
        as_of: date,
        now: datetime,
        out: Path,
        population: str = "borrowers",
        truth: Path | None = None,
    ) -> TrainingResult:
        """Write the training table to ``out`` and its config to ``out`` with ``.yaml``."""
        now = now.astimezone(UTC)
        _check_as_of(as_of, now)
        _table_format(out)
        table, facts, _, _ = self._compute(as_of, now)
        oracle = None
        if truth is not None:
            truth_file = truth / "monthly.parquet"
            if not truth_file.is_file():
                raise NotFound(
                    "TRUTH_NOT_FOUND",
                    f"找不到模拟器真值文件 {truth_file}",
                    f"no simulator truth file {truth_file} (give the run's truth/ folder)",
                )
            oracle = oracle_pd(read_file(truth_file), self.keyer, as_of)
        frame = training_frame(table, facts, population, oracle)
        _write_table(frame, out)
        config_path = out.with_suffix(".yaml")
        config = training_config(out.name, as_of, population, oracle is not None)
        header = (
            "# Training config written by `puhui features training-table` (docs/features.md).\n"
            "# Columns of the table are stable; see docs/features.md for every feature.\n"
        )
        config_path.write_text(
            header + yaml.safe_dump(config, allow_unicode=True, sort_keys=False), "utf-8"
        )
        return TrainingResult(
            as_of,
            len(frame),
            int(frame["label_90dpd_12m"].sum()),
            out,
            config_path,
            oracle is not None,
        )


def _table_format(out: Path) -> str:
    suffix = out.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValidationError(
            "OUT_FORMAT",
            f"输出文件须以 .parquet 或 .csv 结尾：{out.name}",
            f"the output file must end in .parquet or .csv; got {out.name}",
        )
    return suffix


def _write_table(frame: pd.DataFrame, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if _table_format(out) == ".csv":
        frame.to_csv(out, index=False)
    else:
        frame.to_parquet(out, index=False)
