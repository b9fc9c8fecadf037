from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum

from .imputation import Parts
from .models import Creditor, Debt, LedgerEntry, MoraStage

# Bands change a few times a year and every debtor page needs them, so each process keeps
# them for a minute. Saving a band clears this process's copy (signals.py); other
# processes catch up within STAGES_TTL_SECONDS.
STAGES_TTL_SECONDS = 60
_stages_cache: dict[str, tuple[float, list[MoraStage]]] = {}


def mora_stages() -> list[MoraStage]:
    now = time.monotonic()
    cached = _stages_cache.get("stages")
    if cached is None or now - cached[0] > STAGES_TTL_SECONDS:
        cached = (now, list(MoraStage.objects.all()))
        _stages_cache["stages"] = cached
    return cached[1]


def forget_mora_stages() -> None:
    _stages_cache.clear()


def stage_for_days(days: int, stages: Iterable[MoraStage] | None = None) -> MoraStage | None:
    """The band that holds `days`, or None when no band is configured for it."""
    for stage in stages if stages is not None else mora_stages():
        if stage.contains(days):
            return stage
    return None


def _band_holding(days_ref) -> Q:
    return (Q(min_days__isnull=True) | Q(min_days__lte=days_ref)) & (
        Q(max_days__isnull=True) | Q(max_days__gte=days_ref)
    )


def debts_with_stage(queryset: QuerySet[Debt] | None = None) -> QuerySet[Debt]:
    """Annotate `stage_code` and `stage_name` in SQL, so lists and filters need no loop."""
    queryset = queryset if queryset is not None else Debt.objects.all()
    band = MoraStage.objects.filter(_band_holding(OuterRef("days_past_due")))
    return queryset.annotate(
        stage_code=Subquery(band.values("code")[:1]),
        stage_name=Subquery(band.values("name")[:1]),
    )


def debts_in_stage(stage: MoraStage, queryset: QuerySet[Debt] | None = None) -> QuerySet[Debt]:
    queryset = queryset if queryset is not None else Debt.objects.all()
    if stage.min_days is not None:
        queryset = queryset.filter(days_past_due__gte=stage.min_days)
    if stage.max_days is not None:
        queryset = queryset.filter(days_past_due__lte=stage.max_days)
    return queryset


def ledger_for_debt(debt: Debt) -> QuerySet[LedgerEntry]:
    return LedgerEntry.objects.filter(debt=debt).order_by("-effective_date", "-id")


def debt_parts_as_of(*, debt_id: int, when: dt.datetime) -> Parts:
    """Outstanding principal, interest and fees of a debt as its ledger stood at `when`."""
    sums = LedgerEntry.objects.filter(debt_id=debt_id, created_at__lte=when).aggregate(
        p=Sum("principal_minor"), i=Sum("interest_minor"), f=Sum("fees_minor")
    )
    return Parts(sums["p"] or 0, sums["i"] or 0, sums["f"] or 0)


def debtor_creditors(debtor_id: int) -> list[Creditor]:
    """The creditors whose debts the debtor has with us, by name: the ones their pages and
    messages name, with their NIT."""
    return list(
        Creditor.objects.filter(portfolios__debts__debtor_id=debtor_id).distinct().order_by("name")
    )
