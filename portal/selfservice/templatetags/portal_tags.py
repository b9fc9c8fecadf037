from __future__ import annotations

from django import template
from django.utils import translation

from portal.debtors.money import format_minor

register = template.Library()

_LOCALES = {"es": "es_CO", "en": "en_US"}


@register.filter
def money(amount_minor: int, currency: str) -> str:
    """The one place amounts are formatted: minor units + ISO code, in the page's language."""
    language = (translation.get_language() or "es").split("-")[0]
    return format_minor(amount_minor, currency, locale=_LOCALES.get(language, "es_CO"))
