"""Reads for the admin home: what a collections team looks at first each morning."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone

from agreements.models import PromiseStatus, PromiseToPay, Proposal, ProposalStatus
from portal.debtors.models import PortfolioImport
from portal.money import format_minor
from portal.outreach.models import SENT_STATUSES, Campaign, CampaignStatus, Message

RECENT_IMPORTS = 5
RUNNING_CAMPAIGNS = 5


@dataclass
class RunningCampaign:
    campaign: Campaign
    sent: int
    percent: int  # of the messages fanned out so far, how many have gone


@dataclass
class Workspace:
    pending_proposals: int | None = None
    campaigns: list[RunningCampaign] | None = None
    promises_due: int | None = None
    promised_today: list[str] = field(default_factory=list)  # formatted totals per currency
    imports: list[PortfolioImport] | None = None
    can_see_kpis: bool = False
    can_see_audit: bool = False


def workspace_for(user) -> Workspace:
    """The cards this user may see, each None when their role may not."""
    ws = Workspace(
        can_see_kpis=user.has_perm("staff.view_kpis"),
        can_see_audit=user.has_perm("audit.view_auditevent"),
    )
    if user.has_perm("agreements.view_proposal"):
        ws.pending_proposals = Proposal.objects.filter(status=ProposalStatus.PENDING).count()
    if user.has_perm("outreach.view_campaign"):
        ws.campaigns = _running_campaigns()
    if user.has_perm("agreements.view_promisetopay"):
        due = PromiseToPay.objects.filter(
            status=PromiseStatus.PENDING, promised_date=timezone.localdate()
        )
        totals = due.values("currency").annotate(n=Count("id"), total=Sum("amount_minor"))
        ws.promises_due = sum(row["n"] for row in totals)
        ws.promised_today = [
            format_minor(row["total"], row["currency"]) for row in totals.order_by("currency")
        ]
    if user.has_perm("debtors.view_portfolioimport"):
        ws.imports = list(
            PortfolioImport.objects.select_related("portfolio").order_by("-created_at")[
                :RECENT_IMPORTS
            ]
        )
    return ws


def _running_campaigns() -> list[RunningCampaign]:
    running = list(
        Campaign.objects.filter(status=CampaignStatus.RUNNING)
        .select_related("portfolio")
        .order_by("-launched_at", "-pk")[:RUNNING_CAMPAIGNS]
    )
    counts = {
        row["campaign"]: row
        for row in Message.objects.filter(campaign__in=running)
        .values("campaign")
        .annotate(total=Count("id"), sent=Count("id", filter=Q(status__in=SENT_STATUSES)))
    }
    out = []
    for campaign in running:
        row = counts.get(campaign.pk, {"total": 0, "sent": 0})
        percent = round(100 * row["sent"] / row["total"]) if row["total"] else 0
        out.append(RunningCampaign(campaign=campaign, sent=row["sent"], percent=percent))
    return out
