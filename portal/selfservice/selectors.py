"""Reads for the debtor's own pages. Every query is scoped to the debtor passed in."""

from __future__ import annotations

from dataclasses import dataclass

from django.shortcuts import get_object_or_404

from portal.debtors.models import (
    Debt,
    Debtor,
    DebtStatus,
    DisputeCase,
    DisputeDocument,
    LedgerEntry,
    MoraStage,
)
from portal.debtors.selectors import mora_stages, stage_for_days

HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True)
class DebtCard:
    """What the dashboard shows of one debt: plain values, no model instance."""

    pk: int
    account_ref: str
    creditor_name: str
    currency: str
    principal_minor: int
    interest_minor: int
    fees_minor: int
    balance_minor: int
    days_past_due: int
    status: str
    stage: MoraStage | None


@dataclass(frozen=True)
class Dashboard:
    debts: list[DebtCard]
    totals: dict[str, int]  # currency -> balance in minor units
    tone: str | None  # the firmest tone among the debtor's stages


_TONE_ORDER = ["friendly", "supportive", "urgent", "formal"]
_CHASED_STATUSES = (DebtStatus.ACTIVE, DebtStatus.LEGAL)


def debtor_debt_or_404(debtor: Debtor, debt_id: int) -> Debt:
    return get_object_or_404(Debt, pk=debt_id, debtor=debtor)


_CARD_FIELDS = (
    "pk",
    "account_ref",
    "portfolio__creditor__name",
    "currency",
    "principal_minor",
    "interest_minor",
    "fees_minor",
    "balance_minor",
    "days_past_due",
    "status",
)


def dashboard_for(debtor: Debtor) -> Dashboard:
    """The debtor's debts as cards, in one query. The page caches it per debtor
    (`debtor_dashboard`), so this runs when something about the debtor changed."""
    stages = mora_stages()
    rows = (
        Debt.objects.filter(debtor=debtor)
        .order_by("-balance_minor", "id")
        .values_list(*_CARD_FIELDS)
    )
    cards = [DebtCard(*row, stage=stage_for_days(row[-2], stages)) for row in rows]
    totals: dict[str, int] = {}
    for card in cards:
        totals[card.currency] = totals.get(card.currency, 0) + card.balance_minor
    # A debt in an agreement, in dispute or closed is not being chased: only debts still
    # open to collection set the message's tone ("about to go to legal collection").
    tones = [
        c.stage.tone
        for c in cards
        if c.stage and c.balance_minor > 0 and c.status in _CHASED_STATUSES
    ]
    tone = max(tones, key=_TONE_ORDER.index) if tones else None
    return Dashboard(cards, totals, tone)


@dataclass(frozen=True)
class HistoryPage:
    entries: list[LedgerEntry]
    page: int
    has_more: bool


def history_page(debtor: Debtor, *, page: int = 1, debt: Debt | None = None) -> HistoryPage:
    """One page of ledger entries, newest first; fetches one extra row instead of counting."""
    entries = LedgerEntry.objects.filter(debt__debtor=debtor).select_related("debt")
    if debt is not None:
        entries = entries.filter(debt=debt)
    start = (page - 1) * HISTORY_PAGE_SIZE
    rows = list(entries.order_by("-effective_date", "-id")[start : start + HISTORY_PAGE_SIZE + 1])
    return HistoryPage(rows[:HISTORY_PAGE_SIZE], page, len(rows) > HISTORY_PAGE_SIZE)


def debtor_disputes(debtor: Debtor) -> list[DisputeCase]:
    """The debtor's disputes, newest first, with their debt and creditor: one query."""
    return list(
        DisputeCase.objects.filter(debtor=debtor)
        .select_related("debt__portfolio__creditor")
        .order_by("-filed_at", "-id")
    )


def debtor_dispute_or_404(debtor: Debtor, case_id: int) -> DisputeCase:
    """One of the debtor's disputes with its documents (two queries); anyone else's is not
    found."""
    queryset = DisputeCase.objects.select_related("debt__portfolio__creditor").prefetch_related(
        "documents"
    )
    return get_object_or_404(queryset, pk=case_id, debtor=debtor)


def debtor_dispute_document_or_404(
    debtor: Debtor, case_id: int, document_id: int
) -> DisputeDocument:
    return get_object_or_404(DisputeDocument, pk=document_id, case_id=case_id, case__debtor=debtor)
