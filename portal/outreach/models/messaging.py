from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal.debtors.models import ContactChannel

# The channel list lives with the debtor (preferred channel); outreach reuses it.
Channel = ContactChannel


class ConsentSource(models.TextChoices):
    IMPORT = "import", _("Portfolio import")
    PORTAL = "portal", _("Debtor portal")
    INBOUND = "inbound", _("Inbound reply")
    STAFF = "staff", _("Staff")
    UNSUBSCRIBE = "unsubscribe", _("Unsubscribe link")


class Consent(models.Model):
    """Whether a debtor may be contacted on a channel. No row means no recorded consent.

    The current state lives here; every change is in the audit log with its evidence.
    """

    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("debtor"),
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, verbose_name=_("channel"))
    granted = models.BooleanField(verbose_name=_("granted"))
    source = models.CharField(
        max_length=12, choices=ConsentSource.choices, verbose_name=_("source")
    )
    evidence = models.JSONField(default=dict, blank=True, verbose_name=_("evidence"))
    changed_at = models.DateTimeField(default=timezone.now, verbose_name=_("changed at"))

    class Meta:
        verbose_name = _("consent")
        verbose_name_plural = _("consents")
        constraints = [
            models.UniqueConstraint(fields=["debtor", "channel"], name="consent_debtor_channel")
        ]

    def __str__(self) -> str:
        return f"{self.debtor_id}:{self.channel}={'yes' if self.granted else 'no'}"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", pgettext_lazy("campaign status", "Draft")
    RUNNING = "running", pgettext_lazy("campaign status", "Running")
    PAUSED = "paused", pgettext_lazy("campaign status", "Paused")
    CANCELLED = "cancelled", pgettext_lazy("campaign status", "Cancelled")
    DONE = "done", pgettext_lazy("campaign status", "Finished")


class AgreementFilter(models.TextChoices):
    ANY = "any", _("With or without an agreement")
    WITH = "with", _("Only with an active agreement")
    WITHOUT = "without", _("Only without an active agreement")


class Campaign(models.Model):
    """A payment-link campaign: a segment, channels in order, templates, a schedule."""

    name = models.CharField(max_length=120, verbose_name=_("name"))
    portfolio = models.ForeignKey(
        "debtors.Portfolio",
        on_delete=models.PROTECT,
        related_name="campaigns",
        verbose_name=_("portfolio"),
    )
    stages = models.ManyToManyField(
        "debtors.MoraStage", blank=True, related_name="+", verbose_name=_("mora stages")
    )
    balance_min_minor = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("minimum balance")
    )
    balance_max_minor = models.BigIntegerField(
        null=True, blank=True, verbose_name=_("maximum balance")
    )
    min_days_since_contact = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text=_("Only debtors not messaged for at least this many days."),
        verbose_name=_("minimum days since the last contact"),
    )
    agreement_filter = models.CharField(
        max_length=8,
        choices=AgreementFilter.choices,
        default=AgreementFilter.WITHOUT,
        verbose_name=_("agreements"),
    )
    score_bands = models.JSONField(
        default=list,
        blank=True,
        help_text=_("Only debtors with a debt scored in these bands. Empty: any score."),
        verbose_name=_("propensity bands"),
    )
    highest_score_first = models.BooleanField(
        default=False,
        help_text=_("Send first to the debtors most likely to pay (the current model's score)."),
        verbose_name=_("highest propensity first"),
    )
    channels = models.JSONField(
        default=list,
        help_text=_(
            'Channels in order, e.g. ["sms", "email"]; the debtor\'s preferred goes first.'
        ),
        verbose_name=_("channels"),
    )
    start_at = models.DateTimeField(default=timezone.now, verbose_name=_("starts at"))
    per_minute = models.PositiveIntegerField(
        default=0,
        help_text=_("Throughput limit: messages per minute (0 = no limit)."),
        verbose_name=_("messages per minute"),
    )
    status = models.CharField(
        max_length=10,
        choices=CampaignStatus.choices,
        default=CampaignStatus.DRAFT,
        verbose_name=_("status"),
    )
    targeted = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("debtors targeted")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    launched_at = models.DateTimeField(null=True, blank=True, verbose_name=_("launched at"))
    fanned_out_at = models.DateTimeField(null=True, blank=True, verbose_name=_("fanned out at"))

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class CampaignTemplate(models.Model):
    """The text of one channel in one language. Placeholders: {first_name}, {amount},
    {creditor}, {link}."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="templates", verbose_name=_("campaign")
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, verbose_name=_("channel"))
    language = models.CharField(
        max_length=5, choices=[("es", "Español"), ("en", "English")], verbose_name=_("language")
    )
    subject = models.CharField(
        max_length=200, blank=True, help_text=_("Email only."), verbose_name=_("subject")
    )
    body = models.TextField(verbose_name=_("text"))
    whatsapp_content_sid = models.CharField(
        max_length=40,
        blank=True,
        help_text=_(
            "Approved WhatsApp template (HX…); variables 1–4 = first name, amount, creditor, link."
        ),
        verbose_name=_("WhatsApp template"),
    )

    class Meta:
        verbose_name = _("campaign template")
        verbose_name_plural = _("campaign templates")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "channel", "language"], name="campaign_template_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}/{self.language}"


class MessageStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    DEFERRED = "deferred", _("Waiting for its window")
    SENDING = "sending", _("Sending")
    # The worker died while handing this one to the provider: maybe sent. Never sent again;
    # the provider's status callback settles it, else staff review it.
    UNCERTAIN = "uncertain", _("Maybe sent (interrupted)")
    SENT = "sent", _("Sent")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")
    BLOCKED = "blocked", _("Not sent")
    CANCELLED = "cancelled", _("Cancelled")


# What counts as sent in a campaign's progress and funnel: handed to the provider, whether
# or not a delivery receipt came back yet.
SENT_STATUSES = (MessageStatus.SENT, MessageStatus.DELIVERED)


class MessageKind(models.TextChoices):
    CAMPAIGN = "campaign", _("Campaign")
    REMINDER = "reminder", _("Reminder")
    NOTICE = "notice", _("Transactional notice")
    # A phone/IVR call an agent logged (portal/staff): counted like any other attempt.
    CALL = "call", _("Logged call")


class Message(models.Model):
    """One outbound message to one debtor on one channel: the outbox row and its record.

    `key` is our idempotency key (campaign + debtor + channel, or notice + object), so
    re-running a fan-out or a reminder creates nothing twice; sending claims the row with a
    conditional UPDATE on its status, so two workers never send it twice.
    """

    # Indexes are few on purpose: a campaign writes every row three times (insert, decision,
    # provider's answer), each a new row version in every index. Uniqueness is declared as
    # constraints: no second `varchar_pattern_ops` index for LIKE, which nothing runs.
    key = models.CharField(max_length=120, verbose_name=_("key"))
    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="messages",
        verbose_name=_("debtor"),
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, verbose_name=_("channel"))
    kind = models.CharField(max_length=10, choices=MessageKind.choices, verbose_name=_("kind"))
    notice = models.CharField(max_length=40, blank=True, verbose_name=_("notice"))
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="messages",
        verbose_name=_("campaign"),
    )
    debt = models.ForeignKey(
        "debtors.Debt",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("debt"),
    )
    payment_link = models.ForeignKey(
        "access.PaymentLink",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("payment link"),
    )
    context = models.JSONField(default=dict, blank=True, verbose_name=_("context"))
    to = models.CharField(max_length=254, blank=True, verbose_name=_("recipient"))
    subject = models.CharField(max_length=200, blank=True, verbose_name=_("subject"))
    # What was sent, with the personal link replaced by "[link]": the token is never stored.
    body = models.TextField(blank=True, verbose_name=_("body"))
    status = models.CharField(
        max_length=10,
        choices=MessageStatus.choices,
        default=MessageStatus.QUEUED,
        verbose_name=_("status"),
    )
    not_before = models.DateTimeField(default=timezone.now, verbose_name=_("not before"))
    decision = models.JSONField(default=dict, blank=True, verbose_name=_("decision"))
    block_reason = models.CharField(max_length=40, blank=True, verbose_name=_("block reason"))
    # NULL until a provider answers (unique among answered rows: see constraints).
    provider_id = models.CharField(max_length=64, null=True, blank=True, verbose_name=_("provider"))  # noqa: DJ001
    error = models.CharField(max_length=255, blank=True, verbose_name=_("error"))
    attempts = models.PositiveSmallIntegerField(
        default=0, validators=[MinValueValidator(0)], verbose_name=_("attempts")
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    # The claim that set `sending`: names its hand-off journal (portal/outreach/outbox/journal.py).
    handoff_batch = models.CharField(
        max_length=32,
        blank=True,
        default="",
        db_default="",
        editable=False,
        verbose_name=_("handoff batch"),
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    delivered_at = models.DateTimeField(null=True, blank=True, verbose_name=_("delivered at"))

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["key"], name="message_key_once"),
            # Only rows a provider answered: queued and sending rows hold no entry.
            models.UniqueConstraint(
                fields=["provider_id"],
                condition=Q(provider_id__isnull=False),
                name="message_provider_id_once",
            ),
            models.UniqueConstraint(
                fields=["campaign", "debtor", "channel"],
                condition=Q(campaign__isnull=False),
                name="message_once_per_campaign_debtor_channel",
            ),
        ]
        indexes = [
            models.Index(fields=["debtor", "-created_at"]),
            models.Index(
                fields=["status", "not_before"],
                condition=Q(status__in=["queued", "deferred"]),
                name="message_due_idx",
            ),
            # A running campaign's unfinished rows (`campaigns_finish`, cancel). Partial:
            # a (campaign, status) index lured the planner, without statistics, into
            # scanning every sent row for the policy's "messages sent to these debtors".
            models.Index(
                fields=["campaign"],
                condition=Q(status__in=["queued", "deferred", "sending"]),
                name="message_campaign_pending_idx",
            ),
            models.Index(
                fields=["claimed_at"],
                condition=Q(status="sending"),
                name="message_sending_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.channel} → {self.debtor_id} ({self.status})"


class InboundMessage(models.Model):
    """A reply from a debtor (SMS or WhatsApp), stored once per provider id."""

    provider_id = models.CharField(max_length=64, unique=True, verbose_name=_("provider"))
    channel = models.CharField(max_length=10, choices=Channel.choices, verbose_name=_("channel"))
    sender = models.CharField(max_length=64, verbose_name=_("sender"))
    body = models.TextField(blank=True, verbose_name=_("body"))
    debtor = models.ForeignKey(
        "debtors.Debtor",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("debtor"),
    )
    action = models.CharField(max_length=20, blank=True, verbose_name=_("action"))
    received_at = models.DateTimeField(default=timezone.now, verbose_name=_("received at"))

    class Meta:
        verbose_name = _("inbound message")
        verbose_name_plural = _("inbound messages")
        ordering = ["-received_at"]
        indexes = [models.Index(fields=["debtor", "-received_at"])]

    def __str__(self) -> str:
        return f"{self.channel} from {self.sender}"
