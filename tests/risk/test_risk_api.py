"""The risk API: event intake (422 one shape, idempotent replay, who may send), alerts,
an officer's reversal (authorised in api/authz.py), the borrower's notifications."""

from __future__ import annotations

from datetime import date

import pytest

from puhui.loans import LineStatus
from tests.api.conftest import app, bank, client  # noqa: F401  (fixtures)
from tests.risk.conftest import NOW

DAY = "2026-01-15"


def line_of(client, actor) -> int:  # noqa: F811
    return client.get("/api/v1/lines", headers=actor.headers).json()[0]["line_id"]


def post_events(client, actor, events):  # noqa: F811
    return client.post("/api/v1/risk/events", json={"events": events}, headers=actor.headers)


def device_then_draw(customer_id: int, line_id: int, tag: str) -> list[dict]:
    return [
        {
            "event_id": f"{tag}-dev",
            "kind": "device_change",
            "occurred_on": DAY,
            "customer_id": customer_id,
        },
        {
            "event_id": f"{tag}-draw",
            "kind": "drawdown",
            "occurred_on": DAY,
            "customer_id": customer_id,
            "line_id": line_id,
            "amount_fen": 500_000,
        },
    ]


def test_intake_stores_a_batch_and_a_replay_is_idempotent(client, bank):  # noqa: F811
    events = device_then_draw(bank["borrower"].customer_id, 1, "a")
    first = post_events(client, bank["risk"], events)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 2, "stored": 2, "replayed": 0}
    again = post_events(client, bank["risk"], events)
    assert again.json() == {"received": 2, "stored": 0, "replayed": 2}


def test_a_bad_event_is_a_422_in_the_one_error_shape_and_nothing_is_stored(client, bank, app):  # noqa: F811
    events = [
        {"event_id": "ok", "kind": "login", "occurred_on": DAY, "person_key": "p"},
        {"event_id": "bad", "kind": "payment", "occurred_on": "yesterday", "person_key": "p"},
    ]
    response = post_events(client, bank["risk"], events)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "EVENTS_INVALID"
    assert "event #1 (bad): occurred_on" in error["message_en"]
    assert "event #1 (bad): amount_fen" in error["message_en"]
    assert set(error) >= {"message_zh", "request_id"}
    from puhui.store.events import count_events

    with app.state.services.db.read() as conn:
        assert count_events(conn) == 0
    empty = post_events(client, bank["risk"], [])
    assert empty.status_code == 422
    assert empty.json()["error"]["code"] == "REQUEST_INVALID"


@pytest.mark.parametrize(
    ("role", "status"),
    [("borrower", 403), ("officer", 403), ("government", 403), ("risk", 200), ("admin", 200)],
)
def test_only_the_risk_team_and_admins_send_events(client, bank, role, status):  # noqa: F811
    events = [{"event_id": f"x-{role}", "kind": "login", "occurred_on": DAY, "person_key": "p"}]
    response = post_events(client, bank[role], events)
    assert response.status_code == status, response.text
    assert "Authorization" not in response.text


def frozen_alerts(client, bank, app):  # noqa: F811
    """Freeze the lines of the borrower (新泰市) and the one in 宁阳县 through alerts."""
    ids = {}
    for who in ("borrower", "borrower_other_county"):
        actor = bank[who]
        line = line_of(client, actor)
        post_events(client, bank["risk"], device_then_draw(actor.customer_id, line, who))
        ids[who] = line
    app.state.risk.run_day(date(2026, 1, 15), NOW)
    alerts = client.get("/api/v1/risk/alerts", headers=bank["risk"].headers).json()
    by_customer = {a["customer_id"]: a for a in alerts}
    return {
        who: (by_customer[bank[who].customer_id]["alert_id"], ids[who])
        for who in ("borrower", "borrower_other_county")
    }


def test_an_officer_reverses_a_freeze_in_their_county_but_nobody_else_can(client, bank, app):  # noqa: F811
    alerts = frozen_alerts(client, bank, app)
    alert_id, line_id = alerts["borrower"]
    assert app.state.services.lending.line(line_id).status is LineStatus.FROZEN
    body = {"reason": "已到合作社窗口面签核实"}
    for role in ("borrower", "borrower_same_county", "government"):
        response = client.post(
            f"/api/v1/risk/alerts/{alert_id}/reverse", json=body, headers=bank[role].headers
        )
        assert response.status_code == 403, (role, response.text)
    other_alert, other_line = alerts["borrower_other_county"]
    response = client.post(
        f"/api/v1/risk/alerts/{other_alert}/reverse", json=body, headers=bank["officer"].headers
    )
    assert response.status_code == 403  # 宁阳县 is not the officer's county
    assert app.state.services.lending.line(other_line).status is LineStatus.FROZEN
    response = client.post(
        f"/api/v1/risk/alerts/{alert_id}/reverse", json=body, headers=bank["officer"].headers
    )
    assert response.status_code == 200, response.text
    assert response.json()["line_status"] == "active"
    assert app.state.services.lending.line(line_id).status is LineStatus.ACTIVE
    again = client.post(
        f"/api/v1/risk/alerts/{alert_id}/reverse", json=body, headers=bank["officer"].headers
    )
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "ALERT_ALREADY_REVERSED"
    no_reason = client.post(
        f"/api/v1/risk/alerts/{other_alert}/reverse",
        json={"reason": ""},
        headers=bank["risk"].headers,
    )
    assert no_reason.status_code == 422


def test_alert_lists_follow_the_callers_scope(client, bank, app):  # noqa: F811
    frozen_alerts(client, bank, app)
    seen = {
        role: {
            a["customer_id"]
            for a in client.get("/api/v1/risk/alerts", headers=bank[role].headers).json()
        }
        for role in ("officer", "risk", "admin")
    }
    assert seen["officer"] == {bank["borrower"].customer_id}
    assert (
        seen["risk"]
        == seen["admin"]
        == {bank["borrower"].customer_id, bank["borrower_other_county"].customer_id}
    )
    for role in ("borrower", "government"):
        assert client.get("/api/v1/risk/alerts", headers=bank[role].headers).status_code == 403
    alert = client.get("/api/v1/risk/alerts", headers=bank["risk"].headers).json()[0]
    assert alert["actions"][0]["kind"] == "require_verification"
    assert alert["reason_zh"]


def test_the_borrower_lists_their_own_reminders(client, bank, app):  # noqa: F811
    actor = bank["borrower"]
    line = line_of(client, actor)
    draw = client.post(
        f"/api/v1/lines/{line}/drawdowns",
        json={"amount": "2000", "term_months": 3},
        headers={**actor.headers, "Idempotency-Key": "draw-1"},
    ).json()
    due = date.fromisoformat(draw["first_due_date"])
    app.state.reminders.enqueue(date.fromordinal(due.toordinal() - 3), NOW)
    mine = client.get("/api/v1/notifications", headers=actor.headers).json()
    assert len(mine) == 1
    assert "3 天后" in mine[0]["title_zh"] + mine[0]["body_zh"]
    assert (
        client.get("/api/v1/notifications", headers=bank["borrower_same_county"].headers).json()
        == []
    )
    path = f"/api/v1/customers/{actor.customer_id}/notifications"
    assert client.get(path, headers=bank["borrower_same_county"].headers).status_code == 403
    assert client.get(path, headers=bank["officer"].headers).json() == mine
