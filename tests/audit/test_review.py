"""Compliance review of the audit log: filters, search, streamed exports, verification."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from portal.audit.models import ActorType, AuditEvent
from portal.audit.selectors import verify_chain
from portal.audit.services import audit_chain_seal, record
from portal.outreach.services import consent_set
from tests.factories import DebtFactory, DebtorFactory, StaffFactory
from tests.helpers.audit import sealed

from .test_chain import _tamper

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:audit_auditevent_changelist"


def staff_with(client, *codenames: str):
    user = StaffFactory(username="cumplimiento-marta")
    for codename in ("view_auditevent", *codenames):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(user)
    return user


def rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode()
    return list(csv.reader(io.StringIO(body)))


def test_events_name_the_debtor_they_are_about():
    debtor = DebtorFactory()
    debt = DebtFactory(debtor=debtor)

    by_actor = record("test.by_debtor", actor=debtor)
    about_debt = record("test.about_debt", subject=debt)
    about_debtor = record("test.about_debtor", actor=StaffFactory(), subject=debtor)
    explicit = record("test.explicit", debtor=debtor.pk)
    unrelated = record("test.system")

    ids = [e.debtor_id for e in (by_actor, about_debt, about_debtor, explicit, unrelated)]
    assert ids == [debtor.pk] * 4 + [None]
    assert audit_chain_seal() == 5
    assert verify_chain().ok


def test_changing_the_debtor_of_an_event_breaks_the_chain():
    event = record("test.about_debt", subject=DebtFactory())
    record("test.later")
    audit_chain_seal()

    _tamper("UPDATE audit_auditevent SET debtor_id = debtor_id + 1 WHERE id = %s", [event.pk])

    report = verify_chain()
    assert (report.ok, report.broken_id) == (False, event.pk)


def test_filters_by_debtor_period_channel_and_searches_details(client):
    staff_with(client)
    ana, carlos = DebtorFactory(full_name="Ana"), DebtorFactory(full_name="Carlos")
    consent_set(debtor=ana, channel="whatsapp", granted=False, source="portal", actor=ana)
    consent_set(debtor=carlos, channel="sms", granted=False, source="portal", actor=carlos)
    record("ledger.posted", subject=DebtFactory(debtor=ana), details={"note": "pago por PSE"})
    url = reverse(CHANGELIST)

    by_debtor = client.get(url, {"debtor_id": ana.pk}).context["cl"].result_list
    assert {e.debtor_id for e in by_debtor} == {ana.pk} and len(by_debtor) == 2
    by_channel = client.get(url, {"channel": "sms"}).context["cl"].result_list
    assert [e.debtor_id for e in by_channel] == [carlos.pk]
    found = client.get(url, {"q": "PSE"}).context["cl"].result_list
    assert [e.action for e in found] == ["ledger.posted"]
    today = by_debtor[0].occurred_at.date().isoformat()
    assert len(client.get(url, {"from": today, "to": today}).context["cl"].result_list) == 3
    assert not client.get(url, {"to": "2000-01-01"}).context["cl"].result_list
    assert client.get(url, {"from": "not-a-date"}).status_code == 200


def test_export_streams_the_filtered_events_and_is_audited(client):
    officer = staff_with(client, "export_auditevent")
    debtor = DebtorFactory(full_name="=HYPERLINK(evil)")
    record("test.one", actor=debtor, details={"n": 1})
    record("test.other")

    response = client.get(reverse("admin:audit_auditevent_export"), {"debtor_id": debtor.pk})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Type"] == "text/csv"
    header, *lines = rows(response)
    assert header[:6] == ["id", "occurred_at", "actor_type", "actor_id", "actor_label", "action"]
    assert [line[5] for line in lines] == ["test.one"]
    assert lines[0][4] == "'=HYPERLINK(evil)"  # a formula in a spreadsheet is defused
    exported = AuditEvent.objects.get(action="audit.exported")
    assert exported.actor_label == officer.username
    assert exported.details["filters"] == {"debtor_id": str(debtor.pk)}


def test_export_memory_does_not_grow_with_rows(client):
    staff_with(client, "export_auditevent")

    def peak_while_exporting(count: int) -> int:
        AuditEvent.objects.bulk_create(
            AuditEvent(
                occurred_at="2026-11-25T10:00:00Z",
                actor_type=ActorType.SYSTEM,
                action="bulk.row",
                details={"n": n, "text": "x" * 100},
            )
            for n in range(count)
        )
        response = client.get(reverse("admin:audit_auditevent_export"), {"action": "bulk.row"})
        tracemalloc.start()
        lines = sum(1 for _ in response.streaming_content)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert lines >= count
        return peak

    small = peak_while_exporting(2_000)
    large = peak_while_exporting(20_000)  # 22,000 rows now match
    assert large < small * 3, (small, large)


def test_consent_evidence_holds_one_debtors_consent_history(client):
    staff_with(client, "export_auditevent")
    ana, carlos = DebtorFactory(), DebtorFactory()
    consent_set(debtor=ana, channel="email", granted=False, source="portal", actor=ana)
    consent_set(debtor=ana, channel="email", granted=True, source="staff", actor=None)
    consent_set(debtor=carlos, channel="sms", granted=False, source="portal", actor=carlos)
    record("ledger.posted", subject=DebtFactory(debtor=ana))

    url = reverse("admin:audit_auditevent_consent_evidence", args=[ana.pk])
    _, *lines = rows(client.get(url))

    assert [line[5] for line in lines] == ["consent.revoked", "consent.granted"]
    assert AuditEvent.objects.filter(
        action="audit.consent_evidence_exported", debtor_id=ana.pk
    ).exists()


def test_consent_evidence_defuses_formulas_and_keeps_numbers_numbers(client):
    staff_with(client, "export_auditevent")
    ana = DebtorFactory(full_name="@SUM(A1:A9)")
    consent_set(debtor=ana, channel="email", granted=False, source="portal", actor=ana)

    url = reverse("admin:audit_auditevent_consent_evidence", args=[ana.pk])
    _, line = rows(client.get(url))

    assert line[4] == "'@SUM(A1:A9)"
    assert line[0].isdigit() and line[8] == str(ana.pk)  # ids we write stay numbers


def test_exports_need_their_permission(client):
    staff_with(client)
    debtor = DebtorFactory()
    assert client.get(reverse("admin:audit_auditevent_export")).status_code == 403
    url = reverse("admin:audit_auditevent_consent_evidence", args=[debtor.pk])
    assert client.get(url).status_code == 403
    assert client.post(reverse("admin:audit_auditevent_verify")).status_code == 403
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "Export CSV" not in page and "Verify chain" not in page


def test_verification_runs_on_demand_and_reports(client, django_capture_on_commit_callbacks):
    staff_with(client, "verify_auditevent")
    record("test.one")
    url = reverse("admin:audit_auditevent_verify")

    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    page = client.get(url).content.decode()

    assert "The chain holds: 1 events checked" in page  # sealed first, then verified
    assert "Todos los eventos estaban sellados" in page
    assert AuditEvent.objects.get(action="test.one").sealed
    assert AuditEvent.objects.filter(action="audit.chain_verified").exists()


def test_export_marks_unsealed_events_and_gives_sealed_ones_their_links(client):
    staff_with(client, "export_auditevent")
    (first,) = sealed(record("test.sealed"))
    record("test.waiting")

    header, *lines = rows(client.get(reverse("admin:audit_auditevent_export")))

    chain = [header.index(name) for name in ("chain_position", "prev_hash", "hash")]
    by_action = {line[5]: [line[i] for i in chain] for line in lines}
    assert by_action["test.sealed"] == ["1", first.prev_hash, first.hash]
    assert by_action["test.waiting"] == ["", "", "aún sin sellar"]
