from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .money import format_minor

currency_code = RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code such as COP or USD.")
country_code = RegexValidator(r"^[A-Z]{2}$", "Use an ISO 3166 alpha-2 code such as CO or US.")


class Creditor(models.Model):
    name = models.CharField(max_length=200, unique=True)
    tax_id = models.CharField("NIT / tax id", max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("creditor")
        verbose_name_plural = _("creditors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdentityCheck(models.TextChoices):
    DOCUMENT_LAST4 = "document_last4", "Últimos 4 dígitos del documento"
    BIRTH_DATE = "birth_date", "Fecha de nacimiento"


class Portfolio(models.Model):
    """A batch of debts a creditor assigns to the agency."""

    creditor = models.ForeignKey(Creditor, on_delete=models.PROTECT, related_name="portfolios")
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3, validators=[currency_code], default="COP")
    timezone = models.CharField(max_length=64, default="America/Bogota")
    country = models.CharField(max_length=2, validators=[country_code], default="CO")
    terms_text = models.TextField(blank=True)
    link_expiry_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text="How long a payment link for this portfolio stays valid.",
    )
    identity_check = models.CharField(
        max_length=16,
        choices=IdentityCheck.choices,
        default=IdentityCheck.DOCUMENT_LAST4,
        help_text="What a debtor answers before seeing any debt data.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("portfolio")
        verbose_name_plural = _("portfolios")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} · {self.creditor}"


class PaymentMethodKind(models.TextChoices):
    # Debtors see these labels on the pay page.
    BANK_TRANSFER = "bank_transfer", _("Bank transfer or deposit")
    CASH = "cash", _("Cash at a collection point")
    PHONE = "phone", _("By phone")


class PaymentMethod(models.Model):
    """A way to pay other than the card form (bank transfer, cash points, a phone line),
    defined by staff per portfolio and listed on the debtor's pay page with the amount due
    and the debtor's payment reference."""

    portfolio = models.ForeignKey(
        Portfolio, on_delete=models.CASCADE, related_name="payment_methods"
    )
    kind = models.CharField(max_length=16, choices=PaymentMethodKind.choices)
    name = models.CharField(max_length=120, help_text="Bank, network or line: Bancolombia, Efecty…")
    account = models.CharField(
        max_length=120, blank=True, help_text="Bank transfer: account type and number."
    )
    holder = models.CharField(
        max_length=200, blank=True, help_text="Bank transfer: account holder and NIT."
    )
    agreement_code = models.CharField(
        "agreement (convenio) number",
        max_length=40,
        blank=True,
        help_text="Cash points: the collection agreement number the cashier asks for.",
    )
    phone = models.CharField(max_length=40, blank=True, help_text="Phone line: the number.")
    instructions = models.CharField(
        max_length=300, blank=True, help_text="Shown as written, e.g. opening hours."
    )
    position = models.PositiveSmallIntegerField(default=0)
    active = models.BooleanField(default=True)

    REQUIRED = {
        PaymentMethodKind.BANK_TRANSFER: "account",
        PaymentMethodKind.CASH: "agreement_code",
        PaymentMethodKind.PHONE: "phone",
    }

    class Meta:
        ordering = ["portfolio", "position", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.name}"

    def clean(self) -> None:
        field = self.REQUIRED.get(self.kind)
        if field and not getattr(self, field).strip():
            raise ValidationError({field: "Required for this kind of payment method."})


class DocumentType(models.TextChoices):
    CC = "CC", "Cédula de ciudadanía"
    CE = "CE", "Cédula de extranjería"
    TI = "TI", "Tarjeta de identidad"
    NIT = "NIT", "NIT"
    PA = "PA", "Pasaporte"
    PPT = "PPT", "Permiso por protección temporal"
    SSN = "SSN", "US Social Security number"


class ContactChannel(models.TextChoices):
    # Debtors see these labels, so they go through i18n.
    SMS = "sms", _("SMS")
    WHATSAPP = "whatsapp", _("WhatsApp")
    EMAIL = "email", _("Email")
    CALL = "call", _("Phone call")


class Language(models.TextChoices):
    ES = "es", "Español"
    EN = "en", "English"


class Debtor(models.Model):
    document_type = models.CharField(max_length=4, choices=DocumentType.choices)
    document_number = models.CharField(max_length=32)
    full_name = models.CharField(max_length=200)
    birth_date = models.DateField(null=True, blank=True)
    phones = models.JSONField(default=list, blank=True, help_text="E.164 numbers, first is main")
    emails = models.JSONField(default=list, blank=True, help_text="First is main")
    language = models.CharField(max_length=5, choices=Language.choices, default=Language.ES)
    preferred_channel = models.CharField(
        max_length=10, choices=ContactChannel.choices, default=ContactChannel.SMS
    )
    contact_from = models.TimeField(default=dt.time(8), help_text="Debtor's local time")
    contact_to = models.TimeField(default=dt.time(18), help_text="Debtor's local time")
    timezone = models.CharField(
        max_length=64, blank=True, help_text="IANA zone; empty means the portfolio's."
    )
    # Where the address is, for state contact rules (Massachusetts) and the plausible time
    # zones of a US debtor (portal/outreach/zones.py).
    state = models.CharField(
        max_length=2,
        blank=True,
        default="",
        db_default="",  # raw INSERTs (bench, loaders) that predate it need not name it
        validators=[RegexValidator(r"^[A-Z]{2}$", "Use a two-letter USPS code such as MA.")],
        help_text="US state or territory of the address (USPS code, e.g. MA); empty if none.",
    )
    # Do-not-contact flags: outreach sends nothing collection-related while either is set.
    deceased = models.BooleanField(default=False)
    legal_hold = models.BooleanField(
        default=False, help_text="Contact suspended (lawyer, court order, bankruptcy)."
    )
    # The passwordless login a debtor gets after passing the identity check on a link.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="debtor",
        editable=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("debtor")
        verbose_name_plural = _("debtors")
        ordering = ["full_name"]
        constraints = [
            # Number first, so this one index also serves lookups by number alone.
            models.UniqueConstraint(
                fields=["document_number", "document_type"], name="debtor_document_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} ({self.document_type} {self.document_number})"


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
        Portfolio, on_delete=models.PROTECT, related_name="debts", db_index=False
    )
    debtor = models.ForeignKey(
        Debtor, on_delete=models.PROTECT, related_name="debts", db_index=False
    )
    account_ref = models.CharField(max_length=64)
    currency = models.CharField(max_length=3, validators=[currency_code])
    # The creditor's statement as last imported: an import diffs against it.
    principal_due_minor = models.BigIntegerField(validators=[MinValueValidator(0)])
    interest_due_minor = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    fees_due_minor = models.BigIntegerField(default=0, validators=[MinValueValidator(0)])
    # Sum of this debt's ledger entries; written only by the ledger service, same transaction.
    balance_minor = models.BigIntegerField(default=0, editable=False)
    # What is outstanding of each component, moved with the balance by every ledger entry
    # (portal/debtors/imputation.py); the three always add up to the balance.
    # db_default: raw INSERTs of a debt with no balance yet (benches) need not name them.
    principal_minor = models.BigIntegerField(default=0, db_default=0, editable=False)
    interest_minor = models.BigIntegerField(default=0, db_default=0, editable=False)
    fees_minor = models.BigIntegerField(default=0, db_default=0, editable=False)
    original_due_date = models.DateField()
    days_past_due = models.IntegerField(default=0, editable=False)
    status = models.CharField(max_length=16, choices=DebtStatus.choices, default=DebtStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

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
        Debt, on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(max_length=12, choices=LedgerKind.choices)
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3, validators=[currency_code])
    effective_date = models.DateField()
    description = models.CharField(max_length=255, blank=True)
    # How the amount split over the debt's components (signed, summing to amount_minor),
    # so that a refund or reversal can give back exactly what this entry imputed.
    # db_default: a raw INSERT need name only the parts it moves (the CHECK still holds).
    principal_minor = models.BigIntegerField(default=0, db_default=0)
    interest_minor = models.BigIntegerField(default=0, db_default=0)
    fees_minor = models.BigIntegerField(default=0, db_default=0)
    # The entry a refund or reversal undoes. Few entries have one: indexed only where set.
    reverses = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reversed_by",
        db_index=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Indexed only where set: most entries (imports, payments) have no staff author.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
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


class StageTone(models.TextChoices):
    FRIENDLY = "friendly", "Recordatorio amable"
    SUPPORTIVE = "supportive", "Acompañamiento"
    URGENT = "urgent", "Urgente pero respetuoso"
    FORMAL = "formal", "Formal (pre-jurídico)"


class MoraStage(models.Model):
    """A band of days past due. Bands cover every integer once: no overlaps, no gaps.

    An empty `min_days` means "from minus infinity", an empty `max_days` "to infinity".
    """

    code = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=80)
    min_days = models.IntegerField(null=True, blank=True)
    max_days = models.IntegerField(null=True, blank=True)
    tone = models.CharField(max_length=12, choices=StageTone.choices, default=StageTone.FRIENDLY)

    class Meta:
        verbose_name = _("mora stage")
        verbose_name_plural = _("mora stages")
        ordering = [F("min_days").asc(nulls_first=True)]
        constraints = [
            models.CheckConstraint(
                condition=Q(min_days__isnull=True)
                | Q(max_days__isnull=True)
                | Q(min_days__lte=F("max_days")),
                name="mora_stage_min_le_max",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def contains(self, days: int) -> bool:
        return (self.min_days is None or days >= self.min_days) and (
            self.max_days is None or days <= self.max_days
        )


class ImportStatus(models.TextChoices):
    QUEUED = "queued", pgettext_lazy("import status", "Queued")
    RUNNING = "running", pgettext_lazy("import status", "Processing")
    DONE = "done", pgettext_lazy("import status", "Finished")
    FAILED = "failed", pgettext_lazy("import status", "Rejected")


class PortfolioImport(models.Model):
    """One upload of a portfolio CSV and its outcome; the admin shows its progress."""

    portfolio = models.ForeignKey(Portfolio, on_delete=models.PROTECT, related_name="imports")
    file = models.FileField(upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default="queued")
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    rejected = models.PositiveIntegerField(default=0)
    error_message = models.TextField(blank=True)
    errors_file = models.FileField(upload_to="imports/errors/%Y/%m/", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("portfolio import")
        verbose_name_plural = _("portfolio imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.original_name} → {self.portfolio.code}"
