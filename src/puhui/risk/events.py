"""Behaviour events 行为事件: the schema, its validation, and the simulator's stream in it.

An event is one dated fact about a person (or a township): a payment, a transfer, a drawdown, a
repayment, a login or device change, a disaster notice, a re-score. Every event carries a
client-chosen ``event_id`` — the idempotency key of intake: the same id with the same content
is a replay and is ignored; the same id with different content is refused.

People are named by ``person_key`` (the pseudonymous key the data importer derives from the
identity number) and/or ``customer_id``; an event naming only a customer gets the person key
``c:{customer_id}``. A raw identity number is never accepted here.

Validation works on a whole batch as a frame and reports every problem (event index, id and
field) at once; a batch with any problem is refused whole — nothing of it may be stored.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any

import numpy as np
import pandas as pd

from puhui.errors import ValidationError


class EventKind(StrEnum):
    """Kinds of behaviour event. Monthly aggregates are dated the last day of their month."""

    INFLOW = "inflow"  # money received (sales, wages, transfers in); monthly or single
    OUTFLOW = "outflow"  # money paid out (spending); monthly or single
    PAYMENT = "payment"  # one purchase payment (counts as spending)
    TRANSFER_OUT = "transfer_out"
    BILL_PAYMENT = "bill_payment"
    BILL_LATE = "bill_late"
    LOGIN = "login"  # count = days with a login (monthly) or 1
    DEVICE_CHANGE = "device_change"
    LOCATION_CHANGE = "location_change"
    DRAWDOWN = "drawdown"
    REPAYMENT = "repayment"
    SHOP_SALES = "shop_sales"
    SHOP_REFUND = "shop_refund"
    DELINQUENCY = "delinquency"  # a past-due observation: count = days past due
    DISASTER_NOTICE = "disaster_notice"  # township_code, count = level 1 (worst) … 4
    SCORE_UPDATE = "score_update"  # re-score: score_old → score_new credit points


#: Kinds that must carry an amount.
MONEY_KINDS = frozenset(
    {
        EventKind.INFLOW,
        EventKind.OUTFLOW,
        EventKind.PAYMENT,
        EventKind.TRANSFER_OUT,
        EventKind.BILL_PAYMENT,
        EventKind.DRAWDOWN,
        EventKind.REPAYMENT,
        EventKind.SHOP_SALES,
        EventKind.SHOP_REFUND,
    }
)
#: Columns of a validated event frame, in order. ``occurred_on`` is ``datetime64[s]``.
EVENT_FIELDS: tuple[str, ...] = (
    "event_id",
    "kind",
    "occurred_on",
    "person_key",
    "customer_id",
    "line_id",
    "loan_id",
    "township_code",
    "amount_fen",
    "count",
    "detail",
    "counterparty_key",
    "score_old",
    "score_new",
)
_INT_FIELDS = ("customer_id", "line_id", "loan_id", "amount_fen", "count", "score_old", "score_new")
_TEXT_LIMITS = {
    "event_id": 120,
    "person_key": 64,
    "township_code": 20,
    "detail": 40,
    "counterparty_key": 64,
}
SCORE_MIN, SCORE_MAX = 350, 950
#: Largest single amount accepted (10 million yuan): anything bigger is a unit mistake.
MAX_AMOUNT_FEN = 1_000_000_000
#: How many problems an error message lists (the count is always exact).
LISTED_PROBLEMS = 20


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem in a batch: which event (index and id), which field, what is wrong."""

    index: int
    event_id: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"event #{self.index} ({self.event_id or 'no id'}): {self.field}: {self.message}"


class EventsInvalid(ValidationError):
    """A batch of events has problems; ``problems`` lists every one. Nothing was stored."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        shown = "; ".join(str(p) for p in problems[:LISTED_PROBLEMS])
        more = (
            f" (+{len(problems) - LISTED_PROBLEMS} more)" if len(problems) > LISTED_PROBLEMS else ""
        )
        super().__init__(
            "EVENTS_INVALID",
            f"事件批次有 {len(problems)} 处错误，整批未写入：{shown}{more}",
            f"the event batch has {len(problems)} problem(s) and was not stored: {shown}{more}",
            problems=len(problems),
        )


def _text(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype="string")
    values = frame[name]
    return values.astype("string").str.strip().replace("", pd.NA)


def validate(records: Iterable[Mapping[str, Any]] | pd.DataFrame) -> pd.DataFrame:  # noqa: PLR0915
    """The batch as a frame with :data:`EVENT_FIELDS`, or :class:`EventsInvalid`.

    Checks every row: known kind, a date, a person (``person_key`` or ``customer_id``) except
    for a disaster notice (which needs ``township_code`` and a level 1–4), an amount for money
    kinds, non-negative integers, scores within 350–950 for a re-score, text lengths, and no
    event id twice in the batch. Raw identity numbers (an ``id_number`` field) are refused.
    """
    frame = records if isinstance(records, pd.DataFrame) else pd.DataFrame(list(records))
    frame = frame.reset_index(drop=True)
    problems: list[Problem] = []
    ids = _text(frame, "event_id")

    def bad(mask: pd.Series | np.ndarray, field: str, message: str) -> None:
        for index in np.flatnonzero(np.asarray(mask, dtype=bool))[: LISTED_PROBLEMS * 5]:
            event_id = ids.iloc[index]
            problems.append(
                Problem(int(index), "" if pd.isna(event_id) else str(event_id), field, message)
            )

    if "id_number" in frame:
        bad(
            np.ones(len(frame), bool),
            "id_number",
            "raw identity numbers are not accepted; send person_key",
        )
    unknown = sorted(set(frame.columns) - set(EVENT_FIELDS) - {"id_number"})
    if unknown:
        bad(np.ones(len(frame), bool), unknown[0], f"unknown field(s) {', '.join(unknown)}")

    out = pd.DataFrame(index=frame.index)
    for name, limit in _TEXT_LIMITS.items():
        values = _text(frame, name)
        too_long = values.str.len().fillna(0) > limit
        bad(too_long, name, f"must be at most {limit} characters")
        out[name] = values
    bad(ids.isna(), "event_id", "is required")
    bad(ids.duplicated(keep="first") & ids.notna(), "event_id", "appears twice in the batch")

    kinds = _text(frame, "kind")
    known = kinds.isin([k.value for k in EventKind])
    bad(~known.fillna(False), "kind", f"must be one of {', '.join(k.value for k in EventKind)}")
    out["kind"] = kinds

    raw_dates = (
        frame["occurred_on"] if "occurred_on" in frame else pd.Series(pd.NA, index=frame.index)
    )
    dates = pd.to_datetime(raw_dates, errors="coerce", format="mixed")
    bad(dates.isna(), "occurred_on", "must be a date YYYY-MM-DD")
    out["occurred_on"] = dates.dt.normalize().astype("datetime64[s]")

    for name in _INT_FIELDS:
        raw = frame[name] if name in frame else pd.Series(pd.NA, index=frame.index)
        numbers = pd.to_numeric(raw, errors="coerce")
        given = raw.notna()
        not_int = given & (numbers.isna() | (numbers != np.floor(numbers.fillna(0))))
        bad(not_int, name, "must be an integer")
        bad(given & ~not_int & (numbers < 0), name, "must not be negative")
        out[name] = numbers.where(~not_int).astype("Int64")
    bad(
        out["amount_fen"].fillna(0) > MAX_AMOUNT_FEN, "amount_fen", "is larger than 10,000,000 yuan"
    )

    is_disaster = kinds == EventKind.DISASTER_NOTICE
    no_person = out["person_key"].isna() & out["customer_id"].isna()
    bad(
        known.fillna(False) & ~is_disaster.fillna(False) & no_person,
        "person_key",
        "person_key or customer_id is required",
    )
    bad(
        is_disaster.fillna(False) & out["township_code"].isna(),
        "township_code",
        "is required for a disaster notice",
    )
    level = out["count"]
    bad(
        is_disaster.fillna(False) & ~level.between(1, 4).fillna(False),
        "count",
        "disaster level must be 1..4",
    )
    needs_amount = kinds.isin([k.value for k in MONEY_KINDS]).fillna(False)
    bad(needs_amount & out["amount_fen"].isna(), "amount_fen", "is required for this kind")
    rescore = (kinds == EventKind.SCORE_UPDATE).fillna(False)
    for name in ("score_old", "score_new"):
        bad(
            rescore & ~out[name].between(SCORE_MIN, SCORE_MAX).fillna(False),
            name,
            f"must be {SCORE_MIN}..{SCORE_MAX} for a score_update",
        )

    if problems:
        problems.sort(key=lambda p: (p.index, p.field))
        raise EventsInvalid(problems)
    # An event that names only a customer is that customer's: rules group by person key.
    only_customer = out["person_key"].isna() & out["customer_id"].notna()
    out.loc[only_customer, "person_key"] = "c:" + out.loc[only_customer, "customer_id"].astype(
        "string"
    )
    return out[list(EVENT_FIELDS)]


def score_update(
    person_key: str,
    on: date,
    score_old: int,
    score_new: int,
    *,
    customer_id: int | None,
    line_id: int | None,
    model_version: str,
    features_sha256: str,
) -> dict[str, object]:
    """A re-score as a ``score_update`` event (a record for :func:`validate`).

    The id is derived from everything that makes the re-score what it is — person, day, model,
    features, both scores — so producing the same re-score again gives the same id (a replay,
    skipped on intake) and a different re-score never reuses one.
    """
    basis = (
        f"{person_key}|{on.isoformat()}|{model_version}|{features_sha256}|{score_old}|{score_new}"
    )
    digest = hashlib.sha256(basis.encode("utf-8")).hexdigest()[:16]
    return {
        "event_id": f"rescore:{on.isoformat()}:{person_key}:{digest}",
        "kind": EventKind.SCORE_UPDATE.value,
        "occurred_on": on.isoformat(),
        "person_key": person_key,
        "customer_id": customer_id,
        "line_id": line_id,
        "score_old": score_old,
        "score_new": score_new,
        "detail": model_version[: _TEXT_LIMITS["detail"]],
    }


def content_hash(frame: pd.DataFrame) -> pd.Series:
    """A digest of each event's content (everything but the id): detects a reused event id."""
    fields = [f for f in EVENT_FIELDS if f != "event_id"]
    joined = frame[fields[0]].astype("string").fillna("")
    for name in fields[1:]:
        joined = joined + "|" + frame[name].astype("string").fillna("")
    digests = [hashlib.sha256(text.encode("utf-8")).hexdigest()[:32] for text in joined]
    return pd.Series(digests, index=frame.index, dtype="string")


def keyed_hash(secret: bytes) -> Callable[[pd.Series], pd.Series]:
    """Person keys as HMAC-SHA256 of the identity number (each distinct number hashed once)."""

    def keys(id_numbers: pd.Series) -> pd.Series:
        codes, uniques = pd.factorize(id_numbers, sort=False)
        hashed = np.array(
            [hmac.new(secret, str(u).encode("ascii"), hashlib.sha256).hexdigest() for u in uniques]
            + [""],
            dtype=object,
        )
        out = pd.Series(hashed[codes], index=id_numbers.index, dtype="string")
        return out.mask(codes < 0)

    return keys


def from_sim(month: pd.DataFrame, person_key: Callable[[pd.Series], pd.Series]) -> pd.DataFrame:
    """The simulator's behaviour stream (``puhui.sim.behaviour_events``) as validated events.

    ``person_key`` maps a column of identity numbers to person keys (the importer's keyed
    hash); the identity numbers themselves are dropped here. Event ids are derived from the
    content, so converting the same stream twice gives the same ids (a replay).
    """
    keys = person_key(month["id_number"].astype("string"))
    counterparty = month["counterparty_id_number"]
    counter_keys = pd.Series(pd.NA, index=month.index, dtype="string")
    known = counterparty.notna()
    if known.any():
        counter_keys[known] = person_key(counterparty[known].astype("string"))
    frame = pd.DataFrame(
        {
            "kind": month["kind"].astype("string"),
            "occurred_on": pd.to_datetime(month["event_date"]).astype("datetime64[s]"),
            "person_key": keys.astype("string"),
            "township_code": month["township_code"].astype("string"),
            "amount_fen": month["amount_fen"].astype("Int64"),
            "count": month["count"].astype("Int64"),
            "detail": month["detail"].astype("string"),
            "counterparty_key": counter_keys,
        },
        index=month.index,
    )
    for name in ("customer_id", "line_id", "loan_id", "score_old", "score_new"):
        frame[name] = pd.array([pd.NA] * len(frame), dtype="Int64")
    # pandas' hash is vectorised and fixed-keyed: the same stream gives the same ids.
    digest = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    # Two identical aggregate rows (same person, day, kind, amount) are distinct events.
    nth = pd.Series(digest).groupby(digest, sort=False).cumcount().to_numpy()
    ids = np.char.add(np.char.add("sim-", np.char.mod("%016x", digest)), np.char.mod("-%d", nth))
    frame["event_id"] = pd.array(ids, dtype="string")
    return frame[list(EVENT_FIELDS)].reset_index(drop=True)
