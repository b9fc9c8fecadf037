from __future__ import annotations

import datetime as dt
import time

from axes.handlers.proxy import AxesProxyHandler
from django.conf import settings
from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.i18n import set_language

from portal.debtors.services import debtor_language_set
from portal.requests import client_address

from . import selectors, services
from .forms import IdentityCheckForm
from .middleware import (
    SESSION_AUTH_AT,
    SESSION_DEBTOR_ID,
    SESSION_LINK_ID,
    SESSION_NEXT,
    SESSION_PENDING_LINK_ID,
    SESSION_SEEN_AT,
)
from .services import LinkState

BACKEND = "portal.access.backends.PaymentLinkBackend"


def _link_unavailable(request: HttpRequest, state: LinkState) -> HttpResponse:
    status = 404 if state is LinkState.UNKNOWN else 410
    return render(request, "access/link_unavailable.html", {"state": state.value}, status=status)


def _locked_out(request: HttpRequest, link, *, by_ip: bool = False) -> HttpResponse:
    minutes = settings.ACCESS_IP_FAILURE_WINDOW_MINUTES if by_ip else settings.AXES_COOLOFF_MINUTES
    context = {"link": link, "cooloff_minutes": minutes, "by_ip": by_ip}
    return render(request, "access/locked_out.html", context, status=429)


@never_cache
@require_GET
def open_link(request: HttpRequest, token: str) -> HttpResponse:
    """The door. Records the open, then moves to the identity check at a URL without the
    token, so the token never reaches logs, Referer headers or axes' attempt records."""
    resolved = services.link_resolve(token)
    if resolved.state is not LinkState.VALID:
        return _link_unavailable(request, resolved.state)
    ip, user_agent = client_address(request)
    services.link_record_open(link=resolved.link, ip_address=ip, user_agent=user_agent)
    landing = _landing(request.GET.get("next", ""))
    if request.debtor is not None and request.debtor.pk == resolved.link.debtor_id:
        return redirect(landing or "selfservice:dashboard")  # already signed in as them
    request.session[SESSION_PENDING_LINK_ID] = resolved.link.pk
    request.session[SESSION_NEXT] = landing
    return redirect("access:verify")


def _landing(path: str) -> str:
    """Where a link asks to land after sign-in (`?next=`, e.g. a receipt): a path on this
    site only, anything else is dropped for the dashboard."""
    if path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=set()):
        return path
    return ""


@never_cache
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """Shows only the creditor's name and one question; the answer goes through axes."""
    link = services.pending_link(request.session.get(SESSION_PENDING_LINK_ID))
    if link is None:
        return _link_unavailable(request, LinkState.UNKNOWN)
    if AxesProxyHandler.is_locked(request, {"link_id": link.pk}):
        return _locked_out(request, link)
    ip, user_agent = client_address(request)
    if selectors.ip_locked(ip):
        return _locked_out(request, link, by_ip=True)
    method = link.portfolio.identity_check
    form = IdentityCheckForm(request.POST or None, method=method)
    if request.method == "POST" and form.is_valid():
        user = authenticate(request, link_id=link.pk, answer=form.cleaned_data["answer"])
        if user is not None:
            return _start_session(request, link, user, ip, user_agent)
        locked = getattr(request, "axes_locked_out", False)
        ip_failures = selectors.ip_link_failures(ip)
        ip_tripped = ip_failures >= settings.ACCESS_IP_FAILURE_LIMIT
        services.identity_check_failed(
            link=link,
            ip_address=ip,
            locked=locked,
            ip_failures=ip_failures if ip_tripped else None,
        )
        if locked or ip_tripped:
            return _locked_out(request, link, by_ip=ip_tripped and not locked)
        form.add_error(
            "answer", gettext("That does not match our records. Please check and try again.")
        )
    context = {"link": link, "creditor": link.portfolio.creditor, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "access/identity_check.html", context, status=status)


def _start_session(request, link, user, ip, user_agent) -> HttpResponse:
    login(request, user, backend=BACKEND)  # rotates the session key
    request.session.pop(SESSION_PENDING_LINK_ID, None)
    landing = request.session.pop(SESSION_NEXT, "")
    now = time.time()
    request.session[SESSION_DEBTOR_ID] = link.debtor_id
    request.session[SESSION_LINK_ID] = link.pk
    request.session[SESSION_AUTH_AT] = now
    request.session[SESSION_SEEN_AT] = now
    request.session.set_expiry(settings.DEBTOR_SESSION_ABSOLUTE_SECONDS)
    services.identity_check_passed(link=link, ip_address=ip, user_agent=user_agent)
    services.debtor_signed_in(debtor_id=link.debtor_id)
    response = redirect(_landing(landing) or "selfservice:dashboard")
    language = link.debtor.language
    translation.activate(language)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response


@require_POST
def choose_language(request: HttpRequest) -> HttpResponse:
    """The language switch on debtor pages: Django's set_language (cookie, safe `next`),
    and for a signed-in debtor also their record, which decides their pages and messages."""
    language = request.POST.get("language", "")
    if language not in {code for code, _name in settings.LANGUAGES}:
        return HttpResponse(gettext("Choose Spanish or English."), status=400)
    response = set_language(request)
    if request.debtor is not None:
        debtor_language_set(debtor=request.debtor, language=language)
    return response


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    if request.debtor is not None:
        services.debtor_logged_out(debtor=request.debtor, reason="logout")
    logout(request)
    return redirect("access:signed_out")


@never_cache
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The bare address: a signed-in debtor goes to their account, anyone else is told
    that access is through the personal link in their message."""
    if request.debtor is not None:
        return redirect("selfservice:dashboard")
    return render(request, "access/signed_out.html", {"reason": "home"})


@require_GET
def verify_message(request: HttpRequest) -> HttpResponse:
    """Public: how our messages and links look, so a debtor can tell them from a scam."""
    base = settings.PUBLIC_BASE_URL.rstrip("/")
    context = {
        "link_example": f"{base}/p/…",
        "sms_from": settings.TWILIO_SMS_FROM,
        "whatsapp_from": settings.TWILIO_WHATSAPP_FROM.removeprefix("whatsapp:"),
        "email_from": settings.DEFAULT_FROM_EMAIL,
    }
    return render(request, "access/verify_message.html", context)


# The day the statement was last checked against the browser tests it names.
ACCESSIBILITY_REVIEWED = dt.date(2026, 12, 3)


@require_GET
def accessibility(request: HttpRequest) -> HttpResponse:
    """Public: the accessibility statement and how to report a barrier."""
    return render(request, "access/accessibility.html", {"reviewed": ACCESSIBILITY_REVIEWED})


@never_cache
def signed_out(request: HttpRequest) -> HttpResponse:
    return render(request, "access/signed_out.html", {"reason": "logout"})


@never_cache
def session_ended(request: HttpRequest) -> HttpResponse:
    return render(request, "access/signed_out.html", {"reason": "timeout"})
