"""The demo's activity on top of its book: offer policies for every stage, consent on
record for most debtors, a campaign sent on the last contact day and one scheduled, an
agreement with its first installment paid, and a promise logged on a call.

Everything goes through the services staff and debtors use, so it leaves the same rows and
audit entries; each step looks first for what an earlier run left and then does nothing.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from agreements.models import Agreement, AgreementKind, OfferPolicy, PromiseToPay
from agreements.services import Evidence, agreement_accept_offer, quote_for_debtor
from payments.models import Payment, Purpose
from payments.selectors import payables_for
from payments.services.paying import attempt_start
from payments.services.posting import payment_post_intent
from portal.audit.services import record
from portal.debtors.models import Debt, Debtor, MoraStage, Portfolio
from portal.outreach.campaigns import (
    campaign_chunk_create,
    campaign_fan_out,
    campaign_launch,
    campaigns_finish,
)
from portal.outreach.models import Campaign, CampaignTemplate
from portal.outreach.outbox.dispatch import messages_dispatch
from portal.outreach.rules import rules_for
from portal.outreach.services import consent_set

from ..services import contact_outcome_log

# Per stage: (discount on interest and fees %, on principal %, max installments,
# min down payment %, frequencies). Deeper mora, deeper discounts and longer plans.
POLICIES = {
    "preventiva": ("0", "0", 3, "0", ["monthly"]),
    "temprana": ("10", "0", 6, "10", ["monthly", "biweekly"]),
    "intermedia": ("25", "0", 12, "10", ["monthly", "biweekly"]),
    "tardia": ("40", "5", 18, "10", ["monthly"]),
    "prejuridica": ("60", "15", 24, "5", ["monthly"]),
}
SENT_CAMPAIGN = "Recordatorio de saldo (demo)"
SCHEDULED_CAMPAIGN = "Oferta de descuento (demo)"
_SMS = {
    "es": "Hola {first_name}, {creditor}: tu saldo es {amount}. Consulta tus opciones: {link}",
    "en": "Hi {first_name}, {creditor}: your balance is {amount}. See your options: {link}",
}


def policies_seed(portfolio: Portfolio, actor) -> int:
    """One active policy per mora stage for the demo portfolio; returns how many were made."""
    made = 0
    for stage in MoraStage.objects.filter(code__in=POLICIES):
        if OfferPolicy.objects.filter(stage=stage, portfolio=portfolio, is_active=True).exists():
            continue
        interest, principal, installments, down, frequencies = POLICIES[stage.code]
        policy = OfferPolicy(
            name=f"{stage.name} — demo",
            stage=stage,
            creditor=portfolio.creditor,
            portfolio=portfolio,
            currency=portfolio.currency,
            discount_interest_fees_pct=Decimal(interest),
            discount_principal_pct=Decimal(principal),
            max_installments=installments,
            min_down_payment_pct=Decimal(down),
            min_installment_minor=50_000_00,
            allowed_frequencies=frequencies,
            auto_max_installments=min(6, installments),
            auto_min_down_payment_pct=max(Decimal(down), Decimal("10")),
            auto_min_installment_minor=50_000_00,
        )
        with transaction.atomic():
            policy.full_clean()
            policy.save()
            record(
                "offer_policy.created",
                actor=actor,
                subject=policy,
                details={"stage": stage.code, "portfolio": portfolio.code, "source": "demo"},
            )
        made += 1
    return made


def without_consent(index: int) -> bool:
    """Every seventh demo debtor has no consent on record: campaigns show them blocked."""
    return index % 7 == 6


def consents_seed(debtors: list[Debtor]) -> None:
    for index, debtor in enumerate(debtors):
        if without_consent(index):
            continue
        channels = ["sms", "call"] + (["email"] if index % 3 == 0 else [])
        for channel in channels:
            consent_set(
                debtor=debtor,
                channel=channel,
                granted=True,
                source="import",
                evidence={"file": "demo", "text_version": "autorizacion-2026-01"},
            )


def last_contact_day(portfolio: Portfolio, now: dt.datetime) -> dt.datetime:
    """10:00 on the last day before today with a contact window (no Sunday, no holiday):
    when the demo's sent campaign went out, whatever the hour `make run` runs at."""
    zone = ZoneInfo(portfolio.timezone)
    rules = rules_for(portfolio.country)
    day = now.astimezone(zone).date() - dt.timedelta(days=1)
    while rules.window_for(day) is None or day.weekday() > 4:
        day -= dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(10), tzinfo=zone)


def _campaign(portfolio: Portfolio, name: str, actor, **fields) -> Campaign:
    campaign = Campaign.objects.create(
        name=name,
        portfolio=portfolio,
        channels=["sms"],
        agreement_filter="without",
        created_by=actor,
        **fields,
    )
    for language, body in _SMS.items():
        CampaignTemplate.objects.create(
            campaign=campaign, channel="sms", language=language, body=body
        )
    return campaign


def campaigns_seed(portfolio: Portfolio, actor, now: dt.datetime) -> None:
    """The sent campaign runs its fan-out, chunks and dispatch as of the last contact day,
    inside one transaction: the fan-out its launch queues for the commit then finds it
    done and does nothing. The scheduled one starts on the next working day at 09:00."""
    if not Campaign.objects.filter(portfolio=portfolio, name=SENT_CAMPAIGN).exists():
        sent_at = last_contact_day(portfolio, now)
        with transaction.atomic():
            campaign = _campaign(portfolio, SENT_CAMPAIGN, actor, start_at=sent_at)
            campaign_launch(campaign=campaign, actor=actor)
            # The demo's history: launched on that day, not now.
            Campaign.objects.filter(pk=campaign.pk).update(launched_at=sent_at)
            for start, recipients in campaign_fan_out(campaign_id=campaign.pk):
                due = campaign_chunk_create(
                    campaign_id=campaign.pk, start=start, recipients=recipients, now=sent_at
                )
                messages_dispatch(due, now=sent_at)
            campaigns_finish(campaign_id=campaign.pk)
    if not Campaign.objects.filter(portfolio=portfolio, name=SCHEDULED_CAMPAIGN).exists():
        zone = ZoneInfo(portfolio.timezone)
        day = now.astimezone(zone).date() + dt.timedelta(days=1)
        while day.weekday() > 4 or rules_for(portfolio.country).window_for(day) is None:
            day += dt.timedelta(days=1)
        start = dt.datetime.combine(day, dt.time(9), tzinfo=zone)
        campaign = _campaign(portfolio, SCHEDULED_CAMPAIGN, actor, start_at=start)
        campaign_launch(campaign=campaign, actor=actor)


def _debtor_in(portfolio: Portfolio, stage: str) -> Debtor | None:
    band = MoraStage.objects.get(code=stage)
    debts = Debt.objects.filter(portfolio=portfolio, status="active", balance_minor__gt=0)
    if band.min_days is not None:
        debts = debts.filter(days_past_due__gte=band.min_days)
    if band.max_days is not None:
        debts = debts.filter(days_past_due__lte=band.max_days)
    debt = debts.filter(debtor__language="es").order_by("account_ref").first()
    return debt.debtor if debt else None


def agreement_and_payment_seed(portfolio: Portfolio, now: dt.datetime) -> Agreement | None:
    """An intermediate-stage debtor accepts a plan and pays its first installment, posted as
    a succeeded PaymentIntent would be (no Stripe keys are needed for the demo)."""
    # The portfolio's agreement, once made: stages move with the days, the debtor stays.
    agreement = Agreement.objects.filter(portfolio=portfolio).order_by("pk").first()
    debtor = agreement.debtor if agreement else _debtor_in(portfolio, "intermedia")
    if debtor is None:
        return None
    if agreement is None:
        quote = quote_for_debtor(debtor=debtor, portfolio=portfolio)
        if quote is None:
            return None
        plans = [o for o in quote.offers if o["kind"] == AgreementKind.PLAN] or quote.offers
        agreement = agreement_accept_offer(
            debtor=debtor,
            quote=quote,
            offer_key=plans[min(2, len(plans) - 1)]["key"],
            accepted_terms=True,
            accepted_esign=True,
            evidence=Evidence(at=now, ip="127.0.0.1", user_agent="seed_demo", payment_link_id=None),
        )
    if not Payment.objects.filter(debtor=debtor).exists():
        payable = next((p for p in payables_for(debtor) if p.purpose == Purpose.INSTALLMENT), None)
        if payable is not None:
            attempt = attempt_start(debtor=debtor, key=payable.key)
            payment_post_intent(
                intent={
                    "id": f"pi_demo_{attempt.pk}",
                    "amount": attempt.amount_minor,
                    "amount_received": attempt.amount_minor,
                    "currency": attempt.currency.lower(),
                    "status": "succeeded",
                    "latest_charge": f"ch_demo_{attempt.pk}",
                    "metadata": {"attempt_id": str(attempt.pk), "debtor_id": str(debtor.pk)},
                }
            )
    return agreement


def promise_seed(portfolio: Portfolio, agent, now: dt.datetime) -> PromiseToPay | None:
    """An agent's call to an early-stage debtor ends in a promise to pay in five days."""
    existing = PromiseToPay.objects.filter(debt__portfolio=portfolio).order_by("pk").first()
    if existing is not None:
        return existing
    debtor = _debtor_in(portfolio, "temprana")
    if debtor is None:
        return None
    debt = debtor.debts.filter(portfolio=portfolio).order_by("pk").first()
    amount = max(debt.balance_minor // 10 // 100_000 * 100_000, 100_000)
    row = contact_outcome_log(
        debtor=debtor,
        agent=agent,
        method="phone",
        direction="outbound",
        outcome="promise",
        notes="Promete abonar el 10 % del saldo.",
        debt=debt,
        promise_amount_minor=min(amount, debt.balance_minor),
        promise_date=timezone.localdate(now) + dt.timedelta(days=5),
        now=now,
    )
    return row.promise
