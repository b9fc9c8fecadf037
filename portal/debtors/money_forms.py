"""Money as staff and debtors type it: major units ("150.000", "1.250,50", "$100.000") in,
integer minor units out, parsed with Decimal at the currency's precision (Babel).

Every form that takes an amount uses `MoneyField`; floats never touch money. It lives here,
at the bottom of the money layers, so outreach (campaign balance ranges), agreements
(policies, counter-offers), payments (refunds) and staff (promises) share one parser.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from operator import attrgetter

from babel.numbers import get_currency_precision
from django import forms
from django.utils.translation import gettext_lazy as _

from portal.money import format_minor, major_text

# Far above any real debt, far below BigInteger's limit: a typo cannot overflow anything.
MAX_AMOUNT_MAJOR = Decimal("1000000000000")
_GROUPED = re.compile(r"^[1-9]\d{0,2}([.,]\d{3})+$")
MAX_TYPED = 24


def parse_major(text: str, currency: str) -> int:
    """'1.500.000' / '1,500,000' / '1500000,50' / '1500000.5' → minor units (int).

    A separator followed by exactly three digits groups thousands, as Colombians write
    them; one followed by one or two digits is the decimal mark. Raises ValueError.
    """
    text = re.sub(r"[\s$\u00a0]", "", text or "")
    if not text:
        raise ValueError("empty")
    if "." in text and "," in text:
        decimal_mark = "." if text.rfind(".") > text.rfind(",") else ","
        group = "," if decimal_mark == "." else "."
        whole, _sep, fraction = text.rpartition(decimal_mark)
        # Both marks: the whole part must be grouped by threes with the other one.
        if not re.fullmatch(rf"(0|[1-9]\d{{0,2}}(\{group}\d{{3}})*)", whole):
            raise ValueError("not a number")
        whole = whole.replace(group, "")
    elif _GROUPED.match(text):
        whole, fraction = re.sub(r"[.,]", "", text), ""
    elif text.count(".") + text.count(",") == 1:
        whole, _sep, fraction = text.replace(",", ".").partition(".")
    else:
        whole, fraction = text, ""
    if not whole.isdigit() or (fraction and not fraction.isdigit()):
        raise ValueError("not a number")
    precision = get_currency_precision(currency)
    if len(fraction) > precision:
        raise ValueError("too many decimals")
    try:
        amount = Decimal(f"{whole}.{fraction or '0'}")
    except InvalidOperation as error:
        raise ValueError("not a number") from error
    if amount > MAX_AMOUNT_MAJOR:
        raise ValueError("too large")
    return int(amount * (10**precision))


class MoneyField(forms.CharField):
    """An amount typed in major units; cleans to integer minor units of `currency`.

    Bound to a model's `*_minor` column it also shows the stored value in major units
    ("100.000"), so nobody ever sees or types minor units. Forms whose currency depends on
    another field (a policy's currency, a campaign's portfolio) set `.currency` in
    `__init__`.
    """

    def __init__(self, *, currency: str = "COP", empty_minor: int | None = None, **kwargs):
        self.currency = currency
        self.empty_minor = empty_minor  # what an empty box means (a column's default)
        for model_only in ("max_length", "min_value", "max_value", "step_size"):
            kwargs.pop(model_only, None)  # a BigIntegerField's form arguments
        # No max_length: its validator would run on the cleaned int; length is checked here.
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = {"inputmode": "decimal", "autocomplete": "off", "maxlength": str(MAX_TYPED)}
        return {**super().widget_attrs(widget), **attrs}

    def prepare_value(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return major_text(value, self.currency)
        return value

    def to_python(self, value):
        if isinstance(value, int) and not isinstance(value, bool):
            return value  # an initial value that was never shown (has_changed)
        value = super().to_python(value)
        if value in self.empty_values:
            return self.empty_minor
        try:
            if len(value) > MAX_TYPED:
                raise ValueError("too long")
            return parse_major(value, self.currency)
        except ValueError as error:
            raise forms.ValidationError(
                _("Write the amount with digits only, for example 150000."), code="invalid"
            ) from error


def money_formfield(db_field, **kwargs) -> forms.Field:
    """`formfield_callback` for model forms: every `*_minor` column becomes a MoneyField."""
    if db_field.name.endswith("_minor"):
        label = str(db_field.verbose_name).removesuffix(" minor")  # a name nobody gave it
        defaults = {
            "required": not db_field.blank and not db_field.has_default(),
            "label": label[:1].upper() + label[1:],
            "help_text": db_field.help_text,
        }
        if db_field.has_default() and not callable(db_field.default):
            defaults["initial"] = defaults["empty_minor"] = db_field.default
        return MoneyField(**{**defaults, **kwargs})
    return db_field.formfield(**kwargs)


class MajorUnitsAdminMixin:
    """ModelAdmin mixin: every editable `*_minor` column is typed and shown in major units
    of the currency `money_currency` names for the object being edited."""

    def money_currency(self, request, obj) -> str:
        return getattr(obj, "currency", None) or "COP"

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name.endswith("_minor") and db_field.editable:
            return money_formfield(db_field)
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        currency = self.money_currency(request, obj)
        for field in form.base_fields.values():
            if isinstance(field, MoneyField):
                field.currency = currency
        return form


def money_column(field: str, description, *, currency_field: str = "currency"):
    """An admin list/readonly column showing a `*_minor` column formatted with its
    currency ("$100.000,00"), sortable by the column."""

    currency_of = attrgetter(currency_field)  # "agreement.currency" for an inline's row

    def column(self, obj) -> str:
        value = getattr(obj, field)
        if value is None:
            return "—"
        return format_minor(value, currency_of(obj))

    column.short_description = description
    column.admin_order_field = field
    column.__name__ = field.removesuffix("_minor")
    return column
