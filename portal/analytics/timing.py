"""Best channel and hour band per debtor (docs/analytics.md, "Best channel and hour").

History: every written collection message (campaign or reminder, SMS, WhatsApp or email)
handed to a provider in the last `LOOKBACK`, counted in the debtor's local hour band it
was sent in. It got a response when, within `RESPONSE_WINDOW` of being sent, the debtor
opened its payment link, passed the identity check behind it, or wrote back on its channel.

Each debtor × channel × band rate is shrunk toward its segment's (the mora stage of the
debtor's most overdue debt), and the segment's toward the whole portfolio history's:
rate = (responses + K·prior) / (sent + K). The choice then obeys, in this order, consent
(granted, with an address), the contact policy (blocks, the weekday window of
`portal.outreach.rules`), the debtor's own hours and a preferred channel they stated on
the portal, and only then the estimate.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from portal.access.models import LinkOpen, PaymentLink
from portal.audit.models import AuditEvent
from portal.audit.services import record
from portal.debtors.models import Debt, Debtor
from portal.debtors.selectors import mora_stages, stage_for_days
from portal.outreach.models import (
    SENT_STATUSES,
    Channel,
    Consent,
    ContactTiming,
    InboundMessage,
    Message,
    MessageKind,
)
from portal.outreach.rules import rules_for

# Local hours [from, to). Messages sent outside every band are not counted.
BANDS: tuple[tuple[int, int], ...] = ((8, 10), (10, 12), (12, 14), (14, 16), (16, 18), (18, 20))
# Calls are placed by agents and answered by conversations, not replies: not estimated here.
CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL)
K = 20  # pseudo-sends of prior: a debtor needs about K sends to outweigh the segment
RESPONSE_WINDOW = dt.timedelta(hours=48)
LOOKBACK = dt.timedelta(days=180)
STATED_PREFERENCE = "debtor.preferences_changed"  # the portal's preferences page
DEFAULT_ZONE = "America/Bogota"

Cell = tuple[str, tuple[int, int]]  # (channel, band)
UPDATED_FIELDS = ["channel", "hour_from", "hour_to", "response_rate", "estimates", "computed_at"]
DEBTOR_FIELDS = (
    "id",
    "phones",
    "emails",
    "preferred_channel",
    "contact_from",
    "contact_to",
    "state",
    "deceased",
    "legal_hold",
)


def shrunk_rate(responses: int, sent: int, prior: float, k: float = K) -> float:
    """Beta-binomial posterior mean with a Beta(k·prior, k·(1−prior)) prior."""
    return (responses + k * prior) / (sent + k)


def band_of(hour: int) -> tuple[int, int] | None:
    return next((band for band in BANDS if band[0] <= hour < band[1]), None)


@dataclass
class Person:
    zone: str
    country: str
    segment: str
    statuses: tuple[str, ...]


@dataclass
class Estimate:
    """Counts per debtor and per segment, and the priors they shrink toward."""

    debtor_counts: dict[int, dict[Cell, list[int]]]
    segment_rates: dict[str, dict[Cell, float]]
    people: dict[int, Person]

    def rate(self, debtor_id: int, cell: Cell) -> tuple[float, int, int]:
        """(rate, sent, responses) of one debtor's cell, shrunk toward its segment."""
        sent, responses = self.debtor_counts.get(debtor_id, {}).get(cell, (0, 0))
        prior = self.segment_rates.get(self.people[debtor_id].segment, {}).get(cell, 0.0)
        return shrunk_rate(responses, sent, prior), sent, responses


def _people() -> dict[int, Person]:
    """Zone, country, segment and debt statuses of every debtor who owes something."""
    stages = mora_stages()
    rows: dict[int, list[tuple]] = defaultdict(list)
    for row in Debt.objects.values_list(
        "debtor_id",
        "days_past_due",
        "status",
        "portfolio__timezone",
        "portfolio__country",
        "debtor__timezone",
    ).order_by("debtor_id", "id"):
        rows[row[0]].append(row[1:])
    people = {}
    for debtor_id, debts in rows.items():
        stage = stage_for_days(max(d[0] for d in debts), stages)
        people[debtor_id] = Person(
            zone=debts[0][4] or debts[0][2] or DEFAULT_ZONE,
            country=debts[0][3],
            segment=stage.code if stage else "",
            statuses=tuple(d[1] for d in debts),
        )
    return people


def _history(as_of: dt.datetime):
    """(debtor, channel, sent at, link opened, verified, replied) per counted message."""
    until = as_of - RESPONSE_WINDOW  # later messages have not had their full window yet
    window_end = OuterRef("sent_at") + RESPONSE_WINDOW
    opened = LinkOpen.objects.filter(
        link_id=OuterRef("payment_link_id"),
        opened_at__gte=OuterRef("sent_at"),
        opened_at__lte=window_end,
    )
    verified = PaymentLink.objects.filter(
        pk=OuterRef("payment_link_id"),
        verified_at__gte=OuterRef("sent_at"),
        verified_at__lte=window_end,
    )
    replied = InboundMessage.objects.filter(
        debtor_id=OuterRef("debtor_id"),
        channel=OuterRef("channel"),
        received_at__gte=OuterRef("sent_at"),
        received_at__lte=window_end,
    )
    return (
        Message.objects.filter(
            status__in=SENT_STATUSES,
            kind__in=[MessageKind.CAMPAIGN, MessageKind.REMINDER],
            channel__in=CHANNELS,
            sent_at__gte=as_of - LOOKBACK,
            sent_at__lte=until,
        )
        .annotate(opened=Exists(opened), verified=Exists(verified), replied=Exists(replied))
        .values_list("debtor_id", "channel", "sent_at", "opened", "verified", "replied")
    )


def _cells() -> dict[Cell, list[int]]:
    return defaultdict(lambda: [0, 0])  # [sent, responses]


def contact_timing_estimate(*, as_of: dt.datetime, debtor_ids=None) -> Estimate:
    """Counts and priors from the whole history, in a fixed number of queries; the
    segment priors always use every debtor, `debtor_ids` only limits the debtor counts."""
    people = _people()
    wanted = None if debtor_ids is None else set(debtor_ids)
    zones: dict[str, ZoneInfo] = {}
    debtor_counts: dict[int, dict[Cell, list[int]]] = defaultdict(_cells)
    segment_counts: dict[str, dict[Cell, list[int]]] = defaultdict(_cells)
    overall: dict[Cell, list[int]] = _cells()
    for debtor_id, channel, sent_at, opened, verified, replied in _history(as_of):
        person = people.get(debtor_id)
        if person is None:
            continue
        zone = zones.setdefault(person.zone, ZoneInfo(person.zone))
        band = band_of(sent_at.astimezone(zone).hour)
        if band is None:
            continue
        cell, hit = (channel, band), int(opened or verified or replied)
        targets = [segment_counts[person.segment][cell], overall[cell]]
        if wanted is None or debtor_id in wanted:
            targets.append(debtor_counts[debtor_id][cell])
        for counts in targets:
            counts[0] += 1
            counts[1] += hit
    overall_rate = {cell: r / n for cell, (n, r) in overall.items() if n}
    segment_rates = {
        segment: {
            cell: shrunk_rate(r, n, overall_rate.get(cell, 0.0)) for cell, (n, r) in cells.items()
        }
        for segment, cells in segment_counts.items()
    }
    for segment in {p.segment for p in people.values()}:
        rates = segment_rates.setdefault(segment, {})
        for cell, value in overall_rate.items():
            rates.setdefault(cell, value)
    return Estimate(debtor_counts, segment_rates, people)


def _hours(start: dt.time, end: dt.time) -> tuple[int, int]:
    """Whole local hours inside [start, end): 07:30–19:00 gives 8–19."""
    first = start.hour + (1 if (start.minute or start.second) else 0)
    return first, end.hour


def _window(debtor: Debtor, person: Person) -> tuple[int, int] | None:
    """The policy's weekday window narrowed by the debtor's own hours, in whole hours."""
    rules = rules_for(person.country, debtor.state)
    if debtor.deceased or debtor.legal_hold or rules.weekday is None:
        return None
    if any(s in rules.stop_statuses for s in person.statuses) or all(
        s in rules.done_statuses for s in person.statuses
    ):
        return None
    start = max(_hours(*rules.weekday)[0], _hours(debtor.contact_from, debtor.contact_to)[0])
    end = min(_hours(*rules.weekday)[1], _hours(debtor.contact_from, debtor.contact_to)[1])
    return (start, end) if start < end else None


def _has_address(debtor: Debtor, channel: str) -> bool:
    return bool(debtor.emails if channel == Channel.EMAIL else debtor.phones)


def contact_timing_choose(
    estimate: Estimate, debtor: Debtor, *, granted: set[str], stated: bool
) -> dict | None:
    """The row for one debtor: consent > policy > stated preference > estimate; None when
    no channel and band is allowed."""
    person = estimate.people.get(debtor.pk)
    window = _window(debtor, person) if person else None
    channels = [c for c in CHANNELS if c in granted and _has_address(debtor, c)]
    if window is None or not channels:
        return None
    bands = [
        (band, (max(band[0], window[0]), min(band[1], window[1])))
        for band in BANDS
        if max(band[0], window[0]) < min(band[1], window[1])
    ]
    if not bands:
        return None
    table = {
        channel: {band: estimate.rate(debtor.pk, (channel, band)) for band, _clip in bands}
        for channel in channels
    }

    def best_band(channel: str):
        return max(bands, key=lambda b: table[channel][b[0]][0])

    if stated and debtor.preferred_channel in channels:
        channel, reason = debtor.preferred_channel, "preference"
    else:
        channel = max(channels, key=lambda c: table[c][best_band(c)[0]][0])
        reason = "estimate"
    band, (hour_from, hour_to) = best_band(channel)
    return {
        "channel": channel,
        "hour_from": hour_from,
        "hour_to": hour_to,
        "response_rate": round(table[channel][band][0], 6),
        "estimates": {
            "reason": reason,
            "segment": person.segment,
            "k": K,
            "rates": {
                c: {f"{b[0]}-{b[1]}": [round(v[0], 4), v[1], v[2]] for b, v in cells.items()}
                for c, cells in table.items()
            },
        },
    }


@transaction.atomic
def contact_timing_refresh(*, as_of: dt.datetime | None = None) -> int:
    """Recompute every debtor's best channel and hour; drops rows of debtors no longer
    reachable. Returns how many rows were written."""
    as_of = as_of or timezone.now()
    estimate = contact_timing_estimate(as_of=as_of)
    granted: dict[int, set[str]] = defaultdict(set)
    for debtor_id, channel in Consent.objects.filter(granted=True).values_list(
        "debtor_id", "channel"
    ):
        granted[debtor_id].add(channel)
    stated = set(
        AuditEvent.objects.filter(action=STATED_PREFERENCE).values_list("debtor_id", flat=True)
    )
    rows = []
    debtors = Debtor.objects.filter(Exists(Debt.objects.filter(debtor_id=OuterRef("pk"))))
    for debtor in debtors.only(*DEBTOR_FIELDS):
        chosen = contact_timing_choose(
            estimate, debtor, granted=granted[debtor.pk], stated=debtor.pk in stated
        )
        if chosen:
            rows.append(ContactTiming(debtor_id=debtor.pk, computed_at=as_of, **chosen))
    ContactTiming.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["debtor"],
        update_fields=UPDATED_FIELDS,
    )
    # Rows this run did not write belong to debtors no longer reachable.
    removed, _ = ContactTiming.objects.exclude(computed_at=as_of).delete()
    record(
        "analytics.contact_timing_refreshed",
        details={"as_of": as_of, "written": len(rows), "removed": removed, "k": K},
    )
    return len(rows)
