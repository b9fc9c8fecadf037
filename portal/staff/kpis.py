"""KPI dashboard numbers, summed from the rollups (`rollup.py`) in four grouped queries
(plus one planner setting for the reach count on PostgreSQL):
the page costs the same on a thousand debts or a million; Python only divides and lays
out the grouped rows.

Filters: dates pick rollup days; portfolio and stage pick debts (stage as of the last
refresh); channel and campaign pick what has one (messages, calls, links, payments by
last touch, agreements by the message that carried their link). Promises and the book
(assigned, balance) have no channel: a channel or campaign filter leaves promises out and
the book whole. Money is per currency.

Definitions (docs/staff.md, "KPI dashboard"):
- assigned = principal + interest + fees of the debts; collected = payments net of
  refunds posted in the period; recovery rate = collected / assigned.
- contact rate = debtors contacted / debtors attempted; right-party contact rate = debtors
  reached in person (right party) / debtors attempted — distinct debtors over the period,
  from `KpiReach` (attempted: a message handed to a provider, an outbound call or visit;
  contacted: a delivered message, a call or visit that reached someone, the identity check
  passed; right party: the debtor themself on a call or visit, or passing the check). Only
  debtors attempted in the period count in the numerators, so no rate exceeds 100%. The
  raw counts (attempts, contacts, right-party contacts) are shown beside them.
- funnel: messages sent (calls aside) → delivered → link opened → identity passed →
  agreement from that link → a payment on that agreement, by the day the message went.
- promise-kept rate = kept / (kept + broken) of promises due in the period; agreement
  cure / break rate = completed / broken over agreements made in the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import connection, transaction
from django.db.models import Count, Max, Q, Sum
from django.utils.translation import gettext as _

from portal.db import set_local

from .models import KpiBalance, KpiDay, KpiReach

COUNTS = [
    "attempts",
    "contacts",
    "right_party",
    "sent",
    "delivered",
    "opened",
    "verified",
    "agreement",
    "paid",
    "payments",
    "promises_due",
    "promises_kept",
    "promises_broken",
    "agreements_made",
    "agreements_completed",
    "agreements_broken",
]
FUNNEL = ("sent", "delivered", "opened", "verified", "agreement", "paid")


@dataclass(frozen=True)
class KpiFilters:
    start: dt.date
    end: dt.date  # inclusive
    portfolio_id: int | None = None
    stage: tuple[str, int | None, int | None] | None = None  # code, min_days, max_days
    channel: str | None = None
    campaign_id: int | None = None

    @property
    def bucket_days(self) -> int:
        return 1 if (self.end - self.start).days < 31 else 7


def _book_q(f: KpiFilters) -> Q:
    q = Q()
    if f.portfolio_id:
        q &= Q(portfolio_id=f.portfolio_id)
    if f.stage:
        q &= Q(stage=f.stage[0])
    return q


def _days(f: KpiFilters, model=KpiDay):
    rows = model.objects.filter(_book_q(f), day__gte=f.start, day__lte=f.end)
    if f.channel:
        rows = rows.filter(channel=f.channel)
    if f.campaign_id:
        rows = rows.filter(campaign_id=f.campaign_id)
    return rows


def book(f: KpiFilters) -> list[dict]:
    """Per currency: debts, assigned and current balance, as of the last refresh."""
    return list(
        KpiBalance.objects.filter(_book_q(f))
        .values("currency")
        .annotate(
            debts=Sum("debts"),
            assigned=Sum("assigned_minor"),
            balance=Sum("balance_minor"),
            refreshed_at=Max("refreshed_at"),
        )
        .order_by("currency")
    )


def totals(f: KpiFilters) -> tuple[dict[str, int], dict[str, int]]:
    """(every count summed, collected per currency) for the period."""
    counts = dict.fromkeys(COUNTS, 0)
    collected: dict[str, int] = {}
    rows = (
        _days(f)
        .values("currency")
        .annotate(collected=Sum("collected_minor"), **{n: Sum(n) for n in COUNTS})
        .order_by("currency")
    )
    for row in rows:
        collected[row["currency"]] = row["collected"] or 0
        for name in COUNTS:
            counts[name] += row[name] or 0
    return counts, collected


def reach(f: KpiFilters) -> dict[str, int]:
    """Distinct debtors of the period: attempted, and of those, contacted and reached in
    person (one query: flags per debtor, then counted)."""
    per_debtor = (
        _days(f, KpiReach)
        .values("debtor_id")
        .annotate(a=Max("attempted"), c=Max("contacted"), r=Max("right_party"))
    )
    with transaction.atomic(savepoint=False):
        # Each parallel worker hands on about one row per debtor; the default price per
        # row passed (0.1) made PostgreSQL keep a serial plan that took twice as long on a
        # million-debt book (bench/kpi_dashboard.py). For this query only.
        with connection.cursor() as cursor:
            set_local(cursor, "parallel_tuple_cost", "0.01")
        found = per_debtor.aggregate(
            attempted=Count("debtor_id", filter=Q(a=1)),
            contacted=Count("debtor_id", filter=Q(a=1, c=1)),
            right_party=Count("debtor_id", filter=Q(a=1, r=1)),
        )
    return {name: value or 0 for name, value in found.items()}


def payments_series(f: KpiFilters) -> list[tuple]:
    """(currency, day, stage, channel, collected, payments) rows of the period."""
    return list(
        _days(f)
        .exclude(collected_minor=0, payments=0)
        .values_list("currency", "day", "stage", "channel")
        .annotate(amount=Sum("collected_minor"), n=Sum("payments"))
        .order_by("currency", "day", "stage", "channel")
    )


def rate(part: int | None, whole: int | None) -> float | None:
    return (part or 0) / whole if whole else None


def dashboard(f: KpiFilters) -> dict:
    from .charts import build

    money, (counts, collected), debtors = book(f), totals(f), reach(f)
    series = payments_series(f)
    for row in money:
        row["collected"] = collected.get(row["currency"], 0)
        row["recovery_rate"] = rate(row["collected"], row["assigned"])
    steps = {name: counts[name] for name in FUNNEL}
    result = {
        "money": money,
        "refreshed_at": max((r["refreshed_at"] for r in money), default=None),
        "counts": counts,
        "debtors": debtors,
        "contact_rate": rate(debtors["contacted"], debtors["attempted"]),
        "right_party_rate": rate(debtors["right_party"], debtors["attempted"]),
        "funnel": steps,
        "promise_kept_rate": rate(
            counts["promises_kept"], counts["promises_kept"] + counts["promises_broken"]
        ),
        "cure_rate": rate(counts["agreements_completed"], counts["agreements_made"]),
        "break_rate": rate(counts["agreements_broken"], counts["agreements_made"]),
        "charts": build(f, money, series, steps),
    }
    currency = result["charts"]["currency"]
    main = next((r for r in money if r["currency"] == currency), {})
    result["rate_bars"] = [
        {
            "name": name,
            "pct": None if value is None else round(100 * value, 1),
            "w": round(400 * min(value or 0, 1), 1),
            "y": i * 26,
        }
        for i, (name, value) in enumerate(
            [
                (_("Recovery (%(currency)s)") % {"currency": currency}, main.get("recovery_rate")),
                (_("Contact (debtors)"), result["contact_rate"]),
                (_("Right party (debtors)"), result["right_party_rate"]),
                (_("Promise kept"), result["promise_kept_rate"]),
                (_("Agreement cure"), result["cure_rate"]),
                (_("Agreement break"), result["break_rate"]),
            ]
        )
    ]
    return result
