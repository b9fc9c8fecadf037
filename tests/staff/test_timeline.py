"""The debtor's 360° timeline on their admin page: complete, filtered, paged, fixed queries."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.access.services import payment_link_create
from portal.audit.models import AuditEvent
from portal.audit.services import record
from portal.outreach.services import consent_set
from portal.staff.timeline import kind_of
from tests.factories import DebtFactory, DebtorFactory, StaffFactory

pytestmark = pytest.mark.django_db


def agent_with(client, *codenames: str):
    agent = StaffFactory(username="agente-lucia")
    for codename in codenames:
        agent.user_permissions.add(Permission.objects.get(codename=codename))
    client.force_login(agent)
    return agent


def timeline_url(debtor) -> str:
    return reverse("admin:audit_auditevent_timeline", args=[debtor.pk])


def shown_actions(response) -> list[str]:
    return [entry.event.action for entry in response.context["page"].entries]


@pytest.fixture
def debtor():
    return DebtorFactory(full_name="Ana María Peña")


def test_every_kind_of_fact_about_the_debtor_is_on_it_newest_first(client, debtor):
    agent_with(client, "view_debtor")
    other = DebtorFactory()
    debt = DebtFactory(debtor=debtor)
    payment_link_create(debtor=debtor)
    record("identity_check.passed", actor=debtor)
    record("quote.shown", actor=debtor, subject=debt)
    record("payment.posted", subject=debt, details={"amount_minor": 150000, "currency": "COP"})
    consent_set(debtor=debtor, channel="sms", granted=False, source="portal", actor=debtor)
    record("message.sent", debtor=debtor, details={"channel": "whatsapp", "status": "sent"})
    record("identity_check.passed", actor=other)

    response = client.get(timeline_url(debtor))

    assert response.status_code == 200
    assert shown_actions(response) == [
        "message.sent",
        "consent.revoked",
        "payment.posted",
        "quote.shown",
        "identity_check.passed",
        "payment_link.created",
    ]
    page = response.content.decode()
    assert "$ 1.500,00" in page or "1.500" in page  # the amount, formatted
    assert "<b>Canal:</b> whatsapp" in page  # labels in the staff's Spanish


def test_schedules_changes_and_evidence_read_as_words_never_json(client, debtor):
    agent_with(client, "view_debtor")
    record(
        "agreement.created",
        debtor=debtor,
        details={
            "currency": "COP",
            "total_minor": 900_000_00,
            "schedule": [
                {"number": 1, "due_date": "2026-12-15", "amount_minor": 450_000_00},
                {"number": 2, "due_date": "2027-01-15", "amount_minor": 450_000_00},
            ],
            "evidence": {"ip": "190.1.2.3", "accepted_at": "2026-11-24T10:00:00-05:00"},
            "changed": {"installments": [6, 2]},
            "accepted_esign": True,
        },
    )

    page = client.get(timeline_url(debtor)).content.decode()

    assert "<b>Total:</b> $900.000" in page
    assert "<li>Número: 1 · Fecha de pago: 15/12/2026 · Valor: $450.000</li>" in page
    assert "Dirección IP: 190.1.2.3" in page
    assert "Cuotas: 6 → 2" in page
    assert "Firma electrónica aceptada:</b> Sí" in page
    for raw in ("{&#x27;", "[{", "_minor", "2026-12-15", "True"):
        assert raw not in page.split('id="timeline-body"')[1]


def test_kinds_filter_the_list(client, debtor):
    agent_with(client, "view_debtor")
    record("payment.posted", debtor=debtor)
    record("consent.granted", debtor=debtor)
    record("something.else", debtor=debtor)

    assert shown_actions(client.get(timeline_url(debtor), {"kind": "payment"})) == [
        "payment.posted"
    ]
    assert shown_actions(client.get(timeline_url(debtor), {"kind": "other"})) == ["something.else"]
    assert kind_of("proposal.countered") == "proposal"


def test_older_events_load_a_page_at_a_time_with_a_fixed_number_of_queries(client, debtor):
    agent_with(client, "view_debtor")

    def queries_for_first_page() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(timeline_url(debtor)).status_code == 200
        return len(queries)

    for n in range(3):
        record("message.sent", debtor=debtor, details={"n": n})
    few = queries_for_first_page()
    for n in range(120):
        record("message.sent", debtor=debtor, details={"n": n})
    assert queries_for_first_page() == few

    first = client.get(timeline_url(debtor)).context["page"]
    assert len(first.entries) == 50 and first.next_before is not None
    older = client.get(
        timeline_url(debtor), {"before": first.next_before}, HTTP_HX_REQUEST="true"
    ).content.decode()
    assert older.count('data-testid="timeline-row"') == 50
    assert "<html" not in older  # only the rows, for htmx to append
    newest_shown = reverse("admin:audit_auditevent_change", args=[first.entries[0].event.pk])
    oldest_shown = reverse("admin:audit_auditevent_change", args=[first.entries[-1].event.pk])
    assert newest_shown not in older and oldest_shown not in older
    assert "Cargar anteriores" in older  # 123 events: a third page remains


def test_agents_add_notes_that_are_audited_and_escaped(client, debtor):
    agent = agent_with(client, "view_debtor", "add_staff_note")

    response = client.post(
        timeline_url(debtor), {"text": "Llamó, <b>pagará</b> el viernes"}, HTTP_HX_REQUEST="true"
    )

    assert response.status_code == 200
    note = AuditEvent.objects.get(action="staff.note")
    assert (note.debtor_id, note.actor_label) == (debtor.pk, agent.username)
    assert "&lt;b&gt;pagará&lt;/b&gt;" in response.content.decode()
    empty = client.post(timeline_url(debtor), {"text": "   "})
    assert empty.status_code == 400
    assert AuditEvent.objects.filter(action="staff.note").count() == 1


def test_permissions(client, debtor):
    agent_with(client)
    assert client.get(timeline_url(debtor)).status_code == 403
    client.logout()
    agent_with(client, "view_debtor")
    assert client.post(timeline_url(debtor), {"text": "hola"}).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_timeline", args=[999999])).status_code == 404


def test_the_debtors_admin_page_loads_the_timeline(admin_client, debtor):
    page = admin_client.get(reverse("admin:debtors_debtor_change", args=[debtor.pk]))
    assert timeline_url(debtor) in page.content.decode()
