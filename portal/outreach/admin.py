from __future__ import annotations

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.money import format_minor

from . import campaigns, rendering
from .forms import CampaignForm
from .models import (
    Campaign,
    CampaignTemplate,
    Channel,
    Consent,
    ContactTiming,
    InboundMessage,
    Message,
)

_SAMPLE = {
    "first_name": "Alejandra",
    "amount": "$1.250.000,00",
    "creditor": "Banco Andino S.A.",
    "link": "https://pagos.example/p/" + "x" * 43,
}


class CampaignTemplateInline(admin.StackedInline):
    model = CampaignTemplate
    extra = 1
    readonly_fields = ["sms_length"]
    fields = ["channel", "language", "subject", "body", "whatsapp_content_sid", "sms_length"]

    @admin.display(description=_("SMS length (with a sample name, amount and link)"))
    def sms_length(self, obj: CampaignTemplate) -> str:
        if not obj.pk:
            return "—"
        # Counted as sent: with the legal line every message ends with.
        creditor = obj.campaign.portfolio.creditor
        text = rendering.with_legal(rendering.fill(obj.body, _SAMPLE), "sms", [creditor])
        segments, encoding = rendering.sms_segments(text)
        return f"{len(text)} characters · {segments} segment(s) · {encoding}"


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = [
        "name",
        "portfolio",
        "status",
        "channel_list",
        "balance_range",
        "targeted",
        "start_at",
        "progress_link",
    ]
    list_filter = ["status", "portfolio"]
    list_select_related = ["portfolio"]
    filter_horizontal = ["stages"]
    inlines = [CampaignTemplateInline]
    readonly_fields = ["status", "targeted", "launched_at", "fanned_out_at", "created_by"]
    actions = ["launch", "pause", "resume", "cancel"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    @admin.display(description=_("Channels"))
    def channel_list(self, obj: Campaign) -> str:
        labels = dict(Channel.choices)
        return " → ".join(str(labels.get(c, c)) for c in obj.channels) or "—"

    @admin.display(description=_("Balance range"))
    def balance_range(self, obj: Campaign) -> str:
        currency = obj.portfolio.currency
        low, high = obj.balance_min_minor, obj.balance_max_minor
        if low is None and high is None:
            return _("Any")
        if high is None:
            return _("from %(low)s") % {"low": format_minor(low, currency)}
        if low is None:
            return _("up to %(high)s") % {"high": format_minor(high, currency)}
        return f"{format_minor(low, currency)} – {format_minor(high, currency)}"

    @admin.display(description=_("Progress"))
    def progress_link(self, obj: Campaign) -> str:
        # The funnel reads links, agreements and payments (above outreach): the staff admin
        # site serves it, at this address and name (portal/staff/site.py).
        url = reverse("admin:outreach_campaign_progress", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("funnel"))

    def _transition(self, request, queryset, service, verb: str) -> None:
        for campaign in queryset:
            try:
                service(campaign=campaign, actor=request.user)
            except campaigns.CampaignError as exc:
                self.message_user(request, f"{campaign}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"{campaign}: {verb}.")

    @admin.action(description=_("Launch selected campaigns"))
    def launch(self, request, queryset):
        self._transition(request, queryset, campaigns.campaign_launch, _("launched"))

    @admin.action(description=_("Pause selected campaigns"))
    def pause(self, request, queryset):
        self._transition(request, queryset, campaigns.campaign_pause, _("paused"))

    @admin.action(description=_("Resume selected campaigns"))
    def resume(self, request, queryset):
        self._transition(request, queryset, campaigns.campaign_resume, _("resumed"))

    @admin.action(description=_("Cancel selected campaigns"))
    def cancel(self, request, queryset):
        self._transition(request, queryset, campaigns.campaign_cancel, _("cancelled"))


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by the portal's own services: staff read them, nobody edits."""

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Message)
class MessageAdmin(ReadOnlyAdmin):
    """The outbox: every message, what the policy decided and what the provider said."""

    list_display = ["created_at", "debtor", "channel", "kind", "status", "block_reason", "sent_at"]
    list_filter = ["status", "channel", "kind", "block_reason", "campaign"]
    search_fields = ["key", "to", "provider_id", "debtor__document_number"]
    list_select_related = ["debtor"]
    raw_id_fields = ["debtor", "debt", "payment_link", "campaign"]


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["received_at", "channel", "sender", "debtor", "action"]
    list_filter = ["channel", "action"]
    raw_id_fields = ["debtor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Consent)
class ConsentAdmin(admin.ModelAdmin):
    list_display = ["debtor", "channel", "granted", "source", "changed_at"]
    list_filter = ["channel", "granted", "source"]
    raw_id_fields = ["debtor"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # changes go through consent_set (audited), never a bare save

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(ContactTiming)
class ContactTimingAdmin(ReadOnlyAdmin):
    """Best channel and hour per debtor: written only by the nightly analytics refresh."""

    list_display = ["debtor", "channel", "hour_from", "hour_to", "response_rate", "computed_at"]
    list_filter = ["channel", "hour_from"]
    search_fields = ["debtor__document_number", "debtor__full_name"]
    list_select_related = ["debtor"]
    raw_id_fields = ["debtor"]
