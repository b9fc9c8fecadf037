"""A debtor's 360° timeline: every audited fact about them, newest first, in kinds.

Messages, link opens, identity checks and logins, offers shown, proposals and decisions,
agreements, payments and refunds, consent changes and staff notes are all audit events
that name the debtor (`AuditEvent.debtor_id`), so the timeline is one indexed query
whatever its length, and it cannot miss a kind of fact that is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.audit.models import AuditEvent
from portal.audit.readable import readable_details
from portal.debtors.models import CaseStatus, DebtStatus, DisputeReason, UpheldAction

KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "message": (_("Messages"), ("message.", "inbound.")),
    "link": (_("Links"), ("payment_link.",)),
    "identity": (_("Identity checks and logins"), ("identity_check.", "debtor.logout")),
    "offer": (_("Offers"), ("quote.",)),
    "proposal": (_("Proposals"), ("proposal.",)),
    "agreement": (_("Agreements and promises"), ("agreement.", "installment.", "promise.")),
    "payment": (
        _("Payments, refunds, disputes"),
        ("payment.", "debt.paid", "debt.dispute", "dispute."),
    ),
    "consent": (_("Consent and preferences"), ("consent.", "debtor.preferences")),
    "note": (_("Staff notes and calls"), ("staff.note", "call.")),
}
PAGE_SIZE = 50
# Codes events store, shown by their labels: the audit layer, below the models that name
# them, cannot know these (docs/architecture.md#layers). Keyed by action prefix, then key.
CHOICES: dict[str, dict[str, type]] = {
    "dispute.": {
        "reason": DisputeReason,
        "status": CaseStatus,
        "action": UpheldAction,
        "restored_to": DebtStatus,
    },
}


def labelled(action: str, details: dict | None) -> dict:
    """The details with every known code replaced by its label in the active language."""
    details = dict(details or {})
    for prefix, fields in CHOICES.items():
        if not action.startswith(prefix):
            continue
        for key, choices in fields.items():
            value = details.get(key)
            if isinstance(value, str) and value in choices.values:
                details[key] = str(choices(value).label)
    return details


@dataclass(frozen=True)
class TimelineEntry:
    event: AuditEvent
    kind: str

    @property
    def lines(self) -> list[tuple[str, str, list[str]]]:
        """The event's details in words: (label, text, or the items of a list)."""
        return [
            (label, "", value) if isinstance(value, list) else (label, value, [])
            for label, value in readable_details(labelled(self.event.action, self.event.details))
        ]

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind][0]) if self.kind in KINDS else str(_("Other"))


@dataclass(frozen=True)
class TimelinePage:
    entries: list[TimelineEntry]
    next_before: int | None  # pass as `before` for the next (older) page


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
