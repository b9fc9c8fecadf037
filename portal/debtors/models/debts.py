from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.money import format_minor

from ..imputation import Parts
from .parties import Debtor, Portfolio, currency_code


class DebtStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("debt status", "Active")
    IN_AGREEMENT = "in_agreement", pgettext_lazy("debt status", "In an agreement")
    PAID = "paid", pgettext_lazy("debt status", "Paid")
    SETTLED = "settled", pgettext_lazy("debt status", "Settled with a discount")
    DISPUTED = "disputed", pgettext_lazy("debt status", "Disputed")
    LEGAL = "legal", pgettext_lazy("debt status", "Legal collection")
    CLOSED = "closed", pgettext_lazy("debt status", "Closed")


class Debt(models.Model):
    # Neither has an index of its own: the unique (portfolio, account_ref) constraint
    # serves portfolio lookups and the (debtor, status) index serves debtor lookups.
    portfolio = models.ForeignKey(
        Portfolio,
        on_delete=models.PROTECT,
        related_name="debts",
        db_index=False,
        verbose_name=_("portfolio"),
    )
    debtor = models.ForeignKey(
        Debtor,
        on_delete=models.PROTECT,
        related_name="debts",
        db_index=False,
        verbose_name=_("debtor"),
    )
    account_ref = models.CharField(max_length=64, verbose_name=_("account reference"))
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    # The creditor's statement as last imported: an import diffs against it.
    principal_due_minor = models.BigIntegerField(
        validators=[MinValueValidator(0)], verbose_name=_("principal due")
    )
    interest_due_minor = models.BigIntegerField(
        default=0, validators=[MinValueValidator(0)], verbose_name=_("interest due")
    )
    fees_due_minor = models.BigIntegerField(
        default=0, validators=[MinValueValidator(0)], verbose_name=_("fees due")
    )
    # Sum of this debt's ledger entries; written only by the ledger service, same transaction.
    balance_minor = models.BigIntegerField(default=0, editable=False, verbose_name=_("balance"))
    # What is outstanding of each component, moved with the balance by every ledger entry
    # (portal/debtors/imputation.py); the three always add up to the balance.
    # db_default: raw INSERTs of a debt with no balance yet (benches) need not name them.
    principal_minor = models.BigIntegerField(
        default=0, db_default=0, editable=False, verbose_name=_("principal")
    )
    interest_minor = models.BigIntegerField(
        default=0, db_default=0, editable=False, verbose_name=_("interest")
    )
    fees_minor = models.BigIntegerField(
        default=0, db_default=0, editable=False, verbose_name=_("fees")
    )
    original_due_date = models.DateField(verbose_name=_("original due date"))
    days_past_due = models.IntegerField(default=0, editable=False, verbose_name=_("days past due"))
    status = models.CharField(
        max_length=16,
        choices=DebtStatus.choices,
        default=DebtStatus.ACTIVE,
        verbose_name=_("status"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("debt")
        verbose_name_plural = _("debts")
        ordering = ["portfolio", "account_ref"]
        constraints = [
            models.UniqueConstraint(
                fields=["portfolio", "account_ref"], name="debt_account_unique"
            ),
            models.CheckConstraint(
                condition=Q(principal_due_minor__gte=0)
                & Q(interest_due_minor__gte=0)
                & Q(fees_due_minor__gte=0),
                name="debt_components_non_negative",
            ),
            models.CheckConstraint(
                condition=Q(
                    balance_minor=F("principal_minor") + F("interest_minor") + F("fees_minor")
                ),
                name="debt_outstanding_adds_up",
            ),
            # Reductions are imputed only up to what is there; an overpayment is a
            # credit on principal, which may go below zero.
            models.CheckConstraint(
                condition=Q(interest_minor__gte=0) & Q(fees_minor__gte=0),
                name="debt_outstanding_interest_fees_non_negative",
            ),
        ]
        indexes = [
            models.Index(fields=["debtor", "status"]),
            models.Index(fields=["days_past_due"]),
        ]

    def __str__(self) -> str:
        return f"{self.account_ref} ({self.portfolio.code})"

    @property
    def total_due_minor(self) -> int:
        """The statement's total (not the balance: see principal_minor and the others)."""
        return self.principal_due_minor + self.interest_due_minor + self.fees_due_minor

    @property
    def statement(self) -> Parts:
        """The creditor's last statement, as imported."""
        return Parts(self.principal_due_minor, self.interest_due_minor, self.fees_due_minor)

    @property
    def outstanding(self) -> Parts:
        """What is owed now, by component; sums to the balance."""
        return Parts(self.principal_minor, self.interest_minor, self.fees_minor)


class LedgerKind(models.TextChoices):
    CHARGE = "charge", _("Charge")
    PAYMENT = "payment", _("Payment")
    DISCOUNT = "discount", _("Discount")
    ADJUSTMENT = "adjustment", _("Adjustment")
    REFUND = "refund", _("Refund")
    REVERSAL = "reversal", _("Reversal")


class LedgerEntry(models.Model):
    """One movement on a debt. Positive amounts raise the balance, negative ones lower it."""

    # No index of its own: the (debt, -effective_date, -id) index below serves it.
    debt = models.ForeignKey(
        Debt,
        on_delete=models.PROTECT,
        related_name="ledger_entries",
        db_index=False,
        verbose_name=_("debt"),
    )
    kind = models.CharField(max_length=12, choices=LedgerKind.choices, verbose_name=_("kind"))
    amount_minor = models.BigIntegerField(verbose_name=_("amount"))
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    effective_date = models.DateField(verbose_name=_("effective date"))
    description = models.CharField(max_length=255, blank=True, verbose_name=_("description"))
    # How the amount split over the debt's components (signed, summing to amount_minor),
    # so that a refund or reversal can give back exactly what this entry imputed.
    # db_default: a raw INSERT need name only the parts it moves (the CHECK still holds).
    principal_minor = models.BigIntegerField(default=0, db_default=0, verbose_name=_("principal"))
    interest_minor = models.BigIntegerField(default=0, db_default=0, verbose_name=_("interest"))
    fees_minor = models.BigIntegerField(default=0, db_default=0, verbose_name=_("fees"))
    # The entry a refund or reversal undoes. Few entries have one: indexed only where set.
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        db_index=False,
        verbose_name=_("reverses"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    # Indexed only where set: most entries (imports, payments) have no staff author.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        verbose_name=_("created by"),
    )

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["-effective_date", "-id"]
        indexes = [
            models.Index(fields=["debt", "-effective_date", "-id"]),
            models.Index(
                fields=["created_by"],
                condition=Q(created_by__isnull=False),
                name="ledger_created_by_idx",
            ),
            models.Index(
                fields=["reverses"],
                condition=Q(reverses__isnull=False),
                name="ledger_reverses_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    amount_minor=F("principal_minor") + F("interest_minor") + F("fees_minor")
                ),
                name="ledger_split_adds_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {format_minor(self.amount_minor, self.currency)}"

    @property
    def parts(self) -> Parts:
        """The split this entry applied to principal, interest and fees."""
        return Parts(self.principal_minor, self.interest_minor, self.fees_minor)
