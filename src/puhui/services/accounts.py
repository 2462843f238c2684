"""User accounts 账户: registration, staff users, login with rate limit, sessions.

Passwords are hashed with argon2id (argon2-cffi defaults). A session is a random 256-bit token
(only its SHA-256 is stored) with its own CSRF token. Login is refused for 15 minutes after 5
failures for one phone number or 20 from one address (``LOGIN_RATE_LIMITED``); the failure
message never says whether the phone number exists.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from puhui.errors import PuhuiError, ValidationError
from puhui.store import loans as loan_store
from puhui.store import users as user_store
from puhui.store.db import Database
from puhui.store.users import User

SESSION_TTL = timedelta(hours=12)
RATE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_PHONE = 5
MAX_FAILURES_PER_ADDRESS = 20
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_HASHER = PasswordHasher()
STAFF_ROLES = ("officer", "risk", "admin", "government")


class LoginRateLimited(PuhuiError):
    http_status = 429


class Unauthenticated(PuhuiError):
    http_status = 401


def check_phone(phone: str) -> str:
    phone = phone.strip()
    if not _PHONE.match(phone):
        raise ValidationError(
            "PHONE_FORMAT",
            "请输入 11 位手机号",
            f"phone must be an 11-digit mainland mobile number; got {len(phone)} characters",
        )
    return phone


def check_password(password: str) -> str:
    if len(password) < 8 or not re.search(r"[A-Za-z]", password) or not re.search(r"\d", password):
        raise ValidationError(
            "PASSWORD_WEAK",
            "密码至少 8 位，且同时包含字母和数字",
            "password must be at least 8 characters with letters and digits",
        )
    if len(password) > 128:
        raise ValidationError(
            "PASSWORD_LONG", "密码过长", "password must be at most 128 characters"
        )
    return password


@dataclass(frozen=True, slots=True)
class Session:
    token: str
    csrf_token: str
    user: User


class Accounts:
    def __init__(self, db: Database) -> None:
        self.db = db

    def register_borrower(
        self,
        phone: str,
        password: str,
        name: str,
        segment: str,
        now: datetime,
        county: str = "",
        township: str = "",
        village: str = "",
        person_key: str | None = None,
    ) -> User:
        """A borrower account with its customer record (and wallet)."""
        phone, password = check_phone(phone), check_password(password)
        hashed = _HASHER.hash(password)
        with self.db.write() as conn:
            customer_id = loan_store.add_customer(conn, name, segment, county, township, village)
            user_id = user_store.add_user(
                conn, phone, hashed, "borrower", name.strip(), county, customer_id, person_key, now
            )
            return user_store.get_user(conn, user_id)

    def add_staff(
        self, phone: str, password: str, role: str, name: str, county: str, now: datetime
    ) -> User:
        if role not in STAFF_ROLES:
            raise ValidationError(
                "ROLE_UNKNOWN",
                f"角色必须是 {', '.join(STAFF_ROLES)} 之一",
                f"role must be one of {', '.join(STAFF_ROLES)}; got {role!r}",
            )
        if role == "officer" and not county:
            raise ValidationError(
                "OFFICER_COUNTY", "信贷员必须指定所属县", "an officer must belong to a county"
            )
        phone, password = check_phone(phone), check_password(password)
        with self.db.write() as conn:
            user_id = user_store.add_user(
                conn, phone, _HASHER.hash(password), role, name.strip(), county, now=now
            )
            return user_store.get_user(conn, user_id)

    def login(self, phone: str, password: str, client_ip: str, now: datetime) -> Session:
        phone = phone.strip()
        with self.db.read() as conn:
            by_phone, by_ip = user_store.recent_failures(conn, phone, client_ip, now - RATE_WINDOW)
        if by_phone >= MAX_FAILURES_PER_PHONE or by_ip >= MAX_FAILURES_PER_ADDRESS:
            raise LoginRateLimited(
                "LOGIN_RATE_LIMITED",
                "登录失败次数过多，请 15 分钟后再试",
                "too many failed logins; try again in 15 minutes",
            )
        with self.db.read() as conn:
            found = user_store.user_by_phone(conn, phone)
        ok = found is not None and not found[0].disabled and _verify(found[1], password)
        if not ok or found is None:
            with self.db.write() as conn:
                user_store.record_attempt(conn, phone, client_ip, False, now)
            raise Unauthenticated(
                "LOGIN_FAILED", "手机号或密码错误", "phone number or password is wrong"
            )
        with self.db.write() as conn:
            user_store.record_attempt(conn, phone, client_ip, True, now)
            user, hashed = found
            if _HASHER.check_needs_rehash(hashed):
                user_store.set_password(conn, user.user_id, _HASHER.hash(password))
            token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
            user_store.open_session(conn, token, csrf, user.user_id, now, SESSION_TTL)
        return Session(token, csrf, user)

    def sessions(self, tokens: Sequence[str], now: datetime) -> dict[str, tuple[User, str]]:
        """The live sessions among ``tokens``, read together (a batch of 310 applications)."""
        with self.db.read() as conn:
            return user_store.session_users(conn, tokens, now)

    def logout(self, token: str) -> None:
        with self.db.write() as conn:
            user_store.revoke_session(conn, token)


def live_session(found: tuple[User, str] | None) -> tuple[User, str]:
    """A session looked up, or ``Unauthenticated`` if the token had none."""
    if found is None:
        raise Unauthenticated(
            "NOT_LOGGED_IN",
            "请先登录（会话已过期或无效）",
            "log in first (session missing or expired)",
        )
    return found


def _verify(hashed: str, password: str) -> bool:
    try:
        return _HASHER.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
