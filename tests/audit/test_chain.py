from __future__ import annotations

import datetime as dt
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from portal.audit.hashing import GENESIS_HASH, event_hash
from portal.audit.models import ActorType, AuditEvent
from portal.audit.selectors import verify_chain
from portal.audit.services import audit_chain_seal, record
from portal.audit.tasks import seal_audit_chain
from tests.factories import DebtFactory, DebtorFactory, StaffFactory
from tests.helpers.audit import sealed

pytestmark = pytest.mark.django_db

_TRIGGER = "audit_event_no_update_delete"


def _three_events() -> list[AuditEvent]:
    debt = DebtFactory()
    return sealed(
        record("test.first", subject=debt, details={"n": 1}),
        record("test.second", actor=StaffFactory(), subject=("debt", debt.pk)),
        record("test.third", actor=DebtorFactory(), details={"text": "ñandú", "n": [1, 2]}),
    )


def _tamper(sql: str, params: list) -> None:
    """Run raw SQL past the append-only trigger, as someone with table ownership could."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_auditevent DISABLE TRIGGER {_TRIGGER}")
        cursor.execute(sql, params)
        if connection.vendor == "postgresql":
            cursor.execute(f"ALTER TABLE audit_auditevent ENABLE TRIGGER {_TRIGGER}")


def _run_verify(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("verify_audit_log", *args, stdout=out, stderr=err)
    except SystemExit as exit_:
        return int(exit_.code), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_first_event_chains_onto_genesis_and_each_next_onto_the_previous():
    first, second, third = _three_events()
    assert first.prev_hash == GENESIS_HASH
    assert second.prev_hash == first.hash
    assert third.prev_hash == second.hash


def test_stored_rows_hash_to_their_stored_hash():
    _three_events()
    for event in AuditEvent.objects.all():
        assert event_hash(event) == event.hash


def test_actor_columns_name_staff_debtor_and_system():
    staff = StaffFactory(username="supervisora")
    debtor = DebtorFactory(full_name="Ana Pérez")
    assert record("x", actor=staff).actor_type == ActorType.STAFF
    by_debtor = record("x", actor=debtor)
    assert (by_debtor.actor_type, by_debtor.actor_label) == (ActorType.DEBTOR, "Ana Pérez")
    assert record("x").actor_type == ActorType.SYSTEM


@pytest.mark.parametrize("value", [1e20, 1.2345678901234567e19, 0.1, 1.0, 1e-7, 2.5])
def test_floats_in_details_verify_after_the_database_round_trip(value):
    (event,) = sealed(record("test.float", details={"value": value, "nested": [value]}))
    report = verify_chain()
    assert report.ok, report.reason
    assert event.chain_position == 1 and report.checked == 1  # its insert digest held


def test_verify_passes_on_an_empty_table():
    assert verify_chain().ok
    assert _run_verify() == (0, "audit chain ok: 0 sealed events; 0 unsealed\n", "")


def test_verify_passes_on_a_good_chain_in_small_chunks():
    _three_events()
    report = verify_chain(chunk_size=1)
    assert report.ok and report.checked == 3
    assert _run_verify("--chunk-size", "2")[:2] == (
        0,
        "audit chain ok: 3 sealed events; 0 unsealed\n",
    )


def test_verify_from_id_checks_only_the_tail():
    _first, second, _third = _three_events()
    assert verify_chain(from_id=second.pk).checked == 2


def test_raw_sql_edit_is_detected_naming_the_row():
    _first, second, _third = _three_events()
    _tamper("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 999}', second.pk])
    report = verify_chain()
    assert (report.broken_id, report.checked) == (second.pk, 1)
    assert "edited" in report.reason
    code, out, err = _run_verify()
    assert code == 1
    assert out == ""
    assert err.startswith(f"audit chain broken at event id={second.pk} (")


def test_raw_sql_delete_of_a_middle_row_is_detected_at_the_next_row():
    first, second, third = _three_events()
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [second.pk])
    report = verify_chain()
    assert report.broken_id == third.pk
    assert f"event id={first.pk}" in report.reason and "removed" in report.reason
    code, _out, err = _run_verify()
    assert code == 1
    assert f"audit chain broken at event id={third.pk} (" in err


def test_rewriting_a_row_with_a_fresh_hash_still_breaks_the_next_link():
    _first, second, third = _three_events()
    forged = AuditEvent.objects.get(pk=second.pk)
    forged.details = {"forged": True}
    _tamper(
        "UPDATE audit_auditevent SET details = %s, hash = %s WHERE id = %s",
        ['{"forged": true}', event_hash(forged), second.pk],
    )
    assert verify_chain().broken_id == third.pk


def test_removing_the_first_row_is_detected():
    first, second, _third = _three_events()
    _tamper("DELETE FROM audit_auditevent WHERE id = %s", [first.pk])
    report = verify_chain()
    assert report.broken_id == second.pk and "genesis" in report.reason


def test_record_appends_content_only_and_the_sealer_links_it():
    event = record("test.first", details={"n": 1})
    assert (event.chain_position, event.prev_hash, event.hash) == (None, None, None)
    assert event.content_digest
    report = verify_chain()
    assert (report.ok, report.checked, report.unsealed) == (True, 0, 1)

    (stored,) = sealed(event)
    assert (stored.chain_position, stored.prev_hash) == (1, GENESIS_HASH)
    assert stored.hash == event_hash(stored)
    assert verify_chain().unsealed == 0


def test_sealing_again_seals_nothing_twice_and_continues_the_chain():
    first, second = _three_events()[:2]
    (fourth,) = sealed(record("test.fourth"))
    assert fourth.chain_position == 4
    again = sealed(first, second)
    assert [(e.chain_position, e.hash) for e in again] == [(1, first.hash), (2, second.hash)]
    assert list(AuditEvent.objects.values_list("chain_position", flat=True)) == [1, 2, 3, 4]
    assert verify_chain().checked == 4


def test_sealing_in_small_batches_gives_the_same_chain():
    events = [record("test.n", details={"n": n}) for n in range(7)]
    assert audit_chain_seal(batch_size=2, limit=5) == 5
    assert audit_chain_seal(batch_size=3) == 2
    stored = sealed(*events)
    assert [e.chain_position for e in stored] == list(range(1, 8))
    assert all(b.prev_hash == a.hash for a, b in zip(stored, stored[1:], strict=False))
    assert verify_chain(chunk_size=3).checked == 7


def test_verify_reports_the_unsealed_tail_and_the_age_of_its_oldest_row():
    _three_events()
    AuditEvent.objects.create(
        occurred_at=timezone.now() - dt.timedelta(seconds=90),
        actor_type=ActorType.SYSTEM,
        action="test.waiting",
    )
    record("test.newer")
    report = verify_chain()
    assert (report.ok, report.checked, report.unsealed) == (True, 3, 2)
    assert report.oldest_unsealed_seconds in (90, 91)
    code, out, _err = _run_verify()
    assert code == 0
    assert re.fullmatch(r"audit chain ok: 3 sealed events; 2 unsealed, oldest 9[01] s old\n", out)
    assert _run_verify("--seal")[1] == "audit chain ok: 5 sealed events; 0 unsealed\n"


def test_a_row_edited_before_sealing_is_named_and_never_sealed():
    first = record("test.first", details={"n": 1})
    edited = record("test.second", details={"n": 2})
    later = record("test.third")
    _tamper("UPDATE audit_auditevent SET details = %s WHERE id = %s", ['{"n": 3}', edited.pk])

    assert audit_chain_seal() == 2
    first, edited, later = sealed(first, edited, later)
    assert (first.chain_position, edited.chain_position, later.chain_position) == (1, None, 2)
    report = verify_chain()
    assert (report.broken_id, report.checked, report.unsealed) == (edited.pk, 2, 1)
    assert "before sealing" in report.reason


def test_verify_from_position_checks_only_the_tail():
    _three_events()
    assert verify_chain(from_position=3).checked == 1
    assert _run_verify("--from-position", "2")[1] == "audit chain ok: 2 sealed events; 0 unsealed\n"


def test_without_a_beat_record_seals_right_after_the_commit(
    settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_SEAL_INLINE = True
    with django_capture_on_commit_callbacks(execute=True):
        event = record("test.inline")
        assert AuditEvent.objects.get(pk=event.pk).chain_position is None  # not committed yet
    assert AuditEvent.objects.get(pk=event.pk).chain_position == 1


def test_the_beat_task_seals_what_was_recorded(settings):
    record("test.first")
    record("test.second")
    assert seal_audit_chain.delay().get() == 2
    assert verify_chain().checked == 2
    assert settings.CELERY_BEAT_SCHEDULE["audit-seal-chain"]["task"] == seal_audit_chain.name
