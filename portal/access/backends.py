from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend

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


def user_with_debtor(user_id) -> User | None:
    """The active user `user_id` with `.debtor` already loaded (cached as absent when the
    user has none): one query, converted by the ORM on every engine."""
    return User.objects.select_related("debtor").filter(pk=user_id, is_active=True).first()
