"""Real-browser fixtures: Debian's chromium driven by Playwright against pytest-django's live
server, on a phone-sized viewport, with CSP violations and accessibility checked on each page.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest

from portal.debtors.services import ledger_post
from tests.factories import DebtFactory, DebtorFactory, PortfolioFactory, default_stages
from tests.helpers.browser import (
    ARTIFACTS,
    BLOCKING_IMPACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    CSP_LISTENER,
    PHONE,
)


def pytest_collection_modifyitems(config, items):
    """Without a browser the journey cannot run: skip it, loudly, rather than pass it."""
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason=f"needs Debian's chromium at {CHROMIUM} (apt-get install -y chromium; "
        "bash .ci/run installs it)"
    )
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Lets `phone` see whether the test body failed, to keep a screenshot of that moment.
    report = yield
    if report.when == "call":
        item.e2e_failed = report.failed
    return report


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop in this thread, so Django would refuse
    # ORM calls from test code and fixtures. Allowed only while the browser is up.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class PageWatch:
    """What the browser complained about while a test ran."""

    csp_violations: list[dict] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_responses: list[tuple[str, int]] = field(default_factory=list)

    def report_csp(self, violation: dict) -> None:
        self.csp_violations.append(violation)

    def csp_console_errors(self) -> list[str]:
        return [m for m in self.console_errors if re.search("content security policy", m, re.I)]

    def unexpected_console_errors(self) -> list[str]:
        # Chrome logs every 4xx document as "Failed to load resource"; the identity check
        # answers 400/429 on purpose, so those are expected and checked by status instead.
        return [m for m in self.console_errors if not m.startswith("Failed to load resource")]


@pytest.fixture
def watch():
    return PageWatch()


@pytest.fixture
def phone(request, browser, watch):
    context = browser.new_context(**PHONE)
    context.set_default_timeout(10_000)
    context.expose_function("__reportCsp", watch.report_csp)
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda msg: watch.console_errors.append(msg.text) if msg.type == "error" else None,
    )
    page.on("pageerror", lambda error: watch.page_errors.append(str(error)))
    page.on(
        "response",
        lambda r: (
            watch.failed_responses.append((urlsplit(r.url).path, r.status))
            if r.status >= 400
            else None
        ),
    )
    yield page
    if getattr(request.node, "e2e_failed", False):
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(
            path=str(ARTIFACTS / f"FAILED-{request.node.name}.png"), full_page=True, caret="initial"
        )
        (ARTIFACTS / f"FAILED-{request.node.name}.html").write_text(page.content())
    context.close()


@pytest.fixture
def axe_check():
    """Run axe-core on the page as it is now; fail on serious or critical violations.

    axe-playwright-python injects axe.min.js with `page.evaluate`, i.e. the DevTools
    protocol's Runtime.evaluate, which CSP does not govern: no `bypass_csp` is needed and the
    page keeps its real policy while axe runs (the CSP listener would report anything axe
    tripped). Every violation of any impact is printed, so minor ones show up in `-rA`/`-s`.
    """
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    report: dict[str, list[dict]] = {}

    def check(page, name: str, exclude: list[str] | None = None) -> list[dict]:
        # `exclude`: third-party markup that is not ours to fix (localstripe's stand-in
        # card fields, which Stripe's real iframe replaces in production).
        results = axe.run(page, context={"exclude": exclude} if exclude else None)
        # An empty violation list only means something if axe really evaluated the page.
        assert results.response["testEngine"]["name"] == "axe-core"
        assert results.response["passes"], f"axe evaluated no rule on {name}"
        violations = [
            {
                "id": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "nodes": [n["target"] for n in v["nodes"]],
            }
            for v in results.response["violations"]
        ]
        report[name] = violations
        for v in violations:
            print(f"axe {name}: {v['id']} ({v['impact']}) {v['help']} at {v['nodes']}")
        if not violations:
            print(f"axe {name}: no violations")
        blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS]
        assert not blocking, f"axe found serious/critical violations on {name}: {blocking}"
        return violations

    check.report = report
    return check


@pytest.fixture
def shoot():
    """Save a full-page screenshot as tests/e2e/artifacts/NN-name.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def save(page, name: str):
        path = ARTIFACTS / f"{name}.png"
        # caret="hide" (the default) leaves style="" on every input; htmx's settle step then
        # copies that attribute on the next swap and CSP blocks it: a false CSP report.
        page.screenshot(path=str(path), full_page=True, caret="initial")
        return path

    return save


@pytest.fixture
def live_stages(transactional_db):
    """The default mora bands, committed where the live server's thread can read them (the
    shared `stages` lives inside a test transaction): a list, in band order."""
    return default_stages()


@pytest.fixture
def journey_debtor(live_stages):
    """Ana owes one card debt with 25 movements: more than one page (20) of history."""
    portfolio = PortfolioFactory(code="tarjetas-e2e", creditor__name="Banco Andino")
    debtor = DebtorFactory(document_number="1020304050", full_name="Ana María Peña", language="es")
    debt = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-100", days_past_due=45)
    start = dt.date(2025, 1, 5)
    ledger_post(debt=debt, kind="charge", amount_minor=2_400_000_00, effective_date=start)
    for month in range(24):
        ledger_post(
            debt=debt,
            kind="payment",
            amount_minor=-(35_000_00 + month * 1_000_00),
            effective_date=start + dt.timedelta(days=15 + 14 * month),
            description=f"Pago {month + 1}",
        )
    debtor.refresh_from_db()
    return debtor
