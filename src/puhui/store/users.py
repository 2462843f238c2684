"""Users, sessions and login attempts (the API's and web app's storage).

Session tokens are stored only as their SHA-256; the raw token lives in the client's cookie or
``Authorization`` header. Login attempts are kept to rate-limit guessing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, DateTime, and_, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from puhui.errors import Conflict, NotFound
from puhui.store.rows import next_id
from puhui.store.tables import app_user, customer, login_attempt, user_session


@dataclass(frozen=True, slots=True)
class User:
    user_id: int
    phone: str
    role: str
    display_name: str
    county: str
    customer_id: int | None
    person_key: str | None
    disabled: bool


def _user(row: object) -> User:
    m = row._mapping  # type: ignore[attr-defined]
    return User(
        user_id=m["id"],
        phone=m["phone"],
        role=m["role"],
        display_name=m["display_name"],
        county=m["county"],
        customer_id=m["customer_id"],
        person_key=m["person_key"],
        disabled=m["disabled"],
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_user(
    conn: Connection,
    phone: str,
    password_hash: str,
    role: str,
    display_name: str,
    county: str = "",
    customer_id: int | None = None,
    person_key: str | None = None,
    now: datetime | None = None,
) -> int:
    user_id = next_id(conn, app_user)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(app_user).values(
                    id=user_id,
                    phone=phone,
                    password_hash=password_hash,
                    role=role,
                    display_name=display_name,
                    county=county,
                    customer_id=customer_id,
                    person_key=person_key,
                    disabled=False,
                    created_at=now,
                )
            )
    except IntegrityError:
        raise Conflict(
            "USER_EXISTS",
            "该手机号或身份证已注册",
            "a user with this phone number or identity is already registered",
        ) from None
    return user_id


def user_by_phone(conn: Connection, phone: str) -> tuple[User, str] | None:
    """The user and their password hash, or None."""
    row = conn.execute(select(app_user).where(app_user.c.phone == phone)).first()
    return None if row is None else (_user(row), row._mapping["password_hash"])


def get_user(conn: Connection, user_id: int) -> User:
    row = conn.execute(select(app_user).where(app_user.c.id == user_id)).first()
    if row is None:
        raise NotFound("USER_NOT_FOUND", "用户不存在", f"no user {user_id}")
    return _user(row)


def set_password(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(
        update(app_user).where(app_user.c.id == user_id).values(password_hash=password_hash)
    )


def customer_county(conn: Connection, customer_id: int) -> str | None:
    return conn.execute(select(customer.c.county).where(customer.c.id == customer_id)).scalar()


# -- sessions -----------------------------------------------------------------------------


def open_session(
    conn: Connection, token: str, csrf_token: str, user_id: int, now: datetime, ttl: timedelta
) -> None:
    conn.execute(
        insert(user_session).values(
            token_hash=token_hash(token),
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=now,
            expires_at=now + ttl,
            revoked=False,
        )
    )


_SESSION_USERS = (
    select(app_user, user_session.c.token_hash, user_session.c.csrf_token)
    .join(user_session, user_session.c.user_id == app_user.c.id)
    .where(
        and_(
            user_session.c.token_hash.in_(bindparam("token_hashes", expanding=True)),
            user_session.c.revoked.is_(False),
            user_session.c.expires_at > bindparam("now", type_=DateTime(timezone=True)),
            app_user.c.disabled.is_(False),
        )
    )
)


def session_users(
    conn: Connection, tokens: Sequence[str], now: datetime
) -> dict[str, tuple[User, str]]:
    """The live sessions among ``tokens`` (one statement): each token's user and CSRF token;
    a token unknown, expired or revoked is absent."""
    hashes = {token_hash(token): token for token in tokens}
    rows = conn.execute(_SESSION_USERS, {"token_hashes": list(hashes), "now": now})
    return {hashes[row.token_hash]: (_user(row), row.csrf_token) for row in rows}


def revoke_session(conn: Connection, token: str) -> None:
    conn.execute(
        update(user_session)
        .where(user_session.c.token_hash == token_hash(token))
        .values(revoked=True)
    )


# -- login attempts -----------------------------------------------------------------------


def record_attempt(
    conn: Connection, phone: str, client_ip: str, succeeded: bool, now: datetime
) -> None:
    conn.execute(
        insert(login_attempt).values(phone=phone, client_ip=client_ip, succeeded=succeeded, at=now)
    )


def recent_failures(
    conn: Connection, phone: str, client_ip: str, since: datetime
) -> tuple[int, int]:
    """Failed attempts since ``since``: (for this phone, from this address)."""
    failed = login_attempt.c.succeeded.is_(False) & (login_attempt.c.at >= since)
    by_phone = conn.execute(
        select(func.count()).where(failed & (login_attempt.c.phone == phone))
    ).scalar_one()
    by_ip = conn.execute(
        select(func.count()).where(failed & (login_attempt.c.client_ip == client_ip))
    ).scalar_one()
    return int(by_phone), int(by_ip)


def forget_attempts(conn: Connection, before: datetime) -> None:
    conn.execute(delete(login_attempt).where(login_attempt.c.at < before))
