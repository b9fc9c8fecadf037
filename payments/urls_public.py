"""Public pages (no debtor session): a pay-only link someone else pays."""

from django.urls import path

from . import views_third_party

app_name = "payments_public"

urlpatterns = [
    path("pagar-por-otro/", views_third_party.third_party_pay, name="third_party"),
    path("pagar-por-otro/<str:token>/", views_third_party.open_link, name="third_party_open"),
]
