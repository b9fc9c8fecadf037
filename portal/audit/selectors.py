from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Max, Min
from django.utils import timezone

from .hashing import CONTENT_FIELDS, GENESIS_HASH, content_digest, event_content, event_hash
from .models import AuditEvent

_CHAIN_FIELDS = ("id", "chain_position", *CONTENT_FIELDS, "prev_hash", "hash")


@dataclass(frozen=True)
class ChainReport:
    """Outcome of walking the chain: how many sealed rows held, the first row that did not,
    and the unsealed tail (rows not linked yet, and when the oldest of them happened)."""

    checked: int
    broken_id: int | None = None
    reason: str = ""
    unsealed: int = 0
    oldest_unsealed_at: datetime | None = None

    @property
    def ok(self) -> bool:
        return self.broken_id is None

    @property
    def oldest_unsealed_seconds(self) -> int | None:
        if self.oldest_unsealed_at is None:
            return None
        return max(0, int((timezone.now() - self.oldest_unsealed_at).total_seconds()))


def verify_chain(
    *, from_id: int | None = None, from_position: int | None = None, chunk_size: int = 2000
) -> ChainReport:
    """Walk the sealed rows in chain order with constant memory; stop at the first broken
    row; then check the unsealed tail against the digests taken at insert.

    Two checks per sealed row: its `prev_hash` must equal the stored hash of the row at the
    position before (otherwise a row was removed or the rows reordered), and its stored
    `hash` must equal the hash recomputed from its content (otherwise it was edited in
    place). Removing the newest sealed rows cannot be seen from the chain alone; that needs
    the last hash kept somewhere else. `from_position` (or `from_id`: the position of that
    sealed event) starts there, trusting the stored hash of the position before it.
    """
    tail = AuditEvent.objects.filter(chain_position__isnull=True).aggregate(
        count=Count("id"), oldest=Min("occurred_at")
    )
    checked, broken_id, reason = _walk_sealed(_start(from_id, from_position), chunk_size)
    if broken_id is None:
        broken_id, reason = _walk_unsealed(chunk_size)
    return ChainReport(
        checked=checked,
        broken_id=broken_id,
        reason=reason,
        unsealed=tail["count"],
        oldest_unsealed_at=tail["oldest"],
    )


def _start(from_id: int | None, from_position: int | None) -> int | None:
    """`from_id` as a position: the lowest position among sealed events with id >= from_id
    (the event's own position, unless rows sealed out of id order come after it)."""
    if from_id is None:
        return from_position
    sealed = AuditEvent.objects.filter(chain_position__isnull=False)
    first = sealed.filter(id__gte=from_id).aggregate(first=Min("chain_position"))["first"]
    if first is not None:
        return first
    return 1 + (sealed.aggregate(last=Max("chain_position"))["last"] or 0)


def _walk_sealed(from_position: int | None, chunk_size: int) -> tuple[int, int | None, str]:
    rows = (
        AuditEvent.objects.filter(chain_position__isnull=False)
        .order_by("chain_position")
        .only(*_CHAIN_FIELDS)
    )
    expected_prev, prev_id = GENESIS_HASH, None
    if from_position is not None:
        rows = rows.filter(chain_position__gte=from_position)
        before = (
            AuditEvent.objects.filter(chain_position__lt=from_position)
            .order_by("-chain_position")
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
            return checked, event.pk, why
        if event_hash(event) != event.hash:
            return checked, event.pk, "hash does not match the row's content: the row was edited"
        expected_prev, prev_id = event.hash, event.pk
        checked += 1
    return checked, None, ""


def _walk_unsealed(chunk_size: int) -> tuple[int | None, str]:
    """Rows not sealed yet are covered by their insert digest only: an edit that left the
    digest alone shows; one that rewrote the digest too, or a deleted row, does not."""
    rows = (
        AuditEvent.objects.filter(chain_position__isnull=True)
        .exclude(content_digest="")
        .order_by("id")
        .only("id", "content_digest", *CONTENT_FIELDS)
    )
    for event in rows.iterator(chunk_size=chunk_size):
        if content_digest(event_content(event)) != event.content_digest:
            why = "content does not match its digest taken at insert: edited before sealing"
            return event.pk, why
    return None, ""


# Actions that record a debtor's consent or contact preferences: the habeas-data evidence.
CONSENT_ACTION_PREFIXES = ("consent.", "debtor.preferences", "outreach.unsubscribe")


def consent_evidence(debtor_id: int):
    """Every consent and preference event about one debtor, oldest first."""
    from django.db.models import Q

    matches = Q()
    for prefix in CONSENT_ACTION_PREFIXES:
        matches |= Q(action__startswith=prefix)
    return AuditEvent.objects.filter(matches, debtor_id=debtor_id).order_by("id")
