"""The admin site staff work in: its home page is the collections workspace. Its language
is the one the staff member picked in the header, Spanish until they pick English
(portal.access.middleware.PageLanguageMiddleware; never the browser's Accept-Language)."""

from __future__ import annotations

from django.contrib import admin
from django.urls import path
from django.utils.translation import gettext_lazy as _

from .admin_views import campaign_funnel_view
from .workspace import workspace_for


class StaffAdminSite(admin.AdminSite):
    site_header = _("Collections portal · Staff")
    site_title = _("Collections portal")
    index_title = _("Collections workspace")
    index_template = "admin/staff/index.html"

    def index(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "workspace": workspace_for(request.user)}
        return super().index(request, extra_context)

    def get_urls(self):
        # Pages that combine apps, at the address of the model they are about. A campaign's
        # funnel reads links, agreements and payments, above outreach, so outreach's own
        # admin links to it by name and the staff site serves it.
        funnel = path(
            "outreach/campaign/<int:pk>/progress/",
            self.admin_view(self.campaign_funnel),
            name="outreach_campaign_progress",
        )
        return [funnel, *super().get_urls()]

    def campaign_funnel(self, request, pk: int):
        return campaign_funnel_view(self, request, pk)
