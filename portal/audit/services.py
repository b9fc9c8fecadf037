from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from portal.db import advisory_xact_lock
from portal.pagecache import debtor_pages_changed

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


def _debtor_id(debtor: Any, actor_type: str, actor_id: str, subject: Any) -> int | None:
    if debtor is not None:
        return debtor if isinstance(debtor, int) else debtor.pk
    if actor_type == ActorType.DEBTOR:
        return int(actor_id)
    if isinstance(subject, Model):
        if subject._meta.label_lower == "debtors.debtor":
            return subject.pk
        value = getattr(subject, "debtor_id", None)
        if isinstance(value, int):
            return value
    return None


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
    with connection.cursor() as cursor:
        advisory_xact_lock(cursor, _CHAIN_LOCK_KEY)


def record(
    action: str,
    *,
    actor: Any = None,
    subject: Model | tuple[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    debtor: Any = None,
) -> AuditEvent:
    """Append one event to the audit chain, inside the caller's transaction if any.

    `actor` is a staff User, a Debtor (or a user tied to one) or None for the system.
    `subject` is a model instance or a `(type, id)` pair. `debtor` (a Debtor or its id)
    names whom the fact is about; by default the debtor acting, the subject if it is a
    debtor, or the subject's `debtor_id` (debts, agreements, links, payments...).
    """
    actor_type, actor_id, actor_label = _actor_fields(actor)
    subject_type, subject_id = _subject_fields(subject)
    debtor_id = _debtor_id(debtor, actor_type, actor_id, subject)
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
            debtor_id=debtor_id,
            prev_hash=last or GENESIS_HASH,
        )
        event.hash = event_hash(event)
        event.save(force_insert=True)
    if debtor_id is not None:
        debtor_pages_changed(debtor_id)  # whatever the fact, the debtor's pages may show it
    return event


VERIFICATION_CACHE_KEY = "audit:chain-verification"


def chain_verification_request(*, requested_by: Any) -> None:
    """Queue a walk of the whole chain; the admin page shows its outcome when it ends."""
    from django.core.cache import cache

    from .tasks import verify_audit_chain

    cache.set(
        VERIFICATION_CACHE_KEY,
        {"state": "running", "requested_at": timezone.now().isoformat()},
        timeout=24 * 60 * 60,
    )
    transaction.on_commit(lambda: verify_audit_chain.delay(requested_by.pk))


def chain_verification_run(*, requested_by: int | None = None) -> dict[str, Any]:
    """Walk the chain, keep the outcome for the admin page and audit that it was checked."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from .selectors import verify_chain

    report = verify_chain()
    outcome = {
        "state": "done",
        "finished_at": timezone.now().isoformat(),
        "ok": report.ok,
        "checked": report.checked,
        "broken_id": report.broken_id,
        "reason": report.reason,
    }
    cache.set(VERIFICATION_CACHE_KEY, outcome, timeout=24 * 60 * 60)
    actor = get_user_model().objects.filter(pk=requested_by).first() if requested_by else None
    record("audit.chain_verified", actor=actor, details=outcome)
    return outcome


STAFF_NOTE_MAX = 2_000


def staff_note_add(*, debtor: Any, author: Any, text: str) -> AuditEvent:
    """A staff note on the debtor's timeline; kept in the audit log, so never edited."""
    text = text.strip()
    if not text or len(text) > STAFF_NOTE_MAX:
        raise ValueError(f"a note has 1 to {STAFF_NOTE_MAX} characters")
    return record("staff.note", actor=author, subject=debtor, details={"text": text})
