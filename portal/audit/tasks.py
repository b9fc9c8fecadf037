from celery import shared_task

from . import services


@shared_task
def verify_audit_chain(requested_by: int | None = None) -> dict:
    return services.chain_verification_run(requested_by=requested_by)
