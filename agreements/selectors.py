"""Reads for agreements: which policy applies, which debts can be agreed, debtor-scoped lookups."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Sum
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from portal.debtors.models import Debt, Debtor, DebtStatus, MoraStage, Portfolio
from portal.debtors.selectors import stage_for_days
from portal.debtors.services import portfolio_today

from .models import (
    OPEN_PROPOSAL_STATUSES,
    Agreement,
    AgreementDebt,
    AgreementStatus,
    Installment,
    InstallmentStatus,
    OfferPolicy,
    Proposal,
    ProposalStatus,
)


def policy_for(*, debts: list[Debt]) -> OfferPolicy | None:
    """The active policy for these debts, the most specific first: portfolio, creditor, stage.

    The stage is the one of the most delinquent debt, so a plan covering several debts is
    offered on the terms of the worst of them.
    """
    if not debts:
        return None
    portfolio_ids = {debt.portfolio_id for debt in debts}
    currencies = {debt.currency for debt in debts}
    if len(portfolio_ids) != 1 or len(currencies) != 1:
        raise ValueError("an offer covers debts of exactly one portfolio and currency")
    stage = stage_for_days(max(debt.days_past_due for debt in debts), MoraStage.objects.all())
    if stage is None:
        return None
    portfolio = Portfolio.objects.only("id", "creditor_id").get(pk=portfolio_ids.pop())
    candidates = OfferPolicy.objects.filter(
        Q(portfolio=portfolio)
        | Q(portfolio__isnull=True, creditor_id=portfolio.creditor_id)
        | Q(portfolio__isnull=True, creditor__isnull=True),
        stage=stage,
        currency=currencies.pop(),
        is_active=True,
    )

    def specificity(policy: OfferPolicy) -> int:
        return 2 if policy.portfolio_id else 1 if policy.creditor_id else 0

    return max(candidates, key=specificity, default=None)


def _open_debts(debtor: Debtor) -> QuerySet[Debt]:
    in_agreement = AgreementDebt.objects.filter(debt=OuterRef("pk"), is_active=True)
    return (
        Debt.objects.filter(debtor=debtor, status=DebtStatus.ACTIVE, balance_minor__gt=0)
        .exclude(Exists(in_agreement))
        .order_by("id")
    )


def debtor_portfolio_debts(debtor: Debtor, portfolio: Portfolio | None = None) -> list[Debt]:
    """The debtor's debts open for an agreement, all from one portfolio.

    Without `portfolio`, the portfolio where the debtor owes the most (ties: lowest id).
    """
    debts = _open_debts(debtor)
    if portfolio is None:
        top = (
            debts.order_by()
            .values("portfolio_id")
            .annotate(owed=Sum("balance_minor"))
            .order_by("-owed", "portfolio_id")
            .first()
        )
        if top is None:
            return []
        return list(debts.filter(portfolio_id=top["portfolio_id"]).select_related("portfolio"))
    return list(debts.filter(portfolio=portfolio).select_related("portfolio"))


def debtor_agreements(debtor: Debtor) -> QuerySet[Agreement]:
    return Agreement.objects.filter(debtor=debtor).select_related("portfolio")


@dataclass(frozen=True)
class NextInstallment:
    """An active agreement's next installment not fully paid: plain values for the
    dashboard."""

    agreement_pk: int
    agreement_number: str | None
    currency: str
    number: int
    due_date: dt.date
    left_minor: int  # what is still due on it


def debtor_next_installments(debtor: Debtor) -> list[NextInstallment]:
    """Per active agreement, its next installment not fully paid, in one query."""
    rows = (
        Installment.objects.filter(
            agreement__debtor=debtor,
            agreement__status=AgreementStatus.ACTIVE,
            status__in=(InstallmentStatus.PENDING, InstallmentStatus.LATE),
            paid_minor__lt=F("amount_minor"),
        )
        .order_by("agreement__created_at", "agreement_id", "number")
        .values_list(
            "agreement_id",
            "agreement__number",
            "agreement__currency",
            "number",
            "due_date",
            F("amount_minor") - F("paid_minor"),
        )
    )
    nexts: dict[int, NextInstallment] = {}
    for row in rows:
        nexts.setdefault(row[0], NextInstallment(*row))
    return list(nexts.values())


def debtor_agreement_calendar_or_404(debtor: Debtor, pk: int) -> Agreement:
    """The agreement with what its calendar file shows: installments and creditor."""
    return get_object_or_404(
        debtor_agreements(debtor)
        .select_related("portfolio__creditor", "debtor")
        .prefetch_related("installments"),
        pk=pk,
    )


def debtor_agreement_or_404(debtor: Debtor, pk: int) -> Agreement:
    """The agreement with what its page shows: schedule, debts, changes and document versions
    (and the policy whose limits say which changes the debtor may make alone)."""
    return get_object_or_404(
        debtor_agreements(debtor)
        .select_related("debtor", "quote__policy", "proposal__policy")
        .prefetch_related("installments", "lines__debt", "change_requests", "documents"),
        pk=pk,
    )


@dataclass(frozen=True)
class DocumentVersion:
    version: int
    ready: bool  # rendered and stored; otherwise a task is still at it
    sha256: str
    created_at: dt.datetime
    reason: str


def agreement_versions(agreement: Agreement) -> list[DocumentVersion]:
    """Every version of the signed document, newest first: 1 is `Agreement.pdf` (the
    acceptance), 2 and up the `AgreementDocument`s each schedule change reissued (prefetched
    by `debtor_agreement_or_404`)."""
    versions = [
        DocumentVersion(
            version=1,
            ready=bool(agreement.pdf),
            sha256=agreement.pdf_sha256,
            created_at=agreement.accepted_at,
            reason=_("Signed on acceptance"),
        )
    ]
    versions += [
        DocumentVersion(d.version, bool(d.pdf and d.sha256), d.sha256, d.created_at, d.reason)
        for d in agreement.documents.all()
    ]
    return sorted(versions, key=lambda v: -v.version)


def debtor_proposals(debtor: Debtor) -> QuerySet[Proposal]:
    return Proposal.objects.filter(debtor=debtor).select_related("portfolio", "policy")


def debtor_proposal_or_404(debtor: Debtor, pk: int) -> Proposal:
    return get_object_or_404(debtor_proposals(debtor), pk=pk)


def pending_proposals() -> QuerySet[Proposal]:
    """The staff review queue, oldest first."""
    return (
        Proposal.objects.filter(status=ProposalStatus.PENDING)
        .select_related("debtor", "portfolio", "policy")
        .order_by("created_at", "id")
    )


def open_proposal(debtor: Debtor, portfolio: Portfolio) -> Proposal | None:
    """The debtor's proposal still waiting (on staff or on them) for these debts, if any."""
    return Proposal.objects.filter(
        debtor=debtor, portfolio=portfolio, status__in=OPEN_PROPOSAL_STATUSES
    ).first()


def counter_valid_until(proposal: Proposal) -> dt.date:
    """A counter-offer is good for as long as the policy keeps a quote (days from the
    day staff made it, in the portfolio's calendar)."""
    made = portfolio_today(proposal.portfolio, proposal.decided_at)
    return made + dt.timedelta(days=proposal.policy.quote_validity_days)


def counter_unavailable_reason(proposal: Proposal) -> str | None:
    """Why a counter-offer can no longer be accepted, or None while it can (or when the
    proposal has no counter-offer waiting). The accept service checks the same under lock."""
    if proposal.status != ProposalStatus.COUNTERED:
        return None
    valid_until = counter_valid_until(proposal)
    if portfolio_today(proposal.portfolio) > valid_until:
        return _("This counter-offer expired on %(date)s. You can propose another plan.") % {
            "date": valid_until.strftime("%d/%m/%Y")
        }
    debts = list(Debt.objects.filter(pk__in=proposal.debt_ids))
    taken = AgreementDebt.objects.filter(debt__in=debts, is_active=True).exists()
    if (
        taken
        or len(debts) != len(set(proposal.debt_ids))
        or any(d.debtor_id != proposal.debtor_id or d.status != DebtStatus.ACTIVE for d in debts)
    ):
        return _("These debts are no longer available for an agreement.")
    if sum(d.balance_minor for d in debts) != proposal.balance_minor:
        return _(
            "Your balance changed since this counter-offer was made. You can propose another plan."
        )
    return None
