"""The agreement page's "Automatic payments" box is payments' fragment: the page loads it by
URL name with htmx (a plain link to the autopay page without JavaScript), it answers only the
agreement's own debtor, in a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.access.conftest import sign_in

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


def test_the_box_costs_a_fixed_number_of_queries(ana, agreement, django_assert_num_queries):
    with django_assert_num_queries(4):
        ana.get(box_url(agreement), HTTP_HX_REQUEST="true")
