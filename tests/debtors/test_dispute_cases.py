"""Disputes filed on the portal, at the debtors layer: the hold they put on the debt, the
answer's deadline (Colombian business days), and each way a case is resolved."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine

from portal.audit.models import AuditEvent
from portal.debtors.dispute_cases import (
    DisputeError,
    Upload,
    answer_due_on,
    business_days_after,
    dispute_case_file,
    dispute_case_resolve,
)
from portal.debtors.models import DisputeHold, LedgerEntry
from tests.factories import DebtFactory, PortfolioFactory, assign
from tests.helpers.cast import DEBT_BALANCE

pytestmark = pytest.mark.django_db

BOGOTA = ZoneInfo("America/Bogota")
PDF = Upload(
    name="verificacion.pdf", content=b"%PDF-1.7\n%verified\n", content_type="application/pdf"
)


def file_case(debtor, debt, reason="wrong_amount", **kwargs):
    return dispute_case_file(debtor=debtor, debt=debt, reason=reason, text="No reconozco", **kwargs)


def test_the_answer_is_due_fifteen_colombian_business_days_later_skipping_a_holiday():
    # Filed Tuesday 1 December 2026: Tuesday 8 December (Inmaculada Concepción) is a holiday.
    filed = dt.datetime(2026, 12, 1, 16, 0, tzinfo=BOGOTA)
    assert answer_due_on(country="CO", tz="America/Bogota", filed_at=filed) == dt.date(2026, 12, 23)
    # Without the holiday it would have been the 22nd.
    assert business_days_after(dt.date(2026, 12, 1), 15, "US") == dt.date(2026, 12, 22)


def test_late_evening_in_bogota_counts_from_the_local_day():
    # 23:30 in Bogotá on Thursday 3 December is already Friday in UTC: Friday counts.
    filed = dt.datetime(2026, 12, 4, 4, 30, tzinfo=dt.UTC)
    assert answer_due_on(country="CO", tz="America/Bogota", filed_at=filed) == dt.date(2026, 12, 28)


def test_a_us_dispute_has_no_fixed_deadline(debtor, supervisor):
    us = PortfolioFactory(
        code="us-cards", currency="USD", country="US", timezone="America/New_York"
    )
    debt = DebtFactory(portfolio=us, debtor=debtor, currency="USD", account_ref="US-1")
    assign(debt)
    case = file_case(debtor, debt)
    assert case.due_on is None and case.country == "US"


def test_filing_numbers_the_case_holds_the_debt_and_is_audited(debtor, debt):
    with time_machine.travel(dt.datetime(2026, 12, 1, 16, 0, tzinfo=BOGOTA), tick=False):
        case = file_case(debtor, debt)

    assert case.number == f"DISP-2026-{case.pk:06d}"
    assert case.due_on == dt.date(2026, 12, 23)
    debt.refresh_from_db()
    assert debt.status == "disputed"
    hold = DisputeHold.objects.get(debt=debt, kind="online")
    assert (hold.reference, hold.previous_status, hold.closed_at) == (case.number, "active", None)
    filed = AuditEvent.objects.get(action="dispute.filed")
    assert (filed.debtor_id, filed.details["number"], filed.details["reason"]) == (
        debtor.pk,
        case.number,
        "wrong_amount",
    )
    assert AuditEvent.objects.filter(action="debt.disputed", debtor_id=debtor.pk).exists()


def test_a_second_open_dispute_on_the_same_debt_is_refused(debtor, debt):
    file_case(debtor, debt)
    with pytest.raises(DisputeError):
        file_case(debtor, debt, reason="other")


def test_someone_elses_debt_cannot_be_disputed(debtor, other_debtor):
    with pytest.raises(DisputeError):
        file_case(debtor, other_debtor.debts.get())


def test_upheld_and_closed_closes_the_debt(debtor, debt, supervisor):
    case = file_case(debtor, debt, reason="not_mine")
    dispute_case_resolve(
        case=case, resolver=supervisor, status="upheld", action="close", note="No es suya"
    )
    debt.refresh_from_db()
    case.refresh_from_db()
    assert (debt.status, case.status, case.resolved_by) == ("closed", "upheld", supervisor)
    assert DisputeHold.objects.get(reference=case.number).closed_at is not None
    resolved = AuditEvent.objects.get(action="dispute.resolved")
    assert (resolved.debtor_id, resolved.details["status"]) == (debtor.pk, "upheld")


def test_upheld_with_an_adjustment_posts_it_through_the_ledger(debtor, debt, supervisor):
    case = file_case(debtor, debt)
    dispute_case_resolve(
        case=case,
        resolver=supervisor,
        status="upheld",
        action="adjust",
        adjustment_minor=100_000_00,
        note="Se cobró de más",
    )
    debt.refresh_from_db()
    case.refresh_from_db()
    entry = LedgerEntry.objects.get(kind="adjustment")
    assert entry.amount_minor == -100_000_00 and case.ledger_entry == entry
    assert debt.balance_minor == DEBT_BALANCE - 100_000_00
    assert sum(debt.outstanding) == debt.balance_minor
    # Interest (50.000) and fees (10.000) first, then principal.
    assert (entry.interest_minor, entry.fees_minor, entry.principal_minor) == (
        -50_000_00,
        -10_000_00,
        -40_000_00,
    )
    assert debt.status == "active"  # back to its status before the dispute


def test_an_adjustment_above_the_balance_is_refused(debtor, debt, supervisor):
    case = file_case(debtor, debt)
    with pytest.raises(DisputeError):
        dispute_case_resolve(
            case=case,
            resolver=supervisor,
            status="upheld",
            action="adjust",
            adjustment_minor=DEBT_BALANCE + 1,
            note="x",
        )
    assert not LedgerEntry.objects.filter(kind="adjustment").exists()


def test_rejected_needs_the_verification_document(debtor, debt, supervisor):
    case = file_case(debtor, debt)
    with pytest.raises(DisputeError):
        dispute_case_resolve(case=case, resolver=supervisor, status="rejected", note="Verificada")
    dispute_case_resolve(
        case=case, resolver=supervisor, status="rejected", note="Verificada", verification=PDF
    )
    debt.refresh_from_db()
    case.refresh_from_db()
    assert (debt.status, case.status) == ("active", "rejected")
    document = case.documents.get(kind="verification")
    assert document.file.read() == PDF.content and document.uploaded_by == supervisor
    with pytest.raises(DisputeError):  # answered once
        dispute_case_resolve(
            case=case, resolver=supervisor, status="rejected", note="again", verification=PDF
        )
