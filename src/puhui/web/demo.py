"""Demo log-ins for the pages: one borrower with a granted line, and one user of each staff role.

``python -m puhui.web.demo`` (same ``PUHUI_*`` settings as ``puhui serve``) after ``puhui demo``
adds them to the database and prints who they are. Running it again changes nothing. Not for
production: the password is printed here and in docs/web.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

from puhui.errors import Conflict
from puhui.services.demo import PASSWORD, STAFF
from puhui.services.wiring import Services, build_services
from puhui.settings import get_settings

COUNTY = "新泰市"
#: A borrower whose line was granted at the cooperative window (no online decision).
BORROWER = ("13800000001", "王大山", "羊流镇")


def add_demo_users(svc: Services) -> list[tuple[str, str]]:
    """Create the demo users that do not exist yet; returns (phone, role) of every demo user."""
    at = datetime.now(UTC)
    phone, name, township = BORROWER
    try:
        user = svc.accounts.register_borrower(phone, PASSWORD, name, "farmer", at, COUNTY, township)
        svc.lending.grant_line(
            f"demo-grant-{phone}", user.customer_id, "xintai_farmer_line", "50000", "B"
        )
    except Conflict as exc:
        if exc.code != "USER_EXISTS":
            raise
    for staff_phone, role, staff_name, in_county in STAFF:
        try:
            county = COUNTY if in_county else ""
            svc.accounts.add_staff(staff_phone, PASSWORD, role, staff_name, county, at)
        except Conflict as exc:
            if exc.code != "USER_EXISTS":
                raise
    return [(phone, "borrower"), *((p, r) for p, r, _, _ in STAFF)]


def main() -> None:
    svc = build_services(get_settings())
    for phone, role in add_demo_users(svc):
        print(f"{role:<11} {phone}  password {PASSWORD}")
    svc.db.dispose()


if __name__ == "__main__":
    main()
