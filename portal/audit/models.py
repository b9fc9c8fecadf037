from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

# What the chain columns show until the sealer has linked a row (docs/architecture.md).
NOT_SEALED = _("not sealed yet")


class ActorType(models.TextChoices):
    STAFF = "staff", _("Staff user")
    DEBTOR = "debtor", _("Debtor")
    SYSTEM = "system", _("System")


class AuditEvent(models.Model):
    """One append-only row per auditable fact, linked into a hash chain when sealed.

    `record()` writes the content and its `content_digest` only; the sealer later gives the
    row its `chain_position`, `prev_hash` (the hash at the position before) and `hash`
    (covering `prev_hash` and the canonical content), so editing or deleting a sealed row
    breaks the chain from there on; `verify_audit_log` walks it. See docs/architecture.md.
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
    # SHA-256 of the canonical content taken at insert; "" on rows older than sealing.
    content_digest = models.CharField(
        max_length=64, blank=True, default="", verbose_name=_("content digest")
    )
    # The three chain columns are NULL until the sealer links the row (all or none, a
    # check below); NULL rather than "" because `hash` and the position stay unique.
    chain_position = models.BigIntegerField(
        null=True, blank=True, unique=True, verbose_name=_("chain position")
    )
    prev_hash = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, verbose_name=_("previous hash")
    )
    hash = models.CharField(  # noqa: DJ001
        max_length=64, null=True, blank=True, unique=True, verbose_name=_("hash")
    )

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["id"]
        indexes = [
            models.Index(fields=["subject_type", "subject_id"]),
            # The unsealed tail: what the sealer picks up and verify counts.
            models.Index(
                fields=["id"],
                condition=models.Q(chain_position__isnull=True),
                name="audit_unsealed_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    chain_position__isnull=True, prev_hash__isnull=True, hash__isnull=True
                )
                | models.Q(
                    chain_position__isnull=False, prev_hash__isnull=False, hash__isnull=False
                ),
                name="audit_sealed_all_or_nothing",
            )
        ]
        permissions = [
            ("export_auditevent", "Can export the audit log and consent evidence"),
            ("verify_auditevent", "Can run the audit chain verification"),
            ("add_staff_note", "Can add notes to a debtor's timeline"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.subject_type}:{self.subject_id}"

    @property
    def sealed(self) -> bool:
        return self.chain_position is not None
