from __future__ import annotations

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import services
from .models import LinkOpen, PaymentLink


class LinkOpenInline(admin.TabularInline):
    model = LinkOpen
    extra = 0
    can_delete = False
    fields = ("opened_at", "ip_address", "user_agent")
    readonly_fields = fields
    ordering = ("-opened_at",)

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PaymentLink)
class PaymentLinkAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "debtor",
        "portfolio",
        "created_at",
        "expires_at",
        "state",
        "open_count",
        "verified_at",
    )
    list_filter = ("portfolio", ("revoked_at", admin.EmptyFieldListFilter))
    search_fields = ("debtor__document_number", "debtor__full_name")
    list_select_related = ("debtor", "portfolio")
    readonly_fields = (
        "debtor",
        "portfolio",
        "created_at",
        "created_by",
        "expires_at",
        "revoked_at",
        "revoked_by",
        "revoke_reason",
        "open_count",
        "first_opened_at",
        "last_opened_at",
        "verified_at",
    )
    exclude = ("token_hash",)
    inlines = [LinkOpenInline]
    actions = ["revoke_links"]

    def has_add_permission(self, request):
        # Links are minted by `create_payment_link` or campaigns, which show the token once.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("state"))
    def state(self, obj: PaymentLink) -> str:
        if obj.is_revoked:
            return _("revoked")
        return _("expired") if obj.expires_at <= timezone.now() else _("active")

    @admin.action(description=_("Revoke selected links"), permissions=["change"])
    def revoke_links(self, request, queryset):
        count = 0
        for link in queryset.filter(revoked_at__isnull=True):
            services.payment_link_revoke(link=link, actor=request.user, reason="revoked in admin")
            count += 1
        self.message_user(
            request, _("%(count)d link(s) revoked.") % {"count": count}, messages.SUCCESS
        )
