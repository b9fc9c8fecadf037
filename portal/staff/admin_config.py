"""django.contrib.admin with the staff site (home page = collections workspace) as
`admin.site`. Its own module: an apps.py with two AppConfigs has no default."""

from __future__ import annotations

from django.contrib.admin.apps import AdminConfig


class StaffAdminConfig(AdminConfig):
    default_site = "portal.staff.site.StaffAdminSite"
