"""Twenty simultaneous clicks on "accept" make exactly one agreement (PostgreSQL row locks)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
from django.utils import timezone

from agreements.models import Agreement, AgreementDebt, Installment, Quote
from agreements.services import (
    AgreementError,
    Evidence,
    agreement_accept_offer,
    quote_for_debtor,
)
from portal.audit.models import AuditEvent
from portal.debtors.models import Debt, DebtStatus
from portal.debtors.services import ledger_post
from tests.factories import DebtFactory
from tests.helpers.concurrency import run_times

CLICKS = 20


def _label(outcome) -> str:
    """What one thread's call came to: its result, a refusal, or the failure we look for."""
    if outcome.error is None:
        return outcome.value
    if isinstance(outcome.error, AgreementError):
        return "refused"
    return f"{type(outcome.error).__name__}: {outcome.error}"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_acceptances_make_exactly_one_agreement(
    on_postgres, debtor, debt, portfolio, policy
):
    second = DebtFactory(portfolio=portfolio, debtor=debtor, account_ref="TC-101")
    ledger_post(debt=second, kind="charge", amount_minor=200_000_00)
    quote_id = quote_for_debtor(debtor=debtor).pk
    keys = [offer["key"] for offer in Quote.objects.get(pk=quote_id).offers]

    def click(n: int) -> str:
        quote = Quote.objects.select_related("debtor", "portfolio").get(pk=quote_id)
        agreement_accept_offer(
            debtor=quote.debtor,
            quote=quote,
            offer_key=keys[n % len(keys)],  # different offers, same debts
            accepted_terms=True,
            accepted_esign=True,
            evidence=Evidence(
                at=timezone.now(),
                ip="190.24.1.10",
                user_agent=f"click {n}",
                payment_link_id=None,
            ),
        )
        return "agreement"

    outcomes = [_label(outcome) for outcome in run_times(click, CLICKS)]

    assert Counter(outcomes) == {"agreement": 1, "refused": CLICKS - 1}
    agreement = Agreement.objects.get()
    assert AgreementDebt.objects.filter(is_active=True).count() == 2
    assert set(Debt.objects.values_list("status", flat=True)) == {DebtStatus.IN_AGREEMENT}
    installments = Installment.objects.filter(agreement=agreement)
    assert sum(i.amount_minor for i in installments) == agreement.total_minor
    assert AuditEvent.objects.filter(action="agreement.created").count() == 1


SENDS = 10


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_ten_concurrent_proposals_leave_exactly_one_open(on_postgres, debtor, debt, policy):
    from agreements.models import Proposal, ProposalStatus
    from agreements.services import proposal_submit
    from portal.debtors.services import portfolio_today

    first_due = portfolio_today(debt.portfolio) + dt.timedelta(days=10)

    def send(n: int) -> str:
        proposal_submit(
            debtor=debtor,
            installments=7 + n,  # outside the auto-approve bounds: all wait for review
            frequency="monthly",
            first_due_date=first_due,
            down_payment_minor=0,
            accepted_terms=True,
            accepted_esign=True,
            evidence=Evidence(
                at=timezone.now(),
                ip="190.24.1.10",
                user_agent=f"send {n}",
                payment_link_id=None,
            ),
        )
        return "sent"

    # A deadlock or an IntegrityError is the bug: it shows up as its own label.
    outcomes = [_label(outcome) for outcome in run_times(send, SENDS)]

    counts = Counter(outcomes)
    assert set(counts) <= {"sent", "refused"}, counts
    assert counts["sent"] >= 1 and sum(counts.values()) == SENDS
    assert Proposal.objects.filter(status=ProposalStatus.PENDING).count() == 1
    superseded = Proposal.objects.filter(status=ProposalStatus.SUPERSEDED).count()
    assert superseded == counts["sent"] - 1
    assert AuditEvent.objects.filter(action="proposal.superseded").count() == superseded
