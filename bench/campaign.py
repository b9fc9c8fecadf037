"""A payment-link campaign to N debtors through a real Celery worker on PostgreSQL + Redis.

    .venv/bin/python bench/campaign.py [N] [--concurrency 2]

Creates a throwaway database (server from DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/), migrates it and seeds N debtors, each with one debt
and SMS consent. Starts `celery -A portal worker` (prefork, `--concurrency`) against
REDIS_URL (default redis://127.0.0.1:6379/10) with the null provider backend (the outbox:
every hand-off is real except the network call). The contact window is opened to the
whole day so the figure does not depend on the hour it runs; every other rule applies.

Launches the campaign (one channel, SMS) and waits until no message is queued or being
sent. Prints `recipients=… messages=… sent=… seconds=… messages_per_s=… claimed_twice=…`,
timed from launch to the last hand-off, and exits non-zero if any message was sent twice
or is missing. Stops the worker, empties that Redis database and drops the database.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _throwaway import throwaway_database

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"

BENCH_SETTINGS = """\
import datetime as dt

from portal.settings.base import *  # noqa: F403

DEBUG = False
LOG_LEVEL = "WARNING"
OUTREACH_BACKENDS = {{c: "portal.outreach.channels.local.OutboxBackend"
                     for c in ("sms", "whatsapp", "email", "call")}}
_ALL_DAY = (dt.time(0), dt.time(23, 59, 59))
OUTREACH_RULES = {{"CO": {{"weekday": _ALL_DAY, "saturday": _ALL_DAY, "sunday": _ALL_DAY,
                          "holidays_country": None}}}}
MEDIA_ROOT = {media!r}
"""


def seed(n: int):
    from django.core.management import call_command

    from portal.debtors.models import Creditor, Debt, Debtor, Portfolio
    from portal.outreach.models import Campaign, CampaignTemplate, Consent

    call_command("migrate", verbosity=0)
    creditor = Creditor.objects.create(name="Banco Bench")
    portfolio = Portfolio.objects.create(creditor=creditor, code="bench", name="Bench")
    start = time.perf_counter()
    debtors = Debtor.objects.bulk_create(
        (
            Debtor(
                document_type="CC",
                document_number=str(10_000_000 + i),
                full_name=f"Persona Bench {i}",
                phones=[f"+57300{i:07d}"],
                contact_from="00:00",
                contact_to="23:59:59",
            )
            for i in range(n)
        ),
        batch_size=5000,
    )
    Debt.objects.bulk_create(
        (
            Debt(
                portfolio=portfolio,
                debtor=d,
                account_ref=f"B-{d.pk}",
                currency="COP",
                principal_due_minor=1_000_000_00,
                balance_minor=1_000_000_00,  # bench only: no ledger entries
                principal_minor=1_000_000_00,  # the parts add up to the balance (a CHECK)
                original_due_date="2026-01-01",
                days_past_due=60,
            )
            for d in debtors
        ),
        batch_size=5000,
    )
    Consent.objects.bulk_create(
        (Consent(debtor=d, channel="sms", granted=True, source="import") for d in debtors),
        batch_size=5000,
    )
    campaign = Campaign.objects.create(
        name="Bench", portfolio=portfolio, channels=["sms"], agreement_filter="any"
    )
    CampaignTemplate.objects.create(
        campaign=campaign,
        channel="sms",
        language="es",
        body="Hola {first_name}, {creditor}: tu saldo es {amount}. Paga aquí: {link}",
    )
    print(f"seeded {n} debtors in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return campaign


def wait_for_worker(env: dict, worker: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            sys.exit(f"worker exited:\n{log.read_text()[-3000:]}")
        if "ready." in log.read_text():
            return
        time.sleep(0.3)
    sys.exit(f"worker not ready in 60 s:\n{log.read_text()[-3000:]}")


def bench(args, database_url: str, redis_url: str, tmp: Path) -> None:
    campaign = seed(args.n)
    from django.db import connections

    connections.close_all()
    (tmp / "bench_settings.py").write_text(BENCH_SETTINGS.format(media=str(tmp / "media")))
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join([str(tmp), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "bench_settings",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "LOG_LEVEL": "WARNING",
    }
    log = tmp / "worker.log"
    with log.open("w") as log_file:
        worker = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                "-A",
                "portal",
                "worker",
                "--concurrency",
                str(args.concurrency),
                "--loglevel",
                "INFO",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_worker(env, worker, log)
        from django.db.models import Max

        from portal.outreach.campaigns import campaign_launch
        from portal.outreach.models import Message

        started = time.perf_counter()
        campaign_launch(campaign=campaign)
        pending = ["queued", "sending"]
        while True:
            time.sleep(0.5)
            # Done when every recipient's message exists and none is waiting or in hand-off.
            total = Message.objects.filter(campaign=campaign).count()
            waiting = Message.objects.filter(campaign=campaign, status__in=pending).exists()
            if total >= args.n and not waiting:
                break
            if worker.poll() is not None:
                sys.exit(f"worker exited:\n{log.read_text()[-3000:]}")
            if time.perf_counter() - started > args.timeout:
                sys.exit(f"timed out with {total} messages created")
        last = Message.objects.filter(campaign=campaign).aggregate(last=Max("sent_at"))["last"]
        launched = campaign.__class__.objects.get(pk=campaign.pk).launched_at
        seconds = (last - launched).total_seconds()
        wall = time.perf_counter() - started
    finally:
        if worker.poll() is None:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=30)
            except subprocess.TimeoutExpired:
                worker.kill()

    messages = Message.objects.filter(campaign=campaign)
    sent = messages.filter(status="sent").count()
    twice = messages.filter(attempts__gt=1).count()
    print(f"concurrency={args.concurrency} wall_seconds={wall:.1f}", file=sys.stderr)
    print(
        f"recipients={args.n} messages={messages.count()} sent={sent} "
        f"seconds={seconds:.1f} messages_per_s={sent / seconds:.0f} claimed_twice={twice}"
    )
    if twice or sent != args.n:
        sys.exit("FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--concurrency", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--timeout", type=int, default=900)
    args = parser.parse_args()

    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/10")
    os.environ["REDIS_URL"] = redis_url
    import redis

    try:
        with (
            throwaway_database("bench_campaign", settings="portal.settings.base") as database_url,
            tempfile.TemporaryDirectory(prefix="bench_campaign_") as tmp,
        ):
            bench(args, database_url, redis_url, Path(tmp))
    finally:
        redis.Redis.from_url(redis_url).flushdb()


if __name__ == "__main__":
    main()
