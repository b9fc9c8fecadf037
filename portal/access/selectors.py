from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from axes.models import AccessFailureLog
from django.conf import settings
from django.utils import timezone

from .axes_config import LINK_PREFIX
from .models import PortalPresence


def ip_link_failures(ip_address: str | None, *, now: dt.datetime | None = None) -> int:
    """Failed identity checks from this IP, on any link, within the sliding window."""
    if not ip_address:
        return 0
    now = now or timezone.now()
    since = now - dt.timedelta(minutes=settings.ACCESS_IP_FAILURE_WINDOW_MINUTES)
    return AccessFailureLog.objects.filter(
        ip_address=ip_address, username__startswith=LINK_PREFIX, attempt_time__gt=since
    ).count()


def ip_locked(ip_address: str | None, *, now: dt.datetime | None = None) -> bool:
    """Locked while the window holds ACCESS_IP_FAILURE_LIMIT failures: one public IP may be
    a whole carrier's customers, so this is far above the 5 that lock a link."""
    return ip_link_failures(ip_address, now=now) >= settings.ACCESS_IP_FAILURE_LIMIT


def debtors_on_portal(debtor_ids: Iterable[int], *, now: dt.datetime) -> set[int]:
    """Those of `debtor_ids` with a live portal session at `now`, in one query: signed in
    within the absolute limit, seen within the idle limit, not signed out since."""
    ids = list(debtor_ids)
    if not ids:
        return set()
    idle = dt.timedelta(seconds=settings.DEBTOR_SESSION_IDLE_SECONDS)
    absolute = dt.timedelta(seconds=settings.DEBTOR_SESSION_ABSOLUTE_SECONDS)
    return set(
        PortalPresence.objects.filter(
            debtor_id__in=ids,
            signed_out_at__isnull=True,
            signed_in_at__gt=now - absolute,
            seen_at__gt=now - idle,
        ).values_list("debtor_id", flat=True)
    )
