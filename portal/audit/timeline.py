"""A debtor's 360° timeline: every audited fact about them, newest first, in kinds.

Messages, link opens, identity checks and logins, offers shown, proposals and decisions,
agreements, payments and refunds, consent changes and staff notes are all audit events
that name the debtor (`AuditEvent.debtor_id`), so the timeline is one indexed query
whatever its length, and it cannot miss a kind of fact that is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from portal.debtors.money import format_minor

from .models import AuditEvent

KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "message": ("Messages", ("message.", "inbound.")),
    "link": ("Links", ("payment_link.",)),
    "identity": ("Identity checks and logins", ("identity_check.", "debtor.logout")),
    "offer": ("Offers", ("quote.",)),
    "proposal": ("Proposals", ("proposal.",)),
    "agreement": ("Agreements and promises", ("agreement.", "installment.", "promise.")),
    "payment": ("Payments, refunds, disputes", ("payment.", "debt.paid", "debt.dispute")),
    "consent": ("Consent and preferences", ("consent.", "debtor.preferences")),
    "note": ("Staff notes and calls", ("staff.note", "call.")),
}
PAGE_SIZE = 50


@dataclass(frozen=True)
class TimelineEntry:
    event: AuditEvent
    kind: str

    @property
    def summary(self) -> str:
        return summarize(self.event.details)


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_before: int | None  # pass as `before` for the next (older) page


# The details worth a glance in a list, in this order; the event page has them all.
_SUMMARY_KEYS = (
    "text",
    "channel",
    "status",
    "decision",
    "reason",
    "outcome",
    "installments",
    "number",
    "source",
)


def summarize(details: dict) -> str:
    parts = []
    currency = details.get("currency")
    for key, value in details.items():
        if key.endswith("amount_minor") and isinstance(value, int) and currency:
            parts.append(f"{key.removesuffix('_minor')}: {format_minor(value, currency)}")
    parts.extend(f"{key}: {details[key]}" for key in _SUMMARY_KEYS if details.get(key))
    text = " · ".join(parts)
    return text if len(text) <= 240 else text[:239] + "…"


def kind_of(action: str) -> str:
    for kind, (_label, prefixes) in KINDS.items():
        if action.startswith(prefixes):
            return kind
    return "other"


def _kind_filter(kind: str) -> Q:
    if kind == "other":
        known = Q()
        for _label, prefixes in KINDS.values():
            for prefix in prefixes:
                known |= Q(action__startswith=prefix)
        return ~known
    matches = Q()
    for prefix in KINDS[kind][1]:
        matches |= Q(action__startswith=prefix)
    return matches


def timeline_page(
    debtor_id: int, *, kind: str | None = None, before: int | None = None, size: int = PAGE_SIZE
) -> TimelinePage:
    """One page of the debtor's events, newest first; one query, keyset-paginated by id."""
    events = AuditEvent.objects.filter(debtor_id=debtor_id)
    if kind in KINDS or kind == "other":
        events = events.filter(_kind_filter(kind))
    if before is not None:
        events = events.filter(id__lt=before)
    rows = list(events.order_by("-id")[: size + 1])
    entries = [TimelineEntry(event, kind_of(event.action)) for event in rows[:size]]
    return TimelinePage(entries, rows[size - 1].pk if len(rows) > size else None)
