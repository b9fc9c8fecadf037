"""Celery tasks of the analytics app: thin wrappers that call one service each."""

from celery import shared_task

from .timing import contact_timing_refresh


@shared_task
def contact_timing_refresh_task() -> int:
    return contact_timing_refresh()
