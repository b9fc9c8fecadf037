"""Private files stay private with DEBUG on and the development URLconf, the setting where
`/media/` used to be served: an agreement PDF, a payment receipt, an uploaded portfolio and
its rejected rows are reached only through the views that check who asks."""

from __future__ import annotations

import hashlib
import importlib
import re
from pathlib import Path

import pytest
from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import clear_url_caches, reverse

import portal.urls
from agreements.documents import agreement_pdf_render
from payments.models import Payment
from portal.debtors.importing.uploads import portfolio_import_queue
from portal.debtors.models import PortfolioImport
from portal.storage import private_name, private_root_apart
from tests.factories import StaffFactory, intent_payload
from tests.helpers.access import sign_in
from tests.helpers.payments import started
from tests.localstripe import make_event

RANDOM = r"-[\w-]{16}"  # 12 random bytes, URL-safe base64


def _build_urls() -> None:
    importlib.reload(portal.urls)
    clear_url_caches()


@pytest.fixture(autouse=True)
def dev_urls(settings):
    """DEBUG on and the URLconf built under it, as `runserver` with the dev settings has it."""
    debug = settings.DEBUG
    settings.DEBUG = True
    _build_urls()
    yield
    settings.DEBUG = debug
    _build_urls()


@pytest.fixture
def signed(agreement):
    agreement_pdf_render(agreement_id=agreement.pk)
    agreement.refresh_from_db()
    return agreement


@pytest.fixture
def payment(agreement, deliver) -> Payment:
    down = agreement.installments.order_by("number").first()
    attempt = started(agreement.debtor, f"installment-{down.pk}")
    deliver(make_event("payment_intent.succeeded", intent_payload(attempt)))
    return Payment.objects.get()


@pytest.fixture
def portfolio_import(portfolio, supervisor, django_capture_on_commit_callbacks):
    """An upload whose only row is rejected, so it has both files."""
    csv = (
        "account_ref,document_type,document_number,full_name,birth_date,phone,email,"
        "principal,interest,fees,due_date\n"
        "CR-002,CC,79555111,Bruno Díaz,,12,,700,0,0,2026-09-01\n"
    ).encode()
    upload = SimpleUploadedFile("cartera de prueba.csv", csv, "text/csv")
    with django_capture_on_commit_callbacks(execute=True):
        portfolio_import_queue(
            portfolio_import=PortfolioImport(portfolio=portfolio, file=upload), actor=supervisor
        )
    job = PortfolioImport.objects.get()
    assert job.errors_file
    return job


@pytest.fixture
def clerk(db):
    """Staff with no permission at all."""
    return StaffFactory(username="sin-permisos")


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def assert_private_file(response, *, sha256: str, content_type: str) -> None:
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["X-Content-Type-Options"] == "nosniff"
    # The admin's never_cache adds its own directives; these two must be there.
    assert {"private", "no-store"} <= set(response["Cache-Control"].split(", "))
    assert response["Content-Disposition"].startswith("attachment;")
    assert hashlib.sha256(body(response)).hexdigest() == sha256


def test_stored_names_carry_a_random_part(signed, payment, portfolio_import):
    month = payment.received_at.strftime("%Y/%m")
    assert re.fullmatch(rf"agreements/2026/11/{signed.number}{RANDOM}\.pdf", signed.pdf.name)
    assert re.fullmatch(
        rf"receipts/{month}/{payment.number}{RANDOM}\.pdf", payment.receipt_pdf.name
    )
    assert re.fullmatch(
        rf"imports/\d{{4}}/\d\d/cartera_de_prueba{RANDOM}\.csv", portfolio_import.file.name
    )
    assert re.fullmatch(
        rf"imports/errors/\d{{4}}/\d\d/cartera_de_prueba-errors{RANDOM}\.csv",
        portfolio_import.errors_file.name,
    )
    assert private_name("x", "AC-1", ".pdf") != private_name("x", "AC-1", ".pdf")


def test_the_files_live_in_the_private_storage_which_has_no_url(
    settings, signed, payment, portfolio_import
):
    private = storages["private"]
    for file in (signed.pdf, payment.receipt_pdf, portfolio_import.file):
        assert file.storage is private
        assert Path(file.path).is_relative_to(settings.PRIVATE_MEDIA_ROOT)
        assert not Path(file.path).is_relative_to(settings.MEDIA_ROOT)
        with pytest.raises(NotImplementedError):
            file.url  # noqa: B018 - the property is what refuses


def test_raw_media_paths_are_not_found_for_anyone(client, debtor, signed, payment):
    paths = [f"/media/{signed.pdf.name}", f"/media/{payment.receipt_pdf.name}"]
    for path in paths:
        assert client.get(path).status_code == 404
    sign_in(client, debtor)  # not even the owner: only the views serve them
    for path in paths:
        assert client.get(path).status_code == 404


def test_the_debtor_gets_their_agreement_and_receipt_through_the_views(
    client, debtor, signed, payment
):
    sign_in(client, debtor)

    pdf = client.get(reverse("agreement_files:debtor_pdf", args=[signed.pk]))
    receipt = client.get(reverse("payments:receipt_pdf", args=[payment.pk]))

    assert_private_file(pdf, sha256=signed.pdf_sha256, content_type="application/pdf")
    assert_private_file(receipt, sha256=payment.receipt_sha256, content_type="application/pdf")


def test_another_debtor_and_a_stranger_find_nothing(client, other_debtor, signed, payment):
    urls = [
        reverse("agreement_files:debtor_pdf", args=[signed.pk]),
        reverse("payments:receipt_pdf", args=[payment.pk]),
    ]
    for url in urls:  # no debtor session: sent to the signed-out page, no file
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == reverse("access:signed_out")
    sign_in(client, other_debtor)
    for url in urls:
        assert client.get(url).status_code == 404


def staff_files(signed, payment, portfolio_import):
    """(url, SHA-256 of the file, content type) for each staff download."""
    return [
        (
            reverse("agreement_files:staff_pdf", args=[signed.pk]),
            signed.pdf_sha256,
            "application/pdf",
        ),
        (
            reverse("admin:payments_payment_receipt", args=[payment.pk]),
            payment.receipt_sha256,
            "application/pdf",
        ),
        (
            reverse("admin:debtors_portfolioimport_file", args=[portfolio_import.pk]),
            portfolio_import.sha256,
            "text/csv",
        ),
        (
            reverse("admin:debtors_portfolioimport_errors", args=[portfolio_import.pk]),
            hashlib.sha256(portfolio_import.errors_file.read()).hexdigest(),
            "text/csv",
        ),
    ]


def test_staff_downloads_check_the_permission(
    client, signed, payment, portfolio_import, clerk, supervisor
):
    files = staff_files(signed, payment, portfolio_import)
    for url, *_ in files:  # not signed in: the admin's login page
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
    client.force_login(clerk)
    for url, *_ in files:
        assert client.get(url).status_code == 403, url
    client.force_login(supervisor)
    for url, sha256, content_type in files:
        assert_private_file(client.get(url), sha256=sha256, content_type=content_type)


def test_an_agent_reads_agreements_and_receipts_but_not_portfolio_files(
    client, signed, payment, portfolio_import, agent
):
    client.force_login(agent)
    agreement, receipt, upload, errors = staff_files(signed, payment, portfolio_import)
    for url, sha256, content_type in (agreement, receipt):
        assert_private_file(client.get(url), sha256=sha256, content_type=content_type)
    for url, *_ in (upload, errors):
        assert client.get(url).status_code == 403


def test_admin_pages_link_the_checking_views_never_a_media_address(
    client, signed, payment, portfolio_import, supervisor
):
    client.force_login(supervisor)
    pages = {
        reverse("admin:agreements_agreement_change", args=[signed.pk]): reverse(
            "agreement_files:staff_pdf", args=[signed.pk]
        ),
        reverse("admin:payments_payment_change", args=[payment.pk]): reverse(
            "admin:payments_payment_receipt", args=[payment.pk]
        ),
        reverse("admin:debtors_portfolioimport_change", args=[portfolio_import.pk]): reverse(
            "admin:debtors_portfolioimport_file", args=[portfolio_import.pk]
        ),
    }
    for page, download in pages.items():
        response = client.get(page)
        html = response.content.decode()
        assert response.status_code == 200, page
        assert f'href="{download}"' in html
        assert "/media/" not in html


def test_a_receipt_not_yet_rendered_is_a_404_for_staff(client, payment, supervisor):
    Payment.objects.filter(pk=payment.pk).update(receipt_sha256="", receipt_pdf="")
    client.force_login(supervisor)
    assert (
        client.get(reverse("admin:payments_payment_receipt", args=[payment.pk])).status_code == 404
    )


def test_a_private_root_inside_a_served_one_fails_the_checks(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    assert private_root_apart() == []

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "private"

    (error,) = private_root_apart()
    assert error.id == "portal.E001" and "MEDIA_ROOT" in error.msg
