"""One date format per language on pages, PDFs and messages (portal/formats)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from django.utils.formats import date_format

from portal.debtors.services import ledger_post
from portal.selfservice.templatetags.portal_tags import day

DAY = dt.date(2026, 11, 5)


@pytest.mark.parametrize(("language", "expected"), [("es", "05/11/2026"), ("en", "Nov 5, 2026")])
def test_every_date_name_gives_the_same_format(language, expected):
    with translation.override(language):
        assert day(DAY) == day("2026-11-05") == expected  # notices carry ISO strings
        assert date_format(DAY, "DATE_FORMAT") == date_format(DAY, "SHORT_DATE_FORMAT")


def test_the_history_page_shows_the_spanish_format(debtor_client, debtor):
    ledger_post(debt=debtor.debts.get(), kind="payment", amount_minor=-100_00, effective_date=DAY)
    body = debtor_client.get("/mi-cuenta/historial/").content.decode()
    assert "05/11/2026" in body
