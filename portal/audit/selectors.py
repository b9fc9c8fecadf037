from __future__ import annotations

from dataclasses import dataclass

from .hashing import GENESIS_HASH, event_hash
from .models import AuditEvent

_CHAIN_FIELDS = (
    "id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "details",
    "debtor_id",
    "prev_hash",
    "hash",
)


@dataclass(frozen=True)
class ChainReport:
    """Outcome of walking the chain: how many rows held, and the first that did not."""

    checked: int
    broken_id: int | None = None
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_id is None


def verify_chain(*, from_id: int | None = None, chunk_size: int = 2000) -> ChainReport:
    """Walk the audit chain in id order with constant memory; stop at the first broken row.

    Two checks per row: its `prev_hash` must equal the stored hash of the row before it
    (otherwise a row was removed or the rows reordered), and its stored `hash` must equal
    the hash recomputed from its content (otherwise the row was edited in place).
    Removing the newest rows cannot be seen from the chain alone; that needs the last
    hash kept somewhere else.
    """
    rows = AuditEvent.objects.order_by("id").only(*_CHAIN_FIELDS)
    expected_prev, prev_id = GENESIS_HASH, None
    if from_id is not None:
        rows = rows.filter(id__gte=from_id)
        before = (
            AuditEvent.objects.filter(id__lt=from_id)
            .order_by("-id")
            .values_list("id", "hash")
            .first()
        )
        if before is not None:
            prev_id, expected_prev = before
    checked = 0
    for event in rows.iterator(chunk_size=chunk_size):
        if event.prev_hash != expected_prev:
            if prev_id is None:
                why = "prev_hash is not the genesis hash: events before it were removed"
            else:
                why = (
                    f"prev_hash does not match the hash of event id={prev_id}: "
                    "an event between them was removed, or rows were reordered"
                )
            return ChainReport(checked=checked, broken_id=event.pk, reason=why)
        if event_hash(event) != event.hash:
            why = "hash does not match the row's content: the row was edited"
            return ChainReport(checked=checked, broken_id=event.pk, reason=why)
        expected_prev, prev_id = event.hash, event.pk
        checked += 1
    return ChainReport(checked=checked)


# Actions that record a debtor's consent or contact preferences: the habeas-data evidence.
CONSENT_ACTION_PREFIXES = ("consent.", "debtor.preferences", "outreach.unsubscribe")


def consent_evidence(debtor_id: int):
    """Every consent and preference event about one debtor, oldest first."""
    from django.db.models import Q

    matches = Q()
    for prefix in CONSENT_ACTION_PREFIXES:
        matches |= Q(action__startswith=prefix)
    return AuditEvent.objects.filter(matches, debtor_id=debtor_id).order_by("id")
