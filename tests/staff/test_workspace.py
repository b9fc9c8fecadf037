"""The admin home is the collections workspace: what waits for review, what is running,
what is due today; machinery tables only for superusers; Spanish unless staff pick English."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from agreements.models import PromiseToPay, Proposal
from portal.outreach.models import Message
from tests.factories import CampaignFactory, DebtFactory, OfferPolicyFactory, StaffFactory
from tests.helpers.staff import TUESDAY_10

pytestmark = pytest.mark.django_db
HOME = reverse("admin:index")


@pytest.fixture
def waiting(debtor, ana_consents_to_calls, debt, portfolio, stages):
    """Two proposals waiting, one decided; two promises due today, one tomorrow."""
    policy = OfferPolicyFactory(
        name="Intermedia", stage=stages["intermedia"], allowed_frequencies=[]
    )
    # A debtor has one open proposal per portfolio at a time, so the second is another's.
    other_debt = DebtFactory(portfolio=portfolio)
    for status, owed in (("pending", debt), ("pending", other_debt), ("rejected", debt)):
        Proposal.objects.create(
            debtor=owed.debtor,
            portfolio=portfolio,
            policy=policy,
            debt_ids=[owed.pk],
            currency="COP",
            balance_minor=owed.balance_minor,
            installments=12,
            frequency="monthly",
            first_due_date=TUESDAY_10.date() + dt.timedelta(days=10),
            status=status,
        )
    for days, amount in [(0, 150_000_00), (0, 100_000_00), (1, 90_000_00)]:
        PromiseToPay.objects.create(
            debtor=debtor,
            debt=debt,
            currency="COP",
            amount_minor=amount,
            promised_date=TUESDAY_10.date() + dt.timedelta(days=days),
        )


def test_the_supervisor_home_shows_the_workspace_in_spanish(
    client, tuesday, supervisor, waiting, portfolio, debtor, ana_consents_to_calls
):
    running = CampaignFactory(
        name="Noviembre", portfolio=portfolio, channels=["sms"], status="running", targeted=4
    )
    sent = {"sms": "sent", "whatsapp": "delivered", "email": "queued", "call": "failed"}
    for channel, status in sent.items():
        Message.objects.create(
            campaign=running, debtor=debtor, channel=channel, key=channel, status=status
        )
    client.force_login(supervisor)

    page = client.get(HOME).content.decode()

    assert "Espacio de trabajo de cobranza" in page
    assert "Propuestas por revisar" in page
    assert '<p class="workspace-figure">2</p>' in page  # the two pending proposals
    assert reverse("admin:agreements_proposal_changelist") in page
    assert "Noviembre" in page and "2 enviados de 4 deudores" in page
    assert 'value="50"' in page  # half the messages have gone
    assert "Promesas para hoy" in page and "$250.000" in page
    assert reverse("admin:staff_kpis") in page
    assert reverse("admin:audit_auditevent_changelist") not in page  # not a supervisor's


def test_an_agent_sees_only_the_cards_of_their_role(client, agent, waiting):
    client.force_login(agent)
    page = client.get(HOME).content.decode()
    assert 'data-testid="ws-proposals"' in page
    assert 'data-testid="ws-campaigns"' not in page
    assert 'data-testid="ws-imports"' not in page
    assert reverse("admin:staff_kpis") not in page


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:axes_accessattempt_changelist",
        "admin:axes_accesslog_changelist",
        "admin:axes_accessfailurelog_changelist",
        "admin:payments_stripeevent_changelist",
        "admin:auth_group_changelist",
    ],
)
def test_lockouts_stripe_events_and_groups_are_for_superusers_only(
    client, compliance, supervisor, url_name
):
    url = reverse(url_name)
    for person in (compliance, supervisor):  # compliance reads every model otherwise
        client.force_login(person)
        assert client.get(url).status_code == 403
        assert url not in client.get(HOME).content.decode()
    client.force_login(StaffFactory(username="raiz", is_superuser=True))
    assert client.get(url).status_code == 200
    assert url in client.get(HOME).content.decode()


def test_staff_read_spanish_even_when_the_browser_asks_for_english_until_they_pick_it(
    client, supervisor
):
    english_browser = {"Accept-Language": "en-US,en;q=0.9"}
    login = client.get(reverse("admin:login"), headers=english_browser).content.decode()
    assert '<html lang="es-co"' in login
    client.force_login(supervisor)
    assert '<html lang="es-co"' in client.get(HOME, headers=english_browser).content.decode()

    switched = client.post(reverse("set_language"), {"language": "en", "next": HOME})

    assert switched.status_code == 302
    page = client.get(HOME).content.decode()
    assert '<html lang="en"' in page and "Collections workspace" in page
