"""Message text: campaign templates with placeholders, notice templates from files, SMS
segment counts, and the signed one-click unsubscribe link for emails (RFC 8058)."""

from __future__ import annotations

import re
import string
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from portal.money import format_minor_in

PLACEHOLDERS = ("first_name", "amount", "creditor", "link")
LINK_MARK = "[link]"  # stored in place of the personal link: tokens are never kept
UNSUBSCRIBE_SALT = "outreach.unsubscribe"
UNSUBSCRIBE_MAX_AGE = 60 * 60 * 24 * 90  # an email's link works for 90 days

_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM7_EXT = set("^{}\\[~]|€")


def sms_segments(text: str) -> tuple[int, str]:
    """How many SMS parts `text` needs and in which encoding (GSM-7 or UCS-2)."""
    if all(ch in _GSM7 or ch in _GSM7_EXT for ch in text):
        units = sum(2 if ch in _GSM7_EXT else 1 for ch in text)
        return (1 if units <= 160 else -(-units // 153)), "GSM-7"
    units = sum(2 if ord(ch) > 0xFFFF else 1 for ch in text)
    return (1 if units <= 70 else -(-units // 67)), "UCS-2"


class _Safe(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def fill(template: str, values: dict[str, str]) -> str:
    """`str.format` for staff-written text: unknown {names} stay as typed, nothing else runs."""
    names = {name for _t, name, _f, _c in string.Formatter().parse(template) if name}
    safe = _Safe({k: v for k, v in values.items() if k in names})
    return template.format_map(safe)


def placeholder_values(*, debtor, creditor: str, amount_minor: int, currency: str, link: str):
    language = debtor.language or "es"
    return {
        "first_name": (debtor.full_name.split() or [""])[0],
        "amount": format_minor_in(amount_minor, currency, language),
        "creditor": creditor,
        "link": link,
    }


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str = ""


EMAIL_LAYOUT = "outreach/notices/_email.html"  # every email's HTML, notices' and campaigns'


def legal_lines(creditors: Iterable = ()) -> list[str]:
    """Who collects and for whom, with their NITs, in the active language: the lines every
    email ends with (issue 17: a debtor can check both before trusting a message)."""
    lines = [
        _("Collection agency: %(name)s, NIT %(nit)s")
        % {"name": settings.AGENCY_NAME, "nit": settings.AGENCY_NIT}
    ]
    for creditor in creditors:
        if creditor.tax_id:
            lines.append(
                _("Creditor: %(name)s, NIT %(nit)s")
                % {"name": creditor.name, "nit": creditor.tax_id}
            )
        else:
            lines.append(_("Creditor: %(name)s") % {"name": creditor.name})
    return lines


def legal_sms(creditors: Iterable = ()) -> str:
    """The same, as short as it can be for SMS and WhatsApp (GSM-7 only: no "·")."""
    parts = [f"{settings.AGENCY_NAME} NIT {settings.AGENCY_NIT}."]
    for creditor in creditors:
        nit = f" NIT {creditor.tax_id}" if creditor.tax_id else ""
        parts.append(_("Creditor %(name)s%(nit)s.") % {"name": creditor.name, "nit": nit})
    return " ".join(parts)


def with_legal(text: str, channel: str, creditors: Iterable = ()) -> str:
    """`text` ending with the legal line(s) of its channel."""
    creditors = list(creditors)
    if channel == "email":
        return f"{text}\n\n" + "\n".join(legal_lines(creditors))
    return f"{text} {legal_sms(creditors)}"


def render_notice(
    *, notice: str, channel: str, language: str, context: dict, creditors: Iterable = ()
) -> Rendered:
    """One notice in `language` from its folder `outreach/notices/<notice>/`: `sms.txt` for
    SMS and WhatsApp; `subject.txt`, `text.txt` and `html.html` (the text inside the email
    layout) for email, each ending with the agency's and the `creditors`' names and NITs.
    A notice already rendered (`notices.notice_send` renders in the caller's transaction)
    arrives as `subject` + `text` (+ `html`) and is sent as it is.
    """
    full = {"PORTAL_NAME": settings.PORTAL_NAME, "SUPPORT_PHONE": settings.SUPPORT_PHONE, **context}
    base = f"outreach/notices/{notice}"
    with translation.override(language or settings.LANGUAGE_CODE):
        if "text" in context:  # rendered earlier, legal lines included
            subject, text = context.get("subject", ""), context["text"]
            if channel != "email":
                return Rendered("", text)
            html = context.get("html") or render_to_string(
                [f"{base}/html.html", EMAIL_LAYOUT], {**full, "text": text}
            )
            return Rendered(subject, text, html)
        creditors = list(creditors)
        if channel != "email":
            text = " ".join(render_to_string(f"{base}/sms.txt", full).split())
            return Rendered("", with_legal(text, channel, creditors))
        subject = " ".join(render_to_string(f"{base}/subject.txt", full).split())
        text = render_to_string(f"{base}/text.txt", full).strip()
        # The layout prints the legal lines itself, under whatever the notice's html shows.
        html = render_to_string(
            [f"{base}/html.html", EMAIL_LAYOUT],
            {**full, "text": text, "legal_lines": legal_lines(creditors)},
        )
        return Rendered(subject, with_legal(text, channel, creditors), html)


def unsubscribe_token(*, debtor_id: int, message_id: int) -> str:
    return signing.dumps({"d": debtor_id, "m": message_id}, salt=UNSUBSCRIBE_SALT, compress=True)


def unsubscribe_read(token: str) -> dict | None:
    try:
        return signing.loads(token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE)
    except signing.BadSignature:  # includes SignatureExpired
        return None


def unsubscribe_url(*, debtor_id: int, message_id: int) -> str:
    token = unsubscribe_token(debtor_id=debtor_id, message_id=message_id)
    return settings.PUBLIC_BASE_URL.rstrip("/") + reverse("outreach:unsubscribe", args=[token])


def email_headers(url: str) -> dict[str, str]:
    return {"List-Unsubscribe": f"<{url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}


_PERSONAL_LINK = re.compile(r"/p/[A-Za-z0-9_-]{20,}")


def redact_links(text: str) -> str:
    """What we store of a sent text: personal links (their tokens) replaced by [link]."""
    return _PERSONAL_LINK.sub("/p/" + LINK_MARK, text)
