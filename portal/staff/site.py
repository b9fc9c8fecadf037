"""The admin site staff work in: its home page is the collections workspace, in the
language the staff member picked (Spanish until they pick English)."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .workspace import workspace_for


def _picked_language(request) -> str:
    """The language set through the header's switch (set_language's cookie), else the
    site default: a browser's Accept-Language never decides what staff read."""
    picked = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    supported = {code for code, _name in settings.LANGUAGES}
    if picked in supported:
        return picked
    return translation.get_supported_language_variant(settings.LANGUAGE_CODE)


def in_picked_language(view):
    @wraps(view)
    def inner(request, *args, **kwargs):
        language = _picked_language(request)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return view(request, *args, **kwargs)

    return inner


class StaffAdminSite(admin.AdminSite):
    site_header = _("Collections portal · Staff")
    site_title = _("Collections portal")
    index_title = _("Collections workspace")
    index_template = "admin/staff/index.html"

    def admin_view(self, view, cacheable=False):
        return in_picked_language(super().admin_view(view, cacheable))

    def login(self, request, extra_context=None):
        return in_picked_language(super().login)(request, extra_context)

    def logout(self, request, extra_context=None):
        return in_picked_language(super().logout)(request, extra_context)

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "workspace": workspace_for(request.user)}
        return super().index(request, extra_context)
