"""Stripe's webhook endpoint: verify, store once, answer 2xx quickly; work after commit."""

from __future__ import annotations

import json
import logging

import stripe
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from . import stripe_api
from .services import stripe_event_problem, stripe_event_receive

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
