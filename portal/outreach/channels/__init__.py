"""Channels behind one small interface: `get_backend(channel).send(outgoing) -> provider id`.

Backends are chosen per channel in `settings.OUTREACH_BACKENDS` (dotted paths). Each raises
`SendError` when the provider refuses; the caller records the failure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

from django.conf import settings
from django.utils.module_loading import import_string


class SendError(Exception):
    pass


@dataclass(frozen=True)
class Outgoing:
    message_id: int
    channel: str
    to: str
    text: str
    subject: str = ""
    html: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    whatsapp_content_sid: str = ""
    whatsapp_variables: dict[str, str] = field(default_factory=dict)
    kind: str = "notice"
    # Files kept in storage (outreach.attachments.StoredFile as JSON), read at hand-off:
    # a deferred notice is sent by another process, long after its bytes were in memory.
    stored_attachments: tuple = ()


class Backend:
    def send(self, outgoing: Outgoing) -> str:  # pragma: no cover - interface
        raise NotImplementedError


@cache
def get_backend(channel: str) -> Backend:
    return import_string(settings.OUTREACH_BACKENDS[channel])()


def forget_backends() -> None:
    """Settings changed (tests, bench): build the backends again on next use."""
    get_backend.cache_clear()
