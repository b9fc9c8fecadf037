"""Someone else pays: Ana makes a pay-only link for her next installment (or all that is
left), a relative opens it in a browser with no session of hers, sees only the creditor,
the amount and the due date, and pays through the normal flows. Through the real client
and the fake Mercado Pago; Stripe's card through localstripe's client."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from agreements.models import InstallmentStatus
from payments.models import AttemptStatus, PayForOtherLink, Payment, PaymentAttempt
from payments.services import PaymentError, attempt_start
from payments.services.third_party import third_party_link_create
from portal.audit.models import AuditEvent
from tests.factories import intent_payload
from tests.helpers.access import sign_in
from tests.localstripe import make_event

PAY_URL = "/mi-cuenta/pagar/"
CREATE_URL = "/mi-cuenta/pagar-por-otro/nuevo/"
PUBLIC_URL = "/pagar-por-otro/"
TIO = "tio@example.com"  # the relative who pays
MORNING = dt.datetime(2026, 11, 26, 15, 0, tzinfo=dt.UTC)
# Ana's: none of these may reach the person paying for her.
PERSONAL = ["Ana María Peña", "Ana Mar", "1020304050", "ana@example.com", "3001112233", "TC-100"]


@pytest.fixture(autouse=True)
def _morning():
    with time_machine.travel(MORNING):
        yield


@pytest.fixture
def down(agreement):
    return agreement.installments.order_by("number").first()


def _create(ana, key: str):
    response = ana.post(CREATE_URL, {"option": key})
    assert response.status_code == 200, response.content
    page = response.content.decode()
    return page, re.search(r'id="tp-url" type="url" value="([^"]+)"', page).group(1)


@pytest.fixture
def link_url(ana, down):
    _page, url = _create(ana, f"installment-{down.pk}")
    return url


@pytest.fixture
def relative(link_url):
    """A fresh browser: no session of Ana's; it opened the link."""
    client = Client()
    response = client.get(link_url.removeprefix("http://testserver"))
    assert response.status_code == 302 and response["Location"] == PUBLIC_URL
    return client


def _no_personal_data(page: str) -> None:
    for value in PERSONAL:
        assert value not in page, value


def test_the_pay_page_offers_to_let_someone_else_pay(ana, down, fake_mercadopago):
    page = ana.get(PAY_URL).content.decode()
    assert 'data-testid="third-party-box"' in page
    assert f'data-testid="third-party-option-installment-{down.pk}"' in page


def test_creating_shows_the_link_once_with_whatsapp_and_expiry(ana, down):
    page, url = _create(ana, f"installment-{down.pk}")

    token = url.rstrip("/").rsplit("/", 1)[1]
    link = PayForOtherLink.objects.get()
    assert len(token) == 43  # 32 random bytes, URL-safe base64
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(PayForOtherLink.objects.values().get())
    assert link.installment == down
    assert abs(link.expires_at - (MORNING + dt.timedelta(days=7))) < dt.timedelta(minutes=1)
    assert 'href="https://wa.me/?text=' in page and "%2Fpagar-por-otro%2F" in page
    assert AuditEvent.objects.filter(action="payment.third_party_link_created").count() == 1


def test_tokens_are_random(debtor, down):
    _l1, one = third_party_link_create(debtor=debtor, key=f"installment-{down.pk}")
    _l2, two = third_party_link_create(debtor=debtor, key=f"installment-{down.pk}")
    assert one != two and len({one, two}) == 2


def test_only_own_active_agreement_payables(debtor, other_debtor, down):
    with pytest.raises(PaymentError):
        third_party_link_create(debtor=other_debtor, key=f"installment-{down.pk}")
    with pytest.raises(PaymentError):
        third_party_link_create(debtor=debtor, key=f"free-{down.agreement.lines.first().debt_id}")


def test_the_relative_sees_creditor_amount_due_date_and_nothing_personal(relative, down):
    page = relative.get(PUBLIC_URL).content.decode()

    assert "Banco Andino" in page
    assert 'data-testid="third-party-amount"' in page and 'data-testid="third-party-due"' in page
    assert f"{down.amount_minor // 100:,}".replace(",", ".") in page
    assert 'class="tabs"' not in page and "mi-cuenta/historial" not in page
    assert down.agreement.number not in page
    _no_personal_data(page)


def test_the_public_page_runs_a_fixed_number_of_queries(
    relative, fake_mercadopago, django_assert_max_num_queries
):
    # The session, the link with its creditor, its schedule, the portfolio's ways to pay.
    with django_assert_max_num_queries(4):
        assert relative.get(PUBLIC_URL).status_code == 200


def test_another_debtor_cannot_see_or_revoke_the_link(link_url, other_debtor):
    link = PayForOtherLink.objects.get()
    carlos = Client()
    sign_in(carlos, other_debtor)

    assert carlos.get(reverse("payments:third_party_link", args=[link.pk])).status_code == 404
    revoke = reverse("payments:third_party_revoke", args=[link.pk])
    assert carlos.post(revoke).status_code == 404
    listed = carlos.get("/mi-cuenta/pagar-por-otro/").content.decode()
    assert f"third-party-link-{link.pk}" not in listed
    link.refresh_from_db()
    assert link.revoked_at is None


def test_a_revoked_link_says_so_and_offers_nothing(ana, link_url, relative):
    link = PayForOtherLink.objects.get()
    response = ana.post(reverse("payments:third_party_revoke", args=[link.pk]))
    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="payment.third_party_link_revoked").count() == 1

    for response in (
        relative.get(PUBLIC_URL),
        Client().get(link_url.removeprefix("http://testserver")),
    ):
        assert response.status_code == 410
        page = response.content.decode()
        assert 'data-state="revoked"' in page and "<button" not in page.split("<main")[1]
    option = {"option": f"installment-{link.installment_id}", "method": "stripe-card"}
    assert relative.post(PUBLIC_URL, option).status_code == 410


def test_an_expired_link_says_so(link_url, relative):
    with time_machine.travel(MORNING + dt.timedelta(days=7, seconds=1)):
        response = relative.get(PUBLIC_URL)
        fresh = Client().get(link_url.removeprefix("http://testserver"))
    # The relative's session may have ended by then too: either way, gone, nothing payable.
    assert response.status_code == 410 and "third-party-pay-" not in response.content.decode()
    assert fresh.status_code == 410 and 'data-state="expired"' in fresh.content.decode()


def test_an_unknown_token_is_gone(db):
    response = Client().get(PUBLIC_URL + "x" * 43 + "/")
    assert response.status_code == 410 and 'data-state="unknown"' in response.content.decode()


def test_without_a_link_the_flow_pages_are_closed(relative, ana, down, fake_mercadopago):
    # Ana's own attempt is not the relative's to see.
    ana.post(PAY_URL, {"option": f"installment-{down.pk}", "method": "mercadopago-pse"})
    mine = PaymentAttempt.objects.get()
    for name in ("pse", "result"):
        assert relative.get(reverse(f"payments:{name}", args=[mine.pk])).status_code == 404
    assert Client().get(reverse("payments:result", args=[mine.pk])).status_code == 302


def test_the_amount_is_the_servers(relative, down, fake_mercadopago):
    response = relative.post(
        PUBLIC_URL,
        {
            "option": f"installment-{down.pk}",
            "method": "mercadopago-pse",
            "email": "tio@example.com",
            "amount": "1",
        },
    )
    assert response.status_code == 303
    attempt = PaymentAttempt.objects.get()
    assert attempt.amount_minor == down.amount_minor - down.paid_minor
    assert attempt.third_party_link == PayForOtherLink.objects.get()


def test_attempt_start_refuses_another_payable_for_the_link(debtor, agreement, down):
    link, _token = third_party_link_create(debtor=debtor, key=f"installment-{down.pk}")
    with pytest.raises(PaymentError):
        attempt_start(
            debtor=debtor, key=f"agreement-{agreement.pk}", method="card", third_party_link=link
        )


def test_pse_asks_the_payers_email_and_document_and_posts_to_the_debtor(
    relative, down, fake_mercadopago, django_capture_on_commit_callbacks
):
    response = relative.post(
        PUBLIC_URL,
        {"option": f"installment-{down.pk}", "method": "mercadopago-pse", "email": TIO},
    )
    attempt = PaymentAttempt.objects.get()
    assert response["Location"] == reverse("payments:pse", args=[attempt.pk])
    form = relative.get(response["Location"]).content.decode()
    assert 'value="tio@example.com"' in form and 'data-testid="pse-document-number"' in form
    _no_personal_data(form)
    assert 'class="tabs"' not in form

    url = reverse("payments:pse", args=[attempt.pk])
    post = {"bank": "1007", "person_type": "individual", "email": "tio@example.com"}
    assert relative.post(url, post).status_code == 400  # the document is needed
    payer = {"full_name": "Pedro Gómez", "document_type": "CC", "document_number": "777888"}
    response = relative.post(url, {**post, **payer})
    assert response.status_code == 303
    attempt.refresh_from_db()
    sent = fake_mercadopago.payments[attempt.provider_payment_id]
    assert sent["payer"]["identification"] == {"type": "CC", "number": "777888"}
    assert (sent["payer"]["first_name"], sent["payer"]["last_name"]) == ("Pedro", "Gómez")
    assert sent["payer"]["email"] == "tio@example.com"
    _no_personal_data(str(sent))

    fake_mercadopago.set_status(attempt.provider_payment_id, "approved", "accredited")
    with django_capture_on_commit_callbacks(execute=True):
        page = relative.get(reverse("payments:result", args=[attempt.pk])).content.decode()
    assert 'data-testid="payment-succeeded"' in page and 'data-testid="third-party-thanks"' in page
    assert "receipt-link" not in page and "to-balance" not in page
    _no_personal_data(page)

    down.refresh_from_db()
    assert down.status == InstallmentStatus.PAID
    payment = Payment.objects.get()
    assert payment.debtor == down.agreement.debtor and payment.agreement == down.agreement
    posted = AuditEvent.objects.get(action="payment.posted")
    assert posted.details["payer"] == "third_party"
    assert posted.details["third_party_link_id"] == attempt.third_party_link_id

    # Once paid, the link says so and offers nothing.
    page = relative.get(PUBLIC_URL).content.decode()
    assert 'data-testid="third-party-already-paid"' in page
    assert "third-party-pay-" not in page


def test_the_cash_voucher_for_a_relative_shows_nothing_personal(
    relative, down, fake_mercadopago, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = relative.post(
            PUBLIC_URL,
            {"option": f"installment-{down.pk}", "method": "mercadopago-cash", "email": TIO},
        )
    attempt = PaymentAttempt.objects.get()
    assert response["Location"] == reverse("payments:cash", args=[attempt.pk])
    page = relative.get(response["Location"]).content.decode()
    assert 'data-testid="voucher"' in page
    _no_personal_data(page)
    pdf = relative.get(reverse("payments:voucher_pdf", args=[attempt.pk]))
    assert pdf.status_code == 200

    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    _no_personal_data(text)
    assert "Banco Andino" in text


def test_a_cash_voucher_needs_the_payers_email(relative, down, fake_mercadopago):
    response = relative.post(
        PUBLIC_URL, {"option": f"installment-{down.pk}", "method": "mercadopago-cash"}
    )
    assert response.status_code == 400 and 'data-testid="pay-error"' in response.content.decode()
    assert not PaymentAttempt.objects.exists()


def test_stripe_card_posts_with_the_payer_marked_third_party(
    relative, down, stripe_settings, deliver
):
    response = relative.post(
        PUBLIC_URL, {"option": f"installment-{down.pk}", "method": "stripe-card"}
    )
    attempt = PaymentAttempt.objects.get()
    assert response["Location"] == reverse("payments:checkout", args=[attempt.pk])
    page = relative.get(response["Location"]).content.decode()
    assert 'data-testid="checkout-amount"' in page
    _no_personal_data(page)
    attempt.refresh_from_db()

    deliver(make_event("payment_intent.succeeded", intent_payload(attempt)))

    attempt.refresh_from_db()
    assert attempt.status == AttemptStatus.SUCCEEDED
    created = AuditEvent.objects.get(action="payment.attempt_created")
    assert created.details["payer"] == "third_party" and created.actor_type != "debtor"
    assert AuditEvent.objects.get(action="payment.posted").details["payer"] == "third_party"


def test_the_debtors_own_payment_is_marked_debtor(ana, down, stripe_settings, deliver):
    ana.post(PAY_URL, {"option": f"installment-{down.pk}", "method": "stripe-card"})
    attempt = PaymentAttempt.objects.get()
    ana.get(reverse("payments:checkout", args=[attempt.pk]))
    attempt.refresh_from_db()
    deliver(make_event("payment_intent.succeeded", intent_payload(attempt)))
    assert AuditEvent.objects.get(action="payment.posted").details["payer"] == "debtor"


def test_a_link_for_everything_left_pays_the_rest(ana, agreement):
    _page, url = _create(ana, f"agreement-{agreement.pk}")
    relative = Client()
    relative.get(url.removeprefix("http://testserver"))
    page = relative.get(PUBLIC_URL).content.decode()
    left = sum(i.amount_minor - i.paid_minor for i in agreement.installments.all())
    assert f"{left // 100:,}".replace(",", ".") in page
    _no_personal_data(page)


def test_the_debtors_list_shows_live_links(ana, link_url):
    link = PayForOtherLink.objects.get()
    page = ana.get("/mi-cuenta/pagar-por-otro/").content.decode()
    assert f'data-testid="third-party-link-{link.pk}"' in page


def test_the_dashboard_leads_to_the_box(ana, agreement, settings):
    page = ana.get("/mi-cuenta/").content.decode()
    assert 'data-testid="dashboard-third-party"' not in page  # no provider: nothing online

    settings.MERCADOPAGO_ACCESS_TOKEN = "TEST-token"
    page = ana.get("/mi-cuenta/").content.decode()
    assert 'data-testid="dashboard-third-party"' in page and "/mi-cuenta/pagar/#tp-heading" in page


def test_revoking_closes_the_flow_pages_too(ana, relative, down, fake_mercadopago):
    relative.post(
        PUBLIC_URL,
        {"option": f"installment-{down.pk}", "method": "mercadopago-pse", "email": TIO},
    )
    attempt = PaymentAttempt.objects.get()
    ana.post(reverse("payments:third_party_revoke", args=[PayForOtherLink.objects.get().pk]))

    for name in ("pse", "result"):
        response = relative.get(reverse(f"payments:{name}", args=[attempt.pk]))
        assert response.status_code == 410 and 'data-testid="third-party-gone"' in (
            response.content.decode()
        )
    # Ana still sees the attempt: it is hers.
    assert ana.get(reverse("payments:result", args=[attempt.pk])).status_code == 200
