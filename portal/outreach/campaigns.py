"""Payment-link campaigns: segment, launch, fan out in chunks, pause, resume, cancel.

Fan-out is idempotent: each message's key is (campaign, debtor, channel), inserted with
ON CONFLICT DO NOTHING, and a chunk dispatches only its rows still queued, so a chunk task
that runs twice (a retry, a redelivery after a worker died) creates and sends nothing twice.
"""

from __future__ import annotations

import datetime as dt

from django.apps import apps
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Sum
from django.utils import timezone

from portal.audit.services import record
from portal.debtors.models import Debt, Debtor

from .models import Campaign, CampaignStatus, Message, MessageKind, MessageStatus
from .selectors import COUNTED, address_for

CHUNK_SIZE = 1000


class CampaignError(ValueError):
    pass


def campaign_recipients(campaign: Campaign, *, now: dt.datetime | None = None) -> list[tuple]:
    """(debtor id, balance in the portfolio) for every debtor in the segment, by id."""
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
        line = apps.get_model("agreements", "AgreementDebt")
        active = Exists(line.objects.filter(debt=OuterRef("pk"), is_active=True))
        debts = debts.filter(active if campaign.agreement_filter == "with" else ~active)
    rows = debts.values("debtor_id").annotate(balance=Sum("balance_minor")).order_by("debtor_id")
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
    balances = dict(recipients)
    debtors = Debtor.objects.filter(pk__in=balances).only(
        "id", "phones", "emails", "preferred_channel"
    )
    width = len(campaign.channels)
    first = max(campaign.start_at, campaign.launched_at or campaign.start_at)
    order = {debtor_id: start + i for i, (debtor_id, _b) in enumerate(recipients)}
    rows = []
    for debtor in debtors:
        for j, channel in enumerate(_channels_for(campaign, debtor.preferred_channel)):
            sequence = order[debtor.pk] * width + j
            not_before = first
            if campaign.per_minute:  # the throttle: row n waits n // per_minute minutes
                not_before += dt.timedelta(minutes=sequence // campaign.per_minute)
            rows.append(
                Message(
                    key=f"campaign:{campaign_id}:{debtor.pk}:{channel}",
                    debtor_id=debtor.pk,
                    channel=channel,
                    kind=MessageKind.CAMPAIGN,
                    campaign_id=campaign_id,
                    context={"amount_minor": balances[debtor.pk]},
                    to=address_for(debtor, channel),
                    not_before=not_before,
                    created_at=now,
                )
            )
    Message.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return list(
        Message.objects.filter(
            campaign_id=campaign_id,
            debtor_id__in=balances,
            status=MessageStatus.QUEUED,
            not_before__lte=now,
        ).values_list("id", flat=True)
    )


def campaigns_finish(*, now: dt.datetime | None = None) -> int:
    """Running campaigns fanned out with nothing left to send become done."""
    pending = Message.objects.filter(
        campaign=OuterRef("pk"),
        status__in=[MessageStatus.QUEUED, MessageStatus.DEFERRED, MessageStatus.SENDING],
    )
    done = Campaign.objects.filter(status="running", fanned_out_at__isnull=False).exclude(
        Exists(pending)
    )
    count = 0
    for campaign in done:
        with transaction.atomic():
            count += Campaign.objects.filter(pk=campaign.pk, status="running").update(status="done")
            record("campaign.done", subject=campaign, details={"targeted": campaign.targeted})
    return count
