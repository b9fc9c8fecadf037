"""Mercado Pago's side of bench/webhooks.py: the fake server (in this process) holding one
approved PSE payment per seeded attempt, and signed notifications about them."""

from __future__ import annotations

import hashlib
import hmac
import json
import random
import sys
import time
import uuid
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project, for the fake
from payments.devmercadopago import FakeMercadoPago  # noqa: E402

PATH = "/payments/mercadopago/webhook/"


def fake_with_payments(attempts) -> tuple[FakeMercadoPago, list[str]]:
    """Start the fake (it sends no notifications: the bench does) and create, through its
    REST API, one approved PSE payment per attempt with the attempt as its reference."""
    fake = FakeMercadoPago.start()
    fake.mute()
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {fake.access_token}"
    ids = []
    for attempt in attempts:
        answer = session.post(
            f"{fake.base}/v1/payments",
            json={
                "transaction_amount": attempt.amount_minor / 100,
                "description": f"bench {attempt.pk}",
                "payment_method_id": "pse",
                "external_reference": f"attempt-{attempt.pk}",
                "callback_url": "http://127.0.0.1/",
                "payer": {
                    "email": "bench@example.com",
                    "entity_type": "individual",
                    "identification": {"type": "CC", "number": "1000000000"},
                },
                "transaction_details": {"financial_institution": "1007"},
                "additional_info": {"ip_address": "127.0.0.1"},
            },
            headers={"X-Idempotency-Key": f"bench-{attempt.pk}"},
            timeout=10,
        )
        answer.raise_for_status()
        payment_id = str(answer.json()["id"])
        fake.set_status(payment_id, "approved", "accredited", notify=False)
        ids.append(payment_id)
    return fake, ids


def notifications(
    secret: str, payment_ids: list[str], *, duplicate_share: float, copies: bool = True
) -> list[tuple[str, bytes, dict[str, str]]]:
    """One signed `payment.updated` per payment plus redeliveries of random earlier ones
    (same notification id, a new request id and signature, as Mercado Pago retries)."""
    now = int(time.time())
    bodies = [
        (
            payment_id,
            json.dumps(
                {
                    "id": 5_000_000_000 + int(payment_id),  # one per payment, as the retries
                    "live_mode": False,
                    "type": "payment",
                    "action": "payment.updated",
                    "api_version": "v1",
                    "date_created": "2026-12-03T10:00:00.000-05:00",
                    "user_id": "1234",
                    "data": {"id": payment_id},
                }
            ).encode(),
        )
        for payment_id in payment_ids
    ]
    total = round(len(bodies) / (1 - duplicate_share)) if copies else len(bodies)
    rng = random.Random(7)
    chosen = list(bodies)
    for _ in range(total - len(bodies)):
        chosen.insert(rng.randrange(1, len(chosen) + 1), rng.choice(bodies))
    out = []
    for payment_id, body in chosen:
        request_id = str(uuid.uuid4())
        manifest = f"id:{payment_id};request-id:{request_id};ts:{now};"
        digest = hmac.new(secret.encode(), manifest.encode(), hashlib.sha256).hexdigest()
        headers = {
            "Content-Type": "application/json",
            "x-request-id": request_id,
            "x-signature": f"ts={now},v1={digest}",
        }
        out.append((f"{PATH}?data.id={payment_id}&type=payment", body, headers))
    return out
