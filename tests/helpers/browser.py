"""What the real-browser tests share: Debian's chromium, a phone, the CSP listener, the
artifacts folder and Stripe's test card (fixtures are in tests/e2e/conftest.py)."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[1] / "e2e" / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# A phone: 390×844 CSS pixels (iPhone 12-14 class), touch, mobile Chrome's user agent.
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
        "(KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36"
    ),
    "locale": "es-CO",
    "timezone_id": "America/Bogota",
}
BLOCKING_IMPACTS = {"serious", "critical"}

# Reports every CSP violation to Python. Init scripts and exposed bindings run through the
# DevTools protocol, so the page's CSP does not apply to them (it would block an inline one).
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCsp({
    directive: event.violatedDirective,
    blocked: event.blockedURI,
    source: event.sourceFile,
    sample: event.sample,
  });
});
"""

# Stripe's test card, as typed into localstripe's Card Element stand-in.
TEST_CARD = {
    "number": "4242424242424242",
    "exp_month": "12",
    "exp_year": "34",
    "cvc": "123",
    "postal_code": "110111",
}


def fill_test_card(page) -> None:
    """Type the 4242 test card into the card form once localstripe's fields are there."""
    card = page.get_by_test_id("card-element")
    card.locator("input").first.wait_for()
    for name, value in TEST_CARD.items():
        card.locator(f"input[placeholder='{name}']").fill(value)
