"""Small readings of a request shared by the debtor-facing views."""

from __future__ import annotations

from axes.helpers import get_client_ip_address
from django.http import HttpRequest


def client_address(request: HttpRequest) -> tuple[str | None, str]:
    """The client's IP (as django-axes sees it, proxies included) and its user agent."""
    return get_client_ip_address(request), request.META.get("HTTP_USER_AGENT", "")


def wants_partial(request: HttpRequest) -> bool:
    """An htmx swap wants a fragment; a boosted navigation sends HX-Request too, but wants
    the whole page."""
    return bool(request.htmx) and not request.htmx.boosted
