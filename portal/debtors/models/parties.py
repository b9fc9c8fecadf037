from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

currency_code = RegexValidator(r"^[A-Z]{3}$", _("Use an ISO 4217 code such as COP or USD."))
country_code = RegexValidator(r"^[A-Z]{2}$", _("Use an ISO 3166 alpha-2 code such as CO or US."))


class Creditor(models.Model):
    name = models.CharField(max_length=200, unique=True, verbose_name=_("name"))
    tax_id = models.CharField(_("NIT / tax id"), max_length=32, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("creditor")
        verbose_name_plural = _("creditors")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IdentityCheck(models.TextChoices):
    DOCUMENT_LAST4 = "document_last4", _("Last 4 digits of the document")
    BIRTH_DATE = "birth_date", _("Date of birth")


class Portfolio(models.Model):
    """A batch of debts a creditor assigns to the agency."""

    creditor = models.ForeignKey(
        Creditor, on_delete=models.PROTECT, related_name="portfolios", verbose_name=_("creditor")
    )
    code = models.SlugField(max_length=40, unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=200, verbose_name=_("name"))
    currency = models.CharField(
        max_length=3, validators=[currency_code], default="COP", verbose_name=_("currency")
    )
    timezone = models.CharField(max_length=64, default="America/Bogota", verbose_name=_("timezone"))
    country = models.CharField(
        max_length=2, validators=[country_code], default="CO", verbose_name=_("country")
    )
    terms_text = models.TextField(blank=True, verbose_name=_("terms text"))
    link_expiry_days = models.PositiveSmallIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
        help_text=_("How long a payment link for this portfolio stays valid."),
        verbose_name=_("link expiry days"),
    )
    identity_check = models.CharField(
        max_length=16,
        choices=IdentityCheck.choices,
        default=IdentityCheck.DOCUMENT_LAST4,
        help_text=_("What a debtor answers before seeing any debt data."),
        verbose_name=_("identity check"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

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
        Portfolio,
        on_delete=models.CASCADE,
        related_name="payment_methods",
        verbose_name=_("portfolio"),
    )
    kind = models.CharField(
        max_length=16, choices=PaymentMethodKind.choices, verbose_name=_("kind")
    )
    name = models.CharField(
        max_length=120,
        help_text=_("Bank, network or line: Bancolombia, Efecty…"),
        verbose_name=_("name"),
    )
    account = models.CharField(
        max_length=120,
        blank=True,
        help_text=_("Bank transfer: account type and number."),
        verbose_name=_("account"),
    )
    holder = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("Bank transfer: account holder and NIT."),
        verbose_name=_("holder"),
    )
    agreement_code = models.CharField(
        _("agreement (convenio) number"),
        max_length=40,
        blank=True,
        help_text=_("Cash points: the collection agreement number the cashier asks for."),
    )
    phone = models.CharField(
        max_length=40, blank=True, help_text=_("Phone line: the number."), verbose_name=_("phone")
    )
    instructions = models.CharField(
        max_length=300,
        blank=True,
        help_text=_("Shown as written, e.g. opening hours."),
        verbose_name=_("instructions"),
    )
    position = models.PositiveSmallIntegerField(default=0, verbose_name=_("position"))
    active = models.BooleanField(default=True, verbose_name=_("active"))

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
            raise ValidationError({field: _("Required for this kind of payment method.")})


class DocumentType(models.TextChoices):
    CC = "CC", _("Citizenship card (cédula de ciudadanía)")
    CE = "CE", _("Foreigner ID card (cédula de extranjería)")
    TI = "TI", _("Minor's ID card (tarjeta de identidad)")
    NIT = "NIT", _("NIT (tax id)")
    PA = "PA", _("Passport")
    PPT = "PPT", _("Temporary protection permit (PPT)")
    SSN = "SSN", _("US Social Security number")


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
    document_type = models.CharField(
        max_length=4, choices=DocumentType.choices, verbose_name=_("document type")
    )
    document_number = models.CharField(max_length=32, verbose_name=_("document number"))
    full_name = models.CharField(max_length=200, verbose_name=_("full name"))
    birth_date = models.DateField(null=True, blank=True, verbose_name=_("birth date"))
    phones = models.JSONField(
        default=list,
        blank=True,
        help_text=_("E.164 numbers, first is main"),
        verbose_name=_("phones"),
    )
    emails = models.JSONField(
        default=list, blank=True, help_text=_("First is main"), verbose_name=_("emails")
    )
    language = models.CharField(
        max_length=5, choices=Language.choices, default=Language.ES, verbose_name=_("language")
    )
    preferred_channel = models.CharField(
        max_length=10,
        choices=ContactChannel.choices,
        default=ContactChannel.SMS,
        verbose_name=_("preferred channel"),
    )
    contact_from = models.TimeField(
        default=dt.time(8), help_text=_("Debtor's local time"), verbose_name=_("contact from")
    )
    contact_to = models.TimeField(
        default=dt.time(18), help_text=_("Debtor's local time"), verbose_name=_("contact to")
    )
    timezone = models.CharField(
        max_length=64,
        blank=True,
        help_text=_("IANA zone; empty means the portfolio's."),
        verbose_name=_("timezone"),
    )
    # Where the address is, for state contact rules (Massachusetts) and the plausible time
    # zones of a US debtor (portal/outreach/zones.py).
    state = models.CharField(
        max_length=2,
        blank=True,
        default="",
        db_default="",  # raw INSERTs (bench, loaders) that predate it need not name it
        validators=[RegexValidator(r"^[A-Z]{2}$", _("Use a two-letter USPS code such as MA."))],
        help_text=_("US state or territory of the address (USPS code, e.g. MA); empty if none."),
        verbose_name=_("state"),
    )
    # Do-not-contact flags: outreach sends nothing collection-related while either is set.
    deceased = models.BooleanField(default=False, verbose_name=_("deceased"))
    legal_hold = models.BooleanField(
        default=False,
        help_text=_("Contact suspended (lawyer, court order, bankruptcy)."),
        verbose_name=_("legal hold"),
    )
    # The passwordless login a debtor gets after passing the identity check on a link.
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="debtor",
        editable=False,
        verbose_name=_("user"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

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
