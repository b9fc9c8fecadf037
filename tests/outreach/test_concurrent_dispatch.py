"""Eight workers handed the same messages at once: each message is claimed and sent once."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from portal.outreach.models import Message
from portal.outreach.outbox.dispatch import messages_dispatch
from tests.helpers.concurrency import errors_of, run_together
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
    with time_machine.travel(TUESDAY_10, tick=False):
        outcomes = run_together(*[lambda: messages_dispatch(ids, now=TUESDAY_10)] * WORKERS)
    assert errors_of(outcomes) == []
    results = [outcome.value for outcome in outcomes]
    assert len(results) == WORKERS
    assert sum(r["claimed"] for r in results) == len(ids)
    assert sum(r["sent"] for r in results) == len(ids)
    rows = Message.objects.filter(pk__in=ids)
    assert set(rows.values_list("status", "attempts")) == {("sent", 1)}
