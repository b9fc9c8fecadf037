from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from portal.db import advisory_xact_lock, datetime_param, is_postgresql
from portal.pagecache import debtor_pages_changed

from .hashing import CONTENT_FIELDS, GENESIS_HASH, canonical_content, chain_hash, content_digest
from .models import ActorType, AuditEvent

# Taken by the sealer only, never by record(): one sealer links rows at a time.
_SEALER_LOCK_KEY = 0x7365616C  # "seal"
SEAL_BATCH = 5_000


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


def record(
    action: str,
    *,
    actor: Any = None,
    subject: Model | tuple[str, Any] | None = None,
    details: dict[str, Any] | None = None,
    debtor: Any = None,
) -> AuditEvent:
    """Append one event to the audit log, inside the caller's transaction if any.

    Content only, no lock and no read of other rows: the sealer links it into the chain
    later (`audit_chain_seal`), or right after the commit when AUDIT_SEAL_INLINE is set.

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
    content = {
        "occurred_at": timezone.now(),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "actor_label": actor_label[:200],
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": clean_details,
        "debtor_id": debtor_id,
    }
    event = AuditEvent(**content, content_digest=content_digest(canonical_content(**content)))
    _insert(event)
    if settings.AUDIT_SEAL_INLINE:
        # No beat to seal: link it once committed. A failure there is logged, never the
        # writer's; the next seal picks the row up.
        transaction.on_commit(audit_chain_seal, robust=True)
    if debtor_id is not None:
        debtor_pages_changed(debtor_id)  # whatever the fact, the debtor's pages may show it
    return event


_INSERT = (
    f"INSERT INTO audit_auditevent ({', '.join((*CONTENT_FIELDS, 'content_digest'))}) "
    f"VALUES ({', '.join(['%s'] * (len(CONTENT_FIELDS) + 1))}) RETURNING id"
)


def _insert(event: AuditEvent) -> None:
    """One INSERT statement built once: the write path of every audited fact, where the ORM's
    per-save SQL compilation cost more CPU than the rest of record() (docs/performance.md).
    The same statement on both engines; the JSON text is what the ORM would write."""
    params = [getattr(event, name) for name in CONTENT_FIELDS]
    params[CONTENT_FIELDS.index("occurred_at")] = datetime_param(event.occurred_at)
    params[CONTENT_FIELDS.index("details")] = json.dumps(event.details)
    with connection.cursor() as cursor:
        cursor.execute(_INSERT, [*params, event.content_digest])
        event.pk = cursor.fetchone()[0]
    event._state.adding, event._state.db = False, connection.alias


def audit_chain_seal(*, limit: int | None = None, batch_size: int = SEAL_BATCH) -> int:
    """Link the committed unsealed rows into the chain, in id order, a batch per
    transaction; return how many were sealed (at most `limit`).

    Each batch takes the sealer's lock, then continues from the last sealed position, so a
    row whose transaction commits late (an id below rows already sealed) gets the next
    position in a later batch: the chain's order is `chain_position`, not id. A row whose
    content no longer matches the digest taken at insert was edited before sealing: it is
    left unsealed, so sealing never vouches for the edit, and verify names it.
    """
    sealed, after_id = 0, 0
    while limit is None or sealed < limit:
        size = batch_size if limit is None else min(batch_size, limit - sealed)
        with transaction.atomic():
            with connection.cursor() as cursor:
                advisory_xact_lock(cursor, _SEALER_LOCK_KEY)
            last = (
                AuditEvent.objects.filter(chain_position__isnull=False)
                .order_by("-chain_position")
                .values_list("chain_position", "hash")
                .first()
            )
            position, prev_hash = last or (0, GENESIS_HASH)
            rows = list(
                AuditEvent.objects.filter(chain_position__isnull=True, id__gt=after_id)
                .order_by("id")
                .values_list("id", "content_digest", *CONTENT_FIELDS)[:size]
            )
            links = []
            for event_id, digest, *values in rows:
                content = canonical_content(**dict(zip(CONTENT_FIELDS, values, strict=True)))
                if digest and content_digest(content) != digest:
                    continue
                position += 1
                prev_hash, link_prev = chain_hash(prev_hash, content), prev_hash
                links.append((event_id, position, link_prev, prev_hash))
            _write_links(links)
        sealed += len(links)
        if len(rows) < size:
            break
        after_id = rows[-1][0]
    return sealed


def _write_links(links: list[tuple[int, int, str, str]]) -> None:
    """One UPDATE for the batch; only rows still unsealed may move (the trigger agrees)."""
    if not links:
        return
    with connection.cursor() as cursor:
        if is_postgresql():
            ids, positions, prevs, hashes = (list(column) for column in zip(*links, strict=True))
            cursor.execute(
                """UPDATE audit_auditevent a
                SET chain_position = v.position, prev_hash = v.prev_hash, hash = v.hash
                FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::varchar[])
                    AS v(id, position, prev_hash, hash)
                WHERE a.id = v.id AND a.chain_position IS NULL""",
                [ids, positions, prevs, hashes],
            )
            changed = cursor.rowcount
        else:
            cursor.executemany(
                """UPDATE audit_auditevent SET chain_position = %s, prev_hash = %s, hash = %s
                WHERE id = %s AND chain_position IS NULL""",
                [(position, prev, hash_, event_id) for event_id, position, prev, hash_ in links],
            )
            changed = cursor.rowcount
    if changed != len(links):
        # Rows sealed behind the lock's back: roll the batch back rather than fork the chain.
        raise RuntimeError(f"sealed {changed} of {len(links)} audit rows; batch rolled back")


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
    """Seal what is committed, walk the chain, keep the outcome for the admin page and
    audit that it was checked."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache

    from .selectors import verify_chain

    audit_chain_seal()
    report = verify_chain()
    outcome = {
        "state": "done",
        "finished_at": timezone.now().isoformat(),
        "ok": report.ok,
        "checked": report.checked,
        "broken_id": report.broken_id,
        "reason": report.reason,
        "unsealed": report.unsealed,
        "oldest_unsealed_seconds": report.oldest_unsealed_seconds,
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
