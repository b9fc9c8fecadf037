"""KPI dashboard numbers, aggregated in SQL: a handful of grouped queries whatever the
portfolio size; Python only divides and lays out the few grouped rows.

Scope: `portfolio` and `stage` (today's days past due) select debts; `channel` and
`campaign` narrow everything to debtors reached on that channel / by that campaign in the
period, and their messages. Money is per currency (portfolios may differ).

Definitions (README "Staff workspace"):
- assigned = principal + interest + fees assigned; collected = payments net of refunds
  posted in the period; recovery rate = collected / assigned.
- attempted / contacted / right-party: distinct debtors with an attempt (message handed to
  a provider, logged call or visit, identity check passed), with a contact (message
  delivered, call or visit that reached someone, identity passed), with the debtor themself
  (right-party outcome or identity passed). Rates are over attempted.
- funnel: distinct debtors messaged (calls aside) → delivered → opened the link → passed the
  identity check → agreement from that link → paid after the message.
- promise-kept rate = kept / (kept + broken), promises due in the period; agreement cure and
  break rates = completed / broken over agreements made in the period.
- payments over time by channel: the last channel that reached the debtor in the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Sum

from agreements.models import Agreement, AgreementDebt, PromiseToPay
from payments.models import Payment
from portal.access.models import PaymentLink
from portal.debtors.models import Debt, LedgerEntry
from portal.debtors.selectors import mora_stages
from portal.outreach.models import Channel, Message

from .models import NOT_CONTACTED_OUTCOMES, RIGHT_PARTY_OUTCOMES, ContactOutcome

ATTEMPTED = ("sent", "delivered", "failed")
SENT = ("sent", "delivered")


@dataclass(frozen=True)
class KpiFilters:
    start: dt.date
    end: dt.date  # inclusive
    portfolio_id: int | None = None
    stage: tuple[str, int | None, int | None] | None = None  # code, min_days, max_days
    channel: str | None = None
    campaign_id: int | None = None

    def _at(self, day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(settings.TIME_ZONE))

    @property
    def since(self) -> dt.datetime:
        return self._at(self.start)

    @property
    def until(self) -> dt.datetime:  # exclusive
        return self._at(self.end + dt.timedelta(days=1))

    @property
    def bucket_days(self) -> int:
        return 1 if (self.end - self.start).days < 31 else 7

    @property
    def narrows_debts(self) -> bool:
        return bool(self.portfolio_id or self.stage)

    @property
    def narrows_people(self) -> bool:
        return bool(self.channel or self.campaign_id)


def _debt_q(f: KpiFilters, prefix: str = "") -> Q:
    q = Q()
    if f.portfolio_id:
        q &= Q(**{f"{prefix}portfolio_id": f.portfolio_id})
    if f.stage:
        _code, low, high = f.stage
        if low is not None:
            q &= Q(**{f"{prefix}days_past_due__gte": low})
        if high is not None:
            q &= Q(**{f"{prefix}days_past_due__lte": high})
    if f.narrows_people:
        q &= Q(**{f"{prefix}debtor_id__in": _reached(f).values("debtor_id")})
    return q


def _messages(f: KpiFilters, statuses=ATTEMPTED):
    """Messages handed to a provider in the period, in scope."""
    messages = Message.objects.filter(
        sent_at__gte=f.since, sent_at__lt=f.until, status__in=statuses
    )
    if f.channel:
        messages = messages.filter(channel=f.channel)
    if f.campaign_id:
        messages = messages.filter(campaign_id=f.campaign_id)
    if f.narrows_debts:
        messages = messages.filter(
            Exists(Debt.objects.filter(_debt_q(_only_debts(f)), debtor_id=OuterRef("debtor_id")))
        )
    return messages


def _only_debts(f: KpiFilters) -> KpiFilters:
    return KpiFilters(f.start, f.end, f.portfolio_id, f.stage)


def _reached(f: KpiFilters):
    return _messages(KpiFilters(f.start, f.end, None, None, f.channel, f.campaign_id))


def _scoped_debtors(queryset, f: KpiFilters, field: str = "debtor_id"):
    if f.narrows_debts:
        debts = Debt.objects.filter(_debt_q(_only_debts(f)), debtor_id=OuterRef(field))
        queryset = queryset.filter(Exists(debts))
    if f.narrows_people:
        queryset = queryset.filter(**{f"{field}__in": _reached(f).values("debtor_id")})
    return queryset


def portfolio_money(f: KpiFilters) -> list[dict]:
    """Per currency: debts, assigned, current balance (one scan of the debts in scope)."""
    return list(
        Debt.objects.filter(_debt_q(f))
        .values("currency")
        .annotate(
            debts=Count("id"),
            assigned=Sum(F("principal_due_minor") + F("interest_due_minor") + F("fees_due_minor")),
            balance=Sum("balance_minor"),
        )
        .order_by("currency")
    )


def _stage_case(stages) -> tuple[str, list]:
    parts, params = [], []
    for stage in stages:
        conds = []
        if stage.min_days is not None:
            conds.append("d.days_past_due >= %s")
            params.append(stage.min_days)
        if stage.max_days is not None:
            conds.append("d.days_past_due <= %s")
            params.append(stage.max_days)
        parts.append(f"WHEN {' AND '.join(conds) or '1=1'} THEN %s")
        params.append(stage.code)
    if not parts:
        return "'—'", []
    return f"CASE {' '.join(parts)} ELSE '—' END", params


def payments_series(f: KpiFilters) -> list[tuple]:
    """(currency, bucket index, stage code, channel, net amount, entries) for payments and
    refunds posted in the period: one grouped query. The channel is the last one that
    reached the debtor in the period (ROW_NUMBER over the period's messages)."""
    stage_sql, stage_params = _stage_case(mora_stages())
    where, params = ["l.kind IN ('payment', 'refund')", "l.effective_date >= %s"], [f.start]
    where.append("l.effective_date <= %s")
    params.append(f.end)
    if f.portfolio_id:
        where.append("d.portfolio_id = %s")
        params.append(f.portfolio_id)
    if f.stage:
        _code, low, high = f.stage
        if low is not None:
            where.append("d.days_past_due >= %s")
            params.append(low)
        if high is not None:
            where.append("d.days_past_due <= %s")
            params.append(high)
    touch_where, touch_params = ["m.sent_at >= %s", "m.sent_at < %s"], [f.since, f.until]
    touch_where.append("m.status IN ('sent', 'delivered', 'failed')")
    if f.channel:
        touch_where.append("m.channel = %s")
        touch_params.append(f.channel)
    if f.campaign_id:
        touch_where.append("m.campaign_id = %s")
        touch_params.append(f.campaign_id)
    join = "JOIN" if f.narrows_people else "LEFT JOIN"
    if connection.vendor == "postgresql":
        bucket = "(l.effective_date - %s::date) / %s"
    else:
        bucket = "CAST((julianday(l.effective_date) - julianday(%s)) AS INTEGER) / %s"
    sql = f"""
        WITH touch AS (
            SELECT debtor_id, channel FROM (
                SELECT m.debtor_id, m.channel, ROW_NUMBER() OVER (
                    PARTITION BY m.debtor_id ORDER BY m.sent_at DESC, m.id DESC) AS n
                FROM {Message._meta.db_table} m WHERE {" AND ".join(touch_where)}
            ) ranked WHERE n = 1
        )
        SELECT d.currency, {bucket} AS bucket, {stage_sql} AS stage,
               COALESCE(t.channel, 'none') AS channel, -SUM(l.amount_minor), COUNT(*)
        FROM {LedgerEntry._meta.db_table} l
        JOIN {Debt._meta.db_table} d ON d.id = l.debt_id
        {join} touch t ON t.debtor_id = d.debtor_id
        WHERE {" AND ".join(where)}
        GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [*touch_params, f.start, f.bucket_days, *stage_params, *params])
        return cursor.fetchall()


def contacts(f: KpiFilters) -> dict[str, int]:
    """Distinct debtors attempted, contacted and reached in person (right party)."""
    messages = _messages(f)
    verified = _scoped_debtors(
        PaymentLink.objects.filter(verified_at__gte=f.since, verified_at__lt=f.until), f
    )
    if f.campaign_id:
        verified = verified.filter(campaign_id=f.campaign_id)
    outcomes = ContactOutcome.objects.none()
    if f.channel in (None, Channel.CALL) and not f.campaign_id:
        outcomes = _scoped_debtors(
            ContactOutcome.objects.filter(occurred_at__gte=f.since, occurred_at__lt=f.until), f
        )

    def distinct(*querysets) -> int:
        first, *rest = [q.order_by().values("debtor_id") for q in querysets]
        return first.union(*rest).count()

    return {
        "attempted": distinct(messages, outcomes, verified),
        "contacted": distinct(
            messages.filter(status="delivered"),
            outcomes.exclude(outcome__in=NOT_CONTACTED_OUTCOMES),
            verified,
        ),
        "right_party": distinct(outcomes.filter(outcome__in=RIGHT_PARTY_OUTCOMES), verified),
    }


def funnel(f: KpiFilters) -> dict[str, int]:
    """Distinct debtors at each step, from the period's messages (calls aside)."""
    messages = _messages(f, statuses=SENT).exclude(channel=Channel.CALL)
    opened = Q(payment_link__first_opened_at__isnull=False)
    verified = Q(payment_link__verified_at__isnull=False)
    agreed = Exists(Agreement.objects.filter(payment_link_id=OuterRef("payment_link_id")))
    paid = Exists(
        Payment.objects.filter(
            debtor_id=OuterRef("debtor_id"),
            received_at__gte=OuterRef("sent_at"),
            received_at__lt=f.until,
            status__in=("posted", "partially_refunded"),
        )
    )

    def debtors(condition=None) -> Count:
        return Count("debtor_id", distinct=True, filter=condition)

    return messages.aggregate(
        sent=debtors(),
        delivered=debtors(Q(status="delivered")),
        opened=debtors(opened),
        verified=debtors(opened & verified),
        agreement=debtors(opened & verified & agreed),
        paid=debtors(opened & verified & agreed & paid),
    )


def promises(f: KpiFilters) -> dict[str, int]:
    rows = PromiseToPay.objects.filter(
        _debt_q(f, "debt__"), promised_date__gte=f.start, promised_date__lte=f.end
    )
    return rows.aggregate(
        due=Count("id"),
        kept=Count("id", filter=Q(status="kept")),
        broken=Count("id", filter=Q(status="broken")),
        pending=Count("id", filter=Q(status="pending")),
    )


def agreements(f: KpiFilters) -> dict[str, int]:
    rows = Agreement.objects.filter(created_at__gte=f.since, created_at__lt=f.until)
    if f.narrows_debts or f.narrows_people:
        lines = AgreementDebt.objects.filter(_debt_q(f, "debt__"), agreement_id=OuterRef("pk"))
        rows = rows.filter(Exists(lines))
    return rows.aggregate(
        made=Count("id"),
        completed=Count("id", filter=Q(status="completed")),
        broken=Count("id", filter=Q(status="broken")),
        active=Count("id", filter=Q(status="active")),
    )


def rate(part: int | None, whole: int | None) -> float | None:
    return (part or 0) / whole if whole else None


def dashboard(f: KpiFilters) -> dict:
    from .charts import build

    money = portfolio_money(f)
    series = payments_series(f)
    collected: dict[str, int] = {}
    for currency, _bucket, _stage, _channel, amount, _n in series:
        collected[currency] = collected.get(currency, 0) + int(amount or 0)
    for row in money:
        row["collected"] = collected.get(row["currency"], 0)
        row["recovery_rate"] = rate(row["collected"], row["assigned"])
    reach, steps = contacts(f), funnel(f)
    promise_counts, agreement_counts = promises(f), agreements(f)
    result = {
        "money": money,
        "contacts": reach,
        "contact_rate": rate(reach["contacted"], reach["attempted"]),
        "right_party_rate": rate(reach["right_party"], reach["attempted"]),
        "funnel": steps,
        "promises": promise_counts,
        "promise_kept_rate": rate(
            promise_counts["kept"], promise_counts["kept"] + promise_counts["broken"]
        ),
        "agreements": agreement_counts,
        "cure_rate": rate(agreement_counts["completed"], agreement_counts["made"]),
        "break_rate": rate(agreement_counts["broken"], agreement_counts["made"]),
        "charts": build(f, money, series, steps),
    }
    main = next((r for r in money if r["currency"] == result["charts"]["currency"]), {})
    result["rate_bars"] = [
        {
            "name": name,
            "pct": None if value is None else round(100 * value, 1),
            "w": round(400 * min(value or 0, 1), 1),
            "y": i * 26,
        }
        for i, (name, value) in enumerate(
            [
                (f"Recovery ({result['charts']['currency']})", main.get("recovery_rate")),
                ("Contact", result["contact_rate"]),
                ("Right-party contact", result["right_party_rate"]),
                ("Promise kept", result["promise_kept_rate"]),
                ("Agreement cure", result["cure_rate"]),
                ("Agreement break", result["break_rate"]),
            ]
        )
    ]
    return result
