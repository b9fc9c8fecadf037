"""Outreach fixtures: fresh channel backends for every test, and Ana's portfolio's campaign."""

from __future__ import annotations

import pytest

from portal.outreach.channels import forget_backends
from portal.outreach.services import consent_set
from tests.factories import CampaignFactory, CampaignTemplateFactory


@pytest.fixture(autouse=True)
def _fresh_backends():
    forget_backends()
    yield
    forget_backends()


@pytest.fixture
def campaign(portfolio, agent):
    campaign = CampaignFactory(
        name="Noviembre",
        portfolio=portfolio,
        channels=["sms", "email"],
        created_by=agent,
        agreement_filter="any",
    )
    CampaignTemplateFactory(
        campaign=campaign,
        channel="sms",
        language="es",
        body="Hola {first_name}, {creditor}: debes {amount}. Paga aquí: {link}",
    )
    CampaignTemplateFactory(
        campaign=campaign,
        channel="email",
        language="es",
        subject="Tu saldo con {creditor}",
        body="Hola {first_name}, tu saldo es {amount}. Entra a {link}",
    )
    return campaign


def _grant(debtor, *channels: str) -> None:
    for channel in channels:
        consent_set(debtor=debtor, channel=channel, granted=True, source="import")


@pytest.fixture
def ana_consents(debtor):
    """Ana's consent to SMS and email, as her portfolio's import recorded it."""
    _grant(debtor, "sms", "email")


@pytest.fixture
def carlos_consents(other_debtor):
    """Carlos's consent to SMS and email, as his portfolio's import recorded it."""
    _grant(other_debtor, "sms", "email")
