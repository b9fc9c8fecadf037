from django.urls import path

from . import webhooks

app_name = "payments_webhooks"

urlpatterns = [
    path("stripe/webhook/", webhooks.stripe_webhook, name="stripe"),
    path("mercadopago/webhook/", webhooks.mercadopago_webhook, name="mercadopago"),
]
