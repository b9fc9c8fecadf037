from __future__ import annotations

from functools import cache
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.db import connection

from portal.debtors.models import Debtor

from .models import PaymentLink
from .services import debtor_user, identity_answer_matches


class PaymentLinkBackend(BaseBackend):
    """Authenticates a debtor by a valid payment link plus the identity answer.

    Running as a real authentication backend means django-axes sees every failure
    (Django's user_login_failed signal) and can lock the link and the IP.
    """

    def authenticate(self, request, link_id=None, answer=None, **kwargs):
        if link_id is None or answer is None:
            return None
        link = (
            PaymentLink.objects.select_related("debtor__user", "portfolio")
            .filter(pk=link_id, revoked_at__isnull=True)
            .first()
        )
        if link is None or link.is_expired():
            return None
        if not identity_answer_matches(
            debtor=link.debtor, method=link.portfolio.identity_check, answer=answer
        ):
            return None
        return debtor_user(link.debtor)

    def get_user(self, user_id):
        """The active user with their debtor, in one query: every debtor page needs both."""
        return user_with_debtor(user_id)


User = get_user_model()


class _Columns(NamedTuple):
    """One model's part of the row: attnames, and (position, converters) of the fields the
    ORM converts on read (JSON), so a request only runs those."""

    attnames: list[str]
    converted: list[tuple[int, list]]


def _columns(fields) -> _Columns:
    converted = [(i, f.get_db_converters(connection)) for i, f in enumerate(fields)]
    return _Columns([f.attname for f in fields], [(i, c) for i, c in converted if c])


@cache
def _user_with_debtor_sql() -> tuple[str, _Columns, _Columns]:
    # The row `select_related("debtor")` reads, written out once: this runs on every debtor
    # request, and compiling the queryset cost more than running it (bench/portal_pages.py).
    user_fields, debtor_fields = User._meta.concrete_fields, Debtor._meta.concrete_fields
    columns = [f"u.{f.column}" for f in user_fields] + [f"d.{f.column}" for f in debtor_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {User._meta.db_table} u "
        f"LEFT JOIN {Debtor._meta.db_table} d ON d.user_id = u.id "
        "WHERE u.id = %s AND u.is_active"
    )
    return sql, _columns(user_fields), _columns(debtor_fields)


def _from_row(model, columns: _Columns, values) -> object:
    """A model instance from raw column values, converted as the ORM would (JSON fields)."""
    values = list(values)
    fields = model._meta.concrete_fields
    for i, converters in columns.converted:
        for converter in converters:
            values[i] = converter(values[i], fields[i], connection)
    return model.from_db(connection.alias, columns.attnames, values)


def user_with_debtor(user_id) -> User | None:
    """The active user `user_id` with `.debtor` already loaded (None cached when absent)."""
    sql, user_columns, debtor_columns = _user_with_debtor_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    split = len(user_columns.attnames)
    user = _from_row(User, user_columns, row[:split])
    debtor = None
    if row[split] is not None:
        debtor = _from_row(Debtor, debtor_columns, row[split:])
        Debtor.user.field.set_cached_value(debtor, user)
    User.debtor.related.set_cached_value(user, debtor)
    return user
