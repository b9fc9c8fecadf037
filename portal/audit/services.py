from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from .hashing import GENESIS_HASH, event_hash
from .models import ActorType, AuditEvent

# Any constant works; it only has to be the same for every writer of the chain.
_CHAIN_LOCK_KEY = 0x61756469  # "audi"


def _actor_fields(actor: Any) -> tuple[str, str, str]:
    """Map a staff User, a Debtor (or the user tied to one) or None (system) onto columns."""
    if actor is None:
        return ActorType.SYSTEM, "", "system"
    if isinstance(actor, AbstractBaseUser):
        debtor = getattr(actor, "debtor", None)
        if debtor is None:
            return ActorType.STAFF, str(actor.pk), actor.get_username()
        actor = debtor
    if hasattr(actor, "document_number"):
        return ActorType.DEBTOR, str(actor.pk), actor.full_name
    raise TypeError(f"Unsupported audit actor: {actor!r}")


def _subject_fields(subject: Model | tuple[str, Any] | None) -> tuple[str, str]:
    if subject is None:
        return "", ""
    if isinstance(subject, tuple):
        kind, pk = subject
        return kind, str(pk)
    return subject._meta.label_lower, str(subject.pk)


def _parse_float(text: str) -> float | int:
    """Read a float back the way PostgreSQL's jsonb will return it.

    jsonb keeps the decimal text, so 1e+20 comes back as the integer 100000000000000000000;
    hashing the float would make verify_audit_log report an untouched row as edited.
    """
    value = float(text)
    if "e" in text.lower() and value.is_integer():
        return int(Decimal(text))
    return value


def _lock_chain() -> None:
    """Serialise writers so each new row chains onto the true last row."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])


def record(
    action: str,
    *,
    actor: Any = None,
    subject: Model | tuple[str, Any] | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the audit chain, inside the caller's transaction if any.

    `actor` is a staff User, a Debtor (or a user tied to one) or None for the system.
    `subject` is a model instance or a `(type, id)` pair.
    """
    actor_type, actor_id, actor_label = _actor_fields(actor)
    subject_type, subject_id = _subject_fields(subject)
    # Round-trip through JSON so what we hash is exactly what the database gives back.
    clean_details = json.loads(
        json.dumps(details or {}, cls=DjangoJSONEncoder), parse_float=_parse_float
    )
    with transaction.atomic():
        _lock_chain()
        last = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first()
        event = AuditEvent(
            occurred_at=timezone.now(),
            actor_type=actor_type,
            actor_id=actor_id,
            actor_label=actor_label[:200],
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            details=clean_details,
            prev_hash=last or GENESIS_HASH,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
    return event
