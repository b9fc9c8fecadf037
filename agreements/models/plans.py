from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code

from .offers import Frequency, Quote
from .proposals import Proposal


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
