"""The debtor's messages page: only their own sent messages, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.outreach.models import Message
from tests.helpers.access import sign_in

URL = reverse("selfservice:communications")
AT = dt.datetime(2026, 11, 24, 15, 0, tzinfo=dt.UTC)


def sent(debtor, n: int, **fields) -> None:
    for i in range(n):
        Message.objects.create(
            key=f"{debtor.pk}-{fields.get('status', 'sent')}-{i}-{Message.objects.count()}",
            debtor=debtor,
            channel="sms",
            kind="campaign",
            to=debtor.phones[0],
            body=f"Hola {debtor.full_name}, mensaje {i}: [link]",
            status=fields.get("status", "sent"),
            sent_at=AT + dt.timedelta(minutes=i),
        )


def test_the_page_lists_the_debtors_sent_messages_only(
    client, debtor, ana_consents, other_debtor, carlos_consents
):
    sent(debtor, 2)
    sent(debtor, 1, status="blocked")
    sent(debtor, 1, status="deferred")
    sent(other_debtor, 1)
    sign_in(client, debtor)
    html = client.get(URL).content.decode()
    assert html.count("Ana María Peña, mensaje") == 2
    assert "Carlos Ruiz" not in html


def test_other_debtor_sees_none_of_debtors_messages(
    client, debtor, ana_consents, other_debtor, carlos_consents
):
    sent(debtor, 3)
    sign_in(client, other_debtor)
    html = client.get(URL).content.decode()
    assert "Ana María" not in html
    assert 'class="empty"' in html


@pytest.mark.parametrize("count", [1, 40])
def test_the_page_runs_a_fixed_number_of_queries(client, debtor, ana_consents, count):
    sent(debtor, count)
    sign_in(client, debtor)
    client.get(URL)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL)
    assert response.status_code == 200
    assert len(queries) <= 6, [q["sql"] for q in queries]
