from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from portal.debtors.models import IdentityCheck


class IdentityCheckForm(forms.Form):
    answer = forms.CharField(max_length=32, strip=True)

    def __init__(self, *args, method: str, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["answer"]
        if method == IdentityCheck.BIRTH_DATE:
            field.label = _("Your date of birth")
            field.widget = forms.DateInput(attrs={"type": "date", "autocomplete": "bday"})
            field.help_text = _("As it appears on your identity document.")
        else:
            field.label = _("Last 4 digits of your document number")
            field.widget = forms.TextInput(
                attrs={
                    "inputmode": "numeric",
                    "autocomplete": "off",
                    "pattern": "[0-9]{4}",
                    "maxlength": "4",
                }
            )
            field.help_text = _("Only the last four digits, for example 4821.")
