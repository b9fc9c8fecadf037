"""Who may use the pages of a payment under way: the signed-in debtor, or whoever opened
one of the debtor's pay-only links in this browser (a third party, with no identity
check and no sight of anything personal)."""

from __future__ import annotations

from functools import wraps

from django.shortcuts import redirect, render

from .selectors_third_party import live_link

# The pay-only link opened in this browser session (its id, never its token).
SESSION_THIRD_PARTY = "third_party_link"
# The email the third party typed, for the bank's or the voucher's confirmation.
SESSION_THIRD_PARTY_EMAIL = "third_party_email"


def session_link(request):
    """The live link this browser opened, or None; also sets `request.third_party_link`."""
    if not hasattr(request, "third_party_link"):
        pk = request.session.get(SESSION_THIRD_PARTY)
        request.third_party_link = live_link(pk) if pk is not None else None
    return request.third_party_link


def payer_required(view):
    """The debtor, or the holder of a live third-party session, may pass. A third party
    whose link was revoked or expired meanwhile is told so; anyone else goes to the
    signed-out page, as with `debtor_required`."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        link = session_link(request)
        if getattr(request, "debtor", None) is None and link is None:
            if SESSION_THIRD_PARTY in request.session:
                return render(request, "payments/third_party_gone.html", status=410)
            return redirect("access:signed_out")
        return view(request, *args, **kwargs)

    return wrapper


def is_third_party(attempt) -> bool:
    return attempt.third_party_link_id is not None
