"""Reads for the debtor's own pages. Every query is scoped to the debtor passed in."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from portal.debtors.models import Debt, Debtor, LedgerEntry, MoraStage
from portal.debtors.selectors import mora_stages, stage_for_days

HISTORY_PAGE_SIZE = 20


@dataclass(frozen=True)
class DebtView:
    debt: Debt
    stage: MoraStage | None


@dataclass(frozen=True)
class Dashboard:
    debts: list[DebtView]
    totals: dict[str, int]  # currency -> balance in minor units
    tone: str | None  # the firmest tone among the debtor's stages


_TONE_ORDER = ["friendly", "supportive", "urgent", "formal"]


def debtor_debts(debtor: Debtor) -> QuerySet[Debt]:
    return (
        Debt.objects.filter(debtor=debtor)
        .select_related("portfolio__creditor")
        .order_by("-balance_minor", "id")
    )


def debtor_debt_or_404(debtor: Debtor, debt_id: int) -> Debt:
    return get_object_or_404(Debt, pk=debt_id, debtor=debtor)


def dashboard_for(debtor: Debtor) -> Dashboard:
    stages = mora_stages()
    views = [
        DebtView(debt, stage_for_days(debt.days_past_due, stages)) for debt in debtor_debts(debtor)
    ]
    totals: dict[str, int] = {}
    for view in views:
        totals[view.debt.currency] = totals.get(view.debt.currency, 0) + view.debt.balance_minor
    tones = [v.stage.tone for v in views if v.stage and v.debt.balance_minor > 0]
    tone = max(tones, key=_TONE_ORDER.index) if tones else None
    return Dashboard(views, totals, tone)


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
