"""Consent 授权同意 and source agreements: who may have which data stored and used, when.

Owns the rules, not the records (``store.consent`` keeps those):

- a **consent** is a person's permission for one purpose — ``credit_scoring`` 信用评估,
  ``data_sharing`` 数据共享 or ``marketing`` 营销 — over a scope of sources (partners such as
  ``platform``, single sources such as ``platform/monthly``, or ``all``), given through a
  channel (``app``, ``cooperative_window`` 合作社服务窗口, ``paper`` 纸质). It is active from
  ``granted_at`` until ``withdrawn_at`` (exclusive);
- a **source agreement** says, per partner, whether facts may be stored for people who have
  not consented: ``agreement`` (the county's data-sharing agreement with the lender covers
  everyone, as in seed 003; the lender's own loan records under the loan contract) or
  ``consent`` (payment and marketplace behaviour: only for people with an active consent for
  ``credit_scoring`` or ``data_sharing`` whose scope covers the source).

Invariants
- Time is always passed in (``now``), aware and in UTC; nothing here reads the clock.
- Feature building and scoring need an active ``credit_scoring`` consent
  (:func:`require_scoring`, ``CONSENT_REQUIRED``); its scope decides which partners' facts
  the person's features may use.
- A withdrawn consent is never active again; a new grant is a new consent.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

import pandas as pd

from puhui.data.sources import BY_NAME, Partner, Source
from puhui.errors import Forbidden, ValidationError


class Purpose(StrEnum):
    CREDIT_SCORING = "credit_scoring"
    DATA_SHARING = "data_sharing"
    MARKETING = "marketing"

    @property
    def label_zh(self) -> str:
        return {"credit_scoring": "信用评估", "data_sharing": "数据共享", "marketing": "营销"}[
            self.value
        ]


class Channel(StrEnum):
    APP = "app"
    COOPERATIVE_WINDOW = "cooperative_window"
    PAPER = "paper"

    @property
    def label_zh(self) -> str:
        return {"app": "手机应用", "cooperative_window": "合作社服务窗口", "paper": "纸质"}[
            self.value
        ]


class Agreement(StrEnum):
    """May a partner's facts be stored for people without consent?"""

    AGREEMENT = "agreement"
    CONSENT = "consent"


ALL = "all"
#: Purposes whose consent allows storing the facts of a consent-only source.
STORAGE_PURPOSES = frozenset({Purpose.CREDIT_SCORING, Purpose.DATA_SHARING})
Scope = frozenset[str]


def _choice(enum: type[StrEnum], text: str, code: str, what_en: str, what_zh: str) -> StrEnum:
    try:
        return enum(text.strip().lower())
    except ValueError:
        options = ", ".join(e.value for e in enum)
        raise ValidationError(
            code,
            f"{what_zh} 必须是 {options} 之一；收到 {text!r}",
            f"{what_en} must be one of {options}; got {text!r}",
        ) from None


def parse_purpose(text: str) -> Purpose:
    return Purpose(_choice(Purpose, text, "CONSENT_PURPOSE", "purpose", "授权用途"))


def parse_channel(text: str) -> Channel:
    return Channel(_choice(Channel, text, "CONSENT_CHANNEL", "channel", "授权渠道"))


def parse_scope(text: str) -> Scope:
    """``"platform,government/residents"`` → a scope; ``all`` covers every source."""
    items = frozenset(part.strip().lower() for part in text.split(",") if part.strip())
    partners = {p.value for p in Partner}
    unknown = sorted(items - partners - set(BY_NAME) - {ALL})
    if not items or unknown:
        raise ValidationError(
            "CONSENT_SCOPE",
            f"授权范围必须是 all、合作方（{'、'.join(sorted(partners))}）或数据源名称；"
            f"无法识别：{'、'.join(unknown) or '（空）'}",
            f"scope must list 'all', partners ({', '.join(sorted(partners))}) or source names; "
            f"not understood: {', '.join(unknown) or '(empty)'}",
        )
    return frozenset({ALL}) if ALL in items else items


def scope_text(scope: Iterable[str]) -> str:
    return ",".join(sorted(scope))


def covers(scope: Scope, source: Source) -> bool:
    """Does ``scope`` include ``source`` (by name, by its partner, or ``all``)?"""
    return bool(scope & {ALL, source.partner.value, source.name})


def covers_partner(scope: Scope, partner: Partner) -> bool:
    """Does ``scope`` include every source of ``partner``?"""
    return bool(scope & {ALL, partner.value})


def parse_agreements(mapping: Mapping[str, str]) -> dict[Partner, Agreement]:
    """Validate the ``source_agreements`` setting; every partner must be stated."""
    result: dict[Partner, Agreement] = {}
    problems = []
    for partner in Partner:
        value = mapping.get(partner.value)
        try:
            result[partner] = Agreement(str(value))
        except ValueError:
            problems.append(f"{partner.value}={value!r}")
    if problems:
        raise ValidationError(
            "SOURCE_AGREEMENT",
            "PUHUI_SOURCE_AGREEMENTS 须为每个合作方写明 agreement 或 consent："
            + "；".join(problems),
            "PUHUI_SOURCE_AGREEMENTS must say 'agreement' or 'consent' for every partner; "
            f"got {', '.join(problems)}",
        )
    return result


@dataclass(frozen=True, slots=True)
class Consent:
    """One recorded consent (see the module docstring)."""

    consent_id: int
    person_key: str
    purpose: Purpose
    scope: Scope
    channel: Channel
    granted_at: datetime
    withdrawn_at: datetime | None = None

    def active_at(self, now: datetime) -> bool:
        return self.granted_at <= now and (self.withdrawn_at is None or now < self.withdrawn_at)


def active(consents: pd.DataFrame, now: datetime, purposes: Iterable[Purpose]) -> pd.DataFrame:
    """Rows of a consent frame (``person_key, purpose, scope, granted_at, withdrawn_at``) that
    are active at ``now`` for one of ``purposes``."""
    wanted = {p.value for p in purposes}
    withdrawn = consents["withdrawn_at"]
    mask = (
        consents["purpose"].isin(wanted)
        & (consents["granted_at"] <= now)
        & (withdrawn.isna() | (withdrawn > now))
    )
    return consents[mask]


def _scope_sets(texts: pd.Series) -> pd.Series:
    """Scope texts → frozensets, parsing each distinct text once (a county has a handful)."""
    parsed = {text: frozenset(text.split(",")) for text in texts.unique()}
    return texts.map(parsed)


def storable_people(consents: pd.DataFrame, source: Source, now: datetime) -> set[str]:
    """People with an active storage consent covering ``source`` (for consent-only sources)."""
    rows = active(consents, now, STORAGE_PURPOSES)
    covering = {text: covers(frozenset(text.split(",")), source) for text in rows["scope"].unique()}
    return set(rows.loc[rows["scope"].map(covering).astype(bool), "person_key"])


def scoring_scopes(consents: pd.DataFrame, now: datetime) -> pd.Series:
    """person_key → union of the scopes of their active ``credit_scoring`` consents."""
    rows = active(consents, now, [Purpose.CREDIT_SCORING])
    sets = _scope_sets(rows["scope"])
    several = rows["person_key"].duplicated(keep=False)
    single = pd.Series(sets[~several].to_numpy(), index=rows.loc[~several, "person_key"].to_numpy())
    merged = (
        sets[several]
        .groupby(rows.loc[several, "person_key"])
        .agg(lambda scopes: frozenset().union(*scopes))
    )
    return pd.concat([single, merged]).rename("scope")


def require_scoring(consents: Iterable[Consent], now: datetime) -> Consent:
    """The person's active ``credit_scoring`` consent, or ``CONSENT_REQUIRED``."""
    for consent in consents:
        if consent.purpose is Purpose.CREDIT_SCORING and consent.active_at(now):
            return consent
    raise consent_required()


def consent_required() -> Forbidden:
    return Forbidden(
        "CONSENT_REQUIRED",
        "此人没有有效的信用评估授权（未授权或已撤回），不能生成特征或评分",
        "this person has no active credit_scoring consent (never given or withdrawn); "
        "features cannot be built or served and the person cannot be scored",
    )
