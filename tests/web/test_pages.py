"""Pages: who may open which page, CSRF, one disbursement per form, errors as sentences."""

from __future__ import annotations

import pytest

from puhui.idcard import check_char
from puhui.store import loans as loan_store
from tests.web.conftest import hidden, web_login

BORROWER_PAGES = [
    "/apply",
    "/offer",
    "/line",
    "/draw",
    "/wallet",
    "/loans",
    "/statement",
    "/notifications",
]
# page -> roles that may open it (everyone else gets the 403 page)
STAFF_PAGES = {
    "/staff/officer": {"officer", "risk", "admin"},
    "/staff/portfolio": {"officer", "risk", "admin"},
    "/staff/inclusion": {"officer", "risk", "admin", "government"},
}
PROTECTED = [*BORROWER_PAGES, "/loans/1", "/loans/1/repay", *STAFF_PAGES, "/staff"]


#: A valid identity number that is in no county register of the tests.
OUTSIDE_ID = "11010519900307123" + check_char("11010519900307123")


def draw_form(person, amount: str = "5000", term: str = "12") -> dict[str, str]:
    tokens = person.form(f"/draw?line={person.line_id}")
    return {
        "csrf_token": tokens["csrf_token"],
        "key": tokens["key"],
        "line_id": str(person.line_id),
        "amount": amount,
        "term": term,
        "method": "equal_installment",
    }


def draw(person, amount: str = "5000") -> int:
    response = person.post("/draw", draw_form(person, amount))
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("=", 1)[1])


def test_public_pages_render(anonymous):
    for path in ("/", "/register", "/login", "/?lang=en"):
        response = anonymous.get(path)
        assert response.status_code == 200, path
        assert "text/html" in response.headers["content-type"]
    assert "7.20% – 10.80%" in anonymous.get("/").text  # the APR range, from the catalogue


def test_logged_out_reader_is_sent_to_login(anonymous):
    for path in PROTECTED:
        response = anonymous.get(path, follow_redirects=False)
        assert response.status_code == 303, path
        assert response.headers["location"] == f"/login?next={path}"


def test_every_borrower_page_renders_for_the_borrower(people):
    me = people("borrower")
    loan_id = draw(me)
    for path in [*BORROWER_PAGES, f"/loans/{loan_id}", f"/loans/{loan_id}/repay"]:
        response = me.get(path)
        assert response.status_code == 200, (path, response.text[:300])
        assert 'class="tabs"' in response.text


@pytest.mark.parametrize("role", ["officer", "risk", "admin", "government"])
def test_staff_pages_follow_the_authorisation_rules(people, role):
    people("borrower")  # the book has someone in it
    staff = people(role)
    for path, roles in STAFF_PAGES.items():
        response = staff.get(path)
        expected = 200 if role in roles else 403
        assert response.status_code == expected, (role, path)
        if expected == 403:
            assert "您无权访问该记录或执行该操作" in response.text
    assert staff.get("/staff").status_code == 303
    assert staff.get("/line").headers["location"] == "/staff"  # no borrower pages for staff


def test_government_dashboard_has_no_personal_data(people):
    me = people("borrower")
    draw(me)
    page = people("government").get("/staff/inclusion")
    assert page.status_code == 200
    assert "borrower" not in page.text  # the borrower's name
    assert me.phone not in page.text
    assert "data-chart=" in page.text


def test_draw_posts_without_csrf_token_are_refused(people, app):
    me = people("borrower")
    form = draw_form(me)
    for token in (None, "wrong"):
        data = {k: v for k, v in form.items() if k != "csrf_token"}
        if token:
            data["csrf_token"] = token
        response = me.post("/draw", data)
        assert response.status_code == 403
        assert "页面已过期，请刷新后重试" in response.text
        assert "Traceback" not in response.text
    with app.state.services.db.read() as conn:
        assert loan_store.wallet_balance(conn, me.customer_id) == 0
        assert loan_store.loans_of(conn, customer_id=me.customer_id) == []


def test_logout_and_login_forms_need_their_tokens(people, anonymous):
    me = people("borrower")
    assert me.post("/logout", {}).status_code == 403
    assert me.get("/line").status_code == 200  # still logged in
    refused = anonymous.post(
        "/login", data={"phone": me.phone, "password": "x"}, follow_redirects=False
    )
    assert refused.status_code == 403
    tokens = me.form("/line")
    assert me.post("/logout", tokens).headers["location"] == "/?bye=1"
    assert me.get("/line").status_code == 303


def test_a_double_submitted_draw_form_disburses_once(people, app):
    me = people("borrower")
    form = draw_form(me, "6000")
    first = me.post("/draw", form)
    second = me.post("/draw", form)
    assert first.status_code == second.status_code == 303
    assert first.headers["location"] == second.headers["location"]
    with app.state.services.db.read() as conn:
        assert loan_store.wallet_balance(conn, me.customer_id) == 600_000
        assert len(loan_store.loans_of(conn, customer_id=me.customer_id)) == 1
    wallet = me.get(first.headers["location"]).text
    assert "¥6,000.00 已到账" in wallet


def test_a_borrower_cannot_open_another_borrowers_loan(people, app):
    theirs = draw(people("other_borrower"))
    me = people("borrower")
    for path in (f"/loans/{theirs}", f"/loans/{theirs}/repay", f"/wallet?drawn={theirs}"):
        response = me.get(path)
        assert response.status_code == 403, path
        assert "您无权访问该记录或执行该操作" in response.text
    other_line = people("other_borrower").line_id
    form = {**draw_form(me), "line_id": str(other_line)}
    assert me.post("/draw", form).status_code == 403
    assert me.get(f"/draw/preview?line_id={other_line}&amount=1000").status_code == 403
    with app.state.services.db.read() as conn:
        assert loan_store.wallet_balance(conn, me.customer_id) == 0


def test_domain_errors_are_sentences_next_to_the_field(people):
    me = people("borrower")
    form = draw_form(me, "60000")
    too_much = me.post("/draw", form)
    assert too_much.status_code == 409
    assert 'data-testid="error-amount"' in too_much.text
    assert "可用额度不足" in too_much.text
    fen = me.post("/draw", draw_form(me, "100.001"))
    assert fen.status_code == 422
    assert "借款金额 最多两位小数" in fen.text
    term = me.post("/draw", draw_form(me, "1000", term="5"))
    assert 'data-testid="error-term"' in term.text
    assert "Traceback" not in too_much.text + fen.text + term.text
    # the form keeps what was typed and its idempotency key (nothing was recorded under it)
    assert 'value="60000"' in too_much.text
    assert hidden(too_much.text)["key"] == form["key"]


def test_preview_shows_the_apr_next_to_the_daily_rate(people):
    me = people("borrower")
    query = f"/draw/preview?line_id={me.line_id}&amount=12000&term=12&method=equal_installment"
    fragment = me.get(query, headers={"HX-Request": "true"}).text
    assert 'data-testid="preview-apr">7.20%<' in fragment
    assert "0.0200%（年化 7.20%）" in fragment
    assert "<html" not in fragment
    empty = me.get(f"/draw/preview?line_id={me.line_id}&amount=").text
    assert "填好金额" in empty


def test_repay_in_full_settles_with_interest_only_to_date(people, app):
    me = people("borrower")
    loan_id = draw(me, "3000")
    page = me.get(f"/loans/{loan_id}/repay").text
    assert 'data-testid="payoff">¥3,000.00<' in page  # same day: no interest, no fee
    tokens = hidden(page)
    done = me.post(
        f"/loans/{loan_id}/repay",
        {**tokens, "mode": "full", "source": "wallet", "amount": ""},
    )
    assert done.headers["location"] == f"/loans/{loan_id}?repaid=1"
    assert "已结清" in me.get(done.headers["location"]).text
    statement = me.get("/statement").text
    assert statement.index("还款") < statement.index("借款到账")  # newest first
    with app.state.services.db.read() as conn:
        assert loan_store.wallet_balance(conn, me.customer_id) == 0


def test_repay_more_than_the_wallet_holds_says_so(people):
    me = people("borrower")
    loan_id = draw(me, "1000")
    tokens = me.form(f"/loans/{loan_id}/repay")
    response = me.post(
        f"/loans/{loan_id}/repay",
        {**tokens, "mode": "amount", "amount": "1000.01", "source": "wallet"},
    )
    assert response.status_code in (409, 422)
    assert 'data-testid="error-' in response.text


def test_register_asks_for_the_id_logs_in_and_explains_bad_input(anonymous):
    tokens = hidden(anonymous.get("/register").text)
    person = {"phone": "13700000009", "name": "张三", "id_number": OUTSIDE_ID, **tokens}
    weak = anonymous.post("/register", data={**person, "password": "short"})
    assert weak.status_code == 422
    assert 'data-testid="error-password"' in weak.text
    assert "密码至少 8 位" in weak.text
    bad_id = anonymous.post(
        "/register", data={**person, "password": "Nongmin2026", "id_number": OUTSIDE_ID[:-1] + "0"}
    )
    assert bad_id.status_code == 422
    assert 'data-testid="error-id_number"' in bad_id.text
    made = anonymous.post(
        "/register", data={**person, "password": "Nongmin2026"}, follow_redirects=False
    )
    assert made.headers["location"] == "/apply"
    apply_page = anonymous.get("/apply").text
    assert 'data-testid="consent"' in apply_page  # consent is asked, once, by a tick
    assert OUTSIDE_ID not in apply_page
    assert anonymous.get("/offer", follow_redirects=False).headers["location"] == "/apply"
    anonymous.cookies.delete("puhui_session")
    again = anonymous.post("/register", data={**person, "password": "Nongmin2026"})
    assert again.status_code == 409
    assert 'data-testid="error-phone"' in again.text


def test_login_failure_is_shown_and_next_must_be_local(people, anonymous):
    people("borrower")
    wrong = web_login(anonymous, "13800000001", "Wrong12345")
    assert wrong.status_code == 401
    assert "手机号或密码错误" in wrong.text
    tokens = hidden(anonymous.get("/login").text)
    for target, expected in (("//evil.example/x", "/line"), ("/notifications", "/notifications")):
        response = anonymous.post(
            "/login",
            data={"phone": "13800000001", "password": "Nongmin2026", "next": target, **tokens},
            follow_redirects=False,
        )
        assert response.headers["location"] == expected
        anonymous.cookies.delete("puhui_session")


def test_english_switch_is_remembered(people):
    me = people("borrower")
    first = me.get("/line?lang=en")
    assert first.headers["content-language"] == "en"
    assert "My credit line" in first.text
    assert me.get("/line").headers["content-language"] == "en"  # the cookie remembers
    refused = me.post("/draw", draw_form(me, "60000"))
    assert "is less than" in refused.text  # the domain's English sentence
    assert me.get("/line?lang=zh").headers["content-language"] == "zh"


def test_officer_freezes_a_line_in_their_county_only(people, app):
    mine, theirs = people("borrower"), people("other_borrower")
    officer = people("officer")
    page = officer.get("/staff/officer")
    assert page.status_code == 200
    assert f'data-testid="freeze-{mine.line_id}"' in page.text
    assert f'data-testid="freeze-{theirs.line_id}"' not in page.text  # other county: not listed
    tokens = hidden(page.text)
    done = officer.post(f"/staff/lines/{mine.line_id}/freeze", tokens)
    assert done.headers["location"] == f"/staff/officer?done=freeze&line={mine.line_id}"
    assert officer.post(f"/staff/lines/{theirs.line_id}/freeze", tokens).status_code == 403
    svc = app.state.services
    assert svc.lending.line(mine.line_id).status.value == "frozen"
    assert svc.lending.line(theirs.line_id).status.value == "active"
    frozen = mine.post("/draw", draw_form(mine, "1000"))
    assert frozen.status_code == 409
    assert "额度已冻结" in frozen.text
    officer.post(f"/staff/lines/{mine.line_id}/unfreeze", tokens)
    assert svc.lending.line(mine.line_id).status.value == "active"
    # the confirmation says only what is true of the line now
    stale = officer.get(f"/staff/officer?done=freeze&line={mine.line_id}")
    assert 'data-testid="done"' not in stale.text
    assert officer.get(f"/staff/officer?done=freeze&line={theirs.line_id}").status_code == 403
