"""Features of each debt as the portal knew it at a cut-off date, from its own history.

`debt_features(as_of=...)` reads every source only up to `as_of` (strictly before), so a
model trained on features at past cut-offs never sees the future. Debtor-level facts
(messages, replies, calls, portal visits, agreements, consent) repeat on each of the
debtor's debts. The number of queries is fixed (six), whatever the number of debts.

`FEATURE_NAMES` is the order of `DebtFeatures.vector()`, the numbers a model consumes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, IntegerField, Max, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, TruncMonth

from agreements.models import Agreement, PromiseStatus, PromiseToPay
from portal.access.models import LinkOpen
from portal.audit.models import AuditEvent
from portal.debtors.models import Debt, Debtor, LedgerEntry, LedgerKind, MoraStage
from portal.debtors.services import days_past_due
from portal.outreach.models import (
    RIGHT_PARTY_OUTCOMES,
    Channel,
    Consent,
    ContactOutcome,
    InboundMessage,
    Message,
    Outcome,
)

MESSAGE_CHANNELS = (Channel.SMS, Channel.WHATSAPP, Channel.EMAIL)
TREND_DAYS = 30
REGULARITY_MONTHS = 6
CONSENT_ACTIONS = ("consent.granted", "consent.revoked")

_DEBT_FEATURES = (
    "days_past_due",
    "mora_stage_index",
    "balance_minor",
    "balance_30d_before_minor",
    "balance_change_30d_minor",
    "payments_count",
    "payment_months_last_6",
    "days_since_last_payment",
    "promises_made",
    "promises_kept",
    "promises_broken",
)
_MESSAGE_FEATURES = tuple(
    f"{channel}_{what}"
    for channel in MESSAGE_CHANNELS
    for what in ("sent", "delivered", "clicked", "replied")
)
_DEBTOR_FEATURES = (
    "agreements_made",
    "agreements_broken",
    "calls",
    "calls_reached",
    "calls_promise",
    "link_opens",
    "verified_sessions",
    "response_hour",
    "response_weekday",
)
_CONSENT_FEATURES = tuple(f"consent_{channel}" for channel in Channel.values)
FEATURE_NAMES: tuple[str, ...] = (
    _DEBT_FEATURES + _MESSAGE_FEATURES + _DEBTOR_FEATURES + _CONSENT_FEATURES
)


@dataclass
class DebtFeatures:
    """One debt at `as_of`. `values` maps every FEATURE_NAMES entry to an int, or None
    where the fact does not exist (no payment yet, no response to take an hour from)."""

    debt_id: int
    debtor_id: int
    as_of: dt.datetime
    stage_code: str | None
    values: dict[str, int | None] = field(default_factory=dict)

    def vector(self) -> list[float]:
        """The values in FEATURE_NAMES order, None as NaN (for numpy / scikit-learn)."""
        return [float("nan") if (v := self.values[n]) is None else float(v) for n in FEATURE_NAMES]


def _count(queryset: QuerySet, outer: str) -> Coalesce:
    """COUNT of `queryset` per outer row, as a correlated subquery (no join fan-out)."""
    counted = queryset.order_by().values(outer).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def _sum(queryset: QuerySet, outer: str, column: str) -> Coalesce:
    summed = queryset.order_by().values(outer).annotate(s=Sum(column)).values("s")
    return Coalesce(Subquery(summed, output_field=IntegerField()), 0)


def debt_features(
    *, as_of: dt.datetime, debt_ids: Iterable[int] | None = None
) -> list[DebtFeatures]:
    """Features of the debts loaded before `as_of` (all, or those in `debt_ids`), by id."""
    debts = Debt.objects.filter(created_at__lt=as_of)
    if debt_ids is not None:
        debt_ids = list(debt_ids)
        if not debt_ids:
            return []
        debts = debts.filter(pk__in=debt_ids)
    rows = list(_debt_rows(debts, as_of))
    if not rows:
        return []
    # A subquery, not a list of ids: a whole portfolio would pass SQLite's parameter limit.
    debtor_ids = debts.order_by().values("debtor_id")
    debtors = {row["pk"]: row for row in _debtor_rows(debtor_ids, as_of)}
    timezones = {row["debtor_id"]: row["portfolio__timezone"] for row in rows}
    responses = _response_times(debtor_ids, as_of, timezones)
    consents = _consents_at(debtor_ids, as_of)
    stages = list(MoraStage.objects.all())
    return [
        _assemble(row, as_of, stages, debtors[row["debtor_id"]], responses, consents)
        for row in rows
    ]


def _debt_rows(debts: QuerySet[Debt], as_of: dt.datetime) -> QuerySet:
    ledger = LedgerEntry.objects.filter(debt=OuterRef("pk"))
    known = ledger.filter(created_at__lt=as_of)
    payments = known.filter(kind=LedgerKind.PAYMENT)
    first_month = _months_back(as_of.date(), REGULARITY_MONTHS - 1)
    months = (
        payments.filter(effective_date__gte=first_month)
        .order_by()
        .values("debt")
        .annotate(n=Count(TruncMonth("effective_date"), distinct=True))
        .values("n")
    )
    last_payment = payments.order_by().values("debt").annotate(m=Max("created_at")).values("m")
    promises = PromiseToPay.objects.filter(debt=OuterRef("pk"))
    resolved = promises.filter(resolved_at__lt=as_of)
    return (
        debts.order_by("pk")
        .annotate(
            at_cutoff=_sum(known, "debt", "amount_minor"),
            month_before=_sum(
                ledger.filter(created_at__lt=as_of - dt.timedelta(days=TREND_DAYS)),
                "debt",
                "amount_minor",
            ),
            payments_count=_count(payments, "debt"),
            payment_months=Coalesce(Subquery(months, output_field=IntegerField()), 0),
            last_payment_at=Subquery(last_payment),
            promises_made=_count(promises.filter(created_at__lt=as_of), "debt"),
            promises_kept=_count(resolved.filter(status=PromiseStatus.KEPT), "debt"),
            promises_broken=_count(resolved.filter(status=PromiseStatus.BROKEN), "debt"),
        )
        .values(
            "pk",
            "debtor_id",
            "original_due_date",
            "portfolio__timezone",
            "at_cutoff",
            "month_before",
            "payments_count",
            "payment_months",
            "last_payment_at",
            "promises_made",
            "promises_kept",
            "promises_broken",
        )
    )


def _months_back(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def _debtor_rows(debtor_ids: QuerySet, as_of: dt.datetime) -> QuerySet:
    messages = Message.objects.filter(debtor=OuterRef("pk"))
    # A link can ride on several messages: an open counts for those sent before it.
    clicked = LinkOpen.objects.filter(
        link=OuterRef("payment_link"), opened_at__gte=OuterRef("sent_at"), opened_at__lt=as_of
    )
    replies = InboundMessage.objects.filter(debtor=OuterRef("pk"), received_at__lt=as_of)
    calls = ContactOutcome.objects.filter(debtor=OuterRef("pk"), occurred_at__lt=as_of)
    agreements = Agreement.objects.filter(debtor=OuterRef("pk"))
    annotations = {
        "agreements_made": _count(agreements.filter(accepted_at__lt=as_of), "debtor"),
        "agreements_broken": _count(agreements.filter(broken_at__lt=as_of), "debtor"),
        "calls": _count(calls, "debtor"),
        "calls_reached": _count(calls.filter(outcome__in=RIGHT_PARTY_OUTCOMES), "debtor"),
        "calls_promise": _count(calls.filter(outcome=Outcome.PROMISE), "debtor"),
        "link_opens": _count(
            LinkOpen.objects.filter(link__debtor=OuterRef("pk"), opened_at__lt=as_of),
            "link__debtor",
        ),
        # The link keeps only its latest verification; the audit log keeps every one.
        "verified_sessions": _count(
            AuditEvent.objects.filter(
                debtor_id=OuterRef("pk"), action="identity_check.passed", occurred_at__lt=as_of
            ),
            "debtor_id",
        ),
    }
    for channel in MESSAGE_CHANNELS:
        on_channel = messages.filter(channel=channel)
        sent = on_channel.filter(sent_at__lt=as_of)
        annotations[f"{channel}_sent"] = _count(sent, "debtor")
        annotations[f"{channel}_delivered"] = _count(
            on_channel.filter(delivered_at__lt=as_of), "debtor"
        )
        annotations[f"{channel}_clicked"] = _count(sent.filter(Exists(clicked)), "debtor")
        annotations[f"{channel}_replied"] = _count(replies.filter(channel=channel), "debtor")
    return (
        Debtor.objects.filter(pk__in=debtor_ids).annotate(**annotations).values("pk", *annotations)
    )


def _response_times(
    debtor_ids: QuerySet, as_of: dt.datetime, timezones: dict[int, str]
) -> dict[int, tuple[int, int]]:
    """Each debtor's most frequent local hour and weekday (Monday 0) of replies and link
    opens before `as_of`; the earliest wins a tie."""
    replies = InboundMessage.objects.filter(debtor_id__in=debtor_ids, received_at__lt=as_of)
    opens = LinkOpen.objects.filter(link__debtor_id__in=debtor_ids, opened_at__lt=as_of)
    union = (
        replies.order_by()
        .values_list("debtor_id", "received_at")
        .union(opens.order_by().values_list("link__debtor_id", "opened_at"), all=True)
    )
    hours: dict[int, Counter] = {}
    weekdays: dict[int, Counter] = {}
    for debtor_id, at in union:
        local = at.astimezone(ZoneInfo(timezones[debtor_id]))
        hours.setdefault(debtor_id, Counter())[local.hour] += 1
        weekdays.setdefault(debtor_id, Counter())[local.weekday()] += 1
    return {d: (_mode(hours[d]), _mode(weekdays[d])) for d in hours}


def _mode(counts: Counter) -> int:
    return min(counts, key=lambda value: (-counts[value], value))


def _consents_at(debtor_ids: QuerySet, as_of: dt.datetime) -> dict[tuple[int, str], bool]:
    """Consent per (debtor, channel) as it stood at `as_of`.

    A row changed before `as_of` still holds that state. For one changed since, the first
    consent event at or after `as_of` says what it was before (`previous`; None = none)."""
    state: dict[tuple[int, str], bool] = {}
    changed_since = set()
    for debtor_id, channel, granted, changed_at in Consent.objects.filter(
        debtor_id__in=debtor_ids
    ).values_list("debtor_id", "channel", "granted", "changed_at"):
        if changed_at < as_of:
            state[(debtor_id, channel)] = granted
        else:
            changed_since.add((debtor_id, channel))
    events = AuditEvent.objects.filter(
        debtor_id__in=debtor_ids, action__in=CONSENT_ACTIONS, occurred_at__gte=as_of
    ).order_by("occurred_at", "pk")
    for debtor_id, details in events.values_list("debtor_id", "details"):
        key = (debtor_id, details.get("channel"))
        if key in changed_since:
            changed_since.discard(key)
            state[key] = bool(details.get("previous"))
    return state


def _assemble(
    row: dict,
    as_of: dt.datetime,
    stages: list[MoraStage],
    debtor: dict,
    responses: dict[int, tuple[int, int]],
    consents: dict[tuple[int, str], bool],
) -> DebtFeatures:
    today = as_of.astimezone(ZoneInfo(row["portfolio__timezone"])).date()
    days = days_past_due(row["original_due_date"], today)
    stage_index = next((i for i, s in enumerate(stages) if s.contains(days)), None)
    last = row["last_payment_at"]
    hour, weekday = responses.get(row["debtor_id"], (None, None))
    values: dict[str, int | None] = {
        "days_past_due": days,
        "mora_stage_index": stage_index,
        "balance_minor": row["at_cutoff"],
        "balance_30d_before_minor": row["month_before"],
        "balance_change_30d_minor": row["at_cutoff"] - row["month_before"],
        "payments_count": row["payments_count"],
        "payment_months_last_6": row["payment_months"],
        "days_since_last_payment": None if last is None else (as_of - last).days,
        "promises_made": row["promises_made"],
        "promises_kept": row["promises_kept"],
        "promises_broken": row["promises_broken"],
        "response_hour": hour,
        "response_weekday": weekday,
    }
    for name in _MESSAGE_FEATURES + _DEBTOR_FEATURES:
        if name not in values:
            values[name] = debtor[name]
    for channel in Channel.values:
        values[f"consent_{channel}"] = int(consents.get((row["debtor_id"], channel), False))
    return DebtFeatures(
        debt_id=row["pk"],
        debtor_id=row["debtor_id"],
        as_of=as_of,
        stage_code=None if stage_index is None else stages[stage_index].code,
        values=values,
    )
