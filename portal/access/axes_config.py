"""How django-axes identifies an attempt: debtor link checks by link, staff logins by user."""

from __future__ import annotations

LINK_PREFIX = "link:"


def attempt_username(request, credentials) -> str | None:
    credentials = credentials or {}
    if credentials.get("link_id") is not None:
        return f"{LINK_PREFIX}{credentials['link_id']}"
    return credentials.get("username")


def lockout_parameters(request, credentials) -> list:
    # A link guessed at from many IPs locks the link. The per-IP lock for links is not
    # axes' (one limit for every parameter): it needs far more failures, across links
    # (`selectors.ip_locked`). Staff share office IPs, so their lock is per user *and* IP.
    if (credentials or {}).get("link_id") is not None:
        return ["username"]
    return [["username", "ip_address"]]


def lockout_response(request, original_response, credentials):
    """Debtor views already render their own friendly lockout page; staff get a short one."""
    if (credentials or {}).get("link_id") is not None and original_response is not None:
        return original_response
    from django.conf import settings
    from django.shortcuts import render

    context = {"cooloff_minutes": settings.AXES_COOLOFF_MINUTES}
    return render(request, "access/staff_locked_out.html", context, status=429)
