from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import ContactChannel

# The channel list lives with the debtor (preferred channel); outreach reuses it.
Channel = ContactChannel


class ConsentSource(models.TextChoices):
    IMPORT = "import", _("Portfolio import")
    PORTAL = "portal", _("Debtor portal")
    INBOUND = "inbound", _("Inbound reply")
    STAFF = "staff", _("Staff")


class Consent(models.Model):
    """Whether a debtor may be contacted on a channel. No row means no recorded consent.

    The current state lives here; every change is in the audit log with its evidence.
    """

    debtor = models.ForeignKey("debtors.Debtor", on_delete=models.CASCADE, related_name="consents")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    source = models.CharField(max_length=10, choices=ConsentSource.choices)
    evidence = models.JSONField(default=dict, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["debtor", "channel"], name="consent_debtor_channel")
        ]

    def __str__(self) -> str:
        return f"{self.debtor_id}:{self.channel}={'yes' if self.granted else 'no'}"
