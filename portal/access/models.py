from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import ContactChannel


class PaymentLink(models.Model):
    """A personal link sent by SMS, WhatsApp or email. Only the token's SHA-256 is stored.

    The link proves access to the channel; the identity check behind it proves the person.
    """

    token_hash = models.CharField(
        max_length=64, unique=True, editable=False, verbose_name=_("token hash")
    )
    debtor = models.ForeignKey(
        "debtors.Debtor",
        on_delete=models.PROTECT,
        related_name="payment_links",
        verbose_name=_("debtor"),
    )
    portfolio = models.ForeignKey(
        "debtors.Portfolio",
        on_delete=models.PROTECT,
        related_name="payment_links",
        verbose_name=_("portfolio"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(verbose_name=_("expires at"))
    revoked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("revoked at"))
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("revoked by"),
    )
    revoke_reason = models.CharField(max_length=200, blank=True, verbose_name=_("revoke reason"))
    open_count = models.PositiveIntegerField(default=0, verbose_name=_("open count"))
    first_opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("first opened at"))
    last_opened_at = models.DateTimeField(null=True, blank=True, verbose_name=_("last opened at"))
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))
    # The outreach campaign that sent it; a plain id, since access must not import outreach.
    campaign_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, verbose_name=_("campaign")
    )
    # Where the message carrying the link went, for the identity page's "we sent this to
    # the number ending in 2233". Only the masked hint is kept (masking.destination_hint):
    # the full address stays on the debtor and the message. Blank for a staff-made link.
    sent_channel = models.CharField(
        max_length=10, blank=True, choices=ContactChannel.choices, verbose_name=_("sent by")
    )
    sent_to_hint = models.CharField(max_length=64, blank=True, verbose_name=_("sent to (masked)"))

    class Meta:
        verbose_name = _("payment link")
        verbose_name_plural = _("payment links")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["debtor", "-created_at"])]

    def __str__(self) -> str:
        return f"link #{self.pk} → {self.debtor}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at


class LinkOpen(models.Model):
    link = models.ForeignKey(
        PaymentLink, on_delete=models.CASCADE, related_name="opens", verbose_name=_("link")
    )
    opened_at = models.DateTimeField(default=timezone.now, verbose_name=_("opened at"))
    ip_address = models.GenericIPAddressField(null=True, blank=True, verbose_name=_("IP address"))
    user_agent = models.CharField(max_length=512, blank=True, verbose_name=_("user agent"))

    class Meta:
        verbose_name = _("link open")
        verbose_name_plural = _("link opens")
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"{self.link_id} @ {self.opened_at:%Y-%m-%d %H:%M}"


class PortalPresence(models.Model):
    """When a debtor's portal session started and was last used, one row per debtor.

    Outreach reads it to know whether the debtor is "on the portal right then", which lets
    a receipt or an answer they asked for leave outside the contact window (Ley 2300,
    art. 8). The middleware refreshes `seen_at` at most once a minute, in the same request
    that already rewrites the session, so most requests cost nothing extra. `seen_at`
    trails real activity by under a minute: the debtor counts as gone slightly early,
    which only ever defers a message.
    """

    debtor = models.OneToOneField(
        "debtors.Debtor",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="+",
        verbose_name=_("debtor"),
    )
    signed_in_at = models.DateTimeField(verbose_name=_("signed in at"))
    seen_at = models.DateTimeField(verbose_name=_("seen at"))
    signed_out_at = models.DateTimeField(null=True, blank=True, verbose_name=_("signed out at"))

    class Meta:
        verbose_name = _("portal presence")
        verbose_name_plural = _("portal presences")

    def __str__(self) -> str:
        return f"{self.debtor_id} seen {self.seen_at:%Y-%m-%d %H:%M}"
