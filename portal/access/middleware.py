from __future__ import annotations

import time

from django.conf import settings
from django.contrib.auth import logout
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import translation

from .services import debtor_logged_out, debtor_seen

SESSION_DEBTOR_ID = "debtor_id"
SESSION_AUTH_AT = "debtor_auth_at"
SESSION_SEEN_AT = "debtor_seen_at"
SESSION_LINK_ID = "payment_link_id"
SESSION_PENDING_LINK_ID = "pending_link_id"
SESSION_NEXT = "pending_link_next"  # the page the opened link lands on after sign-in


class DebtorSessionMiddleware:
    """Sets `request.debtor` and enforces the debtor session limits on the server side.

    Idle (15 min) and absolute (2 h) limits are checked here rather than trusted to the
    cookie's max-age, which the browser controls. The stored session itself lives for the
    absolute limit, so an idle timeout is seen here, explained and audited.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.debtor = None
        debtor_id = request.session.get(SESSION_DEBTOR_ID)
        if debtor_id and request.user.is_authenticated:
            now = time.time()
            auth_at = request.session.get(SESSION_AUTH_AT, 0)
            seen_at = request.session.get(SESSION_SEEN_AT, 0)
            reason = None
            if now - auth_at > settings.DEBTOR_SESSION_ABSOLUTE_SECONDS:
                reason = "absolute_timeout"
            elif now - seen_at > settings.DEBTOR_SESSION_IDLE_SECONDS:
                reason = "idle_timeout"
            debtor = getattr(request.user, "debtor", None)
            if debtor is not None and debtor.pk != debtor_id:
                debtor = None
            if reason or debtor is None:
                if debtor is not None:
                    debtor_logged_out(debtor=debtor, reason=reason)
                logout(request)
                return redirect(reverse("access:session_ended"))
            request.debtor = debtor
            # Writing the session costs a query; a minute of slack on the idle clock is fine.
            # The presence row outreach reads is refreshed on the same minute, not per request.
            if now - seen_at > 60:
                request.session[SESSION_SEEN_AT] = now
                debtor_seen(debtor_id=debtor.pk)
        return self.get_response(request)


def page_language(request) -> str:
    """A signed-in debtor's pages speak the language in their record; anyone else's, the
    one they chose with the language switch (Django's cookie); otherwise Spanish.

    Accept-Language is never read: a borrowed or company phone set to English says nothing
    about the debtor, and the pages, messages and documents must agree.
    """
    supported = {code for code, _name in settings.LANGUAGES}
    debtor = getattr(request, "debtor", None)
    if debtor is not None and debtor.language in supported:
        return debtor.language
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    if chosen in supported:
        return chosen
    return settings.LANGUAGE_CODE


class PageLanguageMiddleware:
    """Replaces Django's LocaleMiddleware (which follows Accept-Language); sits after
    DebtorSessionMiddleware because the debtor's record decides first."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = page_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", translation.get_language())
        return response
