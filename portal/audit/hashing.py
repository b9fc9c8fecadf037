from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64


def canonical_content(
    *,
    occurred_at: datetime,
    actor_type: str,
    actor_id: str,
    actor_label: str,
    action: str,
    subject_type: str,
    subject_id: str,
    details: Any,
    debtor_id: int | None = None,
) -> str:
    """The exact text a row's hash covers: sorted keys, no whitespace, UTC timestamp.

    `debtor_id` is covered only when set, so rows written before it existed keep their hash.
    """
    content = {
        "occurred_at": occurred_at.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor_type": actor_type,
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "subject_type": subject_type,
        "subject_id": subject_id,
        "details": details,
    }
    if debtor_id is not None:
        content["debtor_id"] = debtor_id
    return json.dumps(
        content,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def chain_hash(prev_hash: str, content: str) -> str:
    return hashlib.sha256(f"{prev_hash}\n{content}".encode()).hexdigest()


def event_hash(event: Any) -> str:
    """Recompute the hash of a stored AuditEvent (or anything with its fields)."""
    content = canonical_content(
        occurred_at=event.occurred_at,
        actor_type=event.actor_type,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        subject_type=event.subject_type,
        subject_id=event.subject_id,
        details=event.details,
        debtor_id=event.debtor_id,
    )
    return chain_hash(event.prev_hash, content)
