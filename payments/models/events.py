from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class EventStatus(models.TextChoices):
    RECEIVED = "received", pgettext_lazy("stripe event status", "received")
    PROCESSED = "processed", pgettext_lazy("stripe event status", "processed")
    IGNORED = "ignored", pgettext_lazy("stripe event status", "ignored")
    DEFERRED = (
        "deferred",
        pgettext_lazy("stripe event status", "deferred (its payment is not posted yet)"),
    )
    FAILED = "failed", pgettext_lazy("stripe event status", "failed")
    # Mercado Pago's: a drainer took it and is asking Mercado Pago about its payment.
    CLAIMED = "claimed", pgettext_lazy("stripe event status", "being processed")


class StripeEvent(models.Model):
    """Every webhook event, stored once by Stripe's id before anything is done with it."""

    stripe_id = models.CharField(max_length=255, unique=True, verbose_name=_("Stripe id"))
    type = models.CharField(max_length=100, verbose_name=_("type"))
    payment_intent_id = models.CharField(
        max_length=255, blank=True, verbose_name=_("payment intent")
    )
    livemode = models.BooleanField(default=False, verbose_name=_("live mode"))
    payload = models.JSONField(verbose_name=_("payload"))
    status = models.CharField(
        max_length=10,
        choices=EventStatus.choices,
        default=EventStatus.RECEIVED,
        verbose_name=_("status"),
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    stripe_created_at = models.DateTimeField(
        null=True, blank=True, verbose_name=_("created at Stripe")
    )
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["payment_intent_id"],
                condition=Q(status="deferred"),
                name="stripe_event_deferred",
            ),
            # The drainers' queue: the waiting events, oldest first.
            models.Index(
                fields=["id"], condition=Q(status="received"), name="stripe_event_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.stripe_id} ({self.status})"


class MercadoPagoNotification(models.Model):
    """Every verified Mercado Pago notification, stored once by its id before anything is
    done with it. A notification only names a payment (`data_id`); processing reads the
    payment's current state from Mercado Pago, so their order never matters."""

    notification_id = models.CharField(
        max_length=64, unique=True, verbose_name=_("notification id")
    )
    request_id = models.CharField(max_length=64, blank=True, verbose_name=_("request id"))
    topic = models.CharField(max_length=40, verbose_name=_("type"))
    action = models.CharField(max_length=60, blank=True, verbose_name=_("action"))
    data_id = models.CharField(max_length=64, verbose_name=_("payment"))
    livemode = models.BooleanField(default=False, verbose_name=_("live mode"))
    payload = models.JSONField(verbose_name=_("payload"))
    status = models.CharField(
        max_length=10,
        choices=EventStatus.choices,
        default=EventStatus.RECEIVED,
        verbose_name=_("status"),
    )
    error = models.TextField(blank=True, verbose_name=_("error"))
    received_at = models.DateTimeField(auto_now_add=True, verbose_name=_("received at"))
    processed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("processed at"))

    class Meta:
        verbose_name = _("Mercado Pago notification")
        verbose_name_plural = _("Mercado Pago notifications")
        ordering = ["-received_at"]
        indexes = [
            models.Index(
                fields=["id"], condition=Q(status="received"), name="mp_notification_waiting"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.topic} {self.data_id} ({self.status})"
