"""`make run`'s Stripe test mode: localstripe on a loopback port, started and stopped by
`manage.py run_demo` (the browser journey on the default setup uses the same code)."""

from __future__ import annotations

import pytest
import requests

from payments.devstripe import LocalStripe, real_keys_configured
from payments.management.commands.run_demo import webhook_url


def test_localstripe_answers_on_loopback_in_test_mode_and_stop_ends_it():
    stripe = LocalStripe.start()
    try:
        settings = stripe.stripe_settings()
        assert stripe.base.startswith("http://127.0.0.1:")
        assert settings["STRIPE_SECRET_KEY"].startswith("sk_test_")
        assert settings["STRIPE_PUBLISHABLE_KEY"].startswith("pk_test_")
        assert settings["STRIPE_WEBHOOK_SECRET"].startswith("whsec_")
        assert settings["STRIPE_ELEMENT"] == "card"  # the stand-in Stripe.js has only that
        balance = requests.get(
            f"{stripe.base}/v1/balance", auth=(settings["STRIPE_SECRET_KEY"], ""), timeout=5
        )
        assert balance.status_code == 200
        assert requests.get(settings["STRIPE_JS_URL"], timeout=5).status_code == 200
        stripe.register_webhook("http://127.0.0.1:8000/payments/stripe/webhook/")
    finally:
        stripe.stop()

    assert stripe.process.returncode is not None
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{stripe.base}/v1/balance", timeout=2)


def test_each_start_signs_with_a_secret_of_its_own():
    first, second = LocalStripe.start(), LocalStripe.start()
    try:
        assert first.base != second.base
        assert first.webhook_secret != second.webhook_secret
    finally:
        first.stop()
        second.stop()


@pytest.mark.parametrize(
    ("addrport", "url"),
    [
        ("127.0.0.1:8000", "http://127.0.0.1:8000/payments/stripe/webhook/"),
        ("0.0.0.0:8001", "http://127.0.0.1:8001/payments/stripe/webhook/"),
        ("localhost:9000", "http://localhost:9000/payments/stripe/webhook/"),
        ("[::1]:8000", "http://[::1]:8000/payments/stripe/webhook/"),
    ],
)
def test_the_webhook_goes_where_runserver_listens(addrport, url):
    assert webhook_url(addrport) == url


def test_keys_in_the_environment_mean_no_localstripe(settings):
    settings.STRIPE_SECRET_KEY = settings.STRIPE_PUBLISHABLE_KEY = ""
    assert not real_keys_configured()

    settings.STRIPE_SECRET_KEY = "sk_live_portal"
    assert real_keys_configured()
