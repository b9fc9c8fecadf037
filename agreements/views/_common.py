"""What every debtor agreement page shares: the evidence of a click that signs something."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from portal.access.middleware import SESSION_LINK_ID
from portal.requests import client_address

from .. import services


def evidence(request: HttpRequest) -> services.Evidence:
    ip, user_agent = client_address(request)
    return services.Evidence(
        at=timezone.now(),
        ip=ip,
        user_agent=user_agent[:512],
        payment_link_id=request.session.get(SESSION_LINK_ID),
    )
