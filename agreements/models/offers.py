from __future__ import annotations

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code

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
        help_text=_("1 means pay-in-full only."),
        verbose_name=_("maximum installments"),
    )
    min_down_payment_pct = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=PERCENT,
        verbose_name=_("minimum down payment (%)"),
    )
    min_installment_minor = models.BigIntegerField(
        default=0, validators=[MinValueValidator(0)], verbose_name=_("minimum installment")
    )
    allowed_frequencies = models.JSONField(default=list, verbose_name=_("allowed frequencies"))
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
        help_text=_("Days an installment may be late before the agreement is broken."),
        verbose_name=_("grace days"),
    )
    max_days_to_promise = models.PositiveSmallIntegerField(
        default=15,
        validators=[MinValueValidator(1), MaxValueValidator(60)],
        verbose_name=_("maximum days to a promise"),
    )
    # Empty: the currency's smallest free payment (PAYMENT_MIN_FREE_MINOR), so a promise
    # is never for less than the debtor could pay on the portal.
    min_promise_minor = models.BigIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        verbose_name=_("minimum promise to pay"),
    )

    # Changes a debtor makes alone to an active agreement; beyond them, staff review.
    max_date_moves = models.PositiveSmallIntegerField(
        default=1,
        validators=[MaxValueValidator(12)],
        help_text=_("Per agreement. 0: every date change goes to review."),
        verbose_name=_("installment date changes allowed"),
    )
    max_move_days = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(90)],
        help_text=_("How far from its current date an installment may be moved."),
        verbose_name=_("maximum days an installment may move"),
    )
    allow_skip = models.BooleanField(
        default=False,
        help_text=_("At most one per agreement; the skipped amount is added at the end."),
        verbose_name=_("one installment may be skipped"),
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
        default=0,
        validators=[MinValueValidator(0)],
        verbose_name=_("minimum installment approved automatically"),
    )
    auto_max_days_to_first_payment = models.PositiveSmallIntegerField(
        default=15,
        validators=[MaxValueValidator(120)],
        verbose_name=_("maximum days to the first payment approved automatically"),
    )

    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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
        from ..forms_policy import policy_errors

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

    portfolio = models.ForeignKey(
        "debtors.Portfolio", on_delete=models.PROTECT, related_name="+", verbose_name=_("portfolio")
    )
    # The link the debtor came through; a plain id, since agreements must not import access.
    payment_link_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("payment link"))
    debt_ids = models.JSONField(default=list, verbose_name=_("debt ids"))
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    balance_minor = models.BigIntegerField(verbose_name=_("balance"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        abstract = True


class Quote(DebtSelection):
    """The offers shown to a debtor, frozen for `quote_validity_days`.

    Accepting an offer uses these server-computed amounts, never values from the browser.
    """

    debtor = models.ForeignKey(
        "debtors.Debtor", on_delete=models.CASCADE, related_name="quotes", verbose_name=_("debtor")
    )
    policy = models.ForeignKey(
        OfferPolicy, on_delete=models.PROTECT, related_name="quotes", verbose_name=_("policy")
    )
    offers = models.JSONField(default=list, verbose_name=_("offers"))
    as_of = models.DateField(verbose_name=_("as of"))
    valid_until = models.DateField(verbose_name=_("valid until"))

    class Meta:
        verbose_name = _("quote")
        verbose_name_plural = _("quotes")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "-created_at"])]

    def __str__(self) -> str:
        return f"quote #{self.pk} for debtor {self.debtor_id}"
