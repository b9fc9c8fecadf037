from __future__ import annotations

import pytest
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.audit.services import record
from tests.factories import DebtFactory
from tests.helpers.audit import sealed

pytestmark = pytest.mark.django_db


@pytest.fixture
def event() -> AuditEvent:
    return record("ledger.posted", subject=DebtFactory(), details={"amount_minor": 1500})


def test_changelist_lists_and_searches_events(admin_client, event):
    record("other.action")
    url = reverse("admin:audit_auditevent_changelist")
    response = admin_client.get(url, {"q": event.subject_id})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [event]
    response = admin_client.get(url, {"action__exact": "other.action"})
    assert [e.action for e in response.context["cl"].result_list] == ["other.action"]


def test_detail_page_shows_details_pretty_printed(admin_client, event):
    response = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))
    assert response.status_code == 200
    assert "&quot;amount_minor&quot;: 1500" in response.content.decode()


def test_nobody_can_add_change_or_delete(admin_client, event):
    assert admin_client.get(reverse("admin:audit_auditevent_add")).status_code == 403
    change = reverse("admin:audit_auditevent_change", args=[event.pk])
    response = admin_client.post(change, {"action": "forged"})
    assert response.status_code == 403
    delete = reverse("admin:audit_auditevent_delete", args=[event.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    changelist = reverse("admin:audit_auditevent_changelist")
    response = admin_client.post(
        changelist, {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert AuditEvent.objects.get(pk=event.pk).action == "ledger.posted"


def test_changelist_lists_newest_first(admin_client, event):
    newer = record("later.action")
    response = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    assert list(response.context["cl"].result_list) == [newer, event]


def test_detail_page_says_an_unsealed_event_is_unsealed_then_shows_its_hash(admin_client, event):
    url = reverse("admin:audit_auditevent_change", args=[event.pk])
    assert admin_client.get(url).content.decode().count("aún sin sellar") == 3
    (stored,) = sealed(event)
    page = admin_client.get(url).content.decode()
    assert "aún sin sellar" not in page and stored.hash in page
