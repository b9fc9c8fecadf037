from celery import shared_task

from . import services
from .importing import uploads


@shared_task
def refresh_days_past_due() -> int:
    return services.debts_refresh_days_past_due()


@shared_task
def import_portfolio_file(import_id: int) -> None:
    uploads.portfolio_import_run(import_id=import_id)


@shared_task
def fail_stale_imports() -> int:
    return uploads.portfolio_imports_fail_stale()
