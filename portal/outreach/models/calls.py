"""Calls and visits agents log on a debtor: the contact policy counts them (conversations
stop calls, visits are attempts), and the staff workspace writes them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import DebtStatus


class ContactMethod(models.TextChoices):
    PHONE = "phone", _("Phone call")
    IVR = "ivr", _("IVR (automated call)")
    VISIT = "visit", _("In-person visit")


class Direction(models.TextChoices):
    OUTBOUND = "outbound", _("We contacted the debtor")
    INBOUND = "inbound", _("The debtor contacted us")


class Outcome(models.TextChoices):
    RIGHT_PARTY = "right_party", _("Right party contacted")
    WRONG_NUMBER = "wrong_number", _("Wrong number / wrong person")
    NO_ANSWER = "no_answer", _("No answer")
    PROMISE = "promise", _("Promise to pay")
    REFUSED = "refused", _("Refused to pay")
    DISPUTE = "dispute", _("Disputes the debt")


# Outcomes where the agent spoke with the debtor themself (right-party contact).
RIGHT_PARTY_OUTCOMES = (Outcome.RIGHT_PARTY, Outcome.PROMISE, Outcome.REFUSED, Outcome.DISPUTE)
# Outcomes where nobody (or the wrong person) was reached.
NOT_CONTACTED_OUTCOMES = (Outcome.NO_ANSWER, Outcome.WRONG_NUMBER)


class ContactOutcome(models.Model):
    """One call, IVR contact or visit with its outcome. Written once by
    `portal.staff.services.contact_outcome_log`; the audit log holds the same facts for the
    timeline. A promise made on the call points here (`PromiseToPay.contact_outcome`,
    reached as `.promise`); a dispute raised on it holds the debt (`debtors.DisputeHold`)."""

    debtor = models.ForeignKey(
        "debtors.Debtor", on_delete=models.PROTECT, related_name="+", verbose_name=_("debtor")
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("debt"),
    )
    method = models.CharField(max_length=8, choices=ContactMethod.choices, verbose_name=_("method"))
    direction = models.CharField(
        max_length=8,
        choices=Direction.choices,
        default=Direction.OUTBOUND,
        verbose_name=_("direction"),
    )
    outcome = models.CharField(max_length=14, choices=Outcome.choices, verbose_name=_("outcome"))
    notes = models.TextField(blank=True, max_length=2000, verbose_name=_("notes"))
    occurred_at = models.DateTimeField(default=timezone.now, verbose_name=_("when"))
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("agent"),
    )
    # What the contact policy said when an outbound call or visit was logged (else empty).
    policy_decision = models.JSONField(default=dict, blank=True, verbose_name=_("policy decision"))
    # The outreach Message that makes an outbound call count toward the contact caps.
    message_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("message"))
    # A dispute raised on the call: the debt's status before it, as its hold remembers it.
    previous_debt_status = models.CharField(
        max_length=16,
        blank=True,
        choices=DebtStatus.choices,
        verbose_name=_("previous debt status"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    class Meta:
        # The table it has had since it lived in the staff app.
        db_table = "staff_contactoutcome"
        verbose_name = _("contact outcome")
        verbose_name_plural = _("contact outcomes")
        ordering = ["-occurred_at", "-id"]
        indexes = [
            models.Index(fields=["debtor", "-occurred_at"]),
            models.Index(fields=["occurred_at"]),
        ]

    def __str__(self) -> str:
        return f"{self.get_method_display()} · {self.get_outcome_display()} ({self.debtor_id})"

    @property
    def counts_as_visit(self) -> bool:
        """An outbound visit is a collection attempt too (outreach's facts count it)."""
        return self.direction == Direction.OUTBOUND and self.method == ContactMethod.VISIT

    @property
    def counts_as_call(self) -> bool:
        """An outbound phone or IVR call is a call attempt for the contact policy."""
        return self.direction == Direction.OUTBOUND and self.method in (
            ContactMethod.PHONE,
            ContactMethod.IVR,
        )
