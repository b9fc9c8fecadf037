"""Agreement list and detail: schedule, the PDF box that polls until the file exists."""

from __future__ import annotations

from django.urls import reverse

from agreements.models import Agreement
from tests.helpers.access import sign_in


def test_list_shows_the_debtors_agreements(ana, agreement):
    response = ana.get("/mi-cuenta/acuerdos/")

    assert response.status_code == 200
    assert response.context["agreements"] == [agreement]


def test_detail_shows_the_schedule_with_statuses(ana, agreement):
    response = ana.get(reverse("agreements:agreement_detail", args=[agreement.pk]))

    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="status status-pending"') == agreement.installments.count()


def test_detail_links_the_pdf_once_it_exists(ana, agreement):
    Agreement.objects.filter(pk=agreement.pk).update(pdf="agreements/2026/11/a.pdf")

    html = ana.get(reverse("agreements:agreement_detail", args=[agreement.pk])).content.decode()

    assert 'data-testid="pdf-link"' in html
    assert 'hx-trigger="every 3s"' not in html


def test_while_the_pdf_is_prepared_the_box_polls_and_answers_with_the_partial(ana, agreement):
    Agreement.objects.filter(pk=agreement.pk).update(pdf="")
    url = reverse("agreements:agreement_detail", args=[agreement.pk])

    page = ana.get(url).content.decode()
    assert 'data-testid="pdf-pending"' in page and 'hx-trigger="every 3s"' in page

    polled = ana.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert polled.strip().startswith('<div id="agreement-document"')
    assert "<html" not in polled

    boosted = ana.get(url, HTTP_HX_REQUEST="true", HTTP_HX_BOOSTED="true").content.decode()
    assert "<html" in boosted


def test_other_debtor_gets_404_on_the_agreement(client, agreement, other_debtor):
    client.logout()
    sign_in(client, other_debtor)

    response = client.get(reverse("agreements:agreement_detail", args=[agreement.pk]))

    assert response.status_code == 404
    assert client.get("/mi-cuenta/acuerdos/").context["agreements"] == []


def test_detail_queries_are_bounded(ana, agreement, django_assert_max_num_queries):
    with django_assert_max_num_queries(12):
        ana.get(reverse("agreements:agreement_detail", args=[agreement.pk]))
    with django_assert_max_num_queries(12):
        ana.get("/mi-cuenta/acuerdos/")
