from __future__ import annotations

from functools import wraps

from django.shortcuts import redirect


def debtor_required(view):
    """Only a verified debtor session may pass; anyone else goes to the signed-out page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if getattr(request, "debtor", None) is None:
            return redirect("access:signed_out")
        return view(request, *args, **kwargs)

    return wrapper
