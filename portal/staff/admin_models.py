"""Trained propensity models in admin: the list, and each model's card (window, holdout
metrics, calibration and lift charts, feature importance, score distribution by stage).
Models are written only by training, never edited here."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from portal.analytics.models import PropensityModel

from .model_card import model_card


@admin.register(PropensityModel)
class PropensityModelAdmin(admin.ModelAdmin):
    list_display = ("version", "algorithm", "trained_at", "holdout_auc", "is_current")
    list_filter = ("is_current", "algorithm")

    @admin.display(description=_("AUC (holdout)"))
    def holdout_auc(self, model: PropensityModel) -> str:
        auc = model.metrics.get("auc")
        return f"{auc:.3f}" if auc is not None else "—"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            return super().change_view(request, object_id, form_url, extra_context)
        model = get_object_or_404(PropensityModel, pk=object_id)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Model card: %(version)s") % {"version": model.version},
            "model": model,
            "card": model_card(model),
        }
        return TemplateResponse(request, "admin/staff/model_card.html", context)
