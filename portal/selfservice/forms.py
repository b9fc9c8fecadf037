from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.dispute_cases import (
    MAX_ATTACHMENT_BYTES,
    MAX_ATTACHMENTS,
    DisputeError,
    Upload,
    upload_check,
)
from portal.debtors.models import DisputeReason
from portal.outreach.models import Channel

HOUR_CHOICES = [(dt.time(h), f"{h:02d}:00") for h in range(7, 20)]


class PreferencesForm(forms.Form):
    preferred_channel = forms.ChoiceField(
        label=_("How do you prefer we contact you?"),
        choices=Channel.choices,
        widget=forms.RadioSelect,
    )
    contact_from = forms.TypedChoiceField(
        label=_("From"), choices=HOUR_CHOICES, coerce=dt.time.fromisoformat
    )
    contact_to = forms.TypedChoiceField(
        label=_("Until"), choices=HOUR_CHOICES, coerce=dt.time.fromisoformat
    )
    sms = forms.BooleanField(label=_("Text messages (SMS)"), required=False)
    whatsapp = forms.BooleanField(label=_("WhatsApp"), required=False)
    email = forms.BooleanField(label=_("Email"), required=False)
    call = forms.BooleanField(label=_("Phone calls"), required=False)

    channel_fields = ("sms", "whatsapp", "email", "call")

    def clean(self):
        data = super().clean()
        start, end = data.get("contact_from"), data.get("contact_to")
        if start and end and start >= end:
            self.add_error("contact_to", _("Choose an end hour later than the start hour."))
        preferred = data.get("preferred_channel")
        if preferred and not data.get(preferred):
            self.add_error(
                "preferred_channel", _("Your preferred channel must be one you accept messages on.")
            )
        return data


class _FilesInput(forms.FileInput):
    allow_multiple_selected = True


class _FilesField(forms.FileField):
    """Several files from one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", _FilesInput(attrs={"accept": ACCEPTED_TYPES}))
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data]
        return [super(_FilesField, self).clean(f, initial) for f in files if f]


ACCEPTED_TYPES = "application/pdf,image/png,image/jpeg"


class DisputeForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Why do you dispute this debt?"),
        choices=DisputeReason.choices,
        widget=forms.RadioSelect,
    )
    text = forms.CharField(
        label=_("Tell us what happened"),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=4000,
        required=False,
    )
    attachments = _FilesField(
        label=_("Documents that support your dispute (optional)"),
        required=False,
    )
    max_files = MAX_ATTACHMENTS
    max_mb = MAX_ATTACHMENT_BYTES // (1024 * 1024)

    def clean_attachments(self) -> list[Upload]:
        files = self.cleaned_data.get("attachments") or []
        if len(files) > MAX_ATTACHMENTS:
            raise forms.ValidationError(
                _("Attach at most %(count)s files.") % {"count": MAX_ATTACHMENTS}
            )
        uploads, errors = [], []
        for file in files:
            try:
                uploads.append(upload_check(file))
            except DisputeError as error:
                errors.append(str(error))
        if errors:
            raise forms.ValidationError(errors)
        return uploads
