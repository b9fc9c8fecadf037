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
import time
import uuid
from pathlib import Path

import pytest
import requests
import stripe

from payments.devstripe import LocalStripe, LocalStripeError

SECRET_KEY = "sk_test_portal"
PUBLISHABLE_KEY = "pk_test_portal"
WEBHOOK_SECRET = "whsec_test_portal"
WEBHOOK_PATH = "/payments/stripe/webhook/"
# Nothing listens on the discard port: where deliveries go once a test is over.
NOWHERE = "http://127.0.0.1:9/"
LOCALSTRIPE_DELIVERY_DELAY = 1.5


@pytest.fixture(scope="session")
def localstripe_server(tmp_path_factory):
    """A localstripe server for the whole session, started as `make run` starts it."""
    log = Path(tmp_path_factory.mktemp("localstripe")) / "localstripe.log"
    try:
        server = LocalStripe.start(log_path=log, webhook_secret=WEBHOOK_SECRET)
    except LocalStripeError as error:
        pytest.fail(f"{error}:\n{log.read_text()[-2000:]}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def localstripe(localstripe_server):
    """Base URL of the session's localstripe server."""
    return localstripe_server.base


@pytest.fixture
def stripe_settings(settings, localstripe_server):
    """Payments configured against an empty localstripe; no webhook deliveries."""
    base = localstripe_server.base
    requests.delete(f"{base}/_config/data", timeout=5).raise_for_status()
    localstripe_server.register_webhook(NOWHERE)
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = PUBLISHABLE_KEY
    settings.STRIPE_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.STRIPE_API_BASE = base
    settings.STRIPE_JS_URL = f"{base}/js.stripe.com/v3/"
    settings.STRIPE_ELEMENT = "card"
    yield base
    stripe.api_base = "https://api.stripe.com"


@pytest.fixture
def stripe_webhooks(stripe_settings, localstripe_server, live_server):
    """localstripe delivers its events, signed, to the live server's webhook."""
    # localstripe sends each event a second after it happens, to whatever endpoint is
    # registered *then*: let the previous tests' late events go nowhere first.
    time.sleep(LOCALSTRIPE_DELIVERY_DELAY)
    localstripe_server.register_webhook(live_server.url + WEBHOOK_PATH)
    yield live_server
    localstripe_server.register_webhook(NOWHERE)
    # A delivery already on its way must land before the test's database is flushed: the
    # live server's thread shares SQLite's test connection with the teardown.
    time.sleep(LOCALSTRIPE_DELIVERY_DELAY)


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


class StripeProxy:
    """An HTTP proxy in front of localstripe that misbehaves on request, the way a network
    or Stripe can: `fail("POST", "/v1/refunds", after=True)` makes the next such call reach
    localstripe and then answer 500 (the refund was made, its answer lost); `after=False`
    answers 503 without forwarding. Both send `Stripe-Should-Retry: false`, so the stripe
    client raises at once and our own retry is what is tested. `recorded[path] = payload`
    answers GETs of a path localstripe lacks (disputes) with a recorded Stripe payload.
    `calls` lists (method, path, Idempotency-Key) of everything that came through."""

    def __init__(self, target: str):
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from threading import Thread

        self.target = target
        self.failures: list[tuple[str, str, bool]] = []
        self.recorded: dict[str, dict] = {}
        self.answers: list[tuple[str, str, int, dict]] = []
        self.calls: list[tuple[str, str, str | None]] = []
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _handle(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                path = self.path.split("?", 1)[0]
                proxy.calls.append((self.command, path, self.headers.get("Idempotency-Key")))
                answer = proxy._take_answer(self.command, path)
                if answer is not None:
                    return self._answer(answer[0], json.dumps(answer[1]).encode())
                failure = proxy._take_failure(self.command, path)
                if failure is False:
                    return self._answer(503, _error_body("Service unavailable (test)"), True)
                if self.command == "GET" and path in proxy.recorded:
                    return self._answer(200, json.dumps(proxy.recorded[path]).encode())
                headers = {
                    k: v
                    for k, v in self.headers.items()
                    if k.lower() in ("authorization", "content-type", "idempotency-key")
                }
                upstream = requests.request(
                    self.command, proxy.target + self.path, data=body, headers=headers, timeout=10
                )
                if failure is True:
                    return self._answer(500, _error_body("Internal error (test)"), True)
                self._answer(upstream.status_code, upstream.content)

            def _answer(self, status: int, body: bytes, no_retry: bool = False):
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if no_retry:
                    self.send_header("Stripe-Should-Retry", "false")
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = do_DELETE = _handle

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        Thread(target=self.server.serve_forever, daemon=True).start()

    def fail(self, method: str, path: str, *, after: bool) -> None:
        self.failures.append((method, path, after))

    def answer_once(self, method: str, path: str, status: int, payload: dict) -> None:
        """The next such call gets this recorded Stripe answer instead of localstripe's."""
        self.answers.append((method, path, status, payload))

    def _take_answer(self, method: str, path: str) -> tuple[int, dict] | None:
        for i, (m, p, status, payload) in enumerate(self.answers):
            if m == method and p == path:
                del self.answers[i]
                return status, payload
        return None

    def _take_failure(self, method: str, path: str) -> bool | None:
        for i, (m, p, after) in enumerate(self.failures):
            if m == method and p == path:
                del self.failures[i]
                return after
        return None

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _error_body(message: str) -> bytes:
    return json.dumps({"error": {"type": "api_error", "message": message}}).encode()


@pytest.fixture
def stripe_proxy(stripe_settings, settings):
    """The stripe client talks to localstripe through a StripeProxy."""
    proxy = StripeProxy(stripe_settings)
    settings.STRIPE_API_BASE = proxy.url
    yield proxy
    proxy.close()


class TransactionWatchingClient(stripe.RequestsClient):
    """The stripe library's own HTTP client, noting for every request whether a database
    transaction was open on Django's connection while it went out (Stripe calls must be
    made outside any; STYLE.md rule 3)."""

    def __init__(self):
        super().__init__()
        self.seen: list[tuple[str, str, bool]] = []

    def request(self, method, url, headers, post_data=None):
        from django.db import connection

        path = url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        self.seen.append((method.upper(), "/" + path, connection.in_atomic_block))
        return super().request(method, url, headers, post_data)


@pytest.fixture
def stripe_calls(stripe_settings):
    """Every Stripe request of the test as (method, path, inside a transaction)."""
    client = TransactionWatchingClient()
    before, stripe.default_http_client = stripe.default_http_client, client
    yield client.seen
    stripe.default_http_client = before
