"""An import whose worker died is marked failed, once, and says what to do."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from portal.audit.models import AuditEvent
from portal.debtors.importing.uploads import STALE_MESSAGE, portfolio_imports_fail_stale
from portal.debtors.models import ImportStatus, PortfolioImport
from portal.debtors.tasks import fail_stale_imports
from tests.factories import PortfolioFactory

pytestmark = pytest.mark.django_db


def job(portfolio, *, status, started_minutes_ago):
    return PortfolioImport.objects.create(
        portfolio=portfolio,
        file="imports/cartera.csv",
        original_name="cartera.csv",
        status=status,
        started_at=timezone.now() - dt.timedelta(minutes=started_minutes_ago),
    )


def test_a_job_running_past_the_time_limit_is_failed_with_advice(settings):
    settings.CELERY_TASK_TIME_LIMIT = 60 * 60
    portfolio = PortfolioFactory()
    dead = job(portfolio, status=ImportStatus.RUNNING, started_minutes_ago=71)
    alive = job(portfolio, status=ImportStatus.RUNNING, started_minutes_ago=30)
    finished = job(portfolio, status=ImportStatus.DONE, started_minutes_ago=500)

    assert fail_stale_imports.delay().get() == 1

    dead.refresh_from_db()
    assert dead.status == ImportStatus.FAILED
    assert dead.error_message == STALE_MESSAGE
    assert dead.finished_at is not None
    assert PortfolioImport.objects.get(pk=alive.pk).status == ImportStatus.RUNNING
    assert PortfolioImport.objects.get(pk=finished.pk).status == ImportStatus.DONE
    event = AuditEvent.objects.get(action="portfolio.import_stalled")
    assert event.details["portfolio"] == portfolio.code


def test_running_it_again_changes_nothing(settings):
    settings.CELERY_TASK_TIME_LIMIT = 60 * 60
    job(PortfolioFactory(), status=ImportStatus.RUNNING, started_minutes_ago=120)

    assert portfolio_imports_fail_stale() == 1
    assert portfolio_imports_fail_stale() == 0
    assert AuditEvent.objects.filter(action="portfolio.import_stalled").count() == 1
