from __future__ import annotations

from celery import shared_task

from . import services


@shared_task
def verify_audit_chain(requested_by: int | None = None) -> dict:
    return services.chain_verification_run(requested_by=requested_by)


@shared_task
def seal_audit_chain() -> int:
    return services.audit_chain_seal()
