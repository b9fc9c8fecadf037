from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS_HASH = "0" * 64
# The columns a row's content is made of: what the chain hash and the insert digest cover.
CONTENT_FIELDS = (
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "subject_type",
    "subject_id",
    "details",
    "debtor_id",
)


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


def content_digest(content: str) -> str:
    """The row's own fingerprint, taken at insert, before any chain exists to cover it."""
    return hashlib.sha256(content.encode()).hexdigest()


def event_content(event: Any) -> str:
    """The canonical content of a stored AuditEvent (or anything with its fields)."""
    return canonical_content(**{name: getattr(event, name) for name in CONTENT_FIELDS})


def event_hash(event: Any) -> str:
    """Recompute the chain hash of a sealed AuditEvent (or anything with its fields)."""
    return chain_hash(event.prev_hash, event_content(event))
