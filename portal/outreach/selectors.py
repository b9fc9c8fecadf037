from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import QuerySet
from django.utils import timezone

from portal.access.selectors import debtors_on_portal
from portal.debtors.models import Debt, Debtor

from .models import (
    RIGHT_PARTY_OUTCOMES,
    Channel,
    Consent,
    ContactMethod,
    ContactOutcome,
    Direction,
    InboundMessage,
    Message,
    MessageKind,
    MessageStatus,
)
from .policy import PHONE_CHANNELS, Facts
from .zones import plausible_zones

# What counts toward the caps: every outbound attempt handed to a provider (docs/compliance.md).
# `uncertain` (a hand-off a killed worker left unanswered) may have reached the debtor.
COUNTED = [
    MessageStatus.SENDING,
    MessageStatus.UNCERTAIN,
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
]
COUNTED_FAILED = [*COUNTED, MessageStatus.FAILED]


def consents_for(debtor: Debtor) -> dict[str, bool | None]:
    """Every channel with its state: True granted, False revoked, None never recorded."""
    states: dict[str, bool | None] = dict.fromkeys(Channel.values)
    for channel, granted in Consent.objects.filter(debtor=debtor).values_list("channel", "granted"):
        states[channel] = granted
    return states


def address_for(debtor: Debtor, channel: str) -> str:
    if channel == Channel.EMAIL:
        return debtor.emails[0] if debtor.emails else ""
    return debtor.phones[0] if debtor.phones else ""


def _conversations(debtor_ids: set[int], since: dt.datetime) -> dict[int, list[tuple]]:
    """(debt id or None, when) of each telephone conversation with the debtor since `since`:
    a phone or IVR call, either direction, where the agent spoke with the debtor themself."""
    found: dict[int, list[tuple]] = defaultdict(list)
    for debtor_id, debt_id, at in ContactOutcome.objects.filter(
        debtor_id__in=debtor_ids,
        occurred_at__gte=since,
        method__in=[ContactMethod.PHONE, ContactMethod.IVR],
        outcome__in=RIGHT_PARTY_OUTCOMES,
    ).values_list("debtor_id", "debt_id", "occurred_at"):
        found[debtor_id].append((debt_id, at))
    return found


def _visits(debtor_ids: set[int], since: dt.datetime) -> dict[int, list]:
    """When field agents visited each debtor since `since`: every outbound visit is a
    collection attempt (Ley 2300 counts every contact, docs/compliance.md "what counts toward the
    caps"), kept as a ContactOutcome rather than a message."""
    found: dict[int, list] = defaultdict(list)
    for debtor_id, at in ContactOutcome.objects.filter(
        debtor_id__in=debtor_ids,
        occurred_at__gte=since,
        method=ContactMethod.VISIT,
        direction=Direction.OUTBOUND,
    ).values_list("debtor_id", "occurred_at"):
        found[debtor_id].append((at, "visit"))
    return found


def facts_for_many(
    messages: list[Message], *, now: dt.datetime | None = None, on_portal: bool = False
) -> dict[int, Facts]:
    """Facts for each message's debtor and channel, in a fixed number of queries."""
    now = now or timezone.now()
    since = now - dt.timedelta(days=8)
    debtor_ids = {m.debtor_id for m in messages}
    consents = {
        (d, c): g
        for d, c, g in Consent.objects.filter(debtor_id__in=debtor_ids).values_list(
            "debtor_id", "channel", "granted"
        )
    }
    debts: dict[int, list[tuple]] = defaultdict(list)
    for row in Debt.objects.filter(debtor_id__in=debtor_ids).values_list(
        "debtor_id", "id", "portfolio_id", "status", "portfolio__timezone"
    ):
        debts[row[0]].append(row[1:])
    sent: dict[int, list] = defaultdict(list)
    phone: dict[int, list] = defaultdict(list)  # (debt id or None, when): calls and texts
    calls: dict[int, list] = defaultdict(list)
    for debtor_id, channel, debt_id, at, kind in Message.objects.filter(
        debtor_id__in=debtor_ids, status__in=COUNTED_FAILED, sent_at__gte=since
    ).values_list("debtor_id", "channel", "debt_id", "sent_at", "kind"):
        if kind != "notice":
            sent[debtor_id].append((at, channel))
            if channel in PHONE_CHANNELS:
                phone[debtor_id].append((debt_id, at))
        if channel == Channel.CALL and debt_id:
            calls[debt_id].append(at)
    for debtor_id, visits in _visits(debtor_ids, since).items():
        sent[debtor_id].extend(visits)
    inbound: dict[int, list] = defaultdict(list)
    for debtor_id, at in InboundMessage.objects.filter(
        debtor_id__in=debtor_ids, received_at__gte=since
    ).values_list("debtor_id", "received_at"):
        inbound[debtor_id].append(at)
    # Only calls wait after a conversation: batches without one skip the query.
    calling = any(m.channel == Channel.CALL for m in messages)
    conversations = _conversations(debtor_ids, since) if calling else {}
    # Only notices may leave the window while the debtor is on the portal. A caller in the
    # debtor's own request says so (`on_portal`); otherwise their live session does.
    notified = {m.debtor_id for m in messages if m.kind == MessageKind.NOTICE}
    present = set() if on_portal else debtors_on_portal(notified, now=now)
    facts = {}
    for message in messages:
        debtor = message.debtor
        rows = debts[debtor.pk]
        portfolio_id = message.campaign.portfolio_id if message.campaign_id else None
        if message.debt_id:
            concerned = [r for r in rows if r[0] == message.debt_id]
        elif portfolio_id:
            concerned = [r for r in rows if r[1] == portfolio_id]
        else:
            concerned = rows
        zone = debtor.timezone or (concerned or rows or [(0, 0, 0, "America/Bogota")])[0][3]
        zones = plausible_zones(
            own=debtor.timezone, state=debtor.state, phones=debtor.phones, fallback=zone
        )
        # An attempt or conversation that named no debt was about each of the debtor's.
        debt_ids = [r[0] for r in concerned]
        talks = [t for d, t in conversations.get(debtor.pk, ()) if d is None or d in debt_ids]
        preferred = debtor.preferred_channel
        facts[message.pk] = Facts(
            timezone=zones[0],
            other_zones=zones[1:],
            deceased=debtor.deceased,
            legal_hold=debtor.legal_hold,
            debt_statuses=tuple(r[2] for r in concerned),
            consent=consents.get((debtor.pk, message.channel)),
            has_address=bool(message.to),
            contact_from=debtor.contact_from,
            contact_to=debtor.contact_to,
            sent=tuple(sent[debtor.pk]),
            calls_on_debt=tuple(calls[message.debt_id]) if message.debt_id else (),
            phone_contacts_by_debt=tuple(
                tuple(t for d, t in phone[debtor.pk] if d is None or d == debt_id)
                for debt_id in debt_ids
            ),
            last_conversation=max(talks, default=None),
            preferred_channel=preferred,
            preferred_usable=consents.get((debtor.pk, preferred)) is True
            and bool(address_for(debtor, preferred)),
            preferred_planned=bool(message.campaign_id) and preferred in message.campaign.channels,
            inbound=tuple(inbound[debtor.pk]),
            on_portal=on_portal or debtor.pk in present,
        )
    return facts


def due_message_ids(*, now: dt.datetime, limit: int = 5000) -> list[int]:
    return list(
        Message.objects.filter(
            status__in=[MessageStatus.QUEUED, MessageStatus.DEFERRED], not_before__lte=now
        )
        .exclude(campaign__status__in=["paused", "cancelled", "draft"])
        .order_by("not_before", "id")
        .values_list("id", flat=True)[:limit]
    )


def debtor_messages(debtor: Debtor, *, limit: int = 50) -> QuerySet[Message]:
    """What the debtor was sent (never what was blocked or is still waiting, nor calls)."""
    return (
        Message.objects.filter(
            debtor=debtor,
            status__in=[MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED],
        )
        .exclude(channel=Channel.CALL)
        .order_by("-sent_at", "-id")[:limit]
    )
