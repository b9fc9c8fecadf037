"""Drop the cached signed-in user (backends.user_with_debtor) when they or their debtor
change."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.debtors.models import Debtor

from .backends import user_cache_key

User = get_user_model()


@receiver([post_save, post_delete], sender=User, dispatch_uid="access-user-cache-user")
def _forget_user(sender, instance, **kwargs) -> None:
    cache.delete(user_cache_key(instance.pk))


@receiver([post_save, post_delete], sender=Debtor, dispatch_uid="access-user-cache-debtor")
def _forget_debtors_user(sender, instance, **kwargs) -> None:
    if instance.user_id is not None:
        cache.delete(user_cache_key(instance.user_id))
