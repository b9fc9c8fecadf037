from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection

from portal.audit.hashing import GENESIS_HASH, event_hash
from portal.audit.models import ActorType, AuditEvent
from portal.audit.selectors import verify_chain
from portal.audit.services import record
from tests.factories import DebtFactory, DebtorFactory, StaffFactory

pytestmark = pytest.mark.django_db

_TRIGGER = "audit_event_no_update_delete"


def _three_events() -> list[AuditEvent]:
    debt = DebtFactory()
    return [
        record("test.first", subject=debt, details={"n": 1}),
        record("test.second", actor=StaffFactory(), subject=("debt", debt.pk)),
        record("test.third", actor=DebtorFactory(), details={"text": "ñandú", "n": [1, 2]}),
    ]


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
    record("test.float", details={"value": value, "nested": [value]})
    report = verify_chain()
    assert report.ok, report.reason


def test_verify_passes_on_an_empty_table():
    assert verify_chain().ok
    assert _run_verify() == (0, "audit chain ok: 0 events\n", "")


def test_verify_passes_on_a_good_chain_in_small_chunks():
    _three_events()
    report = verify_chain(chunk_size=1)
    assert report.ok and report.checked == 3
    assert _run_verify("--chunk-size", "2")[:2] == (0, "audit chain ok: 3 events\n")


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
