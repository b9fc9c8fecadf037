from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code
from portal.debtors.money import format_minor

PERCENT = [MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))]


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    BIWEEKLY = "biweekly", _("Every two weeks")
    MONTHLY = "monthly", _("Monthly")


class OfferPolicy(models.Model):
    """What debtors in one mora stage may be offered, optionally for one creditor or portfolio.

    The most specific active policy wins: portfolio, then creditor, then stage-wide.
    Percentages are Decimal; amounts are minor units of `currency`.
    """

    name = models.CharField(max_length=120, verbose_name=_("name"))
    stage = models.ForeignKey(
        "debtors.MoraStage",
        on_delete=models.PROTECT,
        related_name="offer_policies",
        verbose_name=_("mora stage"),
    )
    creditor = models.ForeignKey(
        "debtors.Creditor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offer_policies",
        verbose_name=_("creditor"),
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="offer_policies",
        verbose_name=_("portfolio"),
    )
    currency = models.CharField(
        max_length=3, validators=[currency_code], default="COP", verbose_name=_("currency")
    )
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

    discount_interest_fees_pct = models.DecimalField(
        _("lump-sum discount on interest and fees (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )
    discount_principal_pct = models.DecimalField(
        _("lump-sum discount on principal (%)"),
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
    )

    max_installments = models.PositiveSmallIntegerField(
        default=12,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        help_text="1 means pay-in-full only.",
        verbose_name=_("maximum installments"),
    )
    min_down_payment_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
        verbose_name=_("minimum down payment (%)"),
    )
    min_installment_minor = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    allowed_frequencies = models.JSONField(default=list)
    max_days_to_first_payment = models.PositiveSmallIntegerField(
        default=30,
        validators=[MaxValueValidator(120)],
        verbose_name=_("maximum days to the first payment"),
    )
    quote_validity_days = models.PositiveSmallIntegerField(
        default=7,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        verbose_name=_("days a quote is valid"),
    )
    grace_days = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(90)],
        help_text="Days an installment may be late before the agreement is broken.",
        verbose_name=_("grace days"),
    )
    max_days_to_promise = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        verbose_name=_("maximum days to a promise"),
    )

    # A debtor's own plan inside all of these is approved at once; outside, staff review it.
    auto_max_installments = models.PositiveSmallIntegerField(
        default=6,
        validators=[MinValueValidator(1), MaxValueValidator(72)],
        verbose_name=_("maximum installments approved automatically"),
    )
    auto_min_down_payment_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10"),
        validators=PERCENT,
        verbose_name=_("minimum down payment approved automatically (%)"),
    )
    auto_min_installment_minor = models.BigIntegerField(
        default=0, validators=[MinValueValidator(0)]
    )
    auto_max_days_to_first_payment = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(120)],
        verbose_name=_("maximum days to the first payment approved automatically"),
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("offer policy")
        verbose_name_plural = _("offer policies")
        ordering = ["stage__min_days", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "currency", "portfolio"],
                condition=Q(is_active=True, portfolio__isnull=False),
                name="offer_policy_one_active_per_portfolio",
            ),
            models.UniqueConstraint(
                fields=["stage", "currency", "creditor"],
                condition=Q(is_active=True, portfolio__isnull=True, creditor__isnull=False),
                name="offer_policy_one_active_per_creditor",
            ),
            models.UniqueConstraint(
                fields=["stage", "currency"],
                condition=Q(is_active=True, portfolio__isnull=True, creditor__isnull=True),
                name="offer_policy_one_active_stage_wide",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse settings that contradict each other, naming the field to fix."""
        from .forms_policy import policy_errors

        errors = policy_errors(self)
        if errors:
            raise ValidationError(errors)

    def validate_constraints(self, exclude=None) -> None:
        # clean() reports a second active policy for the same scope in words staff
        # understand; the partial unique constraints stay as the database's last word.
        return None


class DebtSelection(models.Model):
    """What a quote and a proposal both start from: a debtor's debts in one portfolio and
    their balance at that moment (each adds its debtor and policy: their reverse names
    differ). Abstract: each keeps its own table, with exactly the columns it had."""

    portfolio = models.ForeignKey("debtors.Portfolio", on_delete=models.PROTECT, related_name="+")
    # The link the debtor came through; a plain id, since agreements must not import access.
    payment_link_id = models.BigIntegerField(null=True, blank=True)
    debt_ids = models.JSONField(default=list)
    currency = models.CharField(max_length=3, validators=[currency_code])
    balance_minor = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Quote(DebtSelection):
    """The offers shown to a debtor, frozen for `quote_validity_days`.

    Accepting an offer uses these server-computed amounts, never values from the browser.
    """

    debtor = models.ForeignKey("debtors.Debtor", on_delete=models.CASCADE, related_name="quotes")
    policy = models.ForeignKey(OfferPolicy, on_delete=models.PROTECT, related_name="quotes")
    offers = models.JSONField(default=list)
    as_of = models.DateField()
    valid_until = models.DateField()

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "-created_at"])]

    def __str__(self) -> str:
        return f"quote #{self.pk} for debtor {self.debtor_id}"


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
    down_payment_minor = models.BigIntegerField(default=0)
    monthly_income_minor = models.BigIntegerField(null=True, blank=True)
    essential_expenses_minor = models.BigIntegerField(null=True, blank=True)
    breaks = models.JSONField(
        default=list, blank=True, help_text="Auto-approve bounds the proposal is outside of."
    )
    # The debtor ticked the terms and e-signature consent when proposing; if staff
    # approve, the agreement carries this evidence (time, IP, user agent, terms).
    evidence = models.JSONField(default=dict, blank=True)
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
    counter_down_payment_minor = models.BigIntegerField(null=True, blank=True)

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


class AgreementStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    COMPLETED = "completed", _("Completed")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class AgreementKind(models.TextChoices):
    LUMP_SUM = "lump_sum", _("Payment in full")
    PLAN = "plan", _("Payment plan")


class Agreement(models.Model):
    """An accepted payment agreement with the evidence of its electronic acceptance."""

    number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    debtor = models.ForeignKey(
        "debtors.Debtor", on_delete=models.PROTECT, related_name="agreements"
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio", on_delete=models.PROTECT, related_name="agreements"
    )
    kind = models.CharField(max_length=10, choices=AgreementKind.choices)
    status = models.CharField(
        max_length=10, choices=AgreementStatus.choices, default=AgreementStatus.ACTIVE
    )
    currency = models.CharField(max_length=3, validators=[currency_code])
    balance_minor = models.BigIntegerField(help_text="Owed before the discount.")
    discount_minor = models.BigIntegerField(default=0)
    total_minor = models.BigIntegerField(help_text="What the debtor agreed to pay.")
    down_payment_minor = models.BigIntegerField(default=0)
    frequency = models.CharField(max_length=10, choices=Frequency.choices, blank=True)
    quote = models.ForeignKey(
        Quote, null=True, blank=True, on_delete=models.PROTECT, related_name="agreements"
    )
    proposal = models.OneToOneField(
        Proposal, null=True, blank=True, on_delete=models.PROTECT, related_name="agreement"
    )
    # Evidence of acceptance (Ley 527 de 1999): who, when, from where, exactly what text.
    terms_version = models.CharField(max_length=40)
    terms_text = models.TextField()
    terms_sha256 = models.CharField(max_length=64)
    accepted_at = models.DateTimeField()
    accepted_ip = models.GenericIPAddressField(null=True, blank=True)
    accepted_user_agent = models.CharField(max_length=512, blank=True)
    # The link the debtor came through; a plain id, since agreements must not import access.
    payment_link_id = models.BigIntegerField(null=True, blank=True)
    pdf = models.FileField(upload_to="agreements/%Y/%m/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_rendered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    broken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("agreement")
        verbose_name_plural = _("agreements")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "status"])]

    def __str__(self) -> str:
        return self.number or f"agreement #{self.pk}"


class AgreementDebt(models.Model):
    """A debt covered by an agreement. `is_active` mirrors the agreement being active, so
    the database itself refuses a second active agreement on one debt."""

    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="lines")
    debt = models.ForeignKey(
        "debtors.Debt", on_delete=models.PROTECT, related_name="agreement_lines"
    )
    balance_minor = models.BigIntegerField()
    discount_minor = models.BigIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        verbose_name = _("agreement debt")
        verbose_name_plural = _("agreement debts")
        constraints = [
            models.UniqueConstraint(
                fields=["debt"], condition=Q(is_active=True), name="one_active_agreement_per_debt"
            ),
            models.UniqueConstraint(fields=["agreement", "debt"], name="agreement_debt_once"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} · {self.debt_id}"


class InstallmentStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    PAID = "paid", _("Paid")
    LATE = "late", _("Late")
    CANCELLED = "cancelled", _("Cancelled")


class Installment(models.Model):
    agreement = models.ForeignKey(Agreement, on_delete=models.CASCADE, related_name="installments")
    number = models.PositiveSmallIntegerField(help_text="0 is the down payment.")
    due_date = models.DateField()
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    paid_minor = models.BigIntegerField(default=0)
    status = models.CharField(
        max_length=10, choices=InstallmentStatus.choices, default=InstallmentStatus.PENDING
    )
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("installment")
        verbose_name_plural = _("installments")
        ordering = ["agreement", "number"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "number"], name="installment_number"),
        ]
        indexes = [models.Index(fields=["status", "due_date"])]

    def __str__(self) -> str:
        return f"{self.agreement} #{self.number}"


class PromiseStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    KEPT = "kept", _("Kept")
    BROKEN = "broken", _("Broken")
    CANCELLED = "cancelled", _("Cancelled")


class PromiseToPay(models.Model):
    """An amount the debtor promises to pay on a date, without a plan."""

    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="promises",
        verbose_name=_("debtor"),
    )
    debt = models.ForeignKey(
        "debtors.Debt", on_delete=models.PROTECT, related_name="promises", verbose_name=_("debt")
    )
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    amount_minor = models.BigIntegerField(validators=[MinValueValidator(1)])
    promised_date = models.DateField(verbose_name=_("promised date"))
    status = models.CharField(
        max_length=10,
        choices=PromiseStatus.choices,
        default=PromiseStatus.PENDING,
        verbose_name=_("status"),
    )
    source = models.CharField(max_length=10, default="portal", verbose_name=_("source"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))

    class Meta:
        verbose_name = _("promise to pay")
        verbose_name_plural = _("promises to pay")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "promised_date"])]

    def __str__(self) -> str:
        amount = format_minor(self.amount_minor, self.currency)
        return f"promise #{self.pk} {amount} by {self.promised_date}"
