from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

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
