"""The auth backend's one-query read of a user with their debtor matches the ORM's."""

import pytest

from portal.access.backends import PaymentLinkBackend
from portal.access.services import debtor_user
from portal.debtors.models import Debtor
from tests.factories import DebtorFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_the_user_comes_with_their_debtor_as_the_orm_reads_them(django_assert_num_queries):
    debtor = DebtorFactory(phones=["+573001112233", "+573109998877"], emails=["a@b.co"])
    user = debtor_user(debtor)

    with django_assert_num_queries(1):
        loaded = PaymentLinkBackend().get_user(user.pk)
        assert loaded.debtor.user is loaded
    orm = Debtor.objects.get(pk=debtor.pk)
    assert loaded == user and loaded.debtor == orm
    for field in Debtor._meta.concrete_fields:
        assert getattr(loaded.debtor, field.attname) == getattr(orm, field.attname), field.name
    assert loaded.debtor.phones == ["+573001112233", "+573109998877"]  # JSON, not its text


def test_a_user_without_debtor_or_inactive_is_told_apart():
    staff = StaffFactory()
    loaded = PaymentLinkBackend().get_user(staff.pk)
    assert getattr(loaded, "debtor", None) is None
    staff.is_active = False
    staff.save(update_fields=["is_active"])
    assert PaymentLinkBackend().get_user(staff.pk) is None


def test_the_next_request_reads_the_user_from_the_cache(django_assert_num_queries):
    user = debtor_user(DebtorFactory())
    PaymentLinkBackend().get_user(user.pk)

    with django_assert_num_queries(0):
        again = PaymentLinkBackend().get_user(user.pk)
    assert again == user and again.debtor.user_id == user.pk


def test_a_change_to_the_debtor_shows_on_the_next_request(django_assert_num_queries):
    debtor = DebtorFactory(language="es")
    user = debtor_user(debtor)
    PaymentLinkBackend().get_user(user.pk)

    debtor.language = "en"
    debtor.save(update_fields=["language"])

    with django_assert_num_queries(1):
        assert PaymentLinkBackend().get_user(user.pk).debtor.language == "en"


def test_a_deactivated_user_is_signed_out_on_the_next_request():
    user = debtor_user(DebtorFactory())
    PaymentLinkBackend().get_user(user.pk)

    user.is_active = False
    user.save(update_fields=["is_active"])

    assert PaymentLinkBackend().get_user(user.pk) is None
