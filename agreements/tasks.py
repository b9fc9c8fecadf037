from celery import shared_task
from django.utils import timezone


@shared_task(bind=True, max_retries=3, default_retry_delay=30)
def render_agreement_pdf(self, agreement_id: int) -> str:
    from .documents import agreement_pdf_render

    return agreement_pdf_render(agreement_id=agreement_id)


@shared_task
def daily_agreement_review() -> dict:
    """Beat, every morning: promises kept or broken, installments late, agreements broken.

    "Today" is the date in settings.TIME_ZONE (America/Bogota), where the portfolios are;
    the review is idempotent, so a retry or a second run the same day changes nothing.
    """
    from .promises import daily_review

    result = daily_review(today=timezone.localdate())
    return {
        "promises_kept": len(result.promises_kept),
        "promises_broken": len(result.promises_broken),
        "installments_late": len(result.installments_late),
        "agreements_broken": len(result.agreements_broken),
    }


@shared_task
def send_reminders() -> dict:
    """Beat, every morning after the review: installments due in 3 days and today, broken
    promises and agreements, each through outreach's contact policy, each once."""
    from .reminders import reminders_queue

    return reminders_queue(today=timezone.localdate())


@shared_task(bind=True, max_retries=3, default_retry_delay=30)
def render_agreement_document(self, document_id: int) -> str:
    """A new version of the agreement's PDF after a schedule change."""
    from .documents import agreement_document_render

    return agreement_document_render(document_id=document_id)
