"""Admin for the providers' side: which online methods each portfolio offers, (for a
superuser) Stripe's events and Mercado Pago's notifications as they arrived, and the
debtors' pay-only links for someone else (read-only)."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import (
    MercadoPagoNotification,
    PayForOtherLink,
    PortfolioPaymentMethod,
    StripeEvent,
)


@admin.register(PortfolioPaymentMethod)
class PortfolioPaymentMethodAdmin(admin.ModelAdmin):
    list_display = ["portfolio", "provider", "method", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["portfolio", "provider", "method", "active"]
    list_select_related = ["portfolio"]
    ordering = ["portfolio", "position", "id"]


class WebhookLogAdmin(admin.ModelAdmin):
    """Webhook plumbing: read-only, and only a superuser reads it (staff see payments)."""

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.concrete_fields]

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(StripeEvent)
class StripeEventAdmin(WebhookLogAdmin):
    list_display = ["stripe_id", "type", "status", "payment_intent_id", "received_at"]
    list_filter = ["status", "type"]
    search_fields = ["stripe_id", "payment_intent_id"]


@admin.register(MercadoPagoNotification)
class MercadoPagoNotificationAdmin(WebhookLogAdmin):
    list_display = ["notification_id", "topic", "action", "data_id", "status", "received_at"]
    list_filter = ["status", "topic"]
    search_fields = ["notification_id", "data_id", "request_id"]


@admin.register(PayForOtherLink)
class PayForOtherLinkAdmin(admin.ModelAdmin):
    """What a debtor let someone else pay; made and revoked only by the debtor (audited)."""

    list_display = ["pk", "debtor", "agreement", "installment", "created_at", "expires_at"]
    list_filter = ["revoked_at"]
    list_select_related = ["debtor", "agreement", "installment"]
    exclude = ["token_hash"]
    raw_id_fields = ["debtor", "agreement", "installment"]

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in PayForOtherLink._meta.concrete_fields if f.name != "token_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
