"""Payment-link campaigns: segment, launch, fan out in chunks, pause, resume, cancel.

Fan-out is idempotent: each message's key is (campaign, debtor, channel), inserted with
ON CONFLICT DO NOTHING, and a chunk dispatches only its rows still queued, so a chunk task
that runs twice (a retry, a redelivery after a worker died) creates and sends nothing twice.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from portal.audit.services import record
from portal.db import is_postgresql
from portal.debtors.models import Debt, Debtor, DebtStatus

from .models import (
    Campaign,
    CampaignStatus,
    Channel,
    DebtScore,
    Message,
    MessageKind,
    MessageStatus,
)
from .selectors import COUNTED, address_for

CHUNK_SIZE = 1000


class CampaignError(ValueError):
    pass


def campaign_recipients(campaign: Campaign, *, now: dt.datetime | None = None) -> list[tuple]:
    """(debtor id, balance in the portfolio) for every debtor in the segment, by id, or
    by the highest propensity score first when the campaign asks for it."""
    now = now or timezone.now()
    debts = Debt.objects.filter(portfolio_id=campaign.portfolio_id)
    stage_q = Q()
    for stage in campaign.stages.all():
        band = Q()
        if stage.min_days is not None:
            band &= Q(days_past_due__gte=stage.min_days)
        if stage.max_days is not None:
            band &= Q(days_past_due__lte=stage.max_days)
        stage_q |= band
    debts = debts.filter(stage_q)
    if campaign.agreement_filter != "any":
        # The debt's own status says it: agreements sets `in_agreement` while an agreement
        # holds the debt and moves it on when the agreement ends (docs/outreach.md).
        held = Q(status=DebtStatus.IN_AGREEMENT)
        debts = debts.filter(held if campaign.agreement_filter == "with" else ~held)
    if campaign.score_bands:
        scored = DebtScore.objects.filter(
            debtor_id=OuterRef("debtor_id"), band__in=campaign.score_bands
        )
        debts = debts.filter(Exists(scored))
    rows = debts.values("debtor_id").annotate(balance=Sum("balance_minor"))
    if campaign.highest_score_first:
        # The debtor's likeliest debt leads; unscored debtors go last, by id.
        rows = rows.annotate(best=Max("score__propensity")).order_by(
            F("best").desc(nulls_last=True), "debtor_id"
        )
    else:
        rows = rows.order_by("debtor_id")
    if campaign.balance_min_minor is not None:
        rows = rows.filter(balance__gte=campaign.balance_min_minor)
    if campaign.balance_max_minor is not None:
        rows = rows.filter(balance__lte=campaign.balance_max_minor)
    if campaign.min_days_since_contact:
        since = now - dt.timedelta(days=campaign.min_days_since_contact)
        recent = Message.objects.filter(
            debtor_id=OuterRef("debtor_id"), status__in=COUNTED, sent_at__gte=since
        )
        rows = rows.filter(~Exists(recent))
    return [(row["debtor_id"], row["balance"]) for row in rows]


def _set_status(campaign: Campaign, *, allowed: list[str], to: str, actor, **extra) -> Campaign:
    changed = Campaign.objects.filter(pk=campaign.pk, status__in=allowed).update(status=to, **extra)
    if not changed:
        raise CampaignError(f"a {campaign.get_status_display()} campaign cannot become {to}")
    record(f"campaign.{to}", actor=actor, subject=campaign, details={"from": campaign.status})
    campaign.refresh_from_db()
    return campaign


@transaction.atomic
def campaign_launch(*, campaign: Campaign, actor=None) -> Campaign:
    if not campaign.channels:
        raise CampaignError("choose at least one channel")
    have = set(campaign.templates.values_list("channel", flat=True))
    missing = [c for c in campaign.channels if c not in have and c != "call"]
    if missing:
        raise CampaignError("missing templates for: " + ", ".join(missing))
    campaign = _set_status(
        campaign, allowed=["draft"], to="running", actor=actor, launched_at=timezone.now()
    )
    _fan_out_after_commit(campaign.pk)
    return campaign


def _fan_out_after_commit(campaign_id: int) -> None:
    from .tasks import campaign_fan_out

    transaction.on_commit(lambda: campaign_fan_out.delay(campaign_id), robust=True)


@transaction.atomic
def campaign_pause(*, campaign: Campaign, actor=None) -> Campaign:
    return _set_status(campaign, allowed=["running"], to="paused", actor=actor)


@transaction.atomic
def campaign_resume(*, campaign: Campaign, actor=None) -> Campaign:
    campaign = _set_status(campaign, allowed=["paused"], to="running", actor=actor)
    _fan_out_after_commit(campaign.pk)  # idempotent: finishes a fan-out the pause cut short
    return campaign


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, actor=None) -> Campaign:
    campaign = _set_status(
        campaign, allowed=["draft", "running", "paused"], to="cancelled", actor=actor
    )
    Message.objects.filter(
        campaign=campaign, status__in=[MessageStatus.QUEUED, MessageStatus.DEFERRED]
    ).update(status=MessageStatus.CANCELLED)
    return campaign


def campaign_fan_out(*, campaign_id: int) -> list[list]:
    """Count the segment and cut it into chunks: [[start index, [debtor ids, balances]]]."""
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != CampaignStatus.RUNNING:
        return []
    recipients = campaign_recipients(campaign)
    Campaign.objects.filter(pk=campaign_id).update(
        targeted=len(recipients), fanned_out_at=timezone.now()
    )
    return [
        [start, [list(r) for r in recipients[start : start + CHUNK_SIZE]]]
        for start in range(0, len(recipients), CHUNK_SIZE)
    ]


def _channels_for(campaign: Campaign, preferred: str) -> list[str]:
    channels = list(campaign.channels)
    if preferred in channels:
        channels.remove(preferred)
        channels.insert(0, preferred)
    return channels


def campaign_chunk_create(
    *, campaign_id: int, start: int, recipients: list[list[int]], now: dt.datetime | None = None
) -> list[int]:
    """Insert this chunk's messages (once), return the ids that are due and still queued."""
    now = now or timezone.now()
    campaign = Campaign.objects.get(pk=campaign_id)
    if campaign.status != CampaignStatus.RUNNING:
        return []
    if is_postgresql():
        inserted = _chunk_insert(campaign, start, recipients, now)
        if len(inserted) == len(recipients) * len(campaign.channels):
            return [pk for pk, not_before in inserted if not_before <= now]
    else:
        _chunk_insert_orm(campaign, start, recipients, now)
    # A chunk run again (a retry, a redelivery): its rows were there already.
    return list(
        Message.objects.filter(
            campaign_id=campaign_id,
            debtor_id__in=[debtor_id for debtor_id, _b in recipients],
            status=MessageStatus.QUEUED,
            not_before__lte=now,
        )
        .order_by("id")
        .values_list("id", flat=True)
    )


# One statement for the whole chunk: the debtors' addresses and preferred channels are read
# where they are, and ids follow the recipients' order with the preferred channel first.
_CHUNK_INSERT = """
INSERT INTO {message} (key, debtor_id, channel, kind, notice, campaign_id, context, "to",
                       subject, body, status, not_before, decision, block_reason, error,
                       attempts, created_at)
SELECT %(key)s || d.id || ':' || ch.channel, d.id, ch.channel, %(kind)s, '', %(campaign)s,
       jsonb_build_object('amount_minor', r.balance),
       coalesce(CASE WHEN ch.channel = %(email)s THEN d.emails ->> 0 ELSE d.phones ->> 0 END, ''),
       '', '', %(queued)s,
       %(first)s + CASE WHEN %(per_minute)s > 0  -- the throttle: row n waits n // per_minute
           THEN ((r.position * %(width)s + ch.rank) / %(per_minute)s) * interval '1 minute'
           ELSE interval '0' END,
       '{{}}', '', '', 0, %(now)s
FROM unnest(%(debtors)s::bigint[], %(balances)s::bigint[], %(positions)s::bigint[])
     AS r(debtor_id, balance, position)
JOIN {debtor} AS d ON d.id = r.debtor_id
CROSS JOIN LATERAL (
    SELECT c.channel, row_number() OVER (
               ORDER BY coalesce(c.channel = d.preferred_channel, false) DESC, c.position
           ) - 1 AS rank
    FROM unnest(%(channels)s::varchar[]) WITH ORDINALITY AS c(channel, position)
) AS ch
ORDER BY r.position, ch.rank
ON CONFLICT DO NOTHING
RETURNING id, not_before
"""


def _chunk_insert(campaign: Campaign, start: int, recipients: list, now: dt.datetime) -> list:
    sql = _CHUNK_INSERT.format(message=Message._meta.db_table, debtor=Debtor._meta.db_table)
    params = {
        "key": f"campaign:{campaign.pk}:",
        "kind": MessageKind.CAMPAIGN,
        "campaign": campaign.pk,
        "email": Channel.EMAIL,
        "queued": MessageStatus.QUEUED,
        "first": max(campaign.start_at, campaign.launched_at or campaign.start_at),
        "per_minute": campaign.per_minute,
        "width": len(campaign.channels),
        "now": now,
        "debtors": [debtor_id for debtor_id, _b in recipients],
        "balances": [balance for _d, balance in recipients],
        "positions": list(range(start, start + len(recipients))),
        "channels": list(campaign.channels),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(cursor.fetchall())


def _chunk_insert_orm(campaign: Campaign, start: int, recipients: list, now: dt.datetime) -> None:
    """The same rows through the ORM (SQLite in development)."""
    balances = dict(recipients)
    debtors = Debtor.objects.filter(pk__in=balances).only(
        "id", "phones", "emails", "preferred_channel"
    )
    width = len(campaign.channels)
    first = max(campaign.start_at, campaign.launched_at or campaign.start_at)
    order = {debtor_id: start + i for i, (debtor_id, _b) in enumerate(recipients)}
    rows = []
    for debtor in sorted(debtors, key=lambda d: order[d.pk]):
        for j, channel in enumerate(_channels_for(campaign, debtor.preferred_channel)):
            sequence = order[debtor.pk] * width + j
            not_before = first
            if campaign.per_minute:  # the throttle: row n waits n // per_minute minutes
                not_before += dt.timedelta(minutes=sequence // campaign.per_minute)
            rows.append(
                Message(
                    key=f"campaign:{campaign.pk}:{debtor.pk}:{channel}",
                    debtor_id=debtor.pk,
                    channel=channel,
                    kind=MessageKind.CAMPAIGN,
                    campaign_id=campaign.pk,
                    context={"amount_minor": balances[debtor.pk]},
                    to=address_for(debtor, channel),
                    not_before=not_before,
                    created_at=now,
                )
            )
    Message.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)


def campaigns_finish(*, campaign_id: int | None = None) -> int:
    """Running campaigns with nothing left to send become done: fanned out, every
    recipient's messages written (a chunk still in the queue has written none yet, so
    finishing early would leave it unsent) and none of them queued, deferred or sending.
    The beat calls it for all; each chunk for its own campaign, so that without a beat
    (eager Celery, `make run`) a campaign finishes too."""
    pending = Message.objects.filter(
        campaign=OuterRef("pk"),
        status__in=[MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SENDING],
    )
    written = (
        Message.objects.filter(campaign=OuterRef("pk"))
        .order_by()
        .values("campaign")
        .annotate(n=Count("id"))
        .values("n")
    )
    done = (
        Campaign.objects.filter(status="running", fanned_out_at__isnull=False)
        .exclude(Exists(pending))
        .annotate(written=Coalesce(Subquery(written), 0))
    )
    if campaign_id is not None:
        done = done.filter(pk=campaign_id)
    count = 0
    for campaign in done:
        if campaign.written < campaign.targeted * len(campaign.channels):
            continue
        with transaction.atomic():
            changed = Campaign.objects.filter(pk=campaign.pk, status="running").update(
                status="done"
            )
            if changed:
                record("campaign.done", subject=campaign, details={"targeted": campaign.targeted})
            count += changed
    return count
