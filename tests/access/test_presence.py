"""Whether a debtor is on the portal right then, as outreach reads it: their live session
(signed in through the door, used in the last 15 minutes, for at most 2 hours, not signed
out), kept on a row refreshed at most once a minute."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from portal.access.models import PortalPresence
from portal.access.selectors import debtors_on_portal
from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db

START = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def on_portal(debtor) -> bool:
    return debtor.pk in debtors_on_portal([debtor.pk], now=timezone.now())


def presence_queries(client, path="/mi-cuenta/") -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(path).status_code == 200
    return sum("access_portalpresence" in q["sql"] for q in queries.captured_queries)


def test_signing_in_puts_the_debtor_on_the_portal_and_no_one_else(
    clock, client, debtor, other_debtor
):
    assert not on_portal(debtor)

    sign_in(client, debtor)

    assert on_portal(debtor) and not on_portal(other_debtor)


def test_requests_within_the_minute_write_nothing_and_the_next_minute_writes_once(
    clock, client, debtor
):
    sign_in(client, debtor)

    assert presence_queries(client) == 0
    clock.move_to(START + dt.timedelta(seconds=59))
    assert presence_queries(client) == 0
    clock.move_to(START + dt.timedelta(seconds=61))
    assert presence_queries(client) == 1
    assert presence_queries(client) == 0
    assert PortalPresence.objects.get().seen_at == START + dt.timedelta(seconds=61)


def test_activity_keeps_the_debtor_on_the_portal_and_idleness_ends_it(clock, client, debtor):
    sign_in(client, debtor)
    clock.move_to(START + dt.timedelta(minutes=10))
    client.get("/mi-cuenta/")

    clock.move_to(START + dt.timedelta(minutes=24))
    assert on_portal(debtor)
    clock.move_to(START + dt.timedelta(minutes=25, seconds=1))
    assert not on_portal(debtor)


def test_the_absolute_limit_ends_it_however_busy_the_debtor_is(clock, client, debtor):
    sign_in(client, debtor)
    for minutes in range(10, 120, 10):
        clock.move_to(START + dt.timedelta(minutes=minutes))
        client.get("/mi-cuenta/")

    assert on_portal(debtor)
    clock.move_to(START + dt.timedelta(minutes=120, seconds=1))
    assert not on_portal(debtor)


def test_signing_out_ends_it_and_signing_in_again_starts_it(clock, client, debtor):
    sign_in(client, debtor)
    client.post("/salir/")
    assert not on_portal(debtor)

    sign_in(client, debtor)
    assert on_portal(debtor)


def test_a_timed_out_session_is_not_on_the_portal(clock, client, debtor):
    sign_in(client, debtor)
    clock.move_to(START + dt.timedelta(minutes=16))
    client.get("/mi-cuenta/")  # the middleware ends the session and says why

    clock.move_to(START + dt.timedelta(minutes=16, seconds=1))
    assert not on_portal(debtor)
    assert PortalPresence.objects.get().signed_out_at is not None
