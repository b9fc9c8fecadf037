"""Roles are groups made by a migration; admin pages and actions check their permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from agreements import services
from agreements.models import OfferPolicy, ProposalStatus
from portal.debtors.services import portfolio_today
from portal.staff.roles import ADMINISTRATOR, AGENT, COMPLIANCE, SUPERVISOR
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db


def person(client, role: str, username: str):
    user = StaffFactory(username=username)
    user.groups.add(Group.objects.get(name=role))
    client.force_login(user)
    return user


@pytest.fixture
def pending(debtor, debt, policy, evidence):
    proposal, _ = services.proposal_submit(
        debtor=debtor,
        installments=10,
        frequency="monthly",
        first_due_date=portfolio_today(debt.portfolio) + dt.timedelta(days=10),
        down_payment_minor=0,
        accepted_terms=True,
        accepted_esign=True,
        evidence=evidence,
    )
    return proposal


def policy_change(policy: OfferPolicy) -> str:
    return reverse("admin:agreements_offerpolicy_change", args=[policy.pk])


def test_the_migration_made_the_four_roles():
    assert set(Group.objects.values_list("name", flat=True)) >= {
        AGENT,
        SUPERVISOR,
        COMPLIANCE,
        ADMINISTRATOR,
    }


def test_an_agent_reads_debtors_but_cannot_change_a_policy_or_export_the_log(
    client,
    policy,
    debtor,
):
    person(client, AGENT, "agente-lucia")

    assert client.get(reverse("admin:debtors_debtor_change", args=[debtor.pk])).status_code == 200
    assert client.get(policy_change(policy)).status_code == 200  # read-only view
    assert client.post(policy_change(policy), {"name": "hack"}).status_code == 403
    assert client.get(reverse("admin:agreements_offerpolicy_add")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_export")).status_code == 403
    assert client.get(reverse("admin:audit_auditevent_changelist")).status_code == 403


def test_an_agent_cannot_decide_a_proposal_but_a_supervisor_can(client, pending):
    person(client, AGENT, "agente-lucia")
    approve = reverse("admin:agreements_proposal_approve", args=[pending.pk])
    assert client.post(approve).status_code == 403

    person(client, SUPERVISOR, "supervisora-ana")
    assert client.post(approve).status_code == 302
    pending.refresh_from_db()
    assert pending.status == ProposalStatus.APPROVED


def test_a_supervisor_runs_campaigns_but_cannot_change_policies(client, policy):
    person(client, SUPERVISOR, "supervisora-ana")
    assert client.get(reverse("admin:outreach_campaign_add")).status_code == 200
    assert client.post(policy_change(policy), {"name": "hack"}).status_code == 403


def test_compliance_reads_and_exports_but_changes_nothing(client, debtor, pending):
    person(client, COMPLIANCE, "cumplimiento-marta")

    assert client.get(reverse("admin:audit_auditevent_export")).status_code == 200
    url = reverse("admin:audit_auditevent_consent_evidence", args=[debtor.pk])
    assert client.get(url).status_code == 200
    assert client.get(reverse("admin:payments_payment_changelist")).status_code == 200
    change = reverse("admin:debtors_debtor_change", args=[debtor.pk])
    assert client.post(change, {"full_name": "x"}).status_code == 403
    approve = reverse("admin:agreements_proposal_approve", args=[pending.pk])
    assert client.post(approve).status_code == 403
    assert client.get(reverse("admin:outreach_campaign_add")).status_code == 403


def test_an_administrator_sets_policies_and_stages(client):
    person(client, ADMINISTRATOR, "admin-jorge")
    assert client.get(reverse("admin:agreements_offerpolicy_add")).status_code == 200
    assert client.get(reverse("admin:debtors_morastage_add")).status_code == 200
    assert client.get(reverse("admin:auth_user_add")).status_code == 200
    assert client.get(reverse("admin:audit_auditevent_export")).status_code == 403
