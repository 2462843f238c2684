"""The borrower journey in a real browser: Debian's Chromium driven by Playwright (PyPI).

The real server (``puhui serve``) runs in a subprocess on a free port over a SQLite demo county
in a temporary directory. A phone-sized browser (360×740) walks landing → register with an
identity number → consent and apply → the 310 decision and offer → draw (the preview shows the
APR) → money in the wallet → schedule (APR) → line → repay → statement → messages → log out →
log in → log out, saving a screenshot of every step.

Measured, printed and written to ``bench/results/web_journey.json``: the steps (page loads and
form submits) and the seconds from opening the landing page to the money in the wallet, the
310 decision included. Nothing here asserts on time.

Screenshots go to ``test-output/web/`` at the repository root (``PUHUI_TEST_OUTPUT`` overrides).
"""

from __future__ import annotations

import csv
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:
    pytest.skip("playwright (PyPI) is not installed", allow_module_level=True)

import puhui
from puhui.api.deps import Services
from puhui.services.wiring import build_services
from puhui.settings import Settings
from puhui.store import loans as loan_store
from puhui.store.users import user_by_phone
from puhui.web.demo import PASSWORD as DEMO_PASSWORD
from puhui.web.demo import add_demo_users

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PHONE_VIEWPORT = {"width": 360, "height": 740}
PHONE = "13600000001"
PASSWORD = "Nongmin2026"
DRAW_YUAN = "5000"
SERVER_START_S = 60
#: The smallest demo county whose lender files hold enough defaults to train the county model.
DEMO_ARGS = ["--people", "20000", "--applicants", "10", "--days", "3"]
#: During screenshots the bottom tab bar sits where it is in the page, not over the content.
SHOT_STYLE = ".tabs { position: static !important; }"


def output_dir() -> Path:
    path = Path(os.environ.get("PUHUI_TEST_OUTPUT", ROOT / "test-output")) / "web"
    path.mkdir(parents=True, exist_ok=True)
    return path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    base: str
    services: Services
    #: (name, identity number) of simulated residents not registered yet.
    identities: list[tuple[str, str]]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """``puhui demo`` (a 20,000-household county) then ``puhui serve``, on SQLite in a
    temporary directory."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")
    data_dir = tmp_path_factory.mktemp("webdemo")
    env = {
        **os.environ,
        "PYTHONPATH": str(Path(puhui.__file__).parents[1]),
        "PUHUI_DATA_DIR": str(data_dir),
        "PUHUI_ENV": "development",
    }
    env.pop("PUHUI_DATABASE_URL", None)
    cli = [sys.executable, "-m", "puhui"]
    subprocess.run(
        [*cli, "demo", *DEMO_ARGS, "--no-serve"],
        env=env,
        check=True,
        capture_output=True,
        timeout=300,
    )
    port = free_port()
    log = (data_dir / "serve.log").open("w")
    process = subprocess.Popen(
        [*cli, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    base = f"http://127.0.0.1:{port}"
    services = build_services(Settings(data_dir=data_dir, env="development"))
    try:
        _wait_until_up(base, process)
        with (data_dir / "demo" / "identities.csv").open(encoding="utf-8") as handle:
            identities = [(row["name"], row["id_number"]) for row in csv.DictReader(handle)]
        yield Server(base, services, identities)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        services.db.dispose()


def _wait_until_up(base: str, process: subprocess.Popen[bytes]) -> None:
    import httpx

    deadline = time.monotonic() + SERVER_START_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"puhui serve exited with {process.returncode}")
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail(f"puhui serve did not answer within {SERVER_START_S} s")


@pytest.fixture(scope="module")
def browser(server: Server) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@dataclass
class Journey:
    """The steps a borrower takes, each a page load, a form submit or an htmx update.

    Time runs from the start, less the time spent taking screenshots (the borrower does not).
    """

    page: Page
    shots: Path
    started: float = field(default_factory=time.perf_counter)
    screenshots_s: float = 0.0
    steps: list[dict[str, object]] = field(default_factory=list)

    def elapsed(self) -> float:
        return time.perf_counter() - self.started - self.screenshots_s

    def step(self, name: str, kind: str) -> None:
        number = len(self.steps) + 1
        self.steps.append(
            {
                "n": number,
                "step": name,
                "kind": kind,
                "at_s": round(self.elapsed(), 3),
                "path": "/" + self.page.url.split("/", 3)[-1],
            }
        )
        shot_started = time.perf_counter()
        self.page.screenshot(
            path=self.shots / f"{number:02d}-{name}.png", full_page=True, style=SHOT_STYLE
        )
        self.screenshots_s += time.perf_counter() - shot_started


def new_phone_page(browser: Browser) -> tuple[BrowserContext, Page, list[str]]:
    context = browser.new_context(viewport=PHONE_VIEWPORT, locale="zh-CN")
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    return context, page, errors


def test_borrower_journey_from_landing_to_money_and_back(server: Server, browser: Browser):
    context, page, errors = new_phone_page(browser)
    preview_requests: list[str] = []
    page.on(
        "request", lambda r: preview_requests.append(r.url) if "/draw/preview" in r.url else None
    )
    shots = output_dir()
    go = server.base

    # -- landing → money in the wallet (the measured part) --------------------------------
    journey = Journey(page, shots)
    page.goto(f"{go}/")
    journey.step("landing", "load")
    page.click("[data-testid=start]")
    page.wait_for_url("**/register")
    journey.step("register", "load")
    name, id_number = server.identities[0]
    page.fill("#phone", PHONE)
    page.fill("#password", PASSWORD)
    page.fill("#name", name)
    page.fill("#id_number", id_number)
    page.click("[data-testid=register-submit]")
    page.wait_for_url("**/apply")
    journey.step("apply", "submit")
    if page.is_visible("[data-testid=consent]"):  # demo residents consented at the window
        page.check("[data-testid=consent]")
    page.click("[data-testid=apply-submit]")
    page.wait_for_url("**/offer?decision=*")
    journey.step("offer", "submit")
    if page.is_visible("[data-testid=decision-declined]"):
        pytest.fail(f"the demo model declined {name}: {page.inner_text('main')}")
    assert page.is_visible("[data-testid=decision-approved]")
    assert "年化" in page.inner_text("main")
    customer_id = _customer_of(server.services, PHONE)
    page.click("text=去借款")
    page.wait_for_url("**/draw?line=*")
    journey.step("draw", "load")
    page.fill("#amount", DRAW_YUAN)
    apr = page.wait_for_selector("[data-testid=preview-apr]")
    assert apr.inner_text().endswith("%")
    assert "年化" in page.inner_text("[data-testid=preview]")
    journey.step("draw-preview", "htmx")
    page.click("[data-testid=draw-submit]")
    page.wait_for_url("**/wallet?drawn=*")
    arrived = page.inner_text("[data-testid=arrived]")
    seconds_to_money = journey.elapsed()
    journey.step("wallet-money-arrived", "submit")
    to_money = list(journey.steps)
    assert "¥5,000.00" in arrived
    assert page.inner_text("[data-testid=wallet-balance]") == "¥5,000.00"
    with server.services.db.read() as conn:  # the money is in the books, not just on the page
        assert loan_store.wallet_balance(conn, customer_id) == 500_000

    # -- the rest of the journey ----------------------------------------------------------
    page.click("[data-testid=to-schedule]")
    page.wait_for_selector("[data-testid=schedule]")
    assert page.inner_text("[data-testid=apr]").endswith("%")
    assert page.locator("[data-testid=schedule] li").count() == 12
    journey.step("schedule", "load")
    page.click(".tabs >> text=额度")
    page.wait_for_url("**/line")
    assert page.inner_text("[data-testid=wallet-balance]") == "¥5,000.00"
    journey.step("line", "load")
    page.click(".tabs >> text=借款")
    page.wait_for_url("**/loans")
    page.click(".list a")
    page.wait_for_selector("[data-testid=repay-link]")
    page.click("[data-testid=repay-link]")
    page.wait_for_selector("[data-testid=payoff]")
    journey.step("repay", "load")
    page.check("[data-testid=mode-full]")
    page.click("[data-testid=repay-submit]")
    page.wait_for_selector("[data-testid=repaid]")
    assert page.inner_text("[data-testid=loan-status]") == "已结清"
    journey.step("repaid", "submit")
    page.click(".tabs >> text=钱包")
    page.click("[data-testid=to-statement]")
    page.wait_for_selector("[data-testid=statement]")
    assert page.locator("[data-testid=statement] li").count() == 2
    journey.step("statement", "load")
    page.click(".tabs >> text=消息")
    page.wait_for_selector("[data-testid=no-notices]")
    journey.step("notifications", "load")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/?bye=1")
    journey.step("logged-out", "submit")
    page.goto(f"{go}/login")
    page.fill("#phone", PHONE)
    page.fill("#password", PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_url("**/line")
    journey.step("logged-in", "submit")
    page.click("[data-testid=logout]")
    page.wait_for_url("**/?bye=1")

    with server.services.db.read() as conn:
        assert loan_store.wallet_balance(conn, customer_id) == 0
    assert errors == []  # no script, CSP or resource errors on any page
    context.close()

    _report(journey, to_money, seconds_to_money, len(preview_requests), browser)


def _customer_of(services: Services, phone: str) -> int:
    with services.db.read() as conn:
        found = user_by_phone(conn, phone)
    assert found is not None
    customer_id = found[0].customer_id
    assert customer_id is not None
    return customer_id


def _report(
    journey: Journey,
    to_money: list[dict[str, object]],
    seconds_to_money: float,
    previews: int,
    browser: Browser,
) -> None:
    loads = sum(1 for s in to_money if s["kind"] == "load")
    submits = sum(1 for s in to_money if s["kind"] == "submit")
    result = {
        "benchmark": "borrower web journey, landing page to money in the wallet",
        "command": "pytest tests/web/test_browser.py -m browser -s",
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "browser": f"chromium {browser.version} headless",
        "viewport": "360x740",
        "database": f"sqlite (puhui demo {' '.join(DEMO_ARGS)})",
        "decision": "310: consent, features on demand, county model, policy",
        "steps_to_money": loads + submits,
        "page_loads_to_money": loads,
        "form_submits_to_money": submits,
        "htmx_preview_requests": previews,
        "fields_typed": 5,
        "seconds_to_money": round(seconds_to_money, 2),
        "load_average_1m": round(os.getloadavg()[0], 2),
        "steps": journey.steps,
    }
    path = ROOT / "bench" / "results" / "web_journey.json"
    path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(
        f"\nweb journey: {result['steps_to_money']} steps ({loads} page loads, {submits} form "
        f"submits, {previews} htmx previews, 5 fields typed) and {seconds_to_money:.2f} s from "
        f"the landing page to money in the wallet; "
        f"screenshots in {journey.shots}; figures in {path}"
    )


BORROWER_PAGES = [
    "/",
    "/apply",
    "/offer",
    "/line",
    "/draw",
    "/wallet",
    "/loans",
    "/statement",
    "/notifications",
]
STAFF_PAGES = {
    "officer": ["/staff/officer", "/staff/portfolio", "/staff/inclusion"],
    "government": ["/staff/inclusion"],
    "risk": ["/staff/portfolio"],
}


def _log_in(page: Page, base: str, phone: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#phone", phone)
    page.fill("#password", DEMO_PASSWORD)
    page.click("[data-testid=login-submit]")
    page.wait_for_load_state()


def _scroll_width(page: Page, base: str, path: str) -> int:
    page.goto(f"{base}{path}")
    page.wait_for_load_state("networkidle")
    return page.evaluate("document.documentElement.scrollWidth")


def test_every_page_fits_a_360px_phone_and_switches_to_english(server: Server, browser: Browser):
    users = {role: phone for phone, role in add_demo_users(server.services)}
    svc = server.services
    with svc.db.read() as conn:
        found = user_by_phone(conn, users["borrower"])
    assert found is not None
    customer_id = found[0].customer_id
    with svc.db.read() as conn:
        line_id = loan_store.lines_of(conn, customer_id)[0].line_id
    loan_id = svc.lending.draw(
        f"fit-{customer_id}", line_id, "2000", 6, "equal_installment"
    ).loan_id
    shots = output_dir()
    context, page, errors = new_phone_page(browser)

    _log_in(page, server.base, users["borrower"])
    too_wide = {}
    for path in [*BORROWER_PAGES, f"/loans/{loan_id}", f"/loans/{loan_id}/repay"]:
        width = _scroll_width(page, server.base, path)
        if width > PHONE_VIEWPORT["width"]:
            too_wide[path] = width

    page.goto(f"{server.base}/line")
    page.click("[data-testid=lang-switch]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "en"
    assert "My credit line" in page.title()
    page.click(".tabs >> text=Loans")
    page.wait_for_url("**/loans")
    assert page.get_attribute("html", "lang") == "en"  # the choice is remembered
    page.goto(f"{server.base}/loans/{loan_id}")
    assert "APR" in page.inner_text("main")
    page.screenshot(path=shots / "en-schedule.png", full_page=True, style=SHOT_STYLE)
    page.click("[data-testid=lang-switch]")
    page.wait_for_load_state()
    assert page.get_attribute("html", "lang") == "zh-CN"
    page.click("[data-testid=logout]")
    page.wait_for_load_state()

    for role, paths in STAFF_PAGES.items():
        _log_in(page, server.base, users[role])
        for path in paths:
            width = _scroll_width(page, server.base, path)
            if width > PHONE_VIEWPORT["width"]:
                too_wide[f"{role} {path}"] = width
            page.screenshot(
                path=shots / f"staff-{role}-{path.rsplit('/', 1)[1]}.png", style=SHOT_STYLE
            )
        page.click("[data-testid=logout]")
        page.wait_for_load_state()
    assert too_wide == {}
    assert errors == []
    context.close()
