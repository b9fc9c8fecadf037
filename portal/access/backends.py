from __future__ import annotations

from functools import cache

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


@cache
def _user_with_debtor_sql() -> tuple[str, list, list]:
    # The row `select_related("debtor")` reads, written out once: this runs on every debtor
    # request, and compiling the queryset cost more than running it (bench/portal_pages.py).
    user_fields, debtor_fields = User._meta.concrete_fields, Debtor._meta.concrete_fields
    columns = [f"u.{f.column}" for f in user_fields] + [f"d.{f.column}" for f in debtor_fields]
    sql = (
        f"SELECT {', '.join(columns)} FROM {User._meta.db_table} u "
        f"LEFT JOIN {Debtor._meta.db_table} d ON d.user_id = u.id "
        "WHERE u.id = %s AND u.is_active"
    )
    return sql, list(user_fields), list(debtor_fields)


def _from_row(model, fields: list, values) -> object:
    """A model instance from raw column values, converted as the ORM would (JSON fields)."""
    converted = []
    for field, value in zip(fields, values, strict=True):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        converted.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], converted)


def user_with_debtor(user_id) -> User | None:
    """The active user `user_id` with `.debtor` already loaded (None cached when absent)."""
    sql, user_fields, debtor_fields = _user_with_debtor_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = _from_row(User, user_fields, row[: len(user_fields)])
    debtor_values = row[len(user_fields) :]
    debtor = None
    if debtor_values[0] is not None:
        debtor = _from_row(Debtor, debtor_fields, debtor_values)
        Debtor.user.field.set_cached_value(debtor, user)
    User.debtor.related.set_cached_value(user, debtor)
    return user
