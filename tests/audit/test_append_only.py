from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from portal.audit.models import AuditEvent
from portal.audit.selectors import verify_chain
from portal.audit.services import record
from tests.helpers.concurrency import errors_of, run_times

pytestmark = pytest.mark.postgres


@pytest.fixture
def event(db, on_postgres) -> AuditEvent:
    return record("test.kept", details={"n": 1})


def _refused(action) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        action()


def test_orm_update_is_refused(event):
    _refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(action="test.changed"))
    event.action = "test.changed"
    _refused(event.save)
    assert AuditEvent.objects.get(pk=event.pk).action == "test.kept"


def test_orm_delete_is_refused(event):
    _refused(event.delete)
    _refused(AuditEvent.objects.all().delete)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_update_and_delete_are_refused(event):
    def raw(sql: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [event.pk])

    _refused(lambda: raw("UPDATE audit_auditevent SET details = '{}' WHERE id = %s"))
    _refused(lambda: raw("DELETE FROM audit_auditevent WHERE id = %s"))
    assert verify_chain().ok


@pytest.mark.django_db(transaction=True)
def test_concurrent_records_from_many_threads_keep_one_intact_chain(on_postgres):
    threads, per_thread = 8, 15

    def write(n: int) -> None:
        for i in range(per_thread):
            record("test.concurrent", details={"thread": n, "i": i})

    errors = errors_of(run_times(write, threads))
    assert errors == []
    report = verify_chain()
    assert report.ok, report.reason
    assert report.checked == threads * per_thread
    assert AuditEvent.objects.values("prev_hash").distinct().count() == threads * per_thread
