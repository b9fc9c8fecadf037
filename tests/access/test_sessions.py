import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from portal.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_session_survives_activity_within_idle_limit(debtor_client):
    start = timezone.now()
    for minutes in (10, 20, 30, 40):
        with time_machine.travel(start + dt.timedelta(minutes=minutes)):
            assert debtor_client.get("/mi-cuenta/").status_code == 200


def test_idle_session_ends_after_fifteen_minutes(debtor_client):
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=16)):
        response = debtor_client.get("/mi-cuenta/")
    assert response.status_code == 302 and response.url == "/sesion-expirada/"
    assert debtor_client.get("/mi-cuenta/").status_code == 302
    assert AuditEvent.objects.filter(
        action="debtor.logout", details__reason="idle_timeout"
    ).exists()


def test_active_session_ends_after_two_hours(debtor_client):
    start = timezone.now()
    for minutes in range(10, 120, 10):
        with time_machine.travel(start + dt.timedelta(minutes=minutes)):
            assert debtor_client.get("/mi-cuenta/").status_code == 200
    with time_machine.travel(start + dt.timedelta(minutes=121)):
        response = debtor_client.get("/mi-cuenta/")
    assert response.status_code == 302 and response.url == "/sesion-expirada/"
    assert AuditEvent.objects.filter(details__reason="absolute_timeout").exists()


def test_stored_session_never_outlives_the_absolute_limit(debtor_client):
    assert debtor_client.session.get_expiry_age() <= 2 * 60 * 60


def test_session_ended_page_explains_why(client, db):
    response = client.get("/sesion-expirada/")
    assert response.status_code == 200
    assert "15" in response.content.decode()
