"""Eight workers handed the same messages at once: each message is claimed and sent once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection

from portal.outreach.models import Message
from portal.outreach.sending import messages_dispatch
from tests.helpers.outreach import make_debtor

WORKERS = 8
TUESDAY_10 = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_workers_racing_for_the_same_rows_send_each_once(portfolio):
    debtors = [make_debtor(portfolio, number=f"8800000{i:02d}", name=f"P {i}") for i in range(30)]
    ids = [
        Message.objects.create(
            key=f"race-{d.pk}",
            debtor=d,
            channel="sms",
            kind="reminder",
            notice="agreement_broken",
            context={"number": "A-1", "creditor": "B"},
            to=d.phones[0],
            not_before=TUESDAY_10,
        ).pk
        for d in debtors
    ]
    start = threading.Barrier(WORKERS)
    results: list[dict] = []
    lock = threading.Lock()

    def work() -> None:
        try:
            start.wait(timeout=30)
            counts = messages_dispatch(ids, now=TUESDAY_10)
            with lock:
                results.append(counts)
        finally:
            connection.close()

    with time_machine.travel(TUESDAY_10, tick=False):
        threads = [threading.Thread(target=work) for _ in range(WORKERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
    assert len(results) == WORKERS
    assert sum(r["claimed"] for r in results) == len(ids)
    assert sum(r["sent"] for r in results) == len(ids)
    rows = Message.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "attempts")) == {("sent", 1)}
