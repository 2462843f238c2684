"""Onboarding 注册: a borrower registers with phone, password, real name and identity number.

The applicant types only what the lender cannot already know. The identity number is
validated (format, birth date, check character), becomes the pseudonymous person key and is
kept only encrypted (``services.consents``); township and village come from the county's
household register 户籍, which also verifies the real name at application time. A person the
register does not know can still open an account; the 310 decision will then decline them as
not covered, with that reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from puhui import idcard
from puhui.errors import ValidationError
from puhui.products import Segment
from puhui.services.accounts import Accounts, check_password, check_phone
from puhui.services.consents import Consents
from puhui.store import facts as fact_store
from puhui.store.db import Database
from puhui.store.users import User


@dataclass(frozen=True, slots=True)
class Registered:
    user: User
    id_masked: str
    in_county_register: bool


class Onboarding:
    def __init__(self, db: Database, accounts: Accounts, consents: Consents, county: str) -> None:
        self.db = db
        self.accounts = accounts
        self.consents = consents
        self.county = county

    def register(
        self,
        phone: str,
        password: str,
        name: str,
        id_number: str,
        now: datetime,
        segment: str = Segment.FARMER.value,
    ) -> Registered:
        check_phone(phone)
        check_password(password)
        name = name.strip()
        if not 2 <= len(name) <= 30:
            raise ValidationError(
                "NAME_FORMAT", "请填写身份证上的真实姓名", "enter your real name as on your ID card"
            )
        number = idcard.validate(id_number, as_of=now.date()).number
        person = self.consents.person(number, now)
        with self.db.read() as conn:
            known = fact_store.resident(conn, person.person_key)
        self.consents.register(number, now)
        user = self.accounts.register_borrower(
            phone,
            password,
            name,
            segment,
            now,
            county=self.county if known else "",
            township=known.township if known else "",
            village=known.village if known else "",
            person_key=person.person_key,
        )
        return Registered(user, person.id_masked, known is not None)
