from __future__ import annotations

import hashlib

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from agreements.documents import agreement_pdf_render
from tests.agreements.test_pdf import make_agreement
from tests.factories import (
    StaffFactory,
)
from tests.helpers.access import sign_in


@pytest.fixture
def agreement(debtor):
    agreement = make_agreement(debtor=debtor, debts=list(debtor.debts.all()), installments=3)
    agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    return agreement


@pytest.fixture
def debtor_url(agreement):
    return reverse("agreement_files:debtor_pdf", args=[agreement.pk])


@pytest.fixture
def staff_url(agreement):
    return reverse("agreement_files:staff_pdf", args=[agreement.pk])


@pytest.fixture
def clerk(db):
    """Staff with no permission at all."""
    return StaffFactory(username="agent")


@pytest.fixture
def agreement_reader(db):
    """Staff who may view agreements and nothing else."""
    user = StaffFactory(username="supervisor")
    user.user_permissions.add(Permission.objects.get(codename="view_agreement"))
    return user


def assert_is_the_pdf(response, agreement):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{agreement.number}.pdf"'
    assert response["Cache-Control"] == "private, no-store"
    body = b"".join(response.streaming_content)
    assert hashlib.sha256(body).hexdigest() == agreement.pdf_sha256


def test_debtor_downloads_their_agreement(client, debtor, agreement, debtor_url):
    sign_in(client, debtor)
    assert_is_the_pdf(client.get(debtor_url), agreement)


def test_other_debtor_gets_404(client, other_debtor, debtor_url):
    sign_in(client, other_debtor)
    response = client.get(debtor_url)
    assert response.status_code == 404
    assert response.get("Content-Type", "").startswith("text/html")


def test_anonymous_is_sent_to_the_signed_out_page(client, debtor_url):
    response = client.get(debtor_url)
    assert response.status_code == 302
    assert response["Location"] == reverse("access:signed_out")


def test_staff_user_has_no_debtor_session(client, agreement_reader, debtor_url):
    client.force_login(agreement_reader)
    assert client.get(debtor_url).status_code == 302


def test_debtor_sees_a_friendly_404_until_the_pdf_is_rendered(client, debtor):
    agreement = make_agreement(debtor=debtor, debts=list(debtor.debts.all()), installments=2)
    sign_in(client, debtor)
    response = client.get(reverse("agreement_files:debtor_pdf", args=[agreement.pk]))
    assert response.status_code == 404
    assert b"being prepared" in response.content or b"preparando" in response.content
    assert response["Cache-Control"] == "private, no-store"


def test_debtor_cannot_reach_the_staff_url(client, debtor, staff_url):
    sign_in(client, debtor)
    response = client.get(staff_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_supervisor_with_permission_downloads(client, agreement_reader, agreement, staff_url):
    client.force_login(agreement_reader)
    assert_is_the_pdf(client.get(staff_url), agreement)


def test_agent_without_permission_gets_403(client, clerk, staff_url):
    client.force_login(clerk)
    assert client.get(staff_url).status_code == 403


def test_anonymous_staff_url_goes_to_admin_login(client, staff_url):
    response = client.get(staff_url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_unknown_agreement_is_404_for_staff(client, agreement_reader, agreement):
    client.force_login(agreement_reader)
    url = reverse("agreement_files:staff_pdf", args=[agreement.pk + 1000])
    assert client.get(url).status_code == 404


def test_agreement_admin_page_links_the_signed_pdf(admin_client, debtor):
    agreement = make_agreement(debtor=debtor, debts=list(debtor.debts.all()), installments=2)
    agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    page = admin_client.get(f"/admin/agreements/agreement/{agreement.pk}/change/")
    body = page.content.decode()
    assert page.status_code == 200
    assert f"/staff/acuerdos/{agreement.pk}/pdf/" in body and agreement.pdf_sha256 in body
