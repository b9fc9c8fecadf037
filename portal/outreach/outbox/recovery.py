"""Settling the rows a killed worker left `sending`, from its batch's hand-off journal
(what the journal tells and why a missing one makes every row `uncertain`: `journal.py`)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.audit.services import record
from portal.db import ids_param

from ..models import Message, MessageStatus
from .journal import BEAT, IN_FLIGHT, answer_decode, journal_beat, journal_delete, journal_fence
from .results import results_write

STALE_AFTER = dt.timedelta(minutes=15)


def messages_interrupted_recover(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Rows a killed worker left in `sending`, settled from its hand-off journal: answered
    rows get their answer, the one in flight becomes `uncertain` (maybe sent: never sent
    again), rows that never reached the provider are queued again. Returns counts."""
    now = now or timezone.now()
    stale: dict[str, list[tuple[int, str]]] = {}
    for pk, batch, kind in (
        Message.objects.filter(status=MessageStatus.SENDING, claimed_at__lt=now - STALE_AFTER)
        .order_by("id")
        .values_list("id", "handoff_batch", "kind")
    ):
        stale.setdefault(batch, []).append((pk, kind))
    counts = {"answered": 0, "uncertain": 0, "requeued": 0}
    for batch, rows in stale.items():
        for key, value in _batch_recover(batch, rows, now).items():
            counts[key] += value
    return counts


def _beat_time(journal: dict | None) -> dt.datetime | None:
    if not journal or BEAT not in journal:
        return None
    return dt.datetime.fromtimestamp(float(journal[BEAT]), tz=dt.UTC)


def _batch_recover(batch: str, rows: list[tuple[int, str]], now: dt.datetime) -> dict:
    beat = journal_beat(batch) if batch else None
    if beat is not None and now.timestamp() - beat < STALE_AFTER.total_seconds():
        return {}  # its worker still writes: a slow batch, not a dead one
    journal = journal_fence(batch) if batch else None
    answered, uncertain, requeue = [], [], []
    for pk, _kind in rows:
        entry = None if journal is None else journal.get(str(pk))
        if journal is None or entry == IN_FLIGHT:
            uncertain.append(pk)
        elif entry is None:
            requeue.append(pk)
        else:
            answered.append(answer_decode(pk, entry))
    with transaction.atomic():
        results_write(answered, dict(rows))
        if uncertain:
            Message.objects.filter(
                pk__in=ids_param(uncertain), status=MessageStatus.SENDING
            ).update(
                status=MessageStatus.UNCERTAIN,
                error="interrupted during hand-off: maybe sent; not resent",
                # When it went to the provider (the journal's last beat): it counts
                # toward the debtor's caps like a sent message.
                sent_at=_beat_time(journal) or F("claimed_at"),
            )
            record("message.uncertain", details={"messages": uncertain, "batch": batch})
        if requeue:
            # Never handed to the provider: the attempt did not happen. Its link was never
            # sent; dispatch decides the row again and mints it a new one.
            Message.objects.filter(pk__in=ids_param(requeue), status=MessageStatus.SENDING).update(
                status=MessageStatus.QUEUED, attempts=F("attempts") - 1, handoff_batch=""
            )
            # A campaign cancelled meanwhile: what never left is cancelled with it.
            Message.objects.filter(
                pk__in=ids_param(requeue), status=MessageStatus.QUEUED, campaign__status="cancelled"
            ).update(status=MessageStatus.CANCELLED)
            record("message.requeued", details={"messages": requeue, "batch": batch})
    if batch:
        journal_delete(batch)
    return {"answered": len(answered), "uncertain": len(uncertain), "requeued": len(requeue)}
