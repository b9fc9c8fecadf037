"""The agreement page's "Automatic payments" box is payments' fragment: the page loads it by
URL name with htmx (a plain link to the autopay page without JavaScript), it answers only the
agreement's own debtor, in two queries of its own."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.helpers.access import sign_in

pytestmark = pytest.mark.django_db


def box_url(agreement) -> str:
    return reverse("payments:autopay_box", args=[agreement.pk])


def test_the_agreement_page_loads_the_box_with_a_plain_link_beside(ana, agreement):
    page = ana.get(reverse("agreements:agreement_detail", args=[agreement.pk])).content.decode()

    assert f'hx-get="{box_url(agreement)}" hx-trigger="load"' in page
    fallback = reverse("payments:autopay", args=[agreement.pk])
    assert f'href="{fallback}" data-testid="autopay-fallback"' in page


def test_the_box_offers_to_set_autopay_up(ana, agreement):
    box = ana.get(box_url(agreement), HTTP_HX_REQUEST="true")

    assert box.status_code == 200
    html = box.content.decode()
    assert 'data-testid="autopay-link"' in html and "<html" not in html
    assert reverse("payments:autopay", args=[agreement.pk]) in html


def test_another_debtor_gets_404(client, agreement, other_debtor):
    sign_in(client, other_debtor)

    assert client.get(box_url(agreement), HTTP_HX_REQUEST="true").status_code == 404


def test_the_box_costs_two_queries_besides_the_sign_in(ana, agreement):
    """The agreement (without its schedule) and its live autopay. Reading the session and the
    user is the sign-in's, cached or not depending on the cache (Redis or not)."""
    with CaptureQueriesContext(connection) as queries:
        assert ana.get(box_url(agreement), HTTP_HX_REQUEST="true").status_code == 200

    tables = [re.search(r'FROM "(\w+)"', q["sql"]).group(1) for q in queries]
    assert [t for t in tables if t not in ("django_session", "auth_user")] == [
        "agreements_agreement",
        "payments_autopay",
    ]
