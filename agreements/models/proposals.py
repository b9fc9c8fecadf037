from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .offers import DebtSelection, Frequency, OfferPolicy


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved")
    COUNTERED = "countered", _("Counter-offer made")
    REJECTED = "rejected", _("Not approved")
    ACCEPTED = "accepted", _("Counter-offer accepted")
    DECLINED = "declined", _("Counter-offer declined")
    SUPERSEDED = "superseded", _("Replaced by a newer proposal")


# Waiting on someone (staff: pending; the debtor: countered). One per debtor and portfolio:
# a proposal covers all the debtor's open debts in its portfolio, so this is "one open
# proposal per debt"; a new one supersedes the old (services.proposal_submit).
OPEN_PROPOSAL_STATUSES = (ProposalStatus.PENDING, ProposalStatus.COUNTERED)


class Proposal(DebtSelection):
    """A plan the debtor designed; outside the auto-approve bounds it waits for staff."""

    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.CASCADE,
        related_name="proposals",
        verbose_name=_("debtor"),
    )
    policy = models.ForeignKey(
        OfferPolicy,
        on_delete=models.PROTECT,
        related_name="proposals",
        verbose_name=_("offer policy"),
    )
    installments = models.PositiveSmallIntegerField(verbose_name=_("installments"))
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, verbose_name=_("frequency")
    )
    first_due_date = models.DateField(verbose_name=_("first due date"))
    down_payment_minor = models.BigIntegerField(default=0, verbose_name=_("down payment"))
    monthly_income_minor = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("monthly income")
    )
    essential_expenses_minor = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("essential expenses")
    )
    breaks = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Auto-approve bounds the proposal is outside of."),
        verbose_name=_("breaks"),
    )
    # The debtor ticked the terms and e-signature consent when proposing; if staff
    # approve, the agreement carries this evidence (time, IP, user agent, terms).
    evidence = models.JSONField(default=dict, blank=True, verbose_name=_("evidence"))
    status = models.CharField(
        max_length=10,
        choices=ProposalStatus.choices,
        default=ProposalStatus.PENDING,
        verbose_name=_("status"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decision_reason = models.TextField(blank=True, verbose_name=_("reason for the decision"))
    counter_installments = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("counter-offer installments")
    )
    counter_frequency = models.CharField(
        max_length=10,
        choices=Frequency.choices,
        blank=True,
        verbose_name=_("counter-offer frequency"),
    )
    counter_first_due_date = models.DateField(
        null=True, blank=True, verbose_name=_("counter-offer first due date")
    )
    counter_down_payment_minor = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("counter-offer down payment")
    )

    class Meta:
        verbose_name = _("proposal")
        verbose_name_plural = _("proposals")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["debtor", "portfolio"],
                condition=models.Q(status__in=OPEN_PROPOSAL_STATUSES),
                name="agreements_one_open_proposal_per_debtor_portfolio",
            )
        ]

    def __str__(self) -> str:
        return f"proposal #{self.pk} ({self.status})"
