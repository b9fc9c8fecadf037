from __future__ import annotations

import datetime as dt

from celery import shared_task

from . import rollup


@shared_task(time_limit=30 * 60, soft_time_limit=25 * 60)
def refresh_kpis_recent() -> list[str]:
    """The last days of KPI rollups (every 10 minutes)."""
    return [day.isoformat() for day in rollup.kpi_rollup_refresh()]


@shared_task(time_limit=2 * 60 * 60, soft_time_limit=115 * 60)
def refresh_kpis_all() -> list[str]:
    """Every day of the KPI rollups (nightly)."""
    refreshed = rollup.kpi_rollup_refresh_all()
    rollup.kpi_rollups_vacuum()
    return [day.isoformat() for day in refreshed]


@shared_task(time_limit=10 * 60, soft_time_limit=9 * 60)
def refresh_kpis_day(day: str) -> list[str]:
    """One day's call and visit rollups (after an agent logs one): shown at once."""
    when = dt.date.fromisoformat(day)
    refreshed = rollup.kpi_rollup_refresh(
        first_day=when, last_day=when, book=False, sources=("outcomes",)
    )
    return [d.isoformat() for d in refreshed]
