from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import BaseBackend
from django.core.cache import cache

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

# Every debtor page reads the signed-in user and their debtor; compiling that query cost
# more than the rest of the dashboard (bench/portal_pages.py), so the pair is cached for a
# short while. Any save or delete of either drops it (receivers below), so a debtor's own
# changes show at once; the bulk SQL of a portfolio import, which sends no signals, shows
# within USER_CACHE_SECONDS.
USER_CACHE_SECONDS = 60


def user_cache_key(user_id) -> str:
    return f"access:user-with-debtor:{user_id}"


def user_with_debtor(user_id) -> User | None:
    """The active user `user_id` with `.debtor` already loaded (cached as absent when the
    user has none): at most one query, converted by the ORM on every engine."""
    key = user_cache_key(user_id)
    user = cache.get(key)
    if user is None:
        user = User.objects.select_related("debtor").filter(pk=user_id, is_active=True).first()
        if user is not None:
            cache.set(key, user, USER_CACHE_SECONDS)
    return user
