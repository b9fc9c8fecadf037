"""A fake Mercado Pago (Colombia) for the tests and `manage.py run_demo`: the REST paths
payments.mercadopago_api uses, the pages a payer visits (PSE bank, Efecty voucher, Checkout
Pro card form) and signed webhook notifications. Standard library only, in-process: a
ThreadingHTTPServer on 127.0.0.1 in a daemon thread. No real money, no 3-D Secure, one
account. The pages are Spanish literals: they stand in for Mercado Pago's own pages.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import re
import secrets
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from payments.devmercadopago.pages import PagesMixin
from payments.devmercadopago.rest import (
    DETAILS,
    FIRST_PAYMENT_ID,
    USER_ID,
    RestMixin,
    _Bad,
    _error,
    _iso,
    _now,
    _public,
)


class FakeMercadoPago(RestMixin, PagesMixin):
    access_token = "TEST-portal-demo"

    def __init__(self, *, webhook_secret: str | None, notify_delay: float):
        self.webhook_secret = webhook_secret or f"fake-mp-{secrets.token_hex(12)}"
        self.notify_delay = notify_delay
        self.lock = threading.RLock()
        self._in_flight = 0
        self.reset()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @classmethod
    def start(cls, *, webhook_secret: str | None = None, notify_delay: float = 0.2):
        return cls(webhook_secret=webhook_secret, notify_delay=notify_delay)

    def settings(self) -> dict[str, str]:
        return {
            "MERCADOPAGO_ACCESS_TOKEN": self.access_token,
            "MERCADOPAGO_WEBHOOK_SECRET": self.webhook_secret,
            "MERCADOPAGO_API_BASE": self.base,
        }

    def reset(self) -> None:
        """Forget every payment, preference and notification (between tests)."""
        with self.lock:
            self.payments: dict[str, dict] = {}
            self.preferences: dict[str, dict] = {}
            self.notifications: list[dict] = []
            self.keys: dict[str, Any] = {}  # x-idempotency-key → payment id / refund
            self.webhook_url: str | None = None
            self.muted = False
            self._ids = iter(range(FIRST_PAYMENT_ID, 10**12))
            self._generation = object()  # late deliveries of a previous test are dropped

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def register_webhook(self, url: str) -> None:
        with self.lock:
            self.webhook_url = url

    def mute(self, muted: bool = True) -> None:
        with self.lock:
            self.muted = muted

    # --- state changes -------------------------------------------------------------------

    def set_status(self, payment_id, status: str, status_detail: str = "", *, notify=True):
        with self.lock:
            payment = self.payments[str(payment_id)]
            now = _iso(_now())
            payment["status"] = status
            payment["status_detail"] = status_detail or DETAILS.get(status, status)
            if status == "pending" and not status_detail:
                payment["status_detail"] = payment["_pending_detail"]
            if status == "approved" and not payment["date_approved"]:
                payment["date_approved"] = now
            payment["date_last_updated"] = now
            snapshot = _public(payment)
        if notify:
            self._notify(snapshot["id"], "payment.updated")
        return snapshot

    def _notify(self, payment_id: int, action: str) -> None:
        body = {
            "id": secrets.randbelow(10**11) + 10**11,
            "live_mode": False,
            "type": "payment",
            "action": action,
            "api_version": "v1",
            "date_created": _iso(_now()),
            "user_id": USER_ID,
            "data": {"id": str(payment_id)},
        }
        with self.lock:
            generation = self._generation
            self._in_flight += 1
        timer = threading.Timer(self.notify_delay, self._deliver_counted, (body, generation))
        timer.daemon = True
        timer.start()

    def _deliver_counted(self, body: dict, generation: object) -> None:
        try:
            self._deliver(body, generation)
        finally:
            with self.lock:
                self._in_flight -= 1

    def quiesce(self, timeout: float = 10.0) -> None:
        """Stop delivering and wait until no notification is on its way: a test's server
        must not receive a request after the test ended (SQLite's test connection is
        shared with the live server's thread)."""
        self.mute()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if not self._in_flight:
                    return
            time.sleep(0.02)

    def _deliver(self, body: dict, generation: object | None = None) -> None:
        with self.lock:
            url = self.webhook_url
            if not url or self.muted or generation not in (None, self._generation):
                return
        data_id, request_id, ts = body["data"]["id"], str(uuid.uuid4()), str(int(time.time()))
        manifest = f"id:{data_id};request-id:{request_id};ts:{ts};"
        digest = hmac.new(self.webhook_secret.encode(), manifest.encode(), hashlib.sha256)
        headers = {"x-request-id": request_id, "x-signature": f"ts={ts},v1={digest.hexdigest()}"}
        target = f"{url}{'&' if '?' in url else '?'}data.id={data_id}&type=payment"
        record = {"url": target, "body": body, "headers": headers, "status": None}
        try:
            record["status"] = requests.post(
                target, json=body, headers=headers, timeout=10
            ).status_code
        except requests.RequestException as error:
            record["error"] = str(error)
        with self.lock:
            self.notifications.append(record)

    def redeliver(self, index: int = -1) -> None:
        """Post a sent notification again: same body, new request id and signature."""
        with self.lock:
            body = copy.deepcopy(self.notifications[index]["body"])
        self._deliver(body)


ROUTES = [  # (method, path pattern, FakeMercadoPago method, needs the access token)
    ("GET", r"/v1/payment_methods", "payment_methods", True),
    ("POST", r"/v1/payments", "payment_create", True),
    ("GET", r"/v1/payments/search", "payment_search", True),
    ("GET", r"/v1/payments/(\d+)", "payment_get", True),
    ("POST", r"/v1/payments/(\d+)/refunds", "refund_create", True),
    ("GET", r"/v1/payments/(\d+)/refunds", "refund_list", True),
    ("POST", r"/checkout/preferences", "preference_create", True),
    ("GET", r"/checkout/preferences/([\w-]+)", "preference_get", True),
    ("GET", r"/pse/bank/(\d+)", "bank_page", False),
    ("POST", r"/pse/bank/(\d+)", "bank_act", False),
    ("GET", r"/tickets/(\d+)", "ticket_page", False),
    ("POST", r"/tickets/(\d+)", "ticket_act", False),
    ("GET", r"/checkout/([\w-]+)", "checkout_page", False),
    ("POST", r"/checkout/([\w-]+)", "checkout_act", False),
    ("POST", r"/_fake/payments/(\d+)/status", "control_status", False),
]


def _handler(fake: FakeMercadoPago) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def _handle(self):
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode() if length else ""
            self.query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            self.form = {k: v[0] for k, v in parse_qs(raw).items()}
            try:
                self.json = json.loads(raw) if raw else None
            except ValueError:
                self.json = None
            for method, pattern, name, private in ROUTES:
                match = re.fullmatch(pattern, parts.path)
                if method == self.command and match:
                    auth = self.headers.get("Authorization", "")
                    if private and auth != f"Bearer {fake.access_token}":
                        return self._send(*_error(401, "invalid access token", "unauthorized"))
                    try:
                        answer = getattr(fake, name)(self, *match.groups())
                    except _Bad as bad:
                        answer = bad.answer
                    return self._send(*answer)
            self._send(*_error(404, f"resource {parts.path} not found", 404))

        def _send(self, status: int, body: Any) -> None:
            self.send_response(status)
            if status == 303:
                self.send_header("Location", body)
                payload, kind = b"", "text/plain"
            elif isinstance(body, str):
                payload, kind = body.encode(), "text/html; charset=utf-8"
            else:
                payload, kind = json.dumps(body).encode(), "application/json"
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _handle

    return Handler
