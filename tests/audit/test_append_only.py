from __future__ import annotations

import threading
from functools import partial

import pytest
from django.db import DatabaseError, connection, transaction

from portal.audit.models import AuditEvent
from portal.audit.selectors import verify_chain
from portal.audit.services import audit_chain_seal, record
from tests.helpers.audit import sealed
from tests.helpers.concurrency import errors_of, run_together

pytestmark = pytest.mark.postgres


@pytest.fixture
def event(db, on_postgres) -> AuditEvent:
    return record("test.kept", details={"n": 1})


def _refused(action) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        action()


def _raw(sql: str, params: list) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


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
    _refused(lambda: _raw("UPDATE audit_auditevent SET details = '{}' WHERE id = %s", [event.pk]))
    _refused(lambda: _raw("DELETE FROM audit_auditevent WHERE id = %s", [event.pk]))
    assert verify_chain().ok


def test_the_sealing_move_is_the_one_update_let_through(event):
    seal = "UPDATE audit_auditevent SET chain_position = 1, prev_hash = %s, hash = %s"
    # Sealing and changing content in the same statement is refused...
    _refused(lambda: _raw(seal + ", action = 'x' WHERE id = %s", ["0" * 64, "f" * 64, event.pk]))
    # ...as is filling only part of the chain columns.
    _refused(lambda: _raw("UPDATE audit_auditevent SET hash = %s WHERE id = %s", ["f", event.pk]))
    (stored,) = sealed(event)
    assert stored.chain_position == 1 and verify_chain().checked == 1


def test_a_sealed_row_never_changes_again(event):
    (stored,) = sealed(event)
    for change in (
        "hash = md5('x') || md5('y')",
        "prev_hash = hash",
        "chain_position = 2",
        "chain_position = NULL, prev_hash = NULL, hash = NULL",
        "details = '{}'",
    ):
        _refused(lambda change=change: _raw(f"UPDATE audit_auditevent SET {change}", []))
    _refused(lambda: _raw("DELETE FROM audit_auditevent WHERE id = %s", [stored.pk]))
    assert AuditEvent.objects.get(pk=stored.pk).hash == stored.hash


@pytest.mark.django_db(transaction=True)
def test_sixteen_concurrent_writers_and_a_sealer_keep_one_chain_each_row_once(on_postgres):
    threads, per_thread = 16, 15
    finished = []  # list.append is atomic: one entry per writer done

    def write(n: int) -> None:
        for i in range(per_thread):
            record("test.concurrent", details={"thread": n, "i": i})
        finished.append(n)

    def seal_meanwhile() -> int:
        total = 0
        while len(finished) < threads:
            total += audit_chain_seal(batch_size=7)
        return total

    writers = [partial(write, n) for n in range(threads)]
    *_, sealer = outcomes = run_together(*writers, seal_meanwhile)
    assert errors_of(outcomes) == []
    assert sealer.value + audit_chain_seal() == threads * per_thread

    report = verify_chain()
    assert report.ok, report.reason
    assert (report.checked, report.unsealed) == (threads * per_thread, 0)
    positions = list(AuditEvent.objects.values_list("chain_position", flat=True))
    assert sorted(positions) == list(range(1, threads * per_thread + 1))
    assert AuditEvent.objects.values("prev_hash").distinct().count() == threads * per_thread


@pytest.mark.django_db(transaction=True)
def test_a_late_commit_is_sealed_in_the_next_batch_and_the_chain_verifies(on_postgres):
    recorded, sealed_once = threading.Event(), threading.Event()

    def slow_writer() -> int:
        with transaction.atomic():
            event = record("test.late")
            recorded.set()
            assert sealed_once.wait(timeout=30)
        return event.pk

    def quick_writer_then_seal() -> tuple[int, int]:
        assert recorded.wait(timeout=30)
        event = record("test.early")
        count = audit_chain_seal()
        sealed_once.set()
        return event.pk, count

    late, quick = run_together(slow_writer, quick_writer_then_seal)
    late_id, (early_id, first_count) = late.value, quick.value
    assert late_id < early_id and first_count == 1
    assert audit_chain_seal() == 1

    positions = dict(AuditEvent.objects.values_list("id", "chain_position"))
    assert (positions[early_id], positions[late_id]) == (1, 2)
    report = verify_chain()
    assert (report.ok, report.checked, report.unsealed) == (True, 2, 0), report.reason
