"""How supervisors close disputes raised on calls, and the KPI rollups with the dashboard's
permission. The calls and visits themselves are outreach's (`portal.outreach.models.calls`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import DebtStatus


class Resolution(models.TextChoices):
    UPHELD = "upheld", _("Upheld: the debtor is right, the debt is closed")
    REJECTED = "rejected", _("Rejected: the debt is verified, back to its status before")


class DisputeResolution(models.Model):
    """How a supervisor closed a dispute the debtor raised on a call. Written once by
    `services.call_dispute_resolve`; the contact outcome itself stays as logged."""

    contact_outcome = models.OneToOneField(
        "outreach.ContactOutcome",
        on_delete=models.PROTECT,
        related_name="resolution",
        verbose_name=_("contact outcome"),
    )
    resolution = models.CharField(
        max_length=8, choices=Resolution.choices, verbose_name=_("resolution")
    )
    note = models.TextField(max_length=2000, verbose_name=_("note"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(default=timezone.now, verbose_name=_("resolved at"))
    # The debt's status right after: "closed", the one restored, or still "disputed" while
    # another dispute (card or call) is open on it.
    debt_status = models.CharField(
        max_length=16, choices=DebtStatus.choices, verbose_name=_("debt status")
    )

    class Meta:
        verbose_name = _("dispute resolution")
        verbose_name_plural = _("dispute resolutions")
        permissions = [("resolve_dispute", "Can resolve disputes raised on calls")]

    def __str__(self) -> str:
        return f"{self.get_resolution_display()} ({self.contact_outcome_id})"


class KpiDay(models.Model):
    """KPI counts for one local day and one (portfolio, stage, channel, campaign, currency),
    rebuilt from the source tables by `rollup.kpi_rollup_refresh`; the dashboard only sums
    these rows, so it costs the same on a thousand debts or a million.

    Each source adds its own rows (zeros in the other columns); sums do not care.
    Stage is the debt's stage at refresh time; `channel` is "" where none applies, "visit"
    for visits; `campaign_id` 0 for none.
    """

    day = models.DateField(verbose_name=_("day"))
    portfolio_id = models.BigIntegerField(verbose_name=_("portfolio"))
    stage = models.CharField(max_length=30, verbose_name=_("stage"))
    channel = models.CharField(max_length=10, verbose_name=_("channel"))
    campaign_id = models.BigIntegerField(default=0, db_default=0, verbose_name=_("campaign"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    # Which source wrote the row (messages, outcomes, links, ledger, promises, agreements):
    # a refresh may rebuild one source alone, e.g. outcomes after a call is logged.
    source = models.CharField(max_length=12, default="", db_default="", verbose_name=_("source"))
    attempts = models.BigIntegerField(default=0, db_default=0, verbose_name=_("attempts"))
    contacts = models.BigIntegerField(default=0, db_default=0, verbose_name=_("contacts"))
    right_party = models.BigIntegerField(default=0, db_default=0, verbose_name=_("right party"))
    sent = models.BigIntegerField(default=0, db_default=0, verbose_name=_("sent"))
    delivered = models.BigIntegerField(default=0, db_default=0, verbose_name=_("delivered"))
    opened = models.BigIntegerField(default=0, db_default=0, verbose_name=_("opened"))
    verified = models.BigIntegerField(default=0, db_default=0, verbose_name=_("verified"))
    agreement = models.BigIntegerField(default=0, db_default=0, verbose_name=_("agreement"))
    paid = models.BigIntegerField(default=0, db_default=0, verbose_name=_("paid"))
    collected_minor = models.BigIntegerField(default=0, db_default=0, verbose_name=_("collected"))
    payments = models.BigIntegerField(default=0, db_default=0, verbose_name=_("payments"))
    promises_due = models.BigIntegerField(default=0, db_default=0, verbose_name=_("promises due"))
    promises_kept = models.BigIntegerField(default=0, db_default=0, verbose_name=_("promises kept"))
    promises_broken = models.BigIntegerField(
        default=0, db_default=0, verbose_name=_("promises broken")
    )
    agreements_made = models.BigIntegerField(
        default=0, db_default=0, verbose_name=_("agreements made")
    )
    agreements_completed = models.BigIntegerField(
        default=0, db_default=0, verbose_name=_("agreements completed")
    )
    agreements_broken = models.BigIntegerField(
        default=0, db_default=0, verbose_name=_("agreements broken")
    )

    class Meta:
        verbose_name = _("KPI day")
        verbose_name_plural = _("KPI days")
        permissions = [("view_kpis", "Can see the KPI dashboard")]
        indexes = [models.Index(fields=["day", "portfolio_id"])]

    def __str__(self) -> str:
        return f"{self.day} {self.portfolio_id}/{self.stage}/{self.channel}/{self.campaign_id}"


class KpiReach(models.Model):
    """Which debtors were tried and reached, per local day: one row per debtor and
    (portfolio, stage, channel, campaign, currency), with 0/1 flags. The contact rates are
    rates of debtors, and distinct debtors over a period cannot be summed from daily
    counts; the dashboard counts them here in one grouped query (`kpis.reach`).

    attempted: an outbound attempt (message handed to a provider, outbound call or visit);
    contacted: a delivered message, a call or visit that reached someone (either
    direction), or the identity check passed on a link; right_party: the debtor themself on
    a call or visit, or passing the identity check.
    """

    day = models.DateField(verbose_name=_("day"))
    debtor_id = models.BigIntegerField(verbose_name=_("debtor"))
    portfolio_id = models.BigIntegerField(verbose_name=_("portfolio"))
    stage = models.CharField(max_length=30, verbose_name=_("stage"))
    channel = models.CharField(max_length=10, verbose_name=_("channel"))
    campaign_id = models.BigIntegerField(default=0, db_default=0, verbose_name=_("campaign"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    source = models.CharField(max_length=12, verbose_name=_("source"))
    attempted = models.SmallIntegerField(default=0, db_default=0, verbose_name=_("attempted"))
    contacted = models.SmallIntegerField(default=0, db_default=0, verbose_name=_("contacted"))
    right_party = models.SmallIntegerField(default=0, db_default=0, verbose_name=_("right party"))

    class Meta:
        verbose_name = _("KPI reach")
        verbose_name_plural = _("KPI reach rows")
        indexes = [
            models.Index(fields=["day", "portfolio_id"]),
            # The reach count reads only these: an index-only scan over the period.
            models.Index(
                fields=["day", "debtor_id"],
                include=["attempted", "contacted", "right_party"],
                name="kpireach_day_debtor_flags",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} debtor {self.debtor_id}/{self.channel}"


class KpiBalance(models.Model):
    """The book as of the last refresh: debts and money per portfolio, stage, currency."""

    portfolio_id = models.BigIntegerField(verbose_name=_("portfolio"))
    stage = models.CharField(max_length=30, verbose_name=_("stage"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    debts = models.BigIntegerField(verbose_name=_("debts"))
    assigned_minor = models.BigIntegerField(verbose_name=_("assigned"))
    balance_minor = models.BigIntegerField(verbose_name=_("balance"))
    refreshed_at = models.DateTimeField(verbose_name=_("refreshed at"))

    class Meta:
        verbose_name = _("KPI balance")
        verbose_name_plural = _("KPI balances")

    def __str__(self) -> str:
        return f"{self.portfolio_id}/{self.stage}/{self.currency}: {self.debts} debts"
