from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from .models import PortalPresence


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
