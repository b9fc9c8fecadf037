"""A dispute the debtor files on the portal (issue 17): the case, its deadline and outcome,
and the documents on it (the debtor's attachments, the creditor's verification). The case
holds its debt through a `DisputeHold` of kind "online" while it is open; written only by
`portal.debtors.dispute_cases`."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.storage import private_name, private_storage

from .debts import Debt
from .parties import Debtor


class DisputeReason(models.TextChoices):
    NOT_MINE = "not_mine", _("This debt is not mine")
    ALREADY_PAID = "already_paid", _("I already paid it")
    WRONG_AMOUNT = "wrong_amount", _("The amount is wrong")
    IDENTITY_THEFT = "identity_theft", _("Identity theft")
    OTHER = "other", _("Other reason")


class CaseStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("dispute status", "Under review")
    UPHELD = "upheld", pgettext_lazy("dispute status", "Upheld")
    REJECTED = "rejected", pgettext_lazy("dispute status", "Rejected")


class UpheldAction(models.TextChoices):
    CLOSE = "close", _("Close the debt")
    ADJUST = "adjust", _("Adjust the balance")


class DisputeCase(models.Model):
    """One dispute filed by the debtor on one debt. `due_on` is the date the answer is owed
    (Colombia: 15 business days, Ley 1266 art. 16); None where no fixed term applies (US:
    collection stays stopped until the verification is sent, 12 CFR 1006.34, FDCPA 809(b))."""

    number = models.CharField(
        max_length=20, unique=True, null=True, blank=True, verbose_name=_("case number")
    )
    debtor = models.ForeignKey(
        Debtor,
        on_delete=models.PROTECT,
        related_name="dispute_cases",
        db_index=False,  # the (debtor, -filed_at) index serves it
        verbose_name=_("debtor"),
    )
    debt = models.ForeignKey(
        Debt, on_delete=models.PROTECT, related_name="dispute_cases", verbose_name=_("debt")
    )
    reason = models.CharField(
        max_length=16, choices=DisputeReason.choices, verbose_name=_("reason")
    )
    text = models.TextField(max_length=4000, blank=True, verbose_name=_("debtor's explanation"))
    # Whose rules set the deadline: the portfolio's country when the case was filed.
    country = models.CharField(max_length=2, verbose_name=_("country"))
    status = models.CharField(
        max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN, verbose_name=_("status")
    )
    filed_at = models.DateTimeField(default=timezone.now, verbose_name=_("filed at"))
    due_on = models.DateField(null=True, blank=True, verbose_name=_("answer due on"))
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution_note = models.TextField(max_length=2000, blank=True, verbose_name=_("answer"))
    upheld_action = models.CharField(
        max_length=8, choices=UpheldAction.choices, blank=True, verbose_name=_("upheld action")
    )
    # The reduction an upheld "wrong amount" posted (positive: what the balance went down by).
    adjustment_minor = models.BigIntegerField(null=True, blank=True, verbose_name=_("adjustment"))
    currency = models.CharField(max_length=3, verbose_name=_("currency"))
    ledger_entry = models.ForeignKey(
        "debtors.LedgerEntry",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ledger entry"),
    )

    class Meta:
        verbose_name = _("online dispute")
        verbose_name_plural = _("online disputes")
        ordering = ["-filed_at", "-id"]
        permissions = [("resolve_disputecase", "Can resolve disputes filed on the portal")]
        indexes = [
            models.Index(fields=["debtor", "-filed_at"], name="disputecase_debtor_idx"),
            models.Index(
                fields=["due_on"], condition=Q(status="open"), name="disputecase_open_due_idx"
            ),
        ]
        constraints = [
            # One open case per debt: a second one would only repeat the first.
            models.UniqueConstraint(
                fields=["debt"], condition=Q(status="open"), name="disputecase_one_open_per_debt"
            )
        ]

    def __str__(self) -> str:
        return self.number or f"dispute {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


class DocumentKind(models.TextChoices):
    ATTACHMENT = "attachment", _("Debtor's attachment")
    VERIFICATION = "verification", _("Verification of the debt")


def dispute_file_name(instance: DisputeDocument, filename: str) -> str:
    name = PurePath(filename)
    return private_name(f"disputes/{timezone.now():%Y/%m}", name.stem, name.suffix.lower())


class DisputeDocument(models.Model):
    """A file on a case, kept in the private storage: it has no URL and is only ever sent
    back as a download (never inline) to the case's debtor or to staff allowed to see it."""

    case = models.ForeignKey(
        DisputeCase, on_delete=models.PROTECT, related_name="documents", verbose_name=_("case")
    )
    kind = models.CharField(max_length=12, choices=DocumentKind.choices, verbose_name=_("kind"))
    file = models.FileField(
        upload_to=dispute_file_name, storage=private_storage, verbose_name=_("file")
    )
    original_name = models.CharField(max_length=120, verbose_name=_("original name"))
    # Sniffed from the bytes, not the name: what the download is sent as.
    content_type = models.CharField(max_length=40, verbose_name=_("content type"))
    size = models.PositiveIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(max_length=64, verbose_name=_("SHA-256"))
    uploaded_at = models.DateTimeField(default=timezone.now, verbose_name=_("uploaded at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )

    class Meta:
        verbose_name = _("dispute document")
        verbose_name_plural = _("dispute documents")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name
