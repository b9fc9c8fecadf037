"""Pay-only links for someone else (a relative) to pay an installment or what is left on
the debtor's agreement: create, revoke, resolve a raw token.

The raw token (32 random bytes, URL-safe) is returned once by `third_party_link_create`;
only its SHA-256 is stored, as for the debtor's own payment links (portal.access).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.access.tokens import hash_token, new_token
from portal.audit.services import record
from portal.debtors.models import Debtor

from ..models import PayForOtherLink, Purpose
from ..selectors import payables_for
from ..selectors_third_party import third_party_link_with_schedule
from .paying import PaymentError


class ThirdPartyState(Enum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class ResolvedThirdParty:
    state: ThirdPartyState
    link: PayForOtherLink | None


@transaction.atomic
def third_party_link_create(*, debtor: Debtor, key: str) -> tuple[PayForOtherLink, str]:
    """A link for one of the debtor's own payables: the next installment of an active
    agreement (`installment-<pk>`) or all that is left on it (`agreement-<pk>`). Returns
    the link and its raw token, which exists nowhere else afterwards."""
    payable = next((p for p in payables_for(debtor) if p.key == key), None)
    if payable is None or payable.purpose not in (Purpose.INSTALLMENT, Purpose.AGREEMENT):
        raise PaymentError(_("This payment option is no longer available."))
    token = new_token()
    now = timezone.now()
    link = PayForOtherLink(
        token_hash=hash_token(token),
        debtor=debtor,
        agreement=payable.agreement,
        installment=payable.installment,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.THIRD_PARTY_LINK_DAYS),
    )
    link.full_clean()
    link.save()
    record(
        "payment.third_party_link_created",
        actor=debtor,
        subject=link,
        details={
            "agreement_id": link.agreement_id,
            "installment_id": link.installment_id,
            "amount_minor": payable.amount_minor,
            "currency": payable.currency,
            "expires_at": link.expires_at,
        },
    )
    return link, token


@transaction.atomic
def third_party_link_revoke(*, debtor: Debtor, link: PayForOtherLink) -> PayForOtherLink:
    """Stop the link at once (an attempt already at the bank may still finish and post)."""
    changed = PayForOtherLink.objects.filter(
        pk=link.pk, debtor=debtor, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    link.refresh_from_db(fields=["revoked_at"])
    if changed:
        record("payment.third_party_link_revoked", actor=debtor, subject=link, details={})
    return link


def third_party_link_resolve(token: str) -> ResolvedThirdParty:
    """Find a link by its raw token; a tampered or guessed one simply matches nothing."""
    if not token or len(token) > 128:
        return ResolvedThirdParty(ThirdPartyState.UNKNOWN, None)
    pk = (
        PayForOtherLink.objects.filter(token_hash=hash_token(token))
        .values_list("pk", flat=True)
        .first()
    )
    link = third_party_link_with_schedule(pk) if pk else None
    return third_party_link_state(link)


def third_party_link_state(link: PayForOtherLink | None) -> ResolvedThirdParty:
    if link is None:
        return ResolvedThirdParty(ThirdPartyState.UNKNOWN, None)
    if link.revoked_at is not None:
        return ResolvedThirdParty(ThirdPartyState.REVOKED, link)
    if not link.is_live():
        return ResolvedThirdParty(ThirdPartyState.EXPIRED, link)
    return ResolvedThirdParty(ThirdPartyState.VALID, link)
