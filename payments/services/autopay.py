"""Autopay: the debtor's opt-in to have each installment of an agreement charged to a
saved card on its due date.

Saving the card is a SetupIntent (usage=off_session) confirmed by Stripe.js in the
browser; its result is read back from Stripe, never taken from the browser. Charging is a
PaymentIntent created with `off_session=True, confirm=True` and an idempotency key made of
the installment id and the attempt number; a decline is retried a limited number of times
(PAYMENT_AUTOPAY_MAX_ATTEMPTS, PAYMENT_AUTOPAY_RETRY_DAYS apart) and the debtor is told
each time. A network error leaves the attempt `new`: the next run sends the same key, so
Stripe cannot charge twice. Succeeded charges go through the same posting service.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from agreements.models import Agreement, AgreementStatus
from portal.audit.services import record
from portal.debtors.models import Debtor

from .. import stripe_api
from ..models import Autopay, AutopayStatus
from .autopay_charging import autopay_charge_due, autopay_charge_installment

LIVE = (AutopayStatus.PENDING, AutopayStatus.ACTIVE)


class AutopayError(Exception):
    """An autopay request the rules refuse; the message is safe to show the debtor."""


@dataclass(frozen=True)
class Consent:
    """What the debtor saw and ticked, and from where (Ley 527 de 1999, Ley 1581 de 2012)."""

    at: dt.datetime
    ip: str | None
    user_agent: str


def consent_text(agreement: Agreement, language: str) -> str:
    """The exact authorisation shown to the debtor, in their language; stored verbatim."""
    with translation.override(language):
        return _(
            "I authorise %(creditor)s, through %(portal)s, to charge the card I save now "
            "for each installment of agreement %(number)s on its due date, for the amount "
            "of that installment. If a charge is declined it is tried again up to "
            "%(attempts)s times in total, %(days)s days apart, and I am told each time. "
            "I can turn this off at any time from the agreement page; charges already made "
            "are not undone by turning it off."
        ) % {
            "creditor": agreement.portfolio.creditor.name,
            "portal": settings.PORTAL_NAME,
            "number": agreement.number or agreement.pk,
            "attempts": settings.PAYMENT_AUTOPAY_MAX_ATTEMPTS,
            "days": settings.PAYMENT_AUTOPAY_RETRY_DAYS,
        }


@transaction.atomic
def autopay_start(
    *, debtor: Debtor, agreement: Agreement, consent: Consent, language: str
) -> Autopay:
    """Record the consent and a pending autopay (no Stripe call here)."""
    agreement = Agreement.objects.select_for_update().get(pk=agreement.pk, debtor=debtor)
    if agreement.status != AgreementStatus.ACTIVE:
        raise AutopayError(_("Automatic payments are only for active agreements."))
    live = Autopay.objects.filter(agreement=agreement, status__in=LIVE).first()
    if live is not None:
        return live
    text = consent_text(agreement, language)
    sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
    autopay = Autopay(
        debtor=debtor,
        agreement=agreement,
        consent_version=f"autopay-{sha[:12]}",
        consent_text=text,
        consent_sha256=sha,
        consented_at=consent.at,
        consent_ip=consent.ip,
        consent_user_agent=consent.user_agent[:512],
    )
    autopay.full_clean()
    try:
        with transaction.atomic():
            autopay.save()
    except IntegrityError:  # a double submit created it first
        return Autopay.objects.get(agreement=agreement, status__in=LIVE)
    record(
        "autopay.consented",
        actor=debtor,
        subject=autopay,
        details={
            "agreement": agreement.number,
            "consent_version": autopay.consent_version,
            "consent_sha256": sha,
            "ip": consent.ip,
            "user_agent": autopay.consent_user_agent,
        },
    )
    return autopay


def autopay_open_setup(*, autopay: Autopay) -> Autopay:
    """A Stripe customer and a SetupIntent for the card form, created once each."""
    if not autopay.stripe_customer_id:
        debtor = autopay.debtor
        customer = stripe_api.customer_create(
            name=debtor.full_name,
            email=debtor.emails[0] if debtor.emails else "",
            metadata={"debtor_id": str(debtor.pk), "autopay_id": str(autopay.pk)},
            idempotency_key=f"autopay-{autopay.pk}-customer",
        )
        Autopay.objects.filter(pk=autopay.pk, stripe_customer_id="").update(
            stripe_customer_id=customer.id
        )
        autopay.refresh_from_db()
    if not autopay.stripe_setup_intent_id:
        setup = stripe_api.setup_intent_create(
            customer_id=autopay.stripe_customer_id,
            metadata={"autopay_id": str(autopay.pk), "debtor_id": str(autopay.debtor_id)},
            idempotency_key=f"autopay-{autopay.pk}-setup",
        )
        Autopay.objects.filter(pk=autopay.pk, stripe_setup_intent_id="").update(
            stripe_setup_intent_id=setup.id, setup_client_secret=setup.client_secret
        )
        autopay.refresh_from_db()
    return autopay


def autopay_activate(*, autopay: Autopay) -> Autopay:
    """Read the SetupIntent back from Stripe; a saved card turns autopay on."""
    if autopay.status != AutopayStatus.PENDING or not autopay.stripe_setup_intent_id:
        return autopay
    setup = stripe_api.setup_intent_retrieve(autopay.stripe_setup_intent_id)
    if setup.status != "succeeded" or not setup.payment_method:
        return autopay
    method_id = (
        setup.payment_method if isinstance(setup.payment_method, str) else setup.payment_method.id
    )
    method = stripe_api.payment_method_retrieve(method_id)
    card = getattr(method, "card", None)
    last4 = str(getattr(card, "last4", "") or "")[:4] if card else ""
    brand = str(getattr(card, "brand", "") or "")[:20] if card else ""
    with transaction.atomic():
        changed = Autopay.objects.filter(pk=autopay.pk, status=AutopayStatus.PENDING).update(
            status=AutopayStatus.ACTIVE,
            stripe_payment_method_id=method_id,
            card_last4=last4,
            card_brand=brand,
            activated_at=timezone.now(),
        )
        if changed:
            record(
                "autopay.activated",
                actor=autopay.debtor,
                subject=autopay,
                details={"setup_intent": setup.id, "card_last4": last4, "brand": brand},
            )
    autopay.refresh_from_db()
    return autopay


@transaction.atomic
def autopay_disable(*, debtor: Debtor, autopay: Autopay, ip: str | None, user_agent: str) -> bool:
    """The debtor turns autopay off: no charge is started after this commits."""
    changed = Autopay.objects.filter(pk=autopay.pk, debtor=debtor, status__in=LIVE).update(
        status=AutopayStatus.OFF, disabled_at=timezone.now()
    )
    if changed:
        record(
            "autopay.disabled",
            actor=debtor,
            subject=autopay,
            details={"ip": ip, "user_agent": user_agent[:512]},
        )
    return bool(changed)


__all__ = [
    "AutopayError",
    "Consent",
    "autopay_activate",
    "autopay_charge_due",
    "autopay_charge_installment",
    "autopay_disable",
    "autopay_open_setup",
    "autopay_start",
    "consent_text",
]
