"""Audit log on PostgreSQL: concurrent writers without a chain lock, then sealing and verifying.

    .venv/bin/python bench/audit.py [--writers 16] [--seconds 10] [--verify-events 1000000]

Creates a throwaway database (server from DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/) and migrates it. Then:

1. `--writers` processes (forked: Python threads would share one GIL) each append audit
   events through the real `record()`, one transaction per event, for `--seconds`; nothing
   seals meanwhile (the test settings: no inline sealing, no beat). Prints
   `writers=… events=… seconds=… events_per_s=…`.
2. Seals them with the real sealer: `seal_events=… seconds=… events_per_s=…`.
3. Empties the table and COPYs in `--verify-events` unsealed rows with their insert digests,
   built as `record()` builds them (`fill_events=… seconds=…`), seals them all
   (`seal_events=…`) and times the real `verify_chain` over them:
   `verify_events=… seconds=… events_per_s=…`.

Exits non-zero if the chain does not verify or a row is left unsealed. Drops the database.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import sys
import time

from _throwaway import throwaway_database


def write_for(args: tuple[int, float]) -> int:
    """One writer process: record() until the deadline; how many events it wrote."""
    from django.db import connections

    from portal.audit.services import record

    writer, deadline = args
    count = 0
    try:
        while time.time() < deadline:
            record(
                "bench.written",
                subject=("outreach.message", count),
                details={"writer": writer, "n": count, "channel": "sms"},
                debtor=1 + count % 1000,
            )
            count += 1
    finally:
        connections.close_all()
    return count


def write_concurrently(writers: int, seconds: float) -> None:
    from django.db import connections

    connections.close_all()  # each forked writer opens its own
    context = multiprocessing.get_context("fork")
    with context.Pool(writers) as pool:
        started = time.perf_counter()
        deadline = time.time() + seconds
        counts = pool.map(write_for, [(n, deadline) for n in range(writers)])
        elapsed = time.perf_counter() - started
    events = sum(counts)
    print(
        f"writers={writers} events={events} seconds={elapsed:.2f} "
        f"events_per_s={events / elapsed:,.0f}"
    )


def seal_all() -> int:
    from portal.audit.services import audit_chain_seal

    started = time.perf_counter()
    sealed = audit_chain_seal()
    elapsed = time.perf_counter() - started
    rate = sealed / elapsed if elapsed else 0
    print(f"seal_events={sealed} seconds={elapsed:.2f} events_per_s={rate:,.0f}")
    return sealed


def fill(events: int) -> None:
    """`events` rows as record() writes them (content and digest, no chain), by COPY."""
    from django.db import connection

    from portal.audit.hashing import canonical_content, content_digest

    started = time.perf_counter()
    first = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    columns = (
        "occurred_at, actor_type, actor_id, actor_label, action, subject_type, "
        "subject_id, debtor_id, content_digest, details"
    )
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent RESTART IDENTITY")
        copy_sql = f"COPY audit_auditevent ({columns}) FROM STDIN"
        with cursor.cursor.copy(copy_sql) as copy:
            for n in range(events):
                content = {
                    "occurred_at": first + dt.timedelta(milliseconds=n),
                    "actor_type": "system",
                    "actor_id": "",
                    "actor_label": "system",
                    "action": ("message.decided", "payment.posted", "consent.granted")[n % 3],
                    "subject_type": "outreach.message",
                    "subject_id": str(n),
                    "details": {"decision": "send", "channel": "sms", "n": n},
                    "debtor_id": 1 + n % 100_000,
                }
                digest = content_digest(canonical_content(**content))
                details = json.dumps(content.pop("details"))
                copy.write_row((*content.values(), digest, details))
        cursor.execute("ANALYZE audit_auditevent")
    print(f"fill_events={events} seconds={time.perf_counter() - started:.2f}")


def verify(events: int) -> bool:
    from portal.audit.selectors import verify_chain

    started = time.perf_counter()
    report = verify_chain()
    elapsed = time.perf_counter() - started
    print(
        f"verify_events={report.checked} seconds={elapsed:.2f} "
        f"events_per_s={report.checked / elapsed:,.0f} unsealed={report.unsealed}"
    )
    if not report.ok:
        print(f"chain broken at id={report.broken_id}: {report.reason}", file=sys.stderr)
    return report.ok and report.checked == events and report.unsealed == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--verify-events", type=int, default=1_000_000)
    options = parser.parse_args()

    with throwaway_database("bench_audit"):
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        write_concurrently(options.writers, options.seconds)
        seal_all()
        fill(options.verify_events)
        seal_all()
        ok = verify(options.verify_events)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
