from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from agreements.models import OfferPolicy
from portal.debtors.imputation import Parts
from portal.debtors.models import Creditor, Debt, Debtor, LedgerEntry, MoraStage, Portfolio
from portal.debtors.services import ledger_post
from portal.debtors.stages import DEFAULT_STAGES
from portal.outreach.models import Campaign, CampaignTemplate


class CreditorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creditor
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Banco Ejemplo {n}")
    tax_id = "900123456-8"


class PortfolioFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Portfolio
        django_get_or_create = ("code",)

    creditor = factory.SubFactory(CreditorFactory)
    code = factory.Sequence(lambda n: f"cartera-{n}")
    name = factory.Sequence(lambda n: f"Cartera {n}")
    currency = "COP"
    timezone = "America/Bogota"
    country = "CO"


class DebtorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Debtor

    document_type = "CC"
    document_number = factory.Sequence(lambda n: f"{10_000_000 + n}")
    full_name = factory.Sequence(lambda n: f"Deudora Ejemplo {n}")
    birth_date = dt.date(1985, 4, 12)
    phones = factory.LazyFunction(lambda: ["+573001234567"])
    emails = factory.Sequence(lambda n: [f"deudor{n}@example.com"])


class DebtFactory(factory.django.DjangoModelFactory):
    """A debt whose balance is 0 until ledger entries are posted through the service."""

    class Meta:
        model = Debt

    portfolio = factory.SubFactory(PortfolioFactory)
    debtor = factory.SubFactory(DebtorFactory)
    account_ref = factory.Sequence(lambda n: f"ACC-{n:06d}")
    currency = factory.SelfAttribute("portfolio.currency")
    principal_due_minor = 1_000_000_00
    interest_due_minor = 50_000_00
    fees_due_minor = 10_000_00
    original_due_date = dt.date(2026, 9, 1)
    days_past_due = 85


def assign(debt: Debt, **kwargs) -> LedgerEntry:
    """The opening charge of a debt as an import posts it: its statement, split by part."""
    parts = Parts(debt.principal_due_minor, debt.interest_due_minor, debt.fees_due_minor)
    return ledger_post(debt=debt, kind="charge", amount_minor=parts.total, parts=parts, **kwargs)


def default_stages() -> list[MoraStage]:
    """The bands from DESIGN.md: preventive ≤0, early 1–30, intermediate 31–90, ..."""
    return [
        MoraStage.objects.create(code=c, name=n, min_days=lo, max_days=hi, tone=t)
        for c, n, lo, hi, t in DEFAULT_STAGES
    ]


class StaffFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"agente{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@agencia.example")
    is_staff = True

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or "s3cret-pass")
        if create:
            user.save(update_fields=["password"])

    @factory.post_generation
    def role(user, create, extracted, **kwargs):
        """`role=AGENT` puts the user in that group (the groups come from a migration)."""
        if create and extracted:
            user.groups.add(Group.objects.get(name=extracted))


class OfferPolicyFactory(factory.django.DjangoModelFactory):
    """A stage-wide COP policy; pass `stage` (a MoraStage from `default_stages()`).
    Unset fields keep the model's defaults."""

    class Meta:
        model = OfferPolicy

    name = factory.Sequence(lambda n: f"Política {n}")
    currency = "COP"
    allowed_frequencies = factory.LazyFunction(lambda: ["monthly"])


class CampaignFactory(factory.django.DjangoModelFactory):
    """A draft campaign with no templates: add them with CampaignTemplateFactory."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaña {n}")
    portfolio = factory.SubFactory(PortfolioFactory)
    channels = factory.LazyFunction(lambda: ["sms"])


class CampaignTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignTemplate

    campaign = factory.SubFactory(CampaignFactory)
    channel = "sms"
    language = "es"
    body = "Hola {first_name}: debes {amount}. {link}"


class PaymentAttemptFactory(factory.django.DjangoModelFactory):
    """An attempt whose PaymentIntent id is made up: for tests that deliver signed events
    themselves, without asking Stripe (localstripe) for anything."""

    class Meta:
        model = "payments.PaymentAttempt"

    debtor = factory.SubFactory(DebtorFactory)
    purpose = "free"
    currency = "COP"
    amount_minor = 100_000_00
    idempotency_key = factory.Sequence(lambda n: f"pay-test-{n}.1")
    stripe_payment_intent_id = factory.Sequence(lambda n: f"pi_test{n:08d}")
    client_secret = factory.LazyAttribute(lambda o: f"{o.stripe_payment_intent_id}_secret_x")
    status = "open"


def intent_payload(attempt, *, amount_minor: int | None = None, status: str = "succeeded"):
    """The PaymentIntent object Stripe puts in a payment_intent.* event for `attempt`."""
    amount = attempt.amount_minor if amount_minor is None else amount_minor
    return {
        "id": attempt.stripe_payment_intent_id,
        "object": "payment_intent",
        "amount": amount,
        "amount_received": amount if status == "succeeded" else 0,
        "currency": attempt.currency.lower(),
        "status": status,
        "latest_charge": f"ch_{attempt.stripe_payment_intent_id[3:]}",
        "metadata": {"attempt_id": str(attempt.pk), "debtor_id": str(attempt.debtor_id)},
        "last_payment_error": None
        if status == "succeeded"
        else {"code": "card_declined", "message": "Your card was declined."},
    }
