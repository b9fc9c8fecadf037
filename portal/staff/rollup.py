"""Rebuild the KPI rollups (KpiDay, KpiBalance) from the source tables, set-based.

Each source is one INSERT ... SELECT ... GROUP BY over the window's rows, joined to the
debt it is about (its own debt, else the debtor's first debt) for portfolio, stage and
currency. Run every 10 minutes for the last days and nightly for everything (tasks.py);
also right after an agent logs a call, for that day.

What each source adds (per local day, TIME_ZONE):
- messages handed to a provider (calls aside: the logged outcome counts them): attempts;
  delivered ones contacts; the funnel by the day sent — sent, delivered (calls aside),
  link opened, identity passed, an agreement from that link, a payment on that agreement;
- logged calls and visits: attempts (outbound only: a debtor calling us is no attempt);
  contacts unless no answer / wrong number; right party for right party, promise, refused,
  dispute;
- identity checks passed on a link: right party (the debtor themself), by the day passed;
- ledger payments and refunds: collected (net) and payments, by effective date, with the
  channel and campaign of the last message handed to the debtor before it (last touch);
- promises by the date due: due, kept, broken; agreements by the day made: made,
  completed, broken (channel and campaign of the message that carried their link).

Messages, calls and visits, and identity checks also write `KpiReach`: the same rows
grouped per debtor (attempted / contacted / right party flags), because the contact rates
count distinct debtors over the period, which daily sums cannot give.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from portal.db import (
    analyze,
    datetime_param,
    first_row_join,
    local_date_sql,
    vacuum_analyze,
)
from portal.debtors.selectors import mora_stages

from .models import KpiBalance, KpiDay, KpiReach

WINDOW_DAYS = 7
COLUMNS = [f.column for f in KpiDay._meta.fields if f.column != "id"]


def _day(column: str) -> tuple[str, list]:
    return local_date_sql(column, settings.TIME_ZONE)


def _stage_sql() -> tuple[str, list]:
    parts, params = [], []
    for stage in mora_stages():
        conds = []
        if stage.min_days is not None:
            conds.append("d.days_past_due >= %s")
            params.append(stage.min_days)
        if stage.max_days is not None:
            conds.append("d.days_past_due <= %s")
            params.append(stage.max_days)
        parts.append(f"WHEN {' AND '.join(conds) or '1 = 1'} THEN %s")
        params.append(stage.code)
    return (f"CASE {' '.join(parts)} ELSE '-' END" if parts else "'-'"), params


def _home(table: str, column: str) -> str:
    """Each debtor's first debt, for the debtors of `table` rows in the window only (a
    GROUP BY over every debt costs seconds on a million; a day's debtors, milliseconds)."""
    return (
        "(SELECT debtor_id, MIN(id) AS debt_id FROM debtors_debt WHERE debtor_id IN "
        f"(SELECT w.debtor_id FROM {table} w WHERE w.{column} >= %s AND w.{column} < %s) "
        "GROUP BY debtor_id)"
    )


DIMS = ["day", "portfolio_id", "stage", "channel", "campaign_id", "currency"]


def _insert(cursor, source: str, metrics: dict[str, str], select: str, params: list) -> None:
    """INSERT one source's grouped rows: `select` yields the 6 dimensions then `metrics`."""
    names = [*DIMS, "source", *metrics]
    sql = (
        f"INSERT INTO {KpiDay._meta.db_table} ({', '.join(names)}) "
        f"SELECT day, portfolio_id, stage, channel, campaign_id, currency, '{source}', "
        f"{', '.join(f'SUM({expr})' for expr in metrics.values())} FROM ({select}) src "
        f"GROUP BY day, portfolio_id, stage, channel, campaign_id, currency"
    )
    cursor.execute(sql, params)


def _insert_reach(cursor, source: str, flags: dict[str, str], select: str, params: list) -> None:
    """INSERT one source's rows per debtor: `select` yields the dimensions and debtor_id;
    `flags` are 0/1 expressions for attempted, contacted, right_party."""
    sql = (
        f"INSERT INTO {KpiReach._meta.db_table} ({', '.join(DIMS)}, debtor_id, source, "
        f"{', '.join(flags)}) "
        f"SELECT day, portfolio_id, stage, channel, campaign_id, currency, debtor_id, "
        f"'{source}', {', '.join(f'MAX({expr})' for expr in flags.values())} "
        f"FROM ({select}) src "
        f"GROUP BY day, portfolio_id, stage, channel, campaign_id, currency, debtor_id"
    )
    cursor.execute(sql, params)


def _first_carrier(link: str) -> str:
    """Join `m`, the message that carried a link: the first one. A link sent again (a
    reminder) is still one verification and one agreement, not one per message."""
    return first_row_join(
        table="outreach_message",
        alias="m",
        columns=["channel", "campaign_id"],
        where=f"c.payment_link_id = {link}",
        order="c.id",
    )


SOURCES = ("messages", "outcomes", "links", "ledger", "promises", "agreements")
REACH_SOURCES = ("messages", "outcomes", "links")


def _sources(cursor, since: dt.datetime, until: dt.datetime, sources) -> None:
    stage, stage_params = _stage_sql()
    first, last = since.date(), (until - dt.timedelta(microseconds=1)).date()
    since, until = datetime_param(since), datetime_param(until)

    day, day_params = _day("m.sent_at")
    if "messages" in sources:
        select = f"""SELECT {day} AS day, d.portfolio_id, {stage} AS stage, m.channel,
                COALESCE(m.campaign_id, 0) AS campaign_id, d.currency, m.debtor_id, m.status,
                CASE WHEN l.first_opened_at IS NOT NULL THEN 1 ELSE 0 END AS is_opened,
                CASE WHEN l.verified_at IS NOT NULL THEN 1 ELSE 0 END AS is_verified,
                CASE WHEN l.verified_at IS NOT NULL AND EXISTS (
                    SELECT 1 FROM agreements_agreement a WHERE a.payment_link_id = l.id)
                    THEN 1 ELSE 0 END AS has_agreement,
                CASE WHEN l.verified_at IS NOT NULL AND EXISTS (
                    SELECT 1 FROM agreements_agreement a
                    JOIN payments_payment p ON p.agreement_id = a.id
                    WHERE a.payment_link_id = l.id) THEN 1 ELSE 0 END AS has_payment
            FROM outreach_message m
            LEFT JOIN {_home("outreach_message", "sent_at")} h ON h.debtor_id = m.debtor_id
            JOIN debtors_debt d ON d.id = COALESCE(m.debt_id, h.debt_id)
            LEFT JOIN access_paymentlink l ON l.id = m.payment_link_id
            WHERE m.sent_at >= %s AND m.sent_at < %s AND m.kind <> 'call'
              AND m.status IN ('sent', 'delivered', 'failed')"""
        params = [*day_params, *stage_params, since, until, since, until]
        delivered = "CASE WHEN status = 'delivered' THEN 1 ELSE 0 END"
        _insert(
            cursor,
            "messages",
            {
                "attempts": "1",
                "contacts": delivered,
                "sent": "CASE WHEN status IN ('sent', 'delivered') THEN 1 ELSE 0 END",
                "delivered": "CASE WHEN status = 'delivered' THEN 1 ELSE 0 END",
                "opened": "is_opened",
                "verified": "is_verified",
                "agreement": "has_agreement",
                "paid": "has_payment",
            },
            select,
            params,
        )
        _insert_reach(
            cursor,
            "messages",
            {"attempted": "1", "contacted": delivered, "right_party": "0"},
            select,
            params,
        )

    day, day_params = _day("o.occurred_at")
    if "outcomes" in sources:
        select = f"""SELECT {day} AS day, d.portfolio_id, {stage} AS stage,
                CASE WHEN o.method = 'visit' THEN 'visit' ELSE 'call' END AS channel,
                0 AS campaign_id, d.currency, o.debtor_id, o.direction, o.outcome
            FROM staff_contactoutcome o
            LEFT JOIN {_home("staff_contactoutcome", "occurred_at")} h
                ON h.debtor_id = o.debtor_id
            JOIN debtors_debt d ON d.id = COALESCE(o.debt_id, h.debt_id)
            WHERE o.occurred_at >= %s AND o.occurred_at < %s"""
        params = [*day_params, *stage_params, since, until, since, until]
        flags = {
            "attempted": "CASE WHEN direction = 'outbound' THEN 1 ELSE 0 END",
            "contacted": "CASE WHEN outcome IN ('no_answer', 'wrong_number') THEN 0 ELSE 1 END",
            "right_party": "CASE WHEN outcome IN ('right_party', 'promise', 'refused', "
            "'dispute') THEN 1 ELSE 0 END",
        }
        _insert(
            cursor,
            "outcomes",
            {
                "attempts": flags["attempted"],
                "contacts": flags["contacted"],
                "right_party": flags["right_party"],
            },
            select,
            params,
        )
        _insert_reach(cursor, "outcomes", flags, select, params)

    day, day_params = _day("l.verified_at")
    if "links" in sources:
        select = f"""SELECT {day} AS day, d.portfolio_id, {stage} AS stage,
                COALESCE(m.channel, '') AS channel, COALESCE(l.campaign_id, 0) AS campaign_id,
                d.currency, l.debtor_id
            FROM access_paymentlink l
            JOIN {_home("access_paymentlink", "verified_at")} h ON h.debtor_id = l.debtor_id
            JOIN debtors_debt d ON d.id = h.debt_id
            {_first_carrier("l.id")}
            WHERE l.verified_at >= %s AND l.verified_at < %s"""
        params = [*day_params, *stage_params, since, until, since, until]
        _insert(cursor, "links", {"right_party": "1"}, select, params)
        _insert_reach(
            cursor,
            "links",
            {"attempted": "0", "contacted": "1", "right_party": "1"},
            select,
            params,
        )

    touch = """(SELECT {col} FROM outreach_message t
        WHERE t.debtor_id = d.debtor_id AND t.sent_at <= l.created_at
          AND t.status IN ('sent', 'delivered', 'failed')
        ORDER BY t.sent_at DESC, t.id DESC LIMIT 1)"""
    if "ledger" in sources:
        _insert(
            cursor,
            "ledger",
            {"collected_minor": "-amount_minor", "payments": "is_payment"},
            f"""SELECT l.effective_date AS day, d.portfolio_id, {stage} AS stage,
                COALESCE({touch.format(col="t.channel")}, '') AS channel,
                COALESCE({touch.format(col="t.campaign_id")}, 0) AS campaign_id,
                d.currency, l.amount_minor,
                CASE WHEN l.kind = 'payment' THEN 1 ELSE 0 END AS is_payment
            FROM debtors_ledgerentry l JOIN debtors_debt d ON d.id = l.debt_id
            WHERE l.kind IN ('payment', 'refund')
              AND l.effective_date >= %s AND l.effective_date <= %s""",
            [*stage_params, first, last],
        )

    if "promises" in sources:
        _insert(
            cursor,
            "promises",
            {
                "promises_due": "1",
                "promises_kept": "CASE WHEN status = 'kept' THEN 1 ELSE 0 END",
                "promises_broken": "CASE WHEN status = 'broken' THEN 1 ELSE 0 END",
            },
            f"""SELECT p.promised_date AS day, d.portfolio_id, {stage} AS stage, '' AS channel,
                0 AS campaign_id, d.currency, p.status
            FROM agreements_promisetopay p JOIN debtors_debt d ON d.id = p.debt_id
            WHERE p.promised_date >= %s AND p.promised_date <= %s""",
            [*stage_params, first, last],
        )

    day, day_params = _day("a.created_at")
    if "agreements" in sources:
        _insert(
            cursor,
            "agreements",
            {
                "agreements_made": "1",
                "agreements_completed": "CASE WHEN status = 'completed' THEN 1 ELSE 0 END",
                "agreements_broken": "CASE WHEN status = 'broken' THEN 1 ELSE 0 END",
            },
            f"""SELECT {day} AS day, d.portfolio_id, {stage} AS stage,
                COALESCE(m.channel, '') AS channel, COALESCE(m.campaign_id, 0) AS campaign_id,
                d.currency, a.status
            FROM agreements_agreement a
            LEFT JOIN (SELECT agreement_id, MIN(debt_id) AS debt_id
                       FROM agreements_agreementdebt GROUP BY agreement_id) line
                ON line.agreement_id = a.id
            LEFT JOIN {_home("agreements_agreement", "created_at")} h
                ON h.debtor_id = a.debtor_id
            JOIN debtors_debt d ON d.id = COALESCE(line.debt_id, h.debt_id)
            {_first_carrier("a.payment_link_id")}
            WHERE a.created_at >= %s AND a.created_at < %s""",
            [*day_params, *stage_params, since, until, since, until],
        )


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=timezone.get_default_timezone())


@transaction.atomic
def kpi_rollup_refresh(
    *,
    first_day: dt.date | None = None,
    last_day: dt.date | None = None,
    book: bool = True,
    sources: tuple[str, ...] = SOURCES,
):
    """Rebuild `sources`' KpiDay rows for [first_day, last_day] (default: the last
    WINDOW_DAYS days) and, with `book`, the KpiBalance snapshot. Readers see the old rows
    until this commits."""
    today = timezone.localdate()
    last_day = last_day or today
    first_day = first_day or last_day - dt.timedelta(days=WINDOW_DAYS - 1)
    since, until = _local_midnight(first_day), _local_midnight(last_day + dt.timedelta(days=1))
    KpiDay.objects.filter(day__gte=first_day, day__lte=last_day, source__in=sources).delete()
    KpiReach.objects.filter(day__gte=first_day, day__lte=last_day, source__in=sources).delete()
    stage, stage_params = _stage_sql()
    with connection.cursor() as cursor:
        _sources(cursor, since, until, sources)
        if not book:
            return first_day, last_day
        KpiBalance.objects.all().delete()
        cursor.execute(
            f"""INSERT INTO {KpiBalance._meta.db_table} (portfolio_id, stage, currency, debts,
                    assigned_minor, balance_minor, refreshed_at)
                SELECT portfolio_id, stage, currency, COUNT(*), SUM(assigned), SUM(balance), %s
                FROM (SELECT d.portfolio_id, {stage} AS stage, d.currency,
                        d.principal_due_minor + d.interest_due_minor + d.fees_due_minor
                            AS assigned,
                        d.balance_minor AS balance FROM debtors_debt d) src
                GROUP BY portfolio_id, stage, currency""",
            [datetime_param(timezone.now()), *stage_params],
        )
        _analyze(cursor)
    return first_day, last_day


ROLLUPS = (KpiDay, KpiReach, KpiBalance)


def _analyze(cursor) -> None:
    # Fresh statistics for the planner after a rebuild, which autovacuum may not have
    # seen yet: without them it guessed a few thousand rows of a million-row period.
    analyze(cursor, [model._meta.db_table for model in ROLLUPS])


def kpi_rollups_vacuum() -> None:
    """VACUUM (ANALYZE) the rebuilt rollups, outside any transaction (the nightly task):
    reclaims the deleted rows and marks pages all-visible, which the reach count's
    index-only scan needs to skip the table."""
    # VACUUM cannot run in a transaction (a test's, say); ANALYZE already ran then.
    vacuum_analyze([model._meta.db_table for model in ROLLUPS])


def kpi_rollup_refresh_all(*, years: int = 2) -> tuple[dt.date, dt.date]:
    """Every day of the last `years` (nightly): late opens, verifications, agreements and
    payments change the funnel of days already rolled up."""
    return kpi_rollup_refresh(first_day=timezone.localdate() - dt.timedelta(days=365 * years))


# Without a beat, how old the rollups may be before opening the dashboard rebuilds them:
# the beat's own period for the recent days.
STALE_AFTER = dt.timedelta(minutes=10)


def kpi_rollups_refreshed_at() -> dt.datetime | None:
    return KpiBalance.objects.aggregate(at=Max("refreshed_at"))["at"]


def kpi_rollups_refresh_if_stale(*, now: dt.datetime | None = None) -> bool:
    """Where no beat runs (settings.KPI_REFRESH_ON_VIEW: by default, no Redis), the
    dashboard rebuilds the rollups it is about to show when they are older than
    STALE_AFTER: every day when never computed or last computed before today (what the
    nightly task would have done), else the recent days. Returns whether it rebuilt."""
    if not settings.KPI_REFRESH_ON_VIEW:
        return False
    now = now or timezone.now()
    at = kpi_rollups_refreshed_at()
    if at is not None and now - at < STALE_AFTER:
        return False
    if at is None or timezone.localdate(at) < timezone.localdate(now):
        kpi_rollup_refresh_all()
    else:
        kpi_rollup_refresh()
    return True
