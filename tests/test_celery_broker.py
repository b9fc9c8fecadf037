"""A real Celery worker, a real Redis broker: the task crosses the wire and back."""

import datetime as dt
import os

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
    # The app keeps no results; this test reads one back to see the task ran on the worker.
    app.conf.update(broker_url=REDIS_URL, result_backend=REDIS_URL, task_always_eager=False)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", shutdown_timeout=10):
            changed = refresh_days_past_due.apply_async(ignore_result=False).get(timeout=30)
    finally:
        app.conf.update(task_always_eager=True)
    assert changed == 1
    debt.refresh_from_db()
    assert debt.days_past_due > 9000
    assert Debt.objects.get(pk=debt.pk).days_past_due == debt.days_past_due
