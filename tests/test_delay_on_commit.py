"""Tasks queued after commit: a broker error is logged, never raised into the request."""

import logging

import pytest
from django.db import transaction

from portal.celery import delay_on_commit


class BrokerDown(Exception):
    pass


class FakeTask:
    name = "payments.tasks.send_payment_receipt"

    def __init__(self, fail: bool):
        self.fail, self.calls = fail, []

    def delay(self, *args):
        if self.fail:
            raise BrokerDown("connection refused")
        self.calls.append(args)


@pytest.mark.django_db(transaction=True)
def test_the_task_is_queued_only_after_commit():
    task = FakeTask(fail=False)
    with transaction.atomic():
        delay_on_commit(task, 41, "x")
        assert task.calls == []
    assert task.calls == [(41, "x")]


@pytest.mark.django_db(transaction=True)
def test_a_broker_error_after_commit_is_logged_not_raised(caplog):
    task = FakeTask(fail=True)
    with caplog.at_level(logging.ERROR, logger="django.db.backends.base"), transaction.atomic():
        delay_on_commit(task, 7)
    assert "payments.tasks.send_payment_receipt.delay" in caplog.text
    assert "connection refused" in caplog.text
