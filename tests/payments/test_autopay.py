"""Autopay through localstripe: consent stored with its SHA-256, a card saved with a
SetupIntent (confirmed here as Stripe.js would), installments charged off-session with a
key from the installment and attempt number, declines retried up to the limit with a
notice each time, turned off by the debtor, and not by anyone else."""

from __future__ import annotations

import datetime as dt
import hashlib
from zoneinfo import ZoneInfo

import pytest
import stripe
from django.urls import reverse
from django.utils import timezone

from agreements.models import InstallmentStatus
from payments.models import AttemptStatus, Autopay, AutopayStatus, Payment, PaymentAttempt
from payments.tasks import charge_due_autopays
from portal.audit.models import AuditEvent
from tests.helpers.access import sign_in
from tests.localstripe import SECRET_KEY


def autopay_url(agreement) -> str:
    return f"/mi-cuenta/acuerdos/{agreement.pk}/autopago/"


def save_card(client, agreement, payment_method: str = "pm_card_visa") -> Autopay:
    """Consent, open the card page, confirm the SetupIntent as Stripe.js does, come back."""
    response = client.post(autopay_url(agreement), {"consent": "1"}, HTTP_USER_AGENT="phone")
    autopay = Autopay.objects.get(agreement=agreement, status=AutopayStatus.PENDING)
    assert response.status_code == 302 and response["Location"].endswith("/tarjeta/")
    page = client.get(response["Location"])
    assert page.status_code == 200
    autopay.refresh_from_db()
    assert autopay.setup_client_secret in page.content.decode()
    stripe.SetupIntent.confirm(
        autopay.stripe_setup_intent_id, payment_method=payment_method, api_key=SECRET_KEY
    )
    done = client.get(f"/mi-cuenta/autopago/{autopay.pk}/listo/")
    assert done.status_code == 302
    autopay.refresh_from_db()
    return autopay


def first_due(agreement):
    return agreement.installments.order_by("number").first()


def charge_on(day: dt.date) -> dict:
    from payments.services.autopay import autopay_charge_due

    return autopay_charge_due(today=day)


def test_consent_is_stored_with_its_hash_and_the_card_turns_autopay_on(
    ana, agreement, stripe_settings
):
    page = ana.get(autopay_url(agreement))
    assert page.status_code == 200
    assert 'data-testid="autopay-consent-text"' in page.content.decode()

    autopay = save_card(ana, agreement)

    assert autopay.status == AutopayStatus.ACTIVE and autopay.card_last4 == "4242"
    assert autopay.consent_sha256 == hashlib.sha256(autopay.consent_text.encode()).hexdigest()
    assert agreement.number in autopay.consent_text
    assert autopay.consent_user_agent == "phone" and autopay.consent_ip == "127.0.0.1"
    assert {"autopay.consented", "autopay.activated"} <= set(
        AuditEvent.objects.values_list("action", flat=True)
    )
    detail = ana.get(f"/mi-cuenta/acuerdos/{agreement.pk}/")
    box_url = reverse("payments:autopay_box", args=[agreement.pk])  # the page loads it
    assert f'hx-get="{box_url}"' in detail.content.decode()
    box = ana.get(box_url, HTTP_HX_REQUEST="true")
    assert b'data-testid="autopay-on"' in box.content


def test_without_the_tick_nothing_is_saved(ana, agreement, stripe_settings):
    response = ana.post(autopay_url(agreement), {})

    assert response.status_code == 400
    assert not Autopay.objects.exists()


def test_a_due_installment_is_charged_off_session_and_posted(ana, agreement, stripe_settings):
    autopay = save_card(ana, agreement)
    down = first_due(agreement)

    assert charge_on(down.due_date) == {"paid": 1}
    assert charge_on(down.due_date) == {}  # paid: nothing due any more

    attempt = PaymentAttempt.objects.get(autopay=autopay)
    assert attempt.idempotency_key == f"autopay-installment-{down.pk}.1"
    assert attempt.status == AttemptStatus.SUCCEEDED
    intent = stripe.PaymentIntent.retrieve(attempt.stripe_payment_intent_id, api_key=SECRET_KEY)
    assert intent.customer == autopay.stripe_customer_id and intent.status == "succeeded"
    down.refresh_from_db()
    assert down.status == InstallmentStatus.PAID
    assert Payment.objects.get().amount_minor == down.amount_minor


def test_installments_not_yet_due_are_not_charged(ana, agreement, stripe_settings):
    save_card(ana, agreement)
    down = first_due(agreement)

    assert charge_on(down.due_date - dt.timedelta(days=1)) == {}
    assert not PaymentAttempt.objects.exists()


def test_a_decline_tells_the_debtor_and_is_retried_only_after_the_spacing(
    ana, agreement, stripe_settings, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PAYMENT_AUTOPAY_RETRY_DAYS = 2
    save_card(ana, agreement, "pm_card_chargeCustomerFail")
    down = first_due(agreement)

    with django_capture_on_commit_callbacks(execute=True):
        assert charge_on(down.due_date) == {"failed": 1}
    assert charge_on(down.due_date) == {"not_yet": 1}

    attempt = PaymentAttempt.objects.get()
    assert attempt.status == AttemptStatus.FAILED and attempt.failure_message
    assert len(mailoutbox) == 1 and "2" in mailoutbox[0].body
    down.refresh_from_db()
    assert down.status != InstallmentStatus.PAID and not Payment.objects.exists()


def test_retries_stop_after_the_limit(
    ana, agreement, stripe_settings, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.PAYMENT_AUTOPAY_MAX_ATTEMPTS = 3
    settings.PAYMENT_AUTOPAY_RETRY_DAYS = 2
    save_card(ana, agreement, "pm_card_chargeCustomerFail")
    down = first_due(agreement)

    outcomes = []
    for _day in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            outcomes.append(charge_on(down.due_date))
        # Two days pass (the failed attempts were written "now").
        PaymentAttempt.objects.update(updated_at=timezone.now() - dt.timedelta(days=2, hours=1))

    assert outcomes == [{"failed": 1}] * 3 + [{"exhausted": 1}] * 2
    keys = list(PaymentAttempt.objects.order_by("id").values_list("idempotency_key", flat=True))
    assert keys == [f"autopay-installment-{down.pk}.{n}" for n in (1, 2, 3)]
    assert len(mailoutbox) == 3
    assert "not try this installment again" in mailoutbox[-1].body or "no volveremos" in (
        mailoutbox[-1].body.lower()
    )


def test_turning_it_off_stops_the_charges(ana, agreement, stripe_settings):
    autopay = save_card(ana, agreement)

    response = ana.post(f"/mi-cuenta/autopago/{autopay.pk}/desactivar/")

    assert response.status_code == 302
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.OFF and autopay.disabled_at
    assert AuditEvent.objects.filter(action="autopay.disabled").count() == 1
    assert charge_due_autopays_on(first_due(agreement).due_date) == {}
    assert not PaymentAttempt.objects.exists()


def charge_due_autopays_on(day):
    return charge_on(day)


def test_the_beat_task_runs_without_keys_without_failing(db, settings):
    settings.STRIPE_SECRET_KEY = ""

    assert charge_due_autopays() == {"skipped": "not configured"}


def test_other_debtor_cannot_see_or_turn_off_someone_elses_autopay(
    client, ana, agreement, stripe_settings, other_debtor
):
    autopay = save_card(ana, agreement)
    ana.logout()
    sign_in(client, other_debtor)

    urls = [
        ("post", f"/mi-cuenta/autopago/{autopay.pk}/desactivar/"),
        ("get", f"/mi-cuenta/autopago/{autopay.pk}/tarjeta/"),
        ("get", f"/mi-cuenta/autopago/{autopay.pk}/listo/"),
        ("get", autopay_url(agreement)),
        ("post", autopay_url(agreement)),
    ]
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 404, url

    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.ACTIVE


@pytest.mark.parametrize("path", ["tarjeta", "listo"])
def test_an_autopay_already_on_is_not_set_up_again(ana, agreement, stripe_settings, path):
    autopay = save_card(ana, agreement)

    response = ana.get(f"/mi-cuenta/autopago/{autopay.pk}/{path}/")

    assert response.status_code == 302
    assert Autopay.objects.count() == 1


def test_a_card_saved_without_coming_back_is_picked_up_by_the_autopay_page(
    ana, agreement, stripe_settings
):
    ana.post(autopay_url(agreement), {"consent": "1"})
    autopay = Autopay.objects.get()
    ana.get(f"/mi-cuenta/autopago/{autopay.pk}/tarjeta/")
    autopay.refresh_from_db()
    stripe.SetupIntent.confirm(
        autopay.stripe_setup_intent_id, payment_method="pm_card_visa", api_key=SECRET_KEY
    )

    page = ana.get(autopay_url(agreement))

    assert b'data-testid="autopay-on"' in page.content
    autopay.refresh_from_db()
    assert autopay.status == AutopayStatus.ACTIVE


@pytest.mark.parametrize("server_zone", ["UTC", "America/Bogota"])
def test_due_today_is_the_portfolios_local_date_not_the_servers(
    ana, agreement, stripe_settings, settings, server_zone
):
    """Ana's portfolio is in Bogotá (UTC-5). At 04:30 UTC on the due date it is still
    23:30 the evening before in Bogotá: not due yet, whatever the server's zone; at 05:30
    UTC it is 00:30 on the due date there: charged."""
    from payments.services.autopay import autopay_charge_due

    settings.TIME_ZONE = server_zone
    save_card(ana, agreement)
    down = first_due(agreement)
    assert agreement.portfolio.timezone == "America/Bogota"
    day_start_utc = dt.datetime.combine(down.due_date, dt.time(0), tzinfo=dt.UTC)

    evening_before = autopay_charge_due(now=day_start_utc + dt.timedelta(hours=4, minutes=30))
    after_midnight = autopay_charge_due(now=day_start_utc + dt.timedelta(hours=5, minutes=30))

    assert evening_before == {} and after_midnight == {"paid": 1}
    assert PaymentAttempt.objects.get().installment_id == down.pk


def test_an_installment_due_today_in_bogota_is_charged_after_utc_midnight(
    ana, agreement, stripe_settings, settings
):
    """20:00 in Bogotá is 01:00 UTC the next day: the installment due that Bogotá day is
    still due then (and only then, not at 20:00 the evening before, already its UTC date)."""
    from payments.services.autopay import autopay_charge_due

    settings.TIME_ZONE = "UTC"
    save_card(ana, agreement)
    down = first_due(agreement)
    bogota = ZoneInfo("America/Bogota")

    def at_8pm_in_bogota(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(20), tzinfo=bogota)

    eve = at_8pm_in_bogota(down.due_date - dt.timedelta(days=1))
    on_the_day = at_8pm_in_bogota(down.due_date)
    assert eve.astimezone(dt.UTC).date() == down.due_date
    assert on_the_day.astimezone(dt.UTC) == dt.datetime.combine(
        down.due_date + dt.timedelta(days=1), dt.time(1), tzinfo=dt.UTC
    )

    assert autopay_charge_due(now=eve) == {}
    assert autopay_charge_due(now=on_the_day) == {"paid": 1}
    assert PaymentAttempt.objects.get().installment_id == down.pk
