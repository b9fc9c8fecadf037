"""payments.mercadopago_api through the real `mercadopago` SDK against the fake Mercado Pago
(payments/devmercadopago): what the portal sends and reads, and the fake's own pages and
signed notifications, so the fake can be trusted by the payment tests built on it."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from django.core.cache import cache
from mercadopago.webhook import InvalidWebhookSignatureError, WebhookSignatureValidator

from payments import mercadopago_api as mp
from tests.localstripe import wait_for
from tests.mercadopago import WEBHOOK_SECRET, signed_notification_headers

CALLBACK = "https://portal.example/pagos/mercadopago/vuelta/"


def pse_body(**changes) -> dict:
    body = {
        "transaction_amount": 318000,
        "description": "Cuota inicial del acuerdo",
        "payment_method_id": "pse",
        "external_reference": "attempt-41",
        "callback_url": CALLBACK,
        "payer": {
            "email": "ana@example.com",
            "entity_type": "individual",
            "identification": {"type": "CC", "number": "1020304050"},
        },
        "transaction_details": {"financial_institution": "1007"},
        "additional_info": {"ip_address": "190.0.0.1"},
    }
    return {**body, **changes}


def cash_body(**changes) -> dict:
    body = {
        "transaction_amount": 150000,
        "description": "Cuota 1",
        "payment_method_id": "efecty",
        "external_reference": "attempt-42",
        "payer": {"email": "ana@example.com"},
    }
    return {**body, **changes}


def approve(fake, payment_id) -> None:
    fake.set_status(str(payment_id), "approved", notify=False)


class Receiver:
    """A webhook endpoint that records what it is sent."""

    def __init__(self):
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.received.append(
                    {"path": self.path, "headers": dict(self.headers), "body": json.loads(body)}
                )
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/mp/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def receiver(fake_mercadopago):
    receiver = Receiver()
    fake_mercadopago.register_webhook(receiver.url)
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


def verify(notification: dict) -> None:
    query = notification["path"].split("?", 1)[1]
    params = dict(part.split("=", 1) for part in query.split("&"))
    mp.signature_verify(
        x_signature=notification["headers"].get("x-signature"),
        x_request_id=notification["headers"].get("x-request-id"),
        data_id=params["data.id"],
    )


def test_amounts_cross_in_minor_units_exactly():
    assert mp.amount_from_minor(31800000, "COP") == 318000
    assert isinstance(mp.amount_from_minor(31800000, "COP"), int)
    assert mp.amount_from_minor(12345, "COP") == 123.45
    assert mp.amount_to_minor(318000, "COP") == 31800000
    assert mp.amount_to_minor(123.45, "COP") == 12345
    assert mp.amount_to_minor("318000.00", "COP") == 31800000
    with pytest.raises(ValueError):  # not a whole number of centavos: refused, not rounded
        mp.amount_to_minor(0.30000000000000004, "COP")


def test_configured_and_test_mode_follow_the_settings(settings, fake_mercadopago):
    assert mp.is_configured() and mp.is_test_mode()
    settings.MERCADOPAGO_API_BASE = ""
    settings.MERCADOPAGO_ACCESS_TOKEN = "APP_USR-123"
    assert mp.is_configured() and not mp.is_test_mode()
    settings.MERCADOPAGO_ACCESS_TOKEN = ""
    assert not mp.is_configured()


def test_pse_banks_are_listed_by_name_and_cached(settings, fake_mercadopago):
    banks = mp.pse_banks()
    names = [name for _, name in banks]
    assert names == sorted(names, key=str.casefold)
    assert ("1007", "Bancolombia") in banks
    for name in ("Banco de Bogotá", "Davivienda", "BBVA Colombia", "Nequi", "Banco de pruebas"):
        assert name in names
    # Cached: a second call asks nothing, so a token the fake would refuse goes unnoticed.
    settings.MERCADOPAGO_ACCESS_TOKEN = "TEST-refused"
    assert mp.pse_banks() == banks
    cache.clear()
    with pytest.raises(mp.MercadoPagoError):
        mp.pse_banks()


def test_without_the_token_the_fake_answers_401(settings, fake_mercadopago):
    settings.MERCADOPAGO_ACCESS_TOKEN = "TEST-wrong"
    with pytest.raises(mp.MercadoPagoError) as refused:
        mp.payment_get("1320000001")
    assert refused.value.status == 401
    assert requests.get(f"{fake_mercadopago.base}/v1/payment_methods", timeout=5).status_code == 401


def test_an_unreachable_mercadopago_is_status_0(settings, fake_mercadopago):
    settings.MERCADOPAGO_API_BASE = "http://127.0.0.1:9"
    with pytest.raises(mp.MercadoPagoError) as trouble:
        mp.payment_get("1320000001")
    assert trouble.value.status == 0


def test_pse_payment_is_pending_with_the_bank_page(fake_mercadopago):
    payment = mp.payment_create(body=pse_body(), idempotency_key="attempt-41-create")
    assert isinstance(payment["id"], int)
    assert (payment["status"], payment["status_detail"]) == ("pending", "pending_waiting_transfer")
    assert payment["payment_type_id"] == "bank_transfer"
    assert payment["external_reference"] == "attempt-41"
    url = payment["transaction_details"]["external_resource_url"]
    assert url == f"{fake_mercadopago.base}/pse/bank/{payment['id']}"
    assert fake_mercadopago.payments[str(payment["id"])]["transaction_amount"] == 318000


def test_the_same_idempotency_key_gives_the_same_payment(fake_mercadopago):
    first = mp.payment_create(body=pse_body(), idempotency_key="attempt-41-create")
    again = mp.payment_create(body=pse_body(), idempotency_key="attempt-41-create")
    other = mp.payment_create(body=pse_body(), idempotency_key="attempt-43-create")
    assert again["id"] == first["id"] != other["id"]
    assert len(fake_mercadopago.payments) == 2


def test_a_payment_without_idempotency_key_is_refused(fake_mercadopago):
    response = requests.post(
        f"{fake_mercadopago.base}/v1/payments",
        json=pse_body(),
        headers={"Authorization": f"Bearer {fake_mercadopago.access_token}"},
        timeout=5,
    )
    assert response.status_code == 400


def test_a_bad_body_is_a_400_with_its_cause(fake_mercadopago):
    body = pse_body(transaction_details={"financial_institution": "9999"})
    with pytest.raises(mp.MercadoPagoError) as refused:
        mp.payment_create(body=body, idempotency_key="attempt-41-create")
    assert refused.value.status == 400
    assert refused.value.body["error"] == "bad_request"
    assert "financial_institution" in refused.value.causes[0]["description"]
    assert not fake_mercadopago.payments


def test_cash_voucher_has_a_barcode_and_an_expiry(fake_mercadopago):
    expires = (datetime.now(UTC) + timedelta(days=3)).isoformat(timespec="milliseconds")
    payment = mp.payment_create(
        body=cash_body(date_of_expiration=expires), idempotency_key="attempt-42-create"
    )
    assert (payment["status"], payment["status_detail"]) == ("pending", "pending_waiting_payment")
    assert payment["payment_type_id"] == "ticket"
    assert payment["barcode"]["content"].isdigit()
    assert payment["date_of_expiration"] == expires
    assert payment["transaction_details"]["external_resource_url"].endswith(
        f"/tickets/{payment['id']}"
    )
    default = mp.payment_create(body=cash_body(), idempotency_key="attempt-43-create")
    left = datetime.fromisoformat(default["date_of_expiration"]) - datetime.now(UTC)
    assert timedelta(days=2, hours=23) < left <= timedelta(days=3)

    fake_mercadopago.set_status(str(payment["id"]), "cancelled", "expired", notify=False)
    expired = mp.payment_get(str(payment["id"]))
    assert (expired["status"], expired["status_detail"]) == ("cancelled", "expired")


def test_payment_get_reads_the_current_state(fake_mercadopago):
    payment = mp.payment_create(body=pse_body(), idempotency_key="k1")
    approve(fake_mercadopago, payment["id"])
    read = mp.payment_get(str(payment["id"]))
    assert (read["status"], read["status_detail"]) == ("approved", "accredited")
    assert read["date_approved"]
    with pytest.raises(mp.MercadoPagoError) as missing:
        mp.payment_get("999")
    assert missing.value.status == 404


def test_search_by_external_reference_and_updated_since(fake_mercadopago, time_machine):
    time_machine.move_to(datetime(2026, 12, 1, 12, 0, tzinfo=UTC), tick=True)
    old = mp.payment_create(body=pse_body(external_reference="attempt-1"), idempotency_key="a")
    time_machine.move_to(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), tick=True)
    new = mp.payment_create(body=pse_body(external_reference="attempt-2"), idempotency_key="b")
    mp.payment_create(body=pse_body(external_reference="attempt-2"), idempotency_key="c")

    since = datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    found = mp.payments_search(updated_since=since)
    assert [p["external_reference"] for p in found] == ["attempt-2", "attempt-2"]
    assert found[0]["id"] == new["id"]
    only = mp.payments_search(updated_since=since, external_reference="attempt-1")
    assert only == []
    time_machine.move_to(datetime(2026, 12, 3, 12, 0, tzinfo=UTC), tick=True)
    approve(fake_mercadopago, old["id"])  # updated now: the oldest payment comes last
    found = mp.payments_search(updated_since=since)
    assert [p["id"] for p in found][-1] == old["id"]


def test_search_pages(fake_mercadopago):
    for n in range(5):
        mp.payment_create(body=pse_body(), idempotency_key=f"k{n}")
    response = requests.get(
        f"{fake_mercadopago.base}/v1/payments/search",
        params={"limit": 2, "offset": 4, "sort": "date_created", "criteria": "asc"},
        headers={"Authorization": f"Bearer {fake_mercadopago.access_token}"},
        timeout=5,
    ).json()
    assert response["paging"] == {"total": 5, "limit": 2, "offset": 4}
    assert len(response["results"]) == 1
    since = datetime.now(UTC) - timedelta(hours=1)
    assert len(mp.payments_search(updated_since=since)) == 5


def test_refunds_partial_then_total(fake_mercadopago):
    payment = mp.payment_create(body=pse_body(), idempotency_key="k1")
    pid = str(payment["id"])
    approve(fake_mercadopago, pid)
    part = mp.refund_create(
        payment_id=pid, amount_minor=10000000, currency="COP", idempotency_key="refund-1"
    )
    assert part["amount"] == 100000
    again = mp.refund_create(
        payment_id=pid, amount_minor=10000000, currency="COP", idempotency_key="refund-1"
    )
    assert again["id"] == part["id"]
    read = mp.payment_get(pid)
    assert (read["status"], read["transaction_amount_refunded"]) == ("approved", 100000)
    assert read["status_detail"] == "partially_refunded"

    with pytest.raises(mp.MercadoPagoError) as too_much:
        mp.refund_create(
            payment_id=pid, amount_minor=30000000, currency="COP", idempotency_key="refund-2"
        )
    assert too_much.value.status == 400
    mp.refund_create(
        payment_id=pid, amount_minor=21800000, currency="COP", idempotency_key="refund-3"
    )
    read = mp.payment_get(pid)
    assert (read["status"], read["transaction_amount_refunded"]) == ("refunded", 318000)
    assert len(read["refunds"]) == 2


def test_a_pending_payment_cannot_be_refunded(fake_mercadopago):
    payment = mp.payment_create(body=pse_body(), idempotency_key="k1")
    with pytest.raises(mp.MercadoPagoError) as refused:
        mp.refund_create(
            payment_id=str(payment["id"]), amount_minor=100, currency="COP", idempotency_key="r"
        )
    assert refused.value.status == 400


def test_preference_opens_the_card_checkout(fake_mercadopago):
    preference = mp.preference_create(
        body={
            "items": [{"title": "Cuota 1", "quantity": 1, "unit_price": 150000}],
            "external_reference": "attempt-44",
            "back_urls": {"success": CALLBACK + "ok/", "failure": CALLBACK + "no/"},
        }
    )
    page = requests.get(preference["init_point"], timeout=5)
    assert 'lang="es"' in page.text and 'data-testid="checkout-pay"' in page.text
    paid = requests.post(
        preference["init_point"],
        data={"card-number": "4013 5406 8274 6260", "card-holder": "APRO"},
        allow_redirects=False,
        timeout=5,
    )
    assert paid.status_code == 303
    assert paid.headers["Location"].startswith(CALLBACK + "ok/?")
    assert "external_reference=attempt-44" in paid.headers["Location"]
    (payment,) = fake_mercadopago.payments.values()
    assert (payment["status"], payment["payment_type_id"]) == ("approved", "credit_card")
    assert payment["external_reference"] == "attempt-44"
    declined = requests.post(
        preference["init_point"],
        data={"card-number": "5031755734530604", "card-holder": "OTHE"},
        allow_redirects=False,
        timeout=5,
    )
    assert declined.headers["Location"].startswith(CALLBACK + "no/?")


def test_bank_page_approves_and_returns_to_the_callback(fake_mercadopago):
    payment = mp.payment_create(body=pse_body(), idempotency_key="k1")
    url = payment["transaction_details"]["external_resource_url"]
    page = requests.get(url, timeout=5)
    assert page.status_code == 200 and 'lang="es"' in page.text
    assert "PRUEBA" in page.text and 'data-testid="bank-approve"' in page.text
    back = requests.post(url, data={"action": "approve"}, allow_redirects=False, timeout=5)
    assert (back.status_code, back.headers["Location"]) == (303, CALLBACK)
    read = mp.payment_get(str(payment["id"]))
    assert (read["status"], read["status_detail"]) == ("approved", "accredited")


def test_voucher_page_simulates_paying_at_efecty(fake_mercadopago):
    payment = mp.payment_create(body=cash_body(), idempotency_key="k1")
    url = payment["transaction_details"]["external_resource_url"]
    page = requests.get(url, timeout=5)
    assert payment["barcode"]["content"] in page.text and 'data-testid="ticket-pay"' in page.text
    requests.post(url, timeout=5).raise_for_status()
    assert mp.payment_get(str(payment["id"]))["status"] == "approved"


def test_notifications_are_signed_for_our_secret(fake_mercadopago, receiver):
    payment = mp.payment_create(body=pse_body(), idempotency_key="k1")
    (created,) = wait_for(lambda: receiver.received, timeout=5)
    assert created["body"]["action"] == "payment.created"
    assert created["body"]["data"] == {"id": str(payment["id"])}
    assert f"data.id={payment['id']}&type=payment" in created["path"]
    verify(created)
    WebhookSignatureValidator.validate(
        created["headers"]["x-signature"],
        created["headers"]["x-request-id"],
        str(payment["id"]),
        WEBHOOK_SECRET,
        tolerance_seconds=300,
    )
    requests.post(
        f"{fake_mercadopago.base}/_fake/payments/{payment['id']}/status",
        json={"status": "rejected", "status_detail": "rejected_by_bank"},
        timeout=5,
    ).raise_for_status()
    wait_for(lambda: len(receiver.received) == 2, timeout=5)
    assert receiver.received[1]["body"]["action"] == "payment.updated"
    assert fake_mercadopago.notifications[-1]["status"] == 200


def test_wrong_secret_missing_header_and_stale_signatures_are_refused(settings):
    settings.MERCADOPAGO_WEBHOOK_SECRET = WEBHOOK_SECRET
    settings.MERCADOPAGO_WEBHOOK_TOLERANCE_SECONDS = 300
    good = signed_notification_headers(WEBHOOK_SECRET, "1320000001")
    mp.signature_verify(
        x_signature=good["x-signature"], x_request_id=good["x-request-id"], data_id="1320000001"
    )
    wrong = signed_notification_headers("not-our-secret", "1320000001")
    stale = signed_notification_headers(WEBHOOK_SECRET, "1320000001", ts=int(time.time()) - 301)
    for headers, data_id in ((wrong, "1320000001"), (stale, "1320000001"), (good, "1320000002")):
        with pytest.raises(InvalidWebhookSignatureError):
            mp.signature_verify(
                x_signature=headers["x-signature"],
                x_request_id=headers["x-request-id"],
                data_id=data_id,
            )
    with pytest.raises(InvalidWebhookSignatureError):
        mp.signature_verify(x_signature=None, x_request_id=good["x-request-id"], data_id="1")
    settings.MERCADOPAGO_WEBHOOK_SECRET = ""
    unkeyed = signed_notification_headers("", "1320000001")
    with pytest.raises(InvalidWebhookSignatureError):
        mp.signature_verify(
            x_signature=unkeyed["x-signature"],
            x_request_id=unkeyed["x-request-id"],
            data_id="1320000001",
        )


def test_muted_sends_nothing_and_redeliver_sends_the_same_body(fake_mercadopago, receiver):
    first = mp.payment_create(body=pse_body(), idempotency_key="k1")
    wait_for(lambda: receiver.received, timeout=5)
    fake_mercadopago.mute()
    mp.payment_create(body=pse_body(), idempotency_key="k2")
    fake_mercadopago.set_status(str(first["id"]), "approved")
    time.sleep(0.5)
    assert len(receiver.received) == 1
    fake_mercadopago.mute(False)
    fake_mercadopago.redeliver()
    wait_for(lambda: len(receiver.received) == 2, timeout=5)
    original, again = receiver.received
    assert again["body"] == original["body"]
    assert again["headers"]["x-request-id"] != original["headers"]["x-request-id"]
    verify(again)
