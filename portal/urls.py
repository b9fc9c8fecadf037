from django.contrib import admin
from django.urls import include, path

from . import views

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("mi-cuenta/", include("portal.selfservice.urls")),
    path("mi-cuenta/", include("agreements.urls")),
    path("mi-cuenta/", include("payments.urls")),
    path("payments/", include("payments.urls_webhooks")),
    path("", include("payments.urls_public")),
    path("outreach/", include("portal.outreach.urls")),
    path("", include("portal.access.urls")),
    path("", include("agreements.urls_downloads")),
]
