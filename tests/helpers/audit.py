"""The audit chain as tests see it: seal what was recorded, as the beat would, and reload."""

from __future__ import annotations

from portal.audit.models import AuditEvent
from portal.audit.services import audit_chain_seal


def sealed(*events: AuditEvent) -> list[AuditEvent]:
    """Seal every committed-so-far row and hand back `events` as stored, chain columns set."""
    audit_chain_seal()
    by_id = AuditEvent.objects.in_bulk([event.pk for event in events])
    return [by_id[event.pk] for event in events]
