"""Files a notice carries, kept as references to storage rather than bytes in memory.

A notice may be deferred to the debtor's next contact window and sent hours later by the
beat, in another process: only what is on the message row survives. So the message's
context names each file (storage alias, path, SHA-256) and the email backend reads it back
at hand-off, outside any transaction, checking that it is still the file that was stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass

from django.core.files.storage import storages

from portal.storage import PRIVATE

from .channels import SendError


@dataclass(frozen=True)
class StoredFile:
    filename: str  # as the debtor sees it
    path: str  # name in the storage
    sha256: str
    mimetype: str
    storage: str = PRIVATE  # alias in settings.STORAGES

    def as_json(self) -> dict:
        return asdict(self)


def files_read(refs: list[dict] | tuple[dict, ...]) -> tuple[tuple[str, bytes, str], ...]:
    """(filename, bytes, mimetype) for each reference; SendError when one is missing or
    no longer matches its SHA-256, so the message fails rather than goes without it."""
    files = []
    for ref in refs:
        stored = StoredFile(**ref)
        try:
            with storages[stored.storage].open(stored.path, "rb") as handle:
                content = handle.read()
        except (OSError, ValueError) as exc:
            raise SendError(f"attachment {stored.path} unreadable: {exc}") from exc
        if hashlib.sha256(content).hexdigest() != stored.sha256:
            raise SendError(f"attachment {stored.path} changed since it was stored")
        files.append((stored.filename, content, stored.mimetype))
    return tuple(files)
