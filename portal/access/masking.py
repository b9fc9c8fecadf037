"""The one place that decides how much of an address a page may show before sign-in."""

from __future__ import annotations

from portal.debtors.models import ContactChannel

PHONE_CHANNELS = (ContactChannel.SMS, ContactChannel.WHATSAPP)


def destination_hint(channel: str, address: str) -> str:
    """What may be shown of where a link was sent: a phone's last 4 digits ("2233"), an
    email's first letter and domain ("a***@example.com"); "" when there is nothing safe
    to show (no channel, a short number, an address without a domain)."""
    address = (address or "").strip()
    if channel == ContactChannel.EMAIL:
        local, _at, domain = address.rpartition("@")
        return f"{local[0]}***@{domain}" if local and domain else ""
    if channel in PHONE_CHANNELS:
        digits = "".join(ch for ch in address if ch.isdigit())
        # Under 7 digits the last 4 would be most of the number.
        return digits[-4:] if len(digits) >= 7 else ""
    return ""
