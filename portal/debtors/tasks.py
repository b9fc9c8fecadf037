from celery import shared_task

from . import services


@shared_task
def refresh_days_past_due() -> int:
    return services.debts_refresh_days_past_due()
