"""The 310 application on the borrower pages: register with an ID → the consent tick (asked
only when no consent is held) → apply → the decision page with the APR, or the reasons and the
human-review request."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from puhui.store import decisions as decision_store
from tests.services.test_applications import _resident
from tests.web.conftest import hidden

DECISION_URL = re.compile(r"^/offer\?decision=(\d+)$")


def _register(client: TestClient, tiny_run, offset: int, phone: str, name: str | None = None):
    number, real = _resident(tiny_run, offset)
    form = {"phone": phone, "password": "Nongmin2026", "name": name or real, "id_number": number}
    tokens = hidden(client.get("/register").text)
    made = client.post("/register", data={**form, **tokens}, follow_redirects=False)
    assert made.status_code == 303, made.text
    assert made.headers["location"] == "/apply"


def _apply(client: TestClient, **extra: str) -> object:
    tokens = hidden(client.get("/apply").text)
    return client.post("/apply", data={**tokens, **extra}, follow_redirects=False)


def test_consent_is_asked_by_one_tick_then_the_decision_shows_its_price(client, tiny_run):
    _register(client, tiny_run, 30, "13800004001")
    csrf = hidden(client.get("/apply").text)["csrf_token"]
    # the county programme's consent is held, so no tick is asked; withdraw it to see the tick
    assert 'data-testid="consent"' not in client.get("/apply").text
    withdrawn = client.delete("/api/v1/consents/credit_scoring", headers={"X-CSRF-Token": csrf})
    assert withdrawn.status_code == 204, withdrawn.text
    assert 'data-testid="consent"' in client.get("/apply").text

    unticked = _apply(client)
    assert unticked.status_code == 422
    assert "请先勾选同意" in unticked.text

    applied = _apply(client, consent="yes")
    assert applied.status_code == 303, applied.text
    found = DECISION_URL.match(applied.headers["location"])
    assert found is not None
    page = client.get(applied.headers["location"]).text
    if 'data-testid="decision-approved"' in page:
        assert 'data-testid="offer-limit"' in page
        assert "年化" in page  # the APR next to the rate
        assert "/draw?line=" in page
    else:
        assert 'data-testid="decision-reasons"' in page
    decision = client.get(f"/api/v1/applications/{found.group(1)}").json()
    assert decision["model_version"] == "county:v0001"  # scored: consent was given on the page
    assert 'data-testid="consent"' not in client.get("/apply").text  # asked once


def test_a_decline_shows_reasons_and_a_person_reviews_it_only_on_request(
    client, tiny_run, county_db
):
    _register(client, tiny_run, 31, "13800004002", name="假名字")
    applied = _apply(client)
    assert applied.status_code == 303, applied.text
    decision_id = DECISION_URL.match(applied.headers["location"]).group(1)
    page = client.get(f"/offer?decision={decision_id}").text
    assert 'data-testid="decision-declined"' in page
    assert "REAL_NAME" in page  # the reason code beside the sentence
    assert 'data-testid="review-submit"' in page
    assert client.get("/api/v1/reviews").status_code == 403  # a borrower has no queue

    tokens = hidden(page)
    asked = client.post(
        "/offer/review",
        data={"csrf_token": tokens["csrf_token"], "decision": decision_id, "note": "名字无误"},
        follow_redirects=False,
    )
    assert asked.status_code == 303, asked.text
    after = client.get(f"/offer?decision={decision_id}").text
    assert 'data-testid="review-sent"' in after
    assert 'data-testid="review-submit"' not in after
    with county_db.read() as conn:
        review = decision_store.review_of_decision(conn, int(decision_id))
    assert review is not None
    assert review.status == "open"
    assert review.note == "名字无误"
