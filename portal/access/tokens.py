from __future__ import annotations

import functools
import hashlib
import secrets

from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode

# 32 bytes = 256 bits of randomness; URL-safe base64 gives a 43-character token.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def payment_link_url(token: str, *, landing: str = "") -> str:
    """The public address of a payment link: what SMS, emails and staff hand to a debtor.
    `landing` is a path on the portal the link opens after the sign-in (a receipt)."""
    before, after = _link_affixes(settings.PUBLIC_BASE_URL)
    return before + token + after + (f"?{urlencode({'next': landing})}" if landing else "")


@functools.lru_cache(maxsize=8)
def _link_affixes(base_url: str) -> tuple[str, str]:
    """What surrounds the token in a link: `reverse` once, not once per message."""
    before, after = reverse("access:open_link", args=["TOKEN"]).split("TOKEN")
    return base_url.rstrip("/") + before, after
