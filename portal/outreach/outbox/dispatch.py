"""Dispatching messages: claim and prepare them in one transaction, then hand each one to
its provider after the commit, journalled, and write the answers a batch at a time."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from portal.db import ids_param, is_postgresql

from ..channels import Outgoing, SendError, get_backend
from ..models import Message, MessageStatus
from .claim import claim, claimed_load
from .journal import OK, REFUSED_LOST, Journal, new_batch
from .prepare import prepare
from .results import results_write

RESULTS_EVERY = 100  # provider answers written together, one commit per hundred


def messages_dispatch(
    message_ids: list[int],
    *,
    now: dt.datetime | None = None,
    on_portal: bool = False,
) -> dict[str, int]:
    """Claim, decide and send the given messages that are due; returns counts by outcome."""
    now = now or timezone.now()
    batch = new_batch()
    journal = Journal(batch)
    with transaction.atomic():
        claimed = claim(message_ids, now)
        messages = claimed_load(claimed)
        # A campaign paused between queueing and claiming: its rows stay as they were.
        held = set(claimed) - {m.pk for m in messages}
        if held and not is_postgresql():
            Message.objects.filter(pk__in=held).update(status=MessageStatus.QUEUED)
        outgoing = prepare(messages, now, on_portal, batch) if messages else []
        if outgoing:
            journal.open()  # before the commit: from then on a row it omits never left
    counts = {"claimed": len(messages), "sent": 0, "failed": 0}
    results: list[dict] = []
    for i, item in enumerate(outgoing):
        refused = journal.before_hand_off(item.message_id)
        if refused != OK:
            _hand_off_stop(refused, batch, outgoing[i:])
            break
        result = _hand_off(item)
        journal.answered(item.message_id, result)
        counts[result["status"]] += 1
        results.append(result)
        if len(results) >= RESULTS_EVERY:
            journal.flush()
            results_write(results, outgoing)
            results = []
    journal.flush()
    results_write(results, outgoing)
    if outgoing:
        journal.close()
    counts["decided_not_sent"] = len(messages) - counts["sent"] - counts["failed"]
    return counts


def _hand_off_stop(refused: int, batch: str, left: list[Outgoing]) -> None:
    """The journal refused a write: hand off nothing more. Fenced, the sweeper owns the
    rows; lost (Redis forgot it), the rows not yet handed off go back to the queue here,
    since no journal will vouch for them later."""
    if refused == REFUSED_LOST:
        Message.objects.filter(
            pk__in=ids_param([o.message_id for o in left]),
            status=MessageStatus.SENDING,
            handoff_batch=batch,
        ).update(status=MessageStatus.QUEUED, attempts=F("attempts") - 1, handoff_batch="")


def _hand_off(item: Outgoing) -> dict:
    """One provider call, outside any transaction; returns the row's new values."""
    now = timezone.now()
    try:
        provider_id = get_backend(item.channel).send(item)
    except SendError as exc:
        return {"id": item.message_id, "status": "failed", "provider_id": None,
                "error": str(exc)[:255], "sent_at": now}  # fmt: skip
    return {"id": item.message_id, "status": "sent", "provider_id": provider_id,
            "error": "", "sent_at": now}  # fmt: skip
