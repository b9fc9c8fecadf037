"""Payment webhooks as deployed: gunicorn ingests, a Celery worker on Redis posts.

    .venv/bin/python bench/webhooks.py [N] [--debts 1000] [--scenario many|one|both]
        [--concurrency 8] [--workers 2] [--threads 1] [--celery-concurrency 2] [--warmup 100]
        [--provider stripe|mercadopago]

With `--provider mercadopago` the events are Mercado Pago notifications (signed
`x-signature`, 25% redelivered with the same notification id) about approved PSE payments
held by the fake Mercado Pago (payments/devmercadopago), which runs in this process; the
worker reads each payment from it before posting, as in production.

For each scenario it creates a throwaway PostgreSQL database (server from DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/), migrates it and seeds N payment attempts of
COP 50.000 (made-up PaymentIntent ids: nothing calls Stripe). `many` spreads them over
`--debts` debtors with one debt each; `one` puts them all on one debt, the worst case for
row locks. It then starts gunicorn with the production settings (no SSL redirect,
in-memory email) and a Celery worker (`-Q celery`, prefork) on a flushed Redis database
(REDIS_URL's server, db 14 unless REDIS_URL names one), both on this machine, and posts N
signed `payment_intent.succeeded` events plus 25% re-sent copies (same event id) from
`--concurrency` threads.

Prints one line per scenario:

    scenario=many debts=1000 events=1250 unique=1000 ingest_s=… ingest_per_s=…
    p50_ms=… p99_ms=… e2e_s=… postings_per_s=… payments=1000 double_postings=0

Before timing, `--warmup` more events (100 by default) go through the same path, are
posted and their receipt emails sent, so every gunicorn thread and Celery process has
loaded its code and opened its connections, as in a deployment that has been up for a
while, and the timed burst starts on idle workers; they are not counted.
`ingest_per_s` counts the endpoint's answers (every delivery, duplicates included) over the
time to send them all; `e2e_s` runs from the first delivery until the last payment is
posted, and `postings_per_s` is unique payments over it. Receipt PDFs are left queued on
the low-priority `documents` queue, which this bench does not consume (docs/payments.md).
Exits non-zero if a PaymentIntent was posted twice, an event was not processed or an
answer was not 200. Stops both servers and drops the database.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from _mercadopago import fake_with_payments, notifications
from _server import gunicorn_running, stop
from _throwaway import free_port, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
CELERY = ROOT / ".venv" / "bin" / "celery"
HOST = "127.0.0.1"
SECRET = "whsec_bench_" + secrets.token_hex(8)
PATH = "/payments/stripe/webhook/"
DUPLICATE_SHARE = 0.20  # of all deliveries: 1,000 unique events come with 250 copies
E2E_TIMEOUT_S = 600

BENCH_SETTINGS = """\
from portal.settings.production import *  # noqa: F403


EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {{**STORAGES, "staticfiles": {{  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}}}
MEDIA_ROOT = {media!r}
PRIVATE_MEDIA_ROOT = {private!r}
"""


def seed(n: int, debts: int, provider: str = "stripe") -> list:
    """`debts` debtors owing plenty, one debt each, and N attempts spread over them; the
    Stripe intents to report, or (Mercado Pago) the attempts themselves."""
    from django.core.management import call_command

    from payments.models import PaymentAttempt
    from portal.debtors.models import Creditor, Debt, Debtor, Portfolio
    from portal.debtors.services import ledger_post

    call_command("migrate", verbosity=0)
    creditor = Creditor.objects.create(name="Banco Bench")
    portfolio = Portfolio.objects.create(creditor=creditor, code="bench", name="Bench")
    debtors = Debtor.objects.bulk_create(
        Debtor(
            document_type="CC",
            document_number=f"{1_000_000_000 + i}",
            full_name=f"Bench Debtor {i}",
            emails=[f"bench{i}@example.com"],
        )
        for i in range(debts)
    )
    debt_rows = Debt.objects.bulk_create(
        Debt(
            portfolio=portfolio,
            debtor=debtor,
            account_ref=f"B-{i}",
            currency="COP",
            principal_due_minor=10**12,
            original_due_date="2026-01-01",
        )
        for i, debtor in enumerate(debtors)
    )
    for debt in debt_rows:
        ledger_post(debt=debt, kind="charge", amount_minor=10**12)
    attempts = PaymentAttempt.objects.bulk_create(
        PaymentAttempt(
            debtor_id=debt_rows[i % debts].debtor_id,
            purpose="free",
            debt=debt_rows[i % debts],
            currency="COP",
            amount_minor=50_000_00,
            idempotency_key=f"bench-{i}.1",
            provider=provider,
            method="card" if provider == "stripe" else "pse",
            stripe_payment_intent_id=f"pi_bench{i:08d}" if provider == "stripe" else None,
            status="open" if provider == "stripe" else "processing",
        )
        for i in range(n)
    )
    if provider != "stripe":
        return attempts
    return [
        {
            "id": a.stripe_payment_intent_id,
            "object": "payment_intent",
            "amount": a.amount_minor,
            "amount_received": a.amount_minor,
            "currency": "cop",
            "status": "succeeded",
            "latest_charge": f"ch_bench{i:08d}",
            "metadata": {"attempt_id": str(a.pk), "debtor_id": str(a.debtor_id)},
        }
        for i, a in enumerate(attempts)
    ]


def deliveries(
    intents: list[dict], *, copies: bool = True
) -> list[tuple[str, bytes, dict[str, str]]]:
    """One signed event per intent, plus copies of random earlier ones; signed up front so
    the clients spend their time on HTTP, not on HMAC."""
    import stripe

    now = int(time.time())
    events = [
        json.dumps(
            {
                "id": f"evt_{intent['id']}",
                "object": "event",
                "type": "payment_intent.succeeded",
                "created": now,
                "livemode": False,
                "data": {"object": intent},
            }
        )
        for i, intent in enumerate(intents)
    ]
    total = round(len(events) / (1 - DUPLICATE_SHARE)) if copies else len(events)
    rng = random.Random(7)
    out = list(events)
    for _ in range(total - len(events)):
        out.insert(rng.randrange(1, len(out) + 1), rng.choice(events))
    return [
        (
            PATH,
            body.encode(),
            {
                "Content-Type": "application/json",
                "Stripe-Signature": stripe.WebhookSignature.generate_signature_header(body, SECRET),
            },
        )
        for body in out
    ]


def post_all(
    port: int, events: list[tuple[str, bytes, dict[str, str]]], concurrency: int
) -> tuple[float, float, list[float], dict[int, int]]:
    """Send every delivery; returns (start, seconds, latencies in s, answers by status)."""
    local = threading.local()
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def send(delivery: tuple[str, bytes, dict[str, str]]) -> None:
        path, body, headers = delivery
        if not hasattr(local, "conn"):
            local.conn = http.client.HTTPConnection(HOST, port, timeout=60)
        began = time.perf_counter()
        local.conn.request("POST", path, body=body, headers=headers)
        response = local.conn.getresponse()
        response.read()
        took = time.perf_counter() - began
        with lock:
            latencies.append(took)
            statuses[response.status] = statuses.get(response.status, 0) + 1

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(send, events))
    return start, time.perf_counter() - start, latencies, statuses


def redis_url_for_bench() -> str:
    """REDIS_URL's server (default localhost), db 14 unless REDIS_URL names a db."""
    parts = urlsplit(os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/14")
    if parts.path in ("", "/"):
        parts = parts._replace(path="/14")
    return urlunsplit(parts)


def flush(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


@contextmanager
def celery_worker(*, env: dict[str, str], concurrency: int, log: Path) -> Iterator[None]:
    """A real worker on the default queue; stopped warm (SIGTERM), then killed."""
    command = [
        str(CELERY), "-A", "portal", "worker", "-Q", "celery", "-P", "prefork",
        "-c", str(concurrency), "--without-gossip", "--without-mingle",
        "--without-heartbeat", "--loglevel", "WARNING",
    ]  # fmt: skip
    with log.open("w") as log_file:
        worker = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT
        )
    try:
        time.sleep(0.5)
        if worker.poll() is not None:
            sys.exit(f"celery worker exited:\n{log.read_text()[-3000:]}")
        yield
    finally:
        stop(worker, grace=30)


def wait_for_postings(unique: int, start: float) -> float:
    """Seconds from `start` until `unique` payments exist in all (polled every 20 ms)."""
    from payments.models import Payment

    deadline = time.perf_counter() + E2E_TIMEOUT_S
    while time.perf_counter() < deadline:
        if Payment.objects.count() >= unique:
            return time.perf_counter() - start
        time.sleep(0.02)
    sys.exit(f"FAILED: {Payment.objects.count()} of {unique} payments after {E2E_TIMEOUT_S} s")


def wait_for_receipts(count: int) -> None:
    """Until `count` receipt emails were handed over (each task claims its payment first),
    and a moment for the last tasks to finish."""
    from payments.models import Payment

    deadline = time.perf_counter() + E2E_TIMEOUT_S
    while Payment.objects.filter(receipt_sent_at__isnull=False).count() < count:
        if time.perf_counter() > deadline:
            sys.exit(f"FAILED: fewer than {count} receipts after {E2E_TIMEOUT_S} s")
        time.sleep(0.05)
    time.sleep(0.5)


def double_postings() -> int:
    from django.db.models import Count

    from payments.models import Payment
    from portal.debtors.models import LedgerEntry

    by_intent = (
        Payment.objects.values("provider", "provider_payment_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    by_entry = (
        LedgerEntry.objects.filter(kind="payment")
        .values("description")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    return by_intent.count() + by_entry.count()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_scenario(scenario: str, args, database_url: str, tmp: Path) -> bool:
    debts = args.debts if scenario == "many" else 1
    seeded = seed(args.warmup + args.n, debts, args.provider)
    if args.provider == "mercadopago":
        fake, seeded = fake_with_payments(seeded)
        provider_env = fake.settings()
        sign = partial(notifications, fake.webhook_secret, duplicate_share=DUPLICATE_SHARE)
    else:
        fake, provider_env, sign = None, {"STRIPE_WEBHOOK_SECRET": SECRET}, deliveries
    warmup, intents = seeded[: args.warmup], seeded[args.warmup :]
    warmup_events, events = sign(warmup, copies=False), sign(intents)
    from django.db import connections

    connections.close_all()
    redis_url = redis_url_for_bench()
    flush(redis_url)
    (tmp / "bench_settings.py").write_text(
        BENCH_SETTINGS.format(media=str(tmp / "media"), private=str(tmp / "private"))
    )
    env = dict(os.environ) | {
        "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": HOST,
        "DJANGO_SECURE_SSL_REDIRECT": "False",
        "LOG_LEVEL": "WARNING",
        **provider_env,
    }
    port = free_port()
    with (
        celery_worker(env=env, concurrency=args.celery_concurrency, log=tmp / "celery.log"),
        gunicorn_running(
            port=port, workers=args.workers, env=env, log=tmp / "gunicorn.log",
            extra=("--threads", str(args.threads), "--timeout", "120"),
        ),
    ):  # fmt: skip
        began, _, _, warmup_statuses = post_all(port, warmup_events, args.concurrency)
        wait_for_postings(len(warmup), began)
        wait_for_receipts(len(warmup))
        start, ingest_s, latencies, statuses = post_all(port, events, args.concurrency)
        e2e_s = wait_for_postings(len(warmup) + len(intents), start)

    from payments.models import MercadoPagoNotification, Payment, StripeEvent

    if fake:
        fake.stop()
    events_model = MercadoPagoNotification if fake else StripeEvent
    payments = Payment.objects.count() - len(warmup)
    double = double_postings()
    processed = events_model.objects.filter(status="processed").count() - len(warmup)
    unique = len(intents)
    flush(redis_url)
    print(
        f"provider={args.provider} scenario={scenario} debts={debts} events={len(events)} "
        f"unique={unique} "
        f"ingest_s={ingest_s:.2f} ingest_per_s={len(events) / ingest_s:.1f} "
        f"p50_ms={percentile(latencies, 0.50) * 1000:.1f} "
        f"p99_ms={percentile(latencies, 0.99) * 1000:.1f} "
        f"e2e_s={e2e_s:.2f} postings_per_s={unique / e2e_s:.1f} "
        f"payments={payments} double_postings={double}",
        flush=True,
    )
    answers = set(statuses) | set(warmup_statuses)
    ok = not double and processed == unique and payments == unique and answers == {200}
    if not ok:
        print(
            f"FAILED: statuses={statuses} processed={processed} payments={payments}",
            file=sys.stderr,
        )
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1000, help="unique events")
    parser.add_argument("--debts", type=int, default=1000, help="debts in the `many` case")
    parser.add_argument("--scenario", choices=("many", "one", "both"), default="both")
    parser.add_argument("--concurrency", type=int, default=8, help="client threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=1, help="threads per gunicorn worker")
    parser.add_argument("--celery-concurrency", type=int, default=2, help="worker processes")
    parser.add_argument("--warmup", type=int, default=100, help="uncounted events first")
    parser.add_argument("--provider", choices=("stripe", "mercadopago"), default="stripe")
    args = parser.parse_args()

    if args.scenario == "both":  # Django is set up once per process: one each
        base = [sys.executable, __file__, *(a for a in sys.argv[1:] if a != "both")]
        base = [a for a in base if a != "--scenario"]
        codes = [subprocess.call([*base, "--scenario", s]) for s in ("many", "one")]
        sys.exit(max(codes))
    with (
        throwaway_database(f"bench_webhooks_{args.scenario}") as database_url,
        tempfile.TemporaryDirectory(prefix="bench_webhooks_") as tmp,
    ):
        ok = run_scenario(args.scenario, args, database_url, Path(tmp))
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
