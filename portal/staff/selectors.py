"""Reads for the staff workspace: may an agent call or visit now, the debtor's debts to
pick, and a campaign's funnel."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from agreements.models import Agreement
from payments.models import Payment
from portal.access.models import PaymentLink
from portal.debtors.models import Debt, Debtor, DebtStatus
from portal.outreach.models import (
    SENT_STATUSES,
    Campaign,
    Channel,
    ContactOutcome,
    Message,
    MessageKind,
    Outcome,
)
from portal.outreach.policy import Decision, decide
from portal.outreach.rules import rules_for
from portal.outreach.selectors import address_for, facts_for_many

# Plain words for the policy's reasons, for the agent about to dial.
REASONS = {
    "deceased": _("the debtor is marked deceased"),
    "legal_hold": _("contact is suspended (legal hold)"),
    "consent_revoked": _("the debtor revoked consent for calls"),
    "no_consent": _("no consent for calls is on record"),
    "no_address": _("no phone number on file"),
    "outside_window": _("outside the legal contact hours"),
    "outside_window_other_zone": _(
        "outside the legal contact hours in another time zone the debtor may be in "
        "(address state or phone area code)"
    ),
    "no_common_window": _(
        "no hour is inside the contact window in every time zone the debtor may be in"
    ),
    "call_after_conversation": _(
        "the debtor was spoken to by phone about the debt in the last 7 days"
    ),
    "phone_contacts_cap_7_days": _(
        "the state's limit of calls and texts on the debt in 7 days is reached"
    ),
    "preferred_channel_first": _("the debtor's preferred channel has not been tried first"),
    "call_cap_7_days": _("7 call attempts on this debt in the last 7 days"),
    "same_day_other_channel": _("already contacted today on another channel"),
    "daily_cap": _("already contacted today"),
    "weekly_cap": _("weekly contact limit reached"),
    "weekly_channels": _("another channel was already used this week"),
}


VISIT = "visit"  # not a message channel: visits are ContactOutcome rows (outreach counts them)
_ALLOWED = {Channel.CALL: _("Calling now is allowed."), VISIT: _("Visiting now is allowed.")}
_NOT_NOW = {
    Channel.CALL: _("Do not call now: %(why)s. Next allowed: %(when)s (%(zone)s)."),
    VISIT: _("Do not visit now: %(why)s. Next allowed: %(when)s (%(zone)s)."),
}
_NOT = {Channel.CALL: _("Do not call: %(why)s."), VISIT: _("Do not visit: %(why)s.")}


@dataclass(frozen=True)
class CallCheck:
    """The contact policy's answer for calling (or visiting) now, about the debtor or one of
    their debts."""

    debt: Debt | None
    decision: Decision
    timezone: str  # the debtor's zone, the one the rules are read in
    channel: str = Channel.CALL

    @property
    def allowed(self) -> bool:
        return self.decision.action == "send"

    @property
    def explanation(self) -> str:
        if self.allowed:
            return str(_ALLOWED[self.channel])
        reason = self.decision.reason
        if reason.startswith("debt_"):
            status = reason.removeprefix("debt_")
            label = DebtStatus(status).label if status in DebtStatus.values else status
            why = _("the debt is %(status)s") % {"status": str(label).lower()}
        else:
            why = REASONS.get(reason, reason)
        if self.decision.until:
            local = self.decision.until.astimezone(ZoneInfo(self.timezone))
            return _NOT_NOW[self.channel] % {
                "why": why,
                "when": date_format(local, "DATETIME_FORMAT"),
                "zone": self.timezone,
            }
        return _NOT[self.channel] % {"why": why}


def debtor_debts(debtor: Debtor) -> list[Debt]:
    return list(Debt.objects.filter(debtor=debtor).select_related("portfolio").order_by("id"))


def call_checks(
    debtor: Debtor,
    debts: list[Debt],
    *,
    at: dt.datetime | None = None,
    channel: str = Channel.CALL,
) -> list[CallCheck]:
    """The policy's decision for a call (or, with `channel="visit"`, a field visit) now: one
    for the debtor, then one per debt (the 7-calls-in-7-days rule counts per debt). The same
    facts and `decide` as every message, loaded for all of them at once.

    A visit has the calls' window (Ley 2300's hours hold for every collection contact, and
    the debtor's own hours narrow them), the do-not-contact flags and debt statuses, and the
    daily/weekly caps, which count visits as attempts. Consent is not asked: consent is
    recorded per message channel and a visit is none (see docs/staff.md, "Visits")."""
    at = at or timezone.now()
    to = address_for(debtor, Channel.CALL) if channel == Channel.CALL else "field visit"
    # Unsaved stand-ins for "a call to this debtor (about this debt)"; the negative ids only
    # key the facts and are never written.
    probes = [
        Message(pk=-(i + 1), debtor=debtor, debt=debt, channel=channel, to=to)
        for i, debt in enumerate([None, *debts])
    ]
    for probe in probes:
        probe.kind = MessageKind.CALL
    facts = facts_for_many(probes, now=at)
    country = debts[0].portfolio.country if debts else "CO"
    checks = []
    for probe in probes:
        probe_country = probe.debt.portfolio.country if probe.debt else country
        known = facts[probe.pk]
        if channel == VISIT:
            known = replace(known, consent=True)
        rules = rules_for(probe_country, debtor.state)
        decision = decide(known, channel=channel, at=at, rules=rules)
        checks.append(CallCheck(probe.debt, decision, known.timezone, channel))
    return checks


def call_check(
    debtor: Debtor, debt: Debt | None, *, at: dt.datetime | None = None, channel: str = "call"
) -> CallCheck:
    return call_checks(debtor, [debt] if debt else [], at=at, channel=channel)[-1 if debt else 0]


def visit_checks(debtor: Debtor, debts: list[Debt], *, at: dt.datetime | None = None):
    return call_checks(debtor, debts, at=at, channel=VISIT)


def visit_check(debtor: Debtor, debt: Debt | None, *, at: dt.datetime | None = None):
    return call_check(debtor, debt, at=at, channel=VISIT)


def recent_outcomes(debtor: Debtor, *, limit: int = 5) -> list[ContactOutcome]:
    return list(
        ContactOutcome.objects.filter(debtor=debtor)
        .select_related("agent")
        .order_by("-occurred_at", "-id")[:limit]
    )


def open_call_disputes(debtor: Debtor) -> list[ContactOutcome]:
    """Disputes the debtor raised on calls that nobody has resolved yet, oldest first."""
    return list(
        ContactOutcome.objects.filter(
            debtor=debtor, outcome=Outcome.DISPUTE, debt__isnull=False, resolution__isnull=True
        )
        .select_related("debt", "agent")
        .order_by("occurred_at", "id")
    )


def campaign_funnel(campaign: Campaign) -> dict:
    """Targeted → blocked by reason → sent → delivered / failed → clicked → verified →
    agreements → amount paid, from the campaign's own messages and links. Staff's: it reads
    access links, agreements and payments, all above outreach."""
    messages = Message.objects.filter(campaign=campaign)
    counts = messages.aggregate(
        messages=Count("id"),
        queued=Count("id", filter=Q(status__in=["queued", "deferred", "sending"])),
        deferred=Count("id", filter=Q(status="deferred")),
        blocked=Count("id", filter=Q(status="blocked")),
        sent=Count("id", filter=Q(status__in=SENT_STATUSES)),
        delivered=Count("id", filter=Q(status="delivered")),
        failed=Count("id", filter=Q(status="failed")),
        uncertain=Count("id", filter=Q(status="uncertain")),  # for staff to review
        cancelled=Count("id", filter=Q(status="cancelled")),
    )
    blocked_by = dict(
        messages.filter(status="blocked")
        .values_list("block_reason")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    links = PaymentLink.objects.filter(campaign_id=campaign.pk)
    link_counts = links.aggregate(
        clicked=Count("id", filter=Q(first_opened_at__isnull=False)),
        verified=Count("id", filter=Q(verified_at__isnull=False)),
    )
    since = campaign.launched_at or timezone.now()
    agreements = Agreement.objects.filter(
        payment_link_id__in=links.values("id"), created_at__gte=since
    ).count()
    paid = Payment.objects.filter(
        debtor_id__in=links.filter(verified_at__isnull=False).values("debtor_id"),
        received_at__gte=since,
    ).aggregate(total=Sum("amount_minor"))["total"]
    done = counts["messages"] - counts["queued"]
    return {
        "targeted": campaign.targeted,
        **counts,
        "blocked_by": blocked_by,
        **link_counts,
        "agreements": agreements,
        "amount_paid_minor": paid or 0,
        "currency": campaign.portfolio.currency,
        "progress_pct": round(100 * done / counts["messages"]) if counts["messages"] else 0,
    }
