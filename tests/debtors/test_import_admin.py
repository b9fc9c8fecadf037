"""Admin upload: queue on save, run the task on commit, show progress and errors."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.audit.models import AuditEvent
from portal.debtors.models import Debt, ImportStatus, PortfolioImport
from tests.factories import PortfolioFactory, StaffFactory

HEADER = (
    "account_ref,document_type,document_number,full_name,birth_date,phone,email,"
    "principal,interest,fees,due_date"
)
GOOD = (
    "CR-001,CC,1020304050,Alicia Peña,1985-04-12,3001234567,alicia@example.com,1000,0,0,2026-09-01"
)
BAD = "CR-002,CC,79555111,Bruno Díaz,,12,,700,0,0,2026-09-01"

pytestmark = pytest.mark.django_db


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="banco-andino-2026")


@pytest.fixture
def supervisor(client):
    user = StaffFactory(username="supervisora-ana", is_superuser=True)
    client.force_login(user)
    return user


def upload(client, portfolio, content: bytes, name: str = "cartera.csv"):
    return client.post(
        reverse("admin:debtors_portfolioimport_add"),
        {"portfolio": portfolio.pk, "file": SimpleUploadedFile(name, content, "text/csv")},
    )


def csv_bytes(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


def test_upload_queues_the_import_and_runs_it_on_commit(
    client, supervisor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = upload(client, portfolio, csv_bytes(GOOD, BAD))

    assert response.status_code == 302
    assert len(callbacks) == 1
    with django_capture_on_commit_callbacks(execute=True):  # what the import's run queues
        callbacks[0]()
    job = PortfolioImport.objects.get()
    assert job.original_name == "cartera.csv"
    assert len(job.sha256) == 64
    assert job.uploaded_by == supervisor
    assert (job.status, job.processed_rows, job.total_rows) == (ImportStatus.DONE, 2, 2)
    assert (job.imported, job.updated, job.rejected) == (1, 0, 1)
    assert job.errors_file
    assert job.started_at and job.finished_at
    assert Debt.objects.get().account_ref == "CR-001"
    assert AuditEvent.objects.filter(action="portfolio.import_queued").count() == 1
    event = AuditEvent.objects.get(action="portfolio.imported")
    assert event.actor_label == "supervisora-ana"


def test_nothing_runs_before_the_upload_commits(client, supervisor, portfolio):
    upload(client, portfolio, csv_bytes(GOOD))

    job = PortfolioImport.objects.get()
    assert (job.status, job.total_rows) == (ImportStatus.QUEUED, 1)
    assert not Debt.objects.exists()


def test_a_refused_file_marks_the_import_failed_with_the_reason(
    client, supervisor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, portfolio, b"cuenta,nombre\nCR-1,Ana\n")

    job = PortfolioImport.objects.get()
    assert job.status == ImportStatus.FAILED
    assert "missing required columns" in job.error_message
    assert not Debt.objects.exists()
    page = client.get(reverse("admin:debtors_portfolioimport_change", args=[job.pk]))
    assert "missing required columns" in page.content.decode()


def test_a_field_past_the_csv_limit_refuses_the_file_and_imports_nothing(
    client, supervisor, portfolio, django_capture_on_commit_callbacks
):
    # Runs the database's own loader: the ORM one on SQLite, COPY on PostgreSQL.
    huge = GOOD.replace("Alicia Peña", "A" * 200_000)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, portfolio, csv_bytes(GOOD.replace("CR-001", "CR-000"), huge))

    assert response.status_code == 302
    job = PortfolioImport.objects.get()
    assert job.status == ImportStatus.FAILED
    assert "La línea 3 tiene un campo de más de 131072 caracteres" in job.error_message
    assert not Debt.objects.exists()
    assert not AuditEvent.objects.filter(action="portfolio.imported").exists()
    refused = AuditEvent.objects.get(action="portfolio.import_refused")
    assert "131072" in refused.details["reason"]
    page = client.get(reverse("admin:debtors_portfolioimport_change", args=[job.pk]))
    assert page.status_code == 200 and "131072" in page.content.decode()


def test_change_page_shows_progress_counts_and_first_errors(
    client, supervisor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, portfolio, csv_bytes(GOOD, BAD))
    job = PortfolioImport.objects.get()

    response = client.get(reverse("admin:debtors_portfolioimport_change", args=[job.pk]))

    page = response.content.decode()
    assert response.status_code == 200
    assert "<progress" in page
    assert reverse("admin:debtors_portfolioimport_status", args=[job.pk]) in page
    assert "js/import_progress.js" in page
    assert "no es un teléfono válido para CO" in page
    assert reverse("admin:debtors_portfolioimport_errors", args=[job.pk]) in page
    assert "<script>" not in page.split("<body")[1]  # no inline script under the CSP


def test_status_endpoint_reports_progress_as_json(client, supervisor, portfolio):
    upload(client, portfolio, csv_bytes(GOOD, BAD))
    job = PortfolioImport.objects.get()
    PortfolioImport.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING, processed_rows=1)

    response = client.get(reverse("admin:debtors_portfolioimport_status", args=[job.pk]))

    assert response.json() == {
        "status": "running",
        "status_label": "Procesando",
        "finished": False,
        "total_rows": 2,
        "processed_rows": 1,
        "imported": 0,
        "updated": 0,
        "rejected": 0,
        "error_message": "",
    }


def test_staff_with_view_permission_download_the_errors_csv(
    client, supervisor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, portfolio, csv_bytes(GOOD, BAD))
    job = PortfolioImport.objects.get()
    agent = StaffFactory(username="agente-luis")
    agent.user_permissions.add(Permission.objects.get(codename="view_portfolioimport"))
    client.force_login(agent)

    response = client.get(reverse("admin:debtors_portfolioimport_errors", args=[job.pk]))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == [
        "line,column,reason",
        "3,phone,no es un teléfono válido para CO",  # in the staff's Spanish
    ]


def test_staff_without_permission_cannot_see_status_or_errors(
    client, supervisor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, portfolio, csv_bytes(GOOD, BAD))
    job = PortfolioImport.objects.get()
    client.force_login(StaffFactory(username="agente-sin-permiso"))

    for name in ("status", "errors"):
        response = client.get(reverse(f"admin:debtors_portfolioimport_{name}", args=[job.pk]))
        assert response.status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, portfolio):
    job = PortfolioImport.objects.create(portfolio=portfolio, original_name="x.csv")

    response = client.get(reverse("admin:debtors_portfolioimport_errors", args=[job.pk]))

    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]


def test_an_import_without_rejected_rows_has_no_errors_download(
    client, supervisor, portfolio, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, portfolio, csv_bytes(GOOD))
    job = PortfolioImport.objects.get()

    response = client.get(reverse("admin:debtors_portfolioimport_errors", args=[job.pk]))

    assert response.status_code == 404
