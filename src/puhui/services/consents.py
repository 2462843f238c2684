"""Consent use cases 授权管理: grant, withdraw, list, audit — each in one transaction.

A person is named by their identity number as they give it at the window or in the app; it is
validated (``puhui.idcard``), turned into the person key and never kept in clear. Granting
consent to someone not yet in the registry registers them (number encrypted). Every grant and
withdrawal writes an audit row in the same transaction (``store.consent``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Connection

from puhui import idcard
from puhui.data.consent import Channel, Consent, Purpose, Scope, active
from puhui.data.identity import PersonKeyer, Vault, mask
from puhui.errors import Conflict, NotFound
from puhui.store import consent as consent_store
from puhui.store import facts
from puhui.store.db import Database

_PERSON_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class Person:
    """A person as the shell may show them: key and masked number, never the number."""

    person_key: str
    id_masked: str


class Consents:
    """Consent registry over one database and the configured keys."""

    def __init__(self, db: Database, keyer: PersonKeyer, vault: Vault) -> None:
        self.db = db
        self.keyer = keyer
        self.vault = vault

    def person(self, who: str, now: datetime) -> Person:
        """A person named by identity number (validated) or by person key (64 hex)."""
        text = who.strip()
        if _PERSON_KEY.fullmatch(text):
            with self.db.read() as conn:
                row = facts.person_row(conn, text)
            if row is None:
                raise _unknown(text[:12] + "…")
            return Person(text, str(row["id_masked"]))
        number = idcard.validate(text, as_of=now.date()).number
        return Person(self.keyer.person_key(number), mask(number))

    def _ensure_registered(self, conn: Connection, who: str, now: datetime) -> Person:
        found = self.person(who, now)
        if facts.person_row(conn, found.person_key) is None:
            if _PERSON_KEY.fullmatch(who.strip()):
                raise _unknown(found.id_masked)
            number = idcard.normalize(who)
            facts.add_persons(
                conn,
                pd.DataFrame(
                    {
                        "person_key": [found.person_key],
                        "id_encrypted": [self.vault.encrypt(number, person_key=found.person_key)],
                        "id_masked": [found.id_masked],
                        "first_batch_id": [None],
                        "registered_at": [pd.Timestamp(now)],
                    }
                ),
            )
        return found

    def is_active(self, person_key: str, purpose: Purpose, now: datetime) -> bool:
        """Whether the person holds an active consent for ``purpose`` at ``now``."""
        with self.db.read() as conn:
            held = consent_store.person_consents(conn, person_key)
        return any(c.purpose is purpose and c.active_at(now) for c in held)

    def register(self, who: str, now: datetime) -> Person:
        """Put a person in the registry (encrypted number, masked copy) if not there yet."""
        with facts.import_transaction(self.db) as conn:
            return self._ensure_registered(conn, who, now.astimezone(UTC))

    def grant(
        self,
        who: str,
        purpose: Purpose,
        scope: Scope,
        channel: Channel,
        now: datetime,
        note: str = "",
    ) -> tuple[Person, int]:
        """Record a consent (``CONSENT_ACTIVE`` if one for this purpose is active already)."""
        now = now.astimezone(UTC)
        with facts.import_transaction(self.db) as conn:
            found = self._ensure_registered(conn, who, now)
            for item in consent_store.person_consents(conn, found.person_key):
                if item.purpose is purpose and item.active_at(now):
                    raise Conflict(
                        "CONSENT_ACTIVE",
                        f"{found.id_masked} 已有有效的「{purpose.label_zh}」授权（编号 "
                        f"{item.consent_id}）；如需更改范围，请先撤回",
                        f"{found.id_masked} already has an active {purpose.value} consent "
                        f"(id {item.consent_id}); withdraw it first to change its scope",
                    )
            [consent_id] = consent_store.grant_many(
                conn, [found.person_key], purpose, scope, channel, now, note
            )
        return found, consent_id

    def grant_all(
        self, purpose: Purpose, scope: Scope, channel: Channel, now: datetime, note: str
    ) -> int:
        """Grant ``purpose`` to every registered person without an active consent for it
        (the demo and benchmark path for a simulated county). Returns how many were granted."""
        now = now.astimezone(UTC)
        with facts.import_transaction(self.db) as conn:
            everyone = set(facts.known_persons(conn))
            holding = set(active(consent_store.consents_frame(conn), now, [purpose])["person_key"])
            todo = sorted(everyone - holding)
            consent_store.grant_many(conn, todo, purpose, scope, channel, now, note)
        return len(todo)

    def withdraw(self, who: str, purpose: Purpose, now: datetime, note: str = "") -> Person:
        """Withdraw the person's active consent for ``purpose`` (``CONSENT_NOT_ACTIVE`` if none)."""
        now = now.astimezone(UTC)
        found = self.person(who, now)
        with facts.import_transaction(self.db) as conn:
            current = [
                c
                for c in consent_store.person_consents(conn, found.person_key)
                if c.purpose is purpose and c.active_at(now)
            ]
            if not current:
                raise NotFound(
                    "CONSENT_NOT_ACTIVE",
                    f"{found.id_masked} 没有有效的「{purpose.label_zh}」授权可撤回",
                    f"{found.id_masked} has no active {purpose.value} consent to withdraw",
                )
            for item in current:
                consent_store.withdraw(conn, item, now, note)
        return found

    def listing(
        self, who: str | None, purpose: Purpose | None, now: datetime, limit: int = 50
    ) -> list[tuple[Consent, str]]:
        person_key = None if who is None else self.person(who, now).person_key
        with self.db.read() as conn:
            return consent_store.listing(conn, person_key, purpose, limit)

    def history(self, who: str, now: datetime) -> tuple[Person, list[dict[str, object]]]:
        found = self.person(who, now)
        with self.db.read() as conn:
            return found, consent_store.audit_trail(conn, found.person_key)


def _unknown(shown: str) -> NotFound:
    return NotFound(
        "PERSON_NOT_FOUND",
        f"登记库中没有此人：{shown}",
        f"no registered person {shown}",
    )
