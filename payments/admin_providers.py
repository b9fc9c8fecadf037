"""Admin for the providers' side: which online methods each portfolio offers, and (for a
superuser) Mercado Pago's notifications as they arrived."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import MercadoPagoNotification, PortfolioPaymentMethod


@admin.register(PortfolioPaymentMethod)
class PortfolioPaymentMethodAdmin(admin.ModelAdmin):
    list_display = ["portfolio", "provider", "method", "position", "active"]
    list_editable = ["position", "active"]
    list_filter = ["portfolio", "provider", "method", "active"]
    list_select_related = ["portfolio"]
    ordering = ["portfolio", "position", "id"]


@admin.register(MercadoPagoNotification)
class MercadoPagoNotificationAdmin(admin.ModelAdmin):
    list_display = ["notification_id", "topic", "action", "data_id", "status", "received_at"]
    list_filter = ["status", "topic"]
    search_fields = ["notification_id", "data_id", "request_id"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in MercadoPagoNotification._meta.concrete_fields]

    # Webhook plumbing: only a superuser reads it, like Stripe's events.
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
