from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django import template
from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import translation
from django.utils.formats import date_format
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy

from portal.debtors.selectors import debtor_creditors as creditors_of
from portal.money import format_minor_in
from portal.pagecache import debtor_pages_cached

register = template.Library()

# The debtor's tabs, in order: (URL name, label).
DEBTOR_TABS = [
    ("selfservice:dashboard", gettext_lazy("Balance")),
    ("selfservice:history", gettext_lazy("History")),
    ("selfservice:communications", gettext_lazy("Messages")),
    ("selfservice:disputes", gettext_lazy("Disputes")),
    ("agreements:offers", gettext_lazy("Pay / Agreements")),
    ("selfservice:preferences", gettext_lazy("Preferences")),
]


@register.filter
def money(amount_minor: int, currency: str) -> str:
    """The one place amounts are formatted: minor units + ISO code, in the page's language."""
    return format_minor_in(amount_minor, currency, _language())


@register.filter
def day(value: dt.date | str | None) -> str:
    """The one date format of the page's language (portal/formats), on pages, PDFs and
    messages alike; takes the ISO strings notice contexts carry, too."""
    if not value:
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return date_format(value, "DATE_FORMAT")


@register.filter
def negate(amount_minor: int) -> int:
    """A reduction shown as what it took: a payment's -40.000 of interest paid 40.000."""
    return -amount_minor


@register.simple_tag(takes_context=True)
def debtor_tabs(context) -> SafeString:
    """The tab links, the current page's marked. Every debtor page shows them; rendered
    tag by tag ({% url %} and {% translate %} for each) they cost a fifth of the dashboard."""
    path = context["request"].path
    return format_html_join(
        "\n  ",
        '<a href="{}"{}>{}</a>',
        ((url, _CURRENT if url == path else "", label) for url, label in _tabs(_language())),
    )


_CURRENT = SafeString(' aria-current="page"')


@register.inclusion_tag("selfservice/_creditors.html", takes_context=True)
def debtor_creditors(context) -> dict:
    """Under the tabs of every signed-in page: for whom the agency collects (the footer
    names the agency), with each creditor's NIT, so the debtor can check who they owe."""
    debtor = getattr(context["request"], "debtor", None)
    if debtor is None:
        return {"creditors": []}
    creditors = debtor_pages_cached(
        debtor.pk, "creditors", lambda: [(c.name, c.tax_id) for c in creditors_of(debtor.pk)]
    )
    return {"creditors": creditors}


def _language() -> str:
    return translation.get_language() or settings.LANGUAGE_CODE


@lru_cache(maxsize=8)
def _tabs(language: str) -> tuple[tuple[str, str], ...]:
    """(URL, translated label) per tab; URLs and catalogues are fixed for a process."""
    with translation.override(language):
        return tuple((reverse(name), str(label)) for name, label in DEBTOR_TABS)


@register.simple_tag
def fixed_url(name: str) -> str:
    """`{% url name %}` for a URL without arguments, reversed once per script prefix: the
    base template's links are on every page."""
    return _fixed_url(name, get_script_prefix(), get_urlconf())


@lru_cache(maxsize=64)
def _fixed_url(name: str, script_prefix: str, urlconf: str | None) -> str:
    return reverse(name, urlconf=urlconf)
