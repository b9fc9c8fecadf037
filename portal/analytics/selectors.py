"""Reads for the model card."""

from __future__ import annotations

from django.db.models import Count

from portal.debtors.selectors import debts_with_stage

from .models import PropensityModel


def propensity_model_current() -> PropensityModel | None:
    return PropensityModel.objects.filter(is_current=True).first()


def score_distribution_by_stage() -> dict[str, dict[str, int]]:
    """{stage code or "-": {band: scored debts}}, in one query."""
    rows = (
        debts_with_stage()
        .filter(score__isnull=False)
        .values("stage_code", "score__band")
        .annotate(debts=Count("id"))
        .order_by()
    )
    distribution: dict[str, dict[str, int]] = {}
    for row in rows:
        stage = distribution.setdefault(row["stage_code"] or "-", {})
        stage[row["score__band"]] = row["debts"]
    return distribution
