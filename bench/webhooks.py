"""Stripe webhook throughput on PostgreSQL, with 20% duplicate deliveries.

    .venv/bin/python bench/webhooks.py [N] [--concurrency 8] [--workers 2]

Creates a throwaway database (server from DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/), migrates it, seeds one debtor with one large debt and
N payment attempts (made-up PaymentIntent ids: nothing calls Stripe), then starts gunicorn
with the production settings (no SSL redirect, Celery inline because REDIS_URL is unset,
in-memory email) on a free loopback port. It signs N `payment_intent.succeeded` events with
the webhook secret, 20% of them re-sent copies of earlier ones (same event id), and posts
them from `--concurrency` threads. Processing happens inside each request after its commit
(eager Celery), receipt PDF and email included, so the figure is end to end.

Prints `events=… unique=… duplicates=… seconds=… events_per_s=… payments=…
double_postings=…` and exits non-zero if any PaymentIntent was posted twice or any unique
event was not processed. Stops gunicorn and drops the database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from _server import gunicorn_running
from _throwaway import free_port, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
SECRET = "whsec_bench_" + secrets.token_hex(8)
PATH = "/payments/stripe/webhook/"

BENCH_SETTINGS = """\
from portal.settings.production import *  # noqa: F403


EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {{**STORAGES, "staticfiles": {{  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}
MEDIA_ROOT = {media!r}
"""


def seed(n: int) -> list[dict]:
    """A debtor owing plenty, and N attempts of 50,000.00 COP: their intents."""
    from django.core.management import call_command

    from payments.models import PaymentAttempt
    from portal.debtors.models import Creditor, Debt, Debtor, Portfolio
    from portal.debtors.services import ledger_post

    call_command("migrate", verbosity=0)
    creditor = Creditor.objects.create(name="Banco Bench")
    portfolio = Portfolio.objects.create(creditor=creditor, code="bench", name="Bench")
    debtor = Debtor.objects.create(
        document_type="CC",
        document_number="1000000001",
        full_name="Bench Debtor",
        emails=["bench@example.com"],
    )
    debt = Debt.objects.create(
        portfolio=portfolio,
        debtor=debtor,
        account_ref="B-1",
        currency="COP",
        principal_due_minor=10**12,
        original_due_date="2026-01-01",
    )
    ledger_post(debt=debt, kind="charge", amount_minor=10**12)
    attempts = PaymentAttempt.objects.bulk_create(
        PaymentAttempt(
            debtor=debtor,
            purpose="free",
            debt=debt,
            currency="COP",
            amount_minor=50_000_00,
            idempotency_key=f"bench-{i}.1",
            stripe_payment_intent_id=f"pi_bench{i:08d}",
            status="open",
        )
        for i in range(n)
    )
    return [
        {
            "id": a.stripe_payment_intent_id,
            "object": "payment_intent",
            "amount": a.amount_minor,
            "amount_received": a.amount_minor,
            "currency": "cop",
            "status": "succeeded",
            "latest_charge": f"ch_bench{i:08d}",
            "metadata": {"attempt_id": str(a.pk), "debtor_id": str(debtor.pk)},
        }
        for i, a in enumerate(attempts)
    ]


def signed(event: dict) -> tuple[bytes, str]:
    import stripe

    payload = json.dumps(event)
    return payload.encode(), stripe.WebhookSignature.generate_signature_header(payload, SECRET)


def deliveries(intents: list[dict], duplicate_share: float) -> list[dict]:
    """One event per intent, plus copies of random earlier ones (20% of all deliveries)."""
    now = int(time.time())
    events = [
        {
            "id": f"evt_bench{i:08d}",
            "object": "event",
            "type": "payment_intent.succeeded",
            "created": now,
            "livemode": False,
            "data": {"object": intent},
        }
        for i, intent in enumerate(intents)
    ]
    total = round(len(events) / (1 - duplicate_share))
    rng = random.Random(7)
    out = list(events)
    for _ in range(total - len(events)):
        out.insert(rng.randrange(1, len(out) + 1), rng.choice(events))
    return out


def post_all(port: int, events: list[dict], concurrency: int) -> tuple[float, dict[int, int]]:
    local = threading.local()
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def send(event: dict) -> None:
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        body, signature = signed(event)
        local.conn.request(
            "POST",
            PATH,
            body=body,
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        response = local.conn.getresponse()
        response.read()
        with lock:
            statuses[response.status] = statuses.get(response.status, 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(send, events))
    return time.perf_counter() - start, statuses


def bench(args, database_url: str, tmp: Path) -> None:
    intents = seed(args.n)
    events = deliveries(intents, 0.20)
    from django.db import connections

    connections.close_all()
    (tmp / "bench_settings.py").write_text(BENCH_SETTINGS.format(media=str(tmp / "media")))
    env = {key: value for key, value in os.environ.items() if key != "REDIS_URL"} | {
        "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "DATABASE_URL": database_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "False",
        "STRIPE_WEBHOOK_SECRET": SECRET,
        "LOG_LEVEL": "WARNING",
    }
    port = free_port()
    log = tmp / "gunicorn.log"
    with gunicorn_running(
        port=port, workers=args.workers, env=env, log=log, extra=("--timeout", "120")
    ):
        seconds, statuses = post_all(port, events, args.concurrency)

    from django.db.models import Count

    from payments.models import Payment, StripeEvent
    from portal.debtors.models import LedgerEntry

    payments = Payment.objects.count()
    double = (
        Payment.objects.values("stripe_payment_intent_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
        + LedgerEntry.objects.filter(kind="payment")
        .values("description")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    processed = StripeEvent.objects.filter(status="processed").count()
    unique = len(intents)
    print(
        f"statuses={statuses} workers={args.workers} concurrency={args.concurrency}",
        file=sys.stderr,
    )
    print(
        f"events={len(events)} unique={unique} duplicates={len(events) - unique} "
        f"seconds={seconds:.2f} events_per_s={len(events) / seconds:.1f} "
        f"payments={payments} double_postings={double}"
    )
    if double or processed != unique or payments != unique or set(statuses) != {200}:
        sys.exit(f"FAILED: processed={processed} payments={payments} double={double}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1000, help="unique events")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    args = parser.parse_args()

    os.environ.pop("REDIS_URL", None)
    with (
        throwaway_database("bench_webhooks") as database_url,
        tempfile.TemporaryDirectory(prefix="bench_webhooks_") as tmp,
    ):
        bench(args, database_url, Path(tmp))


if __name__ == "__main__":
    main()
