from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from portal.requests import client_address

from . import inbound, rendering, services
from .forms import TwilioInboundForm, TwilioStatusForm, form_problem


def _twilio_signed(request: HttpRequest) -> bool:
    """Twilio signs the public URL it called plus the POSTed fields."""
    url = settings.PUBLIC_BASE_URL.rstrip("/") + request.get_full_path()
    validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
    signature = request.headers.get("X-Twilio-Signature", "")
    return bool(settings.TWILIO_AUTH_TOKEN) and validator.validate(url, request.POST, signature)


@csrf_exempt
@require_POST
def twilio_status(request: HttpRequest) -> HttpResponse:
    if not _twilio_signed(request):
        return HttpResponseForbidden("bad signature")
    form = TwilioStatusForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form_problem(form), content_type="text/plain")
    inbound.provider_status_apply(
        provider_id=form.cleaned_data["MessageSid"],
        status=form.cleaned_data["MessageStatus"],
        error_code=form.cleaned_data["ErrorCode"],
        message_id=request.GET.get("m", ""),
    )
    return HttpResponse(status=204)


@csrf_exempt
@require_POST
def twilio_inbound(request: HttpRequest) -> HttpResponse:
    if not _twilio_signed(request):
        return HttpResponseForbidden("bad signature")
    form = TwilioInboundForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(form_problem(form), content_type="text/plain")
    sender = form.cleaned_data["From"]
    channel = "whatsapp" if sender.startswith("whatsapp:") else "sms"
    reply = inbound.inbound_receive(
        provider_id=form.cleaned_data["MessageSid"],
        channel=channel,
        sender=sender.removeprefix("whatsapp:"),
        body=form.cleaned_data["Body"],
    )
    twiml = MessagingResponse()
    if reply:
        twiml.message(reply)
    return HttpResponse(str(twiml), content_type="text/xml")


# The token is the authority here: mail clients POST "List-Unsubscribe=One-Click" with no
# cookies or CSRF token (RFC 8058), so the view is CSRF-exempt and the token is signed.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    data = rendering.unsubscribe_read(token)
    if data is None:
        return render(request, "outreach/unsubscribe.html", {"state": "invalid"}, status=404)
    if request.method == "GET":
        return render(request, "outreach/unsubscribe.html", {"state": "confirm"})
    ip, user_agent = client_address(request)
    services.email_unsubscribe(
        debtor_id=data["d"],
        message_id=data["m"],
        one_click=request.POST.get("List-Unsubscribe") == "One-Click",
        ip=ip,
        user_agent=user_agent,
    )
    return render(request, "outreach/unsubscribe.html", {"state": "done"})
