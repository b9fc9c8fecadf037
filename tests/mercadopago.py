"""The fake Mercado Pago (payments/devmercadopago) for the tests.

`fake_mercadopago_server` starts it once per session (in-process, on a free port);
`fake_mercadopago` empties it for each test and points our settings at it, so the real
`mercadopago` SDK talks to it over HTTP. `signed_notification_headers` signs a notification
the way Mercado Pago does, for webhook tests that post one themselves.
"""

from __future__ import annotations

import hashlib
import hmac
import time
import uuid

import pytest

from payments.devmercadopago import FakeMercadoPago

WEBHOOK_SECRET = "mp-webhook-secret-test"


@pytest.fixture(scope="session")
def fake_mercadopago_server():
    server = FakeMercadoPago.start(webhook_secret=WEBHOOK_SECRET, notify_delay=0.05)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_mercadopago(fake_mercadopago_server, settings):
    """An empty fake Mercado Pago, with no webhook registered; our settings point at it."""
    fake_mercadopago_server.reset()
    for name, value in fake_mercadopago_server.settings().items():
        setattr(settings, name, value)
    yield fake_mercadopago_server
    fake_mercadopago_server.quiesce()
    fake_mercadopago_server.reset()


def signed_notification_headers(
    secret: str, data_id: str, request_id: str | None = None, ts: int | None = None
) -> dict[str, str]:
    """x-request-id and x-signature of a notification about `data_id`, as Mercado Pago
    signs them: HMAC-SHA256 of "id:<data.id>;request-id:<x-request-id>;ts:<ts>;"."""
    request_id = request_id or str(uuid.uuid4())
    ts = int(time.time()) if ts is None else ts
    manifest = f"id:{data_id};request-id:{request_id};ts:{ts};"
    digest = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
    return {"x-request-id": request_id, "x-signature": f"ts={ts},v1={digest}"}
