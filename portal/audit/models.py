from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ActorType(models.TextChoices):
    STAFF = "staff", _("Staff user")
    DEBTOR = "debtor", _("Debtor")
    SYSTEM = "system", _("System")


class AuditEvent(models.Model):
    """One append-only, hash-chained row per auditable fact.

    `hash` covers `prev_hash` and the row's canonical content, so editing or deleting any
    row breaks every hash after it; `verify_audit_log` walks the chain.
    """

    occurred_at = models.DateTimeField(db_index=True, verbose_name=_("occurred at"))
    actor_type = models.CharField(
        max_length=10, choices=ActorType.choices, verbose_name=_("actor type")
    )
    actor_id = models.CharField(max_length=64, blank=True, verbose_name=_("actor"))
    actor_label = models.CharField(max_length=200, blank=True, verbose_name=_("actor label"))
    action = models.CharField(max_length=80, db_index=True, verbose_name=_("action"))
    subject_type = models.CharField(max_length=80, blank=True, verbose_name=_("subject type"))
    subject_id = models.CharField(max_length=64, blank=True, verbose_name=_("subject"))
    details = models.JSONField(default=dict, blank=True, verbose_name=_("details"))
    # The debtor the fact is about, when there is one: the debtor's timeline and the
    # compliance filters read it. Covered by the hash when set.
    debtor_id = models.BigIntegerField(
        null=True, blank=True, db_index=True, verbose_name=_("debtor")
    )
    prev_hash = models.CharField(max_length=64, verbose_name=_("previous hash"))
    hash = models.CharField(max_length=64, unique=True, verbose_name=_("hash"))

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]
        permissions = [
            ("export_auditevent", "Can export the audit log and consent evidence"),
            ("verify_auditevent", "Can run the audit chain verification"),
            ("add_staff_note", "Can add notes to a debtor's timeline"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.subject_type}:{self.subject_id}"
