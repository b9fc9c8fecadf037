"""Demo data for `seed_demo` and `make run`, so every staff screen has content on first
start: the book (book.py), then its activity (activity.py), then the KPIs computed.

It uses every app, so by the layer rule it lives at the top, in portal/staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.utils import timezone

from agreements.models import Agreement, OfferPolicy, PromiseToPay
from payments.models import Payment
from portal.analytics.timing import contact_timing_refresh
from portal.debtors.models import Debtor, Portfolio
from portal.outreach.models import Campaign, Consent, ContactTiming

from .. import rollup
from . import activity
from .book import DEMO_ADMIN_USERNAME, DEMO_PORTFOLIO_CODE, book_seed

__all__ = [
    "DEMO_ADMIN_USERNAME",
    "DEMO_PORTFOLIO_CODE",
    "DemoResult",
    "demo_summary",
    "seed_demo",
]


@dataclass(frozen=True)
class DemoResult:
    portfolio: Portfolio
    debtors_created: int
    debts_created: int
    admin_username: str
    admin_password: str
    policies_created: int = 0


def seed_demo(
    *, debtors: int = 60, admin_password: str = "cobranza-demo", activity_too: bool = True
) -> DemoResult:
    """Create what is missing of the demo; a second run creates nothing. `activity_too`
    False stops after the book (a test that brings its own campaign)."""
    portfolio, debtors_created, debts_created = book_seed(
        debtors=debtors, admin_password=admin_password
    )
    policies = 0
    if activity_too:
        now = timezone.now()
        admin = get_user_model().objects.get(username=DEMO_ADMIN_USERNAME)
        people = list(Debtor.objects.filter(debts__portfolio=portfolio).order_by("pk").distinct())
        policies = activity.policies_seed(portfolio, admin)
        activity.consents_seed(people)
        activity.campaigns_seed(portfolio, admin, now)
        activity.agreement_and_payment_seed(portfolio, now)
        activity.promise_seed(portfolio, admin, now)
        rollup.kpi_rollup_refresh_all()
        if not ContactTiming.objects.exists():  # a second run adds nothing, not even audit
            contact_timing_refresh()  # best channel and hour from the demo campaigns
    return DemoResult(
        portfolio,
        debtors_created,
        debts_created,
        DEMO_ADMIN_USERNAME,
        admin_password,
        policies,
    )


def demo_summary(portfolio: Portfolio) -> str:
    """One line on what the demo portfolio holds beyond its debts (for seed_demo's output)."""
    campaigns = Campaign.objects.filter(portfolio=portfolio)
    debtors = Debtor.objects.filter(debts__portfolio=portfolio).distinct()
    consenting = Consent.objects.filter(debtor__in=debtors, granted=True)
    counts = {
        "policies": OfferPolicy.objects.filter(portfolio=portfolio, is_active=True).count(),
        "consenting": consenting.values("debtor").distinct().count(),
        "debtors": debtors.count(),
        "done": campaigns.filter(status="done").count(),
        "scheduled": campaigns.filter(status="running", start_at__gt=timezone.now()).count(),
        "agreements": Agreement.objects.filter(portfolio=portfolio).count(),
        "payments": Payment.objects.filter(debtor__in=debtors).count(),
        "promises": PromiseToPay.objects.filter(debt__portfolio=portfolio).count(),
    }
    refreshed = rollup.kpi_rollups_refreshed_at()
    kpis = f"KPIs computed {timezone.localtime(refreshed):%Y-%m-%d %H:%M}" if refreshed else ""
    return (
        "demo activity: {policies} offer policies (one per mora stage); consent on record "
        "for {consenting} of {debtors} debtors; campaigns: {done} sent, {scheduled} scheduled; "
        "{agreements} agreement, {payments} payment, {promises} promise; ".format(**counts)
        + kpis
    )
