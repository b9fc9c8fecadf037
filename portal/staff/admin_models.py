"""Trained propensity models in admin: the list, and each model's card (window, holdout
metrics, calibration and lift charts, feature importance, score distribution by stage).
Models are written only by training, never edited here."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.analytics.models import PropensityModel
from portal.analytics.tasks import train_propensity_model

from .model_card import model_card


@admin.register(PropensityModel)
class PropensityModelAdmin(admin.ModelAdmin):
    list_display = ("version", "algorithm", "trained_at", "holdout_auc", "is_current")
    list_filter = ("is_current", "algorithm")
    change_list_template = "admin/staff/propensitymodel_changelist.html"

    def get_urls(self):
        train = self.admin_site.admin_view(self.train_view)
        return [path("train/", train, name="analytics_propensitymodel_train"), *super().get_urls()]

    def train_view(self, request):
        """POST only: queue a training run on the stored history (in the demo it runs now)."""
        if request.method != "POST":
            return redirect("admin:analytics_propensitymodel_changelist")
        if not request.user.has_perm("analytics.train_propensitymodel"):
            raise PermissionDenied
        result = train_propensity_model.delay()
        if result.ready() and result.get() is None:
            messages.warning(
                request,
                _(
                    "Not enough history to train yet: it needs paid and unpaid debts "
                    "at two or more monthly cut-offs."
                ),
            )
        elif result.ready():
            messages.success(
                request,
                _("Model %(version)s trained and made current.") % {"version": result.get()},
            )
        else:
            messages.info(request, _("Training queued: the new model appears here when done."))
        return redirect("admin:analytics_propensitymodel_changelist")

    @admin.display(description=gettext_lazy("AUC (holdout)"))
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
