"""Provider webhook endpoints (Stripe, Mercado Pago): verify, store once, answer 2xx
quickly; the work runs after commit, in Celery."""

from __future__ import annotations

import json
import logging

import stripe
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from mercadopago.webhook import InvalidWebhookSignatureError

from . import mercadopago_api, stripe_api
from .services import stripe_event_problem, stripe_event_receive
from .services.mercadopago_notifications import (
    mercadopago_notification_problem,
    mercadopago_notification_receive,
)

log = logging.getLogger(__name__)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # Python reads it; PostgreSQL's jsonb would not


@csrf_exempt  # Stripe cannot send our CSRF token; the signature authenticates the request.
@require_POST
def stripe_webhook(request: HttpRequest) -> HttpResponse:
    signature = request.headers.get("Stripe-Signature", "")
    try:
        stripe_api.signature_verify(request.body, signature)
        event = json.loads(request.body, parse_constant=_refuse_constant)
    except (ValueError, stripe.SignatureVerificationError) as error:
        log.warning("stripe webhook refused (400): %s", error)
        return HttpResponseBadRequest("invalid payload or signature")
    problem = stripe_event_problem(event)
    if problem:
        log.warning("stripe webhook refused (400): %s", problem)
        return HttpResponseBadRequest(problem, content_type="text/plain")
    stored = stripe_event_receive(event=event)
    # 200 for new, duplicate and ignored events alike: Stripe must stop retrying all three.
    return HttpResponse("ok" if stored else "duplicate", content_type="text/plain")


@csrf_exempt  # Mercado Pago cannot send our CSRF token; the x-signature authenticates it.
@require_POST
def mercadopago_webhook(request: HttpRequest) -> HttpResponse:
    """Verify the `x-signature` (HMAC of the notified id, the request id and a recent
    timestamp), store the notification once, answer at once; processing runs in a task."""
    if not settings.MERCADOPAGO_WEBHOOK_SECRET:
        return HttpResponse("Mercado Pago is not configured", status=503, content_type="text/plain")
    query_data_id = request.GET.get("data.id")
    request_id = request.headers.get("x-request-id", "")
    try:
        mercadopago_api.signature_verify(
            x_signature=request.headers.get("x-signature"),
            x_request_id=request_id or None,
            data_id=query_data_id,
        )
        body = json.loads(request.body, parse_constant=_refuse_constant)
    except (ValueError, InvalidWebhookSignatureError) as error:
        log.warning("mercado pago webhook refused (400): %s", error)
        return HttpResponseBadRequest("invalid payload or signature", content_type="text/plain")
    problem = mercadopago_notification_problem(body, query_data_id=query_data_id)
    if problem or len(request_id) > 64:
        problem = problem or "x-request-id is too long"
        log.warning("mercado pago webhook refused (400): %s", problem)
        return HttpResponseBadRequest(problem, content_type="text/plain")
    stored = mercadopago_notification_receive(body=body, request_id=request_id)
    return HttpResponse("ok" if stored else "duplicate", content_type="text/plain")
