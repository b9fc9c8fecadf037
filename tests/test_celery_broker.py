"""A real Celery worker, a real Redis broker: the task crosses the wire and runs there."""

import datetime as dt
import os
import time

import pytest

from portal.celery import app
from portal.debtors.models import Debt
from portal.debtors.tasks import refresh_days_past_due
from tests.factories import DebtFactory

REDIS_URL = os.environ.get("REDIS_URL")


@pytest.mark.skipif(not REDIS_URL, reason="needs Redis: set REDIS_URL=redis://... to run")
@pytest.mark.django_db(transaction=True)
def test_task_runs_on_a_worker_through_redis(settings):
    from celery.contrib.testing.worker import start_worker

    debt = DebtFactory(original_due_date=dt.date(2000, 1, 1), days_past_due=0)
    # The app keeps no task results: the worker's write to the database is the proof.
    app.conf.update(broker_url=REDIS_URL, task_always_eager=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            refresh_days_past_due.delay()
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline and not _refreshed(debt):
                time.sleep(0.1)
    finally:
        app.conf.update(task_always_eager=True)
    debt.refresh_from_db()
    assert debt.days_past_due > 9000


def _refreshed(debt) -> bool:
    return Debt.objects.filter(pk=debt.pk, days_past_due__gt=9000).exists()
