"""localstripe, a stateful fake Stripe server, for the payments tests.

`localstripe` starts it once per session on a free port (a subprocess, from scratch);
`stripe_settings` points our settings and the `stripe` client at it with test keys and
empties its store; `stripe_webhooks` registers the live test server as its webhook endpoint
(POST /_config/webhooks/<name>), so events are signed with our secret and delivered for real.

What localstripe lacks (and the tests do by hand, with `signed_event_post`): it ignores
Idempotency-Key headers; it never sends `charge.refunded` or `charge.dispute.created` (it has
no disputes at all); its Stripe.js stand-in has only the Card Element, and its
confirmCardPayment only completes 3-D Secure on an intent that already has a card.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
import stripe

SECRET_KEY = "sk_test_portal"
PUBLISHABLE_KEY = "pk_test_portal"
WEBHOOK_SECRET = "whsec_test_portal"
WEBHOOK_PATH = "/payments/stripe/webhook/"
# Nothing listens on the discard port: where deliveries go once a test is over.
NOWHERE = "http://127.0.0.1:9/"
LOCALSTRIPE_DELIVERY_DELAY = 1.5


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def localstripe(tmp_path_factory):
    """Base URL of a localstripe server running for the whole session."""
    port = _free_port()
    log = Path(tmp_path_factory.mktemp("localstripe")) / "localstripe.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "localstripe", "--port", str(port), "--from-scratch"],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            requests.get(f"{base}/v1/balance", timeout=1)
            break
        except requests.ConnectionError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"localstripe did not start:\n{log.read_text()[-2000:]}")
            time.sleep(0.1)
    try:
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _register_webhook(base: str, url: str) -> None:
    response = requests.post(
        f"{base}/_config/webhooks/portal",
        data={"url": url, "secret": WEBHOOK_SECRET},
        timeout=5,
    )
    response.raise_for_status()


@pytest.fixture
def stripe_settings(settings, localstripe):
    """Payments configured against an empty localstripe; no webhook deliveries."""
    requests.delete(f"{localstripe}/_config/data", timeout=5).raise_for_status()
    _register_webhook(localstripe, NOWHERE)
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = localstripe
    settings.STRIPE_JS_URL = f"{localstripe}/js.stripe.com/v3/"
    settings.STRIPE_ELEMENT = "card"
    yield localstripe
    stripe.api_base = "https://api.stripe.com"


@pytest.fixture
def stripe_webhooks(stripe_settings, live_server):
    """localstripe delivers its events, signed, to the live server's webhook."""
    # localstripe sends each event a second after it happens, to whatever endpoint is
    # registered *then*: let the previous tests' late events go nowhere first.
    time.sleep(LOCALSTRIPE_DELIVERY_DELAY)
    _register_webhook(stripe_settings, live_server.url + WEBHOOK_PATH)
    yield live_server
    _register_webhook(stripe_settings, NOWHERE)


def card_token(base: str, number: str = "4242424242424242") -> str:
    """What Stripe.js does in the browser: tokenise a card with the publishable key."""
    response = requests.post(
        f"{base}/v1/tokens",
        data={
            "card[number]": number,
            "card[exp_month]": "12",
            "card[exp_year]": "2034",
            "card[cvc]": "123",
            "key": PUBLISHABLE_KEY,
        },
        timeout=5,
    )
    response.raise_for_status()
    return response.json()["id"]


def signature_header(payload: str, *, secret: str = WEBHOOK_SECRET, timestamp=None) -> str:
    return stripe.WebhookSignature.generate_signature_header(payload, secret, timestamp=timestamp)


def make_event(event_type: str, obj: dict, *, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "api_version": "2024-06-20",
        "data": {"object": obj},
    }


def signed_event_post(client, event: dict, *, secret: str = WEBHOOK_SECRET, timestamp=None):
    """Deliver `event` to our webhook the way Stripe does: JSON body, Stripe-Signature."""
    payload = json.dumps(event)
    return client.post(
        WEBHOOK_PATH,
        data=payload,
        content_type="application/json",
        HTTP_STRIPE_SIGNATURE=signature_header(payload, secret=secret, timestamp=timestamp),
    )


def wait_for(predicate, *, timeout: float = 15.0, interval: float = 0.1):
    """Poll until `predicate()` is truthy (webhooks arrive about a second after the event)."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
