from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from .models import MoraStage
from .stages import band_errors_after

_EDIT_TOGETHER = (
    "One band alone cannot move a boundary it shares with a neighbour, nor split or take "
    "over part of another band: that leaves a gap or an overlap. Edit the neighbouring "
    "bands together in the mora stage list (their days are editable there), or add, split "
    "and remove bands on the “Edit all bands” page, and save them in one go."
)


def _candidate(instance: MoraStage, data: dict) -> MoraStage:
    """The band as it would be saved, without touching the instance the form owns."""
    return MoraStage(
        pk=instance.pk,
        code=data.get("code", instance.code),
        name=data.get("name", instance.name),
        min_days=data.get("min_days", instance.min_days),
        max_days=data.get("max_days", instance.max_days),
        tone=data.get("tone", instance.tone),
    )


class MoraStageForm(forms.ModelForm):
    """One band, checked together with every other band as they would be after the save."""

    class Meta:
        model = MoraStage
        fields = ("code", "name", "min_days", "max_days", "tone")

    def clean(self) -> dict:
        data = super().clean()
        if self.errors:
            return data
        errors = band_errors_after(changed=[_candidate(self.instance, data)])
        if any(word in e for e in errors for word in ("overlap", "Gap", "open at")):
            errors.append(_EDIT_TOGETHER)
        if errors:
            raise ValidationError(errors)
        return data


class MoraStageSetFormSet(forms.BaseModelFormSet):
    """Several bands edited at once (the changelist rows, or the "edit all bands" page),
    checked as one set together with the stored bands not shown."""

    def clean(self) -> None:
        super().clean()
        if any(form.errors for form in self.forms):
            return
        deleted, changed = [], []
        for form in self.forms:
            if self.can_delete and self._should_delete_form(form):
                if form.instance.pk is not None:
                    deleted.append(form.instance)
            elif form.has_changed():
                changed.append(_candidate(form.instance, form.cleaned_data))
        errors = band_errors_after(changed=changed, deleted=deleted)
        if errors:
            raise ValidationError(errors)


BandSetFormSet = forms.modelformset_factory(
    MoraStage,
    formset=MoraStageSetFormSet,
    fields=("code", "name", "min_days", "max_days", "tone"),
    extra=2,
    can_delete=True,
)
