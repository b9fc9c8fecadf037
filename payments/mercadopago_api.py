"""The only place that talks to Mercado Pago (PSE, cash vouchers, Checkout Pro for cards),
through the official `mercadopago` SDK. Every call is a network call: never inside a
database transaction (callers commit first, then call, then store the answer).

Amounts cross this boundary in minor units (`amount_minor` + ISO currency); Mercado Pago
speaks major units as JSON numbers, converted exactly by `amount_from_minor` /
`amount_to_minor`. Webhooks are configured on the Mercado Pago account, so no body here
carries `notification_url` (the SDK warns it is deprecated).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import mercadopago
import requests
from babel.numbers import get_currency_precision
from django.conf import settings
from django.core.cache import cache
from mercadopago.config import RequestOptions
from mercadopago.webhook import InvalidWebhookSignatureError, WebhookSignatureValidator

DEFAULT_API_BASE = "https://api.mercadopago.com"
PSE_BANKS_CACHE_SECONDS = 60 * 60
# Seconds before a call to Mercado Pago gives up (the SDK wants a float).
TIMEOUT_SECONDS = 20.0
SEARCH_PAGE_SIZE = 100

__all__ = [
    "InvalidWebhookSignatureError",
    "MercadoPagoError",
    "amount_from_minor",
    "amount_to_minor",
    "is_configured",
    "is_test_mode",
    "payment_create",
    "payment_get",
    "payments_search",
    "preference_create",
    "pse_banks",
    "refund_create",
    "signature_verify",
]


class MercadoPagoError(Exception):
    """Mercado Pago refused the call (`status` >= 400, its JSON `body`), or it could not be
    reached at all (`status` 0, `body["error"]` names the network trouble)."""

    def __init__(self, status: int, body: dict[str, Any] | None = None):
        self.status = status
        self.body = body or {}
        message = self.body.get("message") or self.body.get("error") or ""
        super().__init__(f"Mercado Pago answered {status}: {message}")

    @property
    def causes(self) -> list[dict[str, Any]]:
        cause = self.body.get("cause") or []
        return cause if isinstance(cause, list) else [cause]


class _BaseUrlClient(mercadopago.http.HttpClient):
    """The SDK's own requests-based client, sending to MERCADOPAGO_API_BASE (the fake
    server in tests and the demo) instead of the real API when that setting is set."""

    def request(self, method, url, **kwargs):
        base = settings.MERCADOPAGO_API_BASE.rstrip("/")
        if base and url.startswith(DEFAULT_API_BASE):
            url = base + url[len(DEFAULT_API_BASE) :]
        return super().request(method, url, **kwargs)


def is_configured() -> bool:
    return bool(settings.MERCADOPAGO_ACCESS_TOKEN)


def is_test_mode() -> bool:
    """Test credentials or the fake server: no real money moves, and the pages say so."""
    return settings.MERCADOPAGO_ACCESS_TOKEN.startswith("TEST-") or bool(
        settings.MERCADOPAGO_API_BASE
    )


def _sdk() -> mercadopago.SDK:
    # Built on every call: tests (and the demo) change the settings between calls.
    if not is_configured():
        raise MercadoPagoError(0, {"error": "not_configured", "message": "no access token"})
    return mercadopago.SDK(settings.MERCADOPAGO_ACCESS_TOKEN, http_client=_BaseUrlClient())


def _options(idempotency_key: str | None = None) -> RequestOptions:
    headers = {"x-idempotency-key": idempotency_key} if idempotency_key else None
    # max_retries=0: retrying is the caller's job, with the same idempotency key.
    return RequestOptions(connection_timeout=TIMEOUT_SECONDS, custom_headers=headers, max_retries=0)


def _call(send, *args, **kwargs) -> Any:
    """Run one SDK call; its answer's body, or MercadoPagoError."""
    try:
        result = send(*args, **kwargs)
    except requests.RequestException as error:
        raise MercadoPagoError(0, {"error": type(error).__name__, "message": str(error)}) from error
    except mercadopago.errors.MercadoPagoError as error:
        # The SDK raises this itself only when an answer is not JSON.
        raise MercadoPagoError(error.status_code or 0, error.response) from error
    status, body = result["status"], result["response"]
    if status >= 400:
        raise MercadoPagoError(status, body if isinstance(body, dict) else {"message": body})
    return body


def pse_banks() -> list[tuple[str, str]]:
    """(financial_institution id, name) of the banks PSE offers, sorted by name; cached for
    an hour (the list changes rarely, and the pay page shows it on every visit)."""
    key = f"mercadopago:pse-banks:{settings.MERCADOPAGO_API_BASE or DEFAULT_API_BASE}"
    banks = cache.get(key)
    if banks is None:
        methods = _call(_sdk().payment_methods().list_all, _options())
        banks = sorted(
            (
                (str(bank["id"]), bank["description"])
                for method in methods
                if method.get("id") == "pse"
                for bank in method.get("financial_institutions") or []
            ),
            key=lambda bank: (bank[1].casefold(), bank[0]),
        )
        cache.set(key, banks, PSE_BANKS_CACHE_SECONDS)
    return [tuple(bank) for bank in banks]


def payment_create(*, body: dict[str, Any], idempotency_key: str) -> dict[str, Any]:
    """POST /v1/payments (PSE or a cash voucher). The key is made of our own ids: a retry
    of the same logical payment gets the same Mercado Pago payment back."""
    sdk = _sdk()
    return _call(sdk.payment().create, body, _options(idempotency_key))


def preference_create(*, body: dict[str, Any]) -> dict[str, Any]:
    """POST /checkout/preferences: a Checkout Pro page (`init_point`) where the card is typed
    on Mercado Pago's side, never ours."""
    return _call(_sdk().preference().create, body, _options())


def payment_get(payment_id: str) -> dict[str, Any]:
    return _call(_sdk().payment().get, payment_id, _options())


def payments_search(*, updated_since: datetime, external_reference: str = "") -> list[dict]:
    """Every payment updated from `updated_since` until now, oldest change first, all pages
    (reconciliation: what a lost notification would have told us)."""
    filters: dict[str, Any] = {
        "sort": "date_last_updated",
        "criteria": "asc",
        "range": "date_last_updated",
        "begin_date": _iso(updated_since),
        "end_date": _iso(datetime.now(UTC)),
        "limit": SEARCH_PAGE_SIZE,
    }
    if external_reference:
        filters["external_reference"] = external_reference
    sdk, found, offset = _sdk(), [], 0
    while True:
        page = _call(sdk.payment().search, {**filters, "offset": offset}, _options())
        results = page.get("results") or []
        found.extend(results)
        offset += len(results)
        total = (page.get("paging") or {}).get("total") or 0
        if not results or offset >= total:
            return found


def refund_create(
    *, payment_id: str, amount_minor: int, currency: str, idempotency_key: str
) -> dict[str, Any]:
    """A (partial) refund of an approved payment; the key is made of our refund row's id."""
    body = {"amount": amount_from_minor(amount_minor, currency)}
    sdk = _sdk()
    return _call(sdk.refund().create, payment_id, body, _options(idempotency_key))


def signature_verify(
    *, x_signature: str | None, x_request_id: str | None, data_id: str | None
) -> None:
    """Check a notification's `x-signature` against our webhook secret, within the
    tolerance; raises InvalidWebhookSignatureError (also when no secret is configured)."""
    secret = settings.MERCADOPAGO_WEBHOOK_SECRET
    if not secret:
        raise InvalidWebhookSignatureError(
            mercadopago.webhook.SignatureFailureReason.SIGNATURE_MISMATCH, x_request_id
        )
    WebhookSignatureValidator.validate(
        x_signature,
        x_request_id,
        data_id,
        secret,
        tolerance_seconds=settings.MERCADOPAGO_WEBHOOK_TOLERANCE_SECONDS,
    )


def amount_from_minor(amount_minor: int, currency: str) -> int | float:
    """Minor units to the JSON number Mercado Pago expects: 31800000 COP → 318000,
    12345 → 123.45 (an int when whole, so no float noise for pesos)."""
    value = Decimal(amount_minor).scaleb(-get_currency_precision(currency))
    return int(value) if value == value.to_integral_value() else float(value)


def amount_to_minor(value: Any, currency: str) -> int:
    """Mercado Pago's major-unit number back to minor units, exactly (through its text)."""
    minor = Decimal(str(value)).scaleb(get_currency_precision(currency))
    if minor != minor.to_integral_value():
        raise ValueError(f"{value} {currency} is not a whole number of minor units")
    return int(minor)


def _iso(moment: datetime) -> str:
    """Mercado Pago's search dates: ISO 8601 with milliseconds and offset."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
