"""The portfolio file's optional consent columns, through both loaders (the ORM one
everywhere, the PostgreSQL COPY one on PostgreSQL): same consents, same audit."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.audit.models import AuditEvent
from portal.debtors.importing import portfolio_import_file
from portal.debtors.models import Debtor
from portal.outreach.models import Consent
from portal.outreach.services import consent_set
from tests.factories import PortfolioFactory

HEADER = (
    "account_ref,document_type,document_number,full_name,birth_date,phone,email,"
    "principal,interest,fees,due_date,consent_sms,consent_whatsapp,consent_email"
)
ALICIA = (
    "CR-001,CC,1020304050,Alicia Peña,1985-04-12,3001234567,alicia@example.com,100,0,0,2026-09-01"
)
BRUNO = "CR-002,CC,79555111,Bruno Díaz,,3105550101,,100,0,0,2026-09-01"

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["orm", pytest.param("postgres", marks=pytest.mark.postgres)])
def loader(request) -> str:
    return request.param


@pytest.fixture
def portfolio():
    return PortfolioFactory(code="banco-andino-2026", currency="COP", country="CO")


def run(tmp_path: Path, portfolio, loader: str, *rows: str):
    path = tmp_path / "cartera.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return portfolio_import_file(portfolio=portfolio, path_or_file=path, loader=loader)


def consents() -> set[tuple[str, str, bool, str]]:
    return {
        (c.debtor.document_number, c.channel, c.granted, c.source)
        for c in Consent.objects.select_related("debtor")
    }


def test_consent_columns_set_initial_consent(tmp_path, portfolio, loader):
    result = run(tmp_path, portfolio, loader, f"{ALICIA},sí,0,", f"{BRUNO},,,")
    assert (result.imported, result.rejected) == (2, 0)
    assert consents() == {
        ("1020304050", "sms", True, "import"),
        ("1020304050", "whatsapp", False, "import"),
    }
    consent = Consent.objects.get(channel="sms")
    assert consent.evidence["line"] == 2 and consent.evidence["file_sha256"] == result.sha256
    event = AuditEvent.objects.get(action="consent.imported")
    alicia = Debtor.objects.get(document_number="1020304050").pk
    assert event.details["consents"] == [[alicia, "sms", True, 2], [alicia, "whatsapp", False, 2]]


def test_a_recorded_choice_is_never_overwritten_by_a_later_file(tmp_path, portfolio, loader):
    run(tmp_path, portfolio, loader, f"{ALICIA},1,,")
    alicia = Debtor.objects.get(document_number="1020304050")
    consent_set(debtor=alicia, channel="sms", granted=False, source="inbound")
    run(tmp_path, portfolio, loader, f"{ALICIA},1,,1")
    assert consents() == {
        ("1020304050", "sms", False, "inbound"),
        ("1020304050", "email", True, "import"),
    }


def test_a_bad_consent_value_rejects_the_row(tmp_path, portfolio, loader):
    result = run(tmp_path, portfolio, loader, f"{ALICIA},maybe,,")
    assert result.rejected == 1
    assert [tuple(e) for e in result.errors] == [(2, "consent_sms", "debe ser sí o no (1/0)")]
    assert not Consent.objects.exists()


def test_files_without_consent_columns_still_import(tmp_path, portfolio, loader):
    path = tmp_path / "old.csv"
    path.write_text(HEADER.rsplit(",consent_sms", 1)[0] + "\n" + ALICIA + "\n", encoding="utf-8")
    result = portfolio_import_file(portfolio=portfolio, path_or_file=path, loader=loader)
    assert result.imported == 1 and not Consent.objects.exists()
