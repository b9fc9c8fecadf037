"""Changes to an active agreement's schedule (a moved date, a skipped installment) and the
versions of its signed document that each change reissues."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from portal.storage import private_storage

from .plans import Agreement


class ChangeKind(models.TextChoices):
    MOVE = "move", _("Move a date")
    SKIP = "skip", _("Skip an installment")


class ChangeStatus(models.TextChoices):
    APPLIED = "applied", _("Applied")  # inside the policy's limits, at once
    PENDING = "pending", _("Waiting for review")
    APPROVED = "approved", _("Approved and applied")
    REJECTED = "rejected", _("Not approved")


# What counts against the policy's limits: changes that reached the schedule.
DONE_CHANGE_STATUSES = (ChangeStatus.APPLIED, ChangeStatus.APPROVED)


class ScheduleChangeRequest(models.Model):
    """One change a debtor asked for on an agreement's schedule. Inside the policy's limits
    it is applied at once (status applied); outside them it waits for staff, who approve
    (the same service applies it) or reject it, always saying why."""

    agreement = models.ForeignKey(
        Agreement,
        on_delete=models.CASCADE,
        related_name="change_requests",
        verbose_name=_("agreement"),
    )
    kind = models.CharField(max_length=10, choices=ChangeKind.choices, verbose_name=_("kind"))
    status = models.CharField(max_length=10, choices=ChangeStatus.choices, verbose_name=_("status"))
    installment_number = models.PositiveSmallIntegerField(verbose_name=_("installment"))
    from_date = models.DateField(verbose_name=_("current date"))
    # A move: the date asked for. A skip: the due date of the installment appended at the end.
    to_date = models.DateField(verbose_name=_("new date"))
    reason = models.TextField(blank=True, verbose_name=_("debtor's reason"))
    breaks = models.JSONField(
        default=list,
        blank=True,
        help_text=_("The limits the change is outside of."),
        verbose_name=_("outside the limits"),
    )
    # The same evidence as the acceptance: time, IP, user agent, link, terms, both ticks.
    evidence = models.JSONField(default=dict, verbose_name=_("consent evidence"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(blank=True, verbose_name=_("decision reason"))

    class Meta:
        verbose_name = _("schedule change request")
        verbose_name_plural = _("schedule change requests")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["agreement"],
                condition=Q(status="pending"),
                name="one_pending_schedule_change_per_agreement",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.agreement} #{self.installment_number}"


class AgreementDocument(models.Model):
    """A reissued version of the agreement's PDF (2, 3, ...). Version 1 is the document of
    the acceptance, kept where it always was (`Agreement.pdf`); no version is ever replaced.
    The row exists from the change on; the file and its hash arrive when the task renders it.
    """

    agreement = models.ForeignKey(
        Agreement, on_delete=models.CASCADE, related_name="documents", verbose_name=_("agreement")
    )
    version = models.PositiveSmallIntegerField(verbose_name=_("version"))
    change = models.OneToOneField(
        ScheduleChangeRequest,
        on_delete=models.PROTECT,
        related_name="document",
        verbose_name=_("change"),
    )
    reason = models.CharField(max_length=200, verbose_name=_("reason"))
    pdf = models.FileField(
        upload_to="agreements/%Y/%m/", storage=private_storage, blank=True, verbose_name=_("PDF")
    )
    sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("SHA-256"))
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    rendered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("rendered at"))

    class Meta:
        verbose_name = _("agreement document version")
        verbose_name_plural = _("agreement document versions")
        ordering = ["agreement", "version"]
        constraints = [
            models.UniqueConstraint(fields=["agreement", "version"], name="agreement_doc_version"),
            models.CheckConstraint(condition=Q(version__gte=2), name="agreement_doc_version_2_up"),
        ]

    def __str__(self) -> str:
        return f"{self.agreement} v{self.version}"
