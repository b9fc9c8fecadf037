from __future__ import annotations

import datetime as dt

from django import forms
from django.utils.translation import gettext_lazy as _

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
