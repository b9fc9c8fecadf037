"""Offer policies in the admin: checkboxes, friendly refusals, every change audited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from agreements.models import Agreement, OfferPolicy, Quote
from portal.audit.models import AuditEvent
from portal.money import major_text
from portal.staff.roles import ADMINISTRATOR
from tests.factories import StaffFactory

ADD_URL = reverse("admin:agreements_offerpolicy_add")


def change_url(policy: OfferPolicy) -> str:
    return reverse("admin:agreements_offerpolicy_change", args=[policy.pk])


def form_data(stage, **changes) -> dict:
    data = {
        "name": "Tardía general",
        "stage": stage.pk,
        "creditor": "",
        "portfolio": "",
        "currency": "COP",
        "is_active": "on",
        "discount_interest_fees_pct": "40",
        "discount_principal_pct": "5",
        "max_installments": "12",
        "min_down_payment_pct": "10",
        "min_installment_minor": "50.000",
        "allowed_frequencies": ["monthly", "biweekly"],
        "max_days_to_first_payment": "30",
        "quote_validity_days": "7",
        "grace_days": "10",
        "max_days_to_promise": "15",
        "auto_max_installments": "6",
        "auto_min_down_payment_pct": "20",
        "auto_min_installment_minor": "100.000",
        "auto_max_days_to_first_payment": "15",
        "max_date_moves": "1",
        "max_move_days": "15",
    }
    data.update(changes)
    return data


@pytest.fixture
def administrator(db):
    """Offer policies are an administrator's to set (portal.staff.roles)."""
    return StaffFactory(username="administradora-sofia", role=ADMINISTRATOR)


@pytest.fixture
def staff_client(client, administrator):
    client.force_login(administrator)
    return client


def test_adding_a_policy_is_audited_with_every_value(staff_client, administrator, stages):
    response = staff_client.post(ADD_URL, form_data(stages["tardia"]))

    assert response.status_code == 302, response.context["adminform"].form.errors
    policy = OfferPolicy.objects.get(name="Tardía general")
    assert policy.allowed_frequencies == ["monthly", "biweekly"]
    event = AuditEvent.objects.get(action="offer_policy.created")
    assert event.actor_label == administrator.username
    assert event.subject_id == str(policy.pk)
    assert event.details["changed"]["max_installments"] == [None, 12]
    # Typed in pesos, stored in centavos.
    assert (policy.min_installment_minor, policy.auto_min_installment_minor) == (
        50_000_00,
        100_000_00,
    )


def test_the_promise_minimum_is_typed_in_pesos_and_may_be_left_empty(staff_client, stages):
    typed = staff_client.post(ADD_URL, form_data(stages["tardia"], min_promise_minor="$20.000"))
    empty = staff_client.post(ADD_URL, form_data(stages["temprana"], name="Temprana"))

    assert typed.status_code == empty.status_code == 302
    assert OfferPolicy.objects.get(name="Tardía general").min_promise_minor == 20_000_00
    assert OfferPolicy.objects.get(name="Temprana").min_promise_minor is None


@pytest.mark.parametrize("typed", ["0", "abc"])
def test_a_promise_minimum_that_is_no_amount_is_refused(staff_client, stages, typed):
    response = staff_client.post(ADD_URL, form_data(stages["tardia"], min_promise_minor=typed))

    assert response.status_code == 200
    assert "min_promise_minor" in response.context["adminform"].form.errors
    assert not OfferPolicy.objects.exists()


def test_the_policy_page_shows_minimum_installments_in_pesos(staff_client, policy):
    page = staff_client.get(change_url(policy)).content.decode()

    assert 'name="min_installment_minor" value="50.000"' in page
    assert "Cuota mínima" in page
    assert "5000000" not in page


def test_changing_a_policy_audits_who_and_the_old_and_new_values(
    staff_client, administrator, stages, policy
):
    data = form_data(stages["intermedia"], name=policy.name, max_installments="10")
    data["discount_interest_fees_pct"] = "50"
    data["discount_principal_pct"] = "10"
    data["min_installment_minor"] = major_text(policy.min_installment_minor, "COP")
    data["allowed_frequencies"] = ["weekly", "biweekly", "monthly"]

    response = staff_client.post(change_url(policy), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    event = AuditEvent.objects.get(action="offer_policy.changed")
    assert event.actor_type == "staff" and event.actor_label == administrator.username
    assert event.details["changed"] == {"max_installments": [12, 10]}


def test_saving_without_changes_writes_no_audit_row(staff_client, stages, policy):
    data = form_data(
        stages["intermedia"],
        name=policy.name,
        discount_interest_fees_pct="50",
        discount_principal_pct="10",
        min_installment_minor=major_text(policy.min_installment_minor, "COP"),
        allowed_frequencies=["weekly", "biweekly", "monthly"],
    )

    assert staff_client.post(change_url(policy), data).status_code == 302
    assert not AuditEvent.objects.filter(action="offer_policy.changed").exists()


def test_deleting_a_policy_is_audited(staff_client, stages, policy):
    url = reverse("admin:agreements_offerpolicy_delete", args=[policy.pk])

    assert staff_client.post(url, {"post": "yes"}).status_code == 302
    assert not OfferPolicy.objects.exists()
    event = AuditEvent.objects.get(action="offer_policy.deleted")
    assert event.details["changed"]["name"] == [policy.name, None]


def test_contradictions_come_back_as_form_errors(staff_client, stages):
    data = form_data(stages["tardia"], auto_max_installments="24", discount_principal_pct="60")

    response = staff_client.post(ADD_URL, data)

    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert set(errors) == {"auto_max_installments", "discount_principal_pct"}
    assert not OfferPolicy.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="offer_policy").exists()


def test_a_second_active_policy_for_the_scope_is_a_form_error_not_a_500(
    staff_client, stages, policy
):
    response = staff_client.post(ADD_URL, form_data(stages["intermedia"], name="duplicate"))

    assert response.status_code == 200
    assert "Otra política activa" in str(response.context["adminform"].form.non_field_errors())
    assert OfferPolicy.objects.count() == 1


def test_pay_in_full_policy_needs_no_frequency(staff_client, stages):
    data = form_data(
        stages["prejuridica"],
        max_installments="1",
        auto_max_installments="1",
        allowed_frequencies=[],
    )

    response = staff_client.post(ADD_URL, data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    assert OfferPolicy.objects.get().allowed_frequencies == []


def test_frequencies_are_checkboxes(staff_client, policy):
    page = staff_client.get(change_url(policy)).content.decode()

    assert 'type="checkbox" name="allowed_frequencies" value="biweekly"' in page


def test_agreements_and_quotes_are_read_only(staff_client, debtor, debt, policy):
    from django.utils import timezone

    from agreements.services import Evidence, agreement_accept_offer, quote_for_debtor

    quote = quote_for_debtor(debtor=debtor)
    agreement = agreement_accept_offer(
        debtor=debtor,
        quote=quote,
        offer_key="plan-monthly-3",
        accepted_terms=True,
        accepted_esign=True,
        evidence=Evidence(at=timezone.now(), ip=None, user_agent="", payment_link_id=None),
    )
    page = staff_client.get(reverse("admin:agreements_agreement_change", args=[agreement.pk]))

    assert page.status_code == 200
    assert agreement.number in page.content.decode()
    assert staff_client.get(reverse("admin:agreements_agreement_add")).status_code == 403
    assert staff_client.get(reverse("admin:agreements_quote_add")).status_code == 403
    assert (
        staff_client.post(
            reverse("admin:agreements_quote_delete", args=[quote.pk]), {"post": "yes"}
        ).status_code
        == 403
    )
    assert Agreement.objects.count() == Quote.objects.count() == 1
