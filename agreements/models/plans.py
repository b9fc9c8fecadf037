from __future__ import annotations

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import currency_code
from portal.storage import private_storage

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

    number = models.CharField(
        max_length=20, unique=True, null=True, blank=True, verbose_name=_("number")
    )
    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("debtor"),
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio",
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("portfolio"),
    )
    kind = models.CharField(max_length=10, choices=AgreementKind.choices, verbose_name=_("kind"))
    status = models.CharField(
        max_length=10,
        choices=AgreementStatus.choices,
        default=AgreementStatus.ACTIVE,
        verbose_name=_("status"),
    )
    currency = models.CharField(
        max_length=3, validators=[currency_code], verbose_name=_("currency")
    )
    balance_minor = models.BigIntegerField(
        help_text=_("Owed before the discount."), verbose_name=_("balance")
    )
    discount_minor = models.BigIntegerField(default=0, verbose_name=_("discount"))
    total_minor = models.BigIntegerField(
        help_text=_("What the debtor agreed to pay."), verbose_name=_("total")
    )
    down_payment_minor = models.BigIntegerField(default=0, verbose_name=_("down payment"))
    frequency = models.CharField(
        max_length=10, choices=Frequency.choices, blank=True, verbose_name=_("frequency")
    )
    quote = models.ForeignKey(
        Quote,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreements",
        verbose_name=_("quote"),
    )
    proposal = models.OneToOneField(
        Proposal,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agreement",
        verbose_name=_("proposal"),
    )
    # Evidence of acceptance (Ley 527 de 1999): who, when, from where, exactly what text.
    terms_version = models.CharField(max_length=40, verbose_name=_("terms version"))
    terms_text = models.TextField(verbose_name=_("terms text"))
    terms_sha256 = models.CharField(max_length=64, verbose_name=_("terms SHA-256"))
    accepted_at = models.DateTimeField(verbose_name=_("accepted at"))
    accepted_ip = models.GenericIPAddressField(
        null=True, blank=True, verbose_name=_("accepted from IP")
    )
    accepted_user_agent = models.CharField(
        max_length=512, blank=True, verbose_name=_("accepted user agent")
    )
    # The link the debtor came through; a plain id, since agreements must not import access.
    payment_link_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("payment link"))
    pdf = models.FileField(
        upload_to="agreements/%Y/%m/",
        storage=private_storage,
        blank=True,
        verbose_name=_("PDF"),
    )
    pdf_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("PDF SHA-256"))
    pdf_rendered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("PDF rendered at"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    completed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("completed at"))
    broken_at = models.DateTimeField(null=True, blank=True, verbose_name=_("broken at"))
    # Raised by every change to the schedule: the calendar's SEQUENCE, so a calendar that
    # imported the plan before replaces its events instead of adding new ones.
    schedule_revision = models.PositiveIntegerField(default=0, verbose_name=_("schedule revision"))

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

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="lines", verbose_name=_("agreement")
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        on_delete=models.PROTECT,
        related_name="agreement_lines",
        verbose_name=_("debt"),
    )
    balance_minor = models.BigIntegerField(verbose_name=_("balance"))
    discount_minor = models.BigIntegerField(default=0, verbose_name=_("discount"))
    is_active = models.BooleanField(default=True, verbose_name=_("active"))

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
    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="installments",
        verbose_name=_("agreement"),
    )
    number = models.PositiveSmallIntegerField(
        help_text=_("0 is the down payment."), verbose_name=_("number")
    )
    due_date = models.DateField(verbose_name=_("due date"))
    amount_minor = models.BigIntegerField(
        validators=[MinValueValidator(1)], verbose_name=_("amount")
    )
    paid_minor = models.BigIntegerField(default=0, verbose_name=_("paid"))
    status = models.CharField(
        max_length=10,
        choices=InstallmentStatus.choices,
        default=InstallmentStatus.PENDING,
        verbose_name=_("status"),
    )
    paid_at = models.DateTimeField(null=True, blank=True, verbose_name=_("paid at"))

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
