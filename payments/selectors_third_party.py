"""Reads for pay-only links someone else pays (`PayForOtherLink`): what a link pays now
(recomputed from the schedule, never stored), and the debtor's own links."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from agreements.models import AgreementStatus, Installment
from portal.debtors.models import Debtor

from .models import PayForOtherLink, PaymentAttempt, Purpose
from .selectors import Payable, open_installments


def third_party_links(debtor: Debtor) -> QuerySet[PayForOtherLink]:
    return PayForOtherLink.objects.filter(debtor=debtor)


def live_third_party_links(debtor: Debtor) -> list[PayForOtherLink]:
    """The debtor's links not revoked and not expired, newest first."""
    return list(
        third_party_links(debtor)
        .filter(revoked_at=None, expires_at__gt=timezone.now())
        .select_related("agreement", "installment")
        .order_by("-created_at", "-id")
    )


def debtor_third_party_link_or_404(debtor: Debtor, pk: int) -> PayForOtherLink:
    return get_object_or_404(
        third_party_links(debtor).select_related("agreement", "installment"), pk=pk
    )


def third_party_link_with_schedule(pk: int) -> PayForOtherLink | None:
    """A link with what its page shows (creditor, schedule) in one query plus the
    installments' prefetch; None when there is no such link."""
    return (
        PayForOtherLink.objects.select_related("agreement__portfolio__creditor", "installment")
        .prefetch_related(
            Prefetch("agreement__installments", queryset=Installment.objects.order_by("number"))
        )
        .filter(pk=pk)
        .first()
    )


def third_party_payable(link: PayForOtherLink) -> Payable | None:
    """What the link pays now, from the server's schedule: its installment while still
    open, or what is left on the agreement; None once paid (or the agreement is over)."""
    agreement = link.agreement
    if agreement.status != AgreementStatus.ACTIVE:
        return None
    unpaid = open_installments(agreement)
    if link.installment_id is None:
        left = sum(i.amount_minor - i.paid_minor for i in unpaid)
        if left <= 0:
            return None
        return Payable(Purpose.AGREEMENT, agreement.currency, left, agreement=agreement)
    installment = next((i for i in unpaid if i.pk == link.installment_id), None)
    if installment is None:
        return None
    return Payable(
        Purpose.INSTALLMENT,
        agreement.currency,
        installment.amount_minor - installment.paid_minor,
        agreement=agreement,
        installment=installment,
    )


def third_party_due_date(link: PayForOtherLink, payable: Payable | None):
    """The due date the page shows: the installment's, or for the whole agreement the
    next open installment's."""
    if payable is None:
        return link.installment.due_date if link.installment_id else None
    if payable.installment is not None:
        return payable.installment.due_date
    unpaid = open_installments(link.agreement)
    return unpaid[0].due_date if unpaid else None


def live_link(pk: object) -> PayForOtherLink | None:
    """The link a third-party session holds, while it is neither revoked nor expired."""
    if not isinstance(pk, int):
        return None
    return (
        PayForOtherLink.objects.filter(pk=pk, revoked_at=None, expires_at__gt=timezone.now())
        .only("pk", "debtor_id", "expires_at", "revoked_at")
        .first()
    )


def payer_attempt_or_404(request, pk: int) -> PaymentAttempt:
    """The attempt a payer may see: a signed-in debtor's own, or, for the holder of a
    third-party session, only the attempts started through that link (404 otherwise)."""
    scope = Q(pk__in=[])
    if getattr(request, "debtor", None) is not None:
        scope |= Q(debtor=request.debtor)
    link = getattr(request, "third_party_link", None)
    if link is not None:
        scope |= Q(third_party_link=link)
    return get_object_or_404(
        PaymentAttempt.objects.filter(scope).select_related("agreement", "installment", "debt"),
        pk=pk,
    )
