from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import MoraStage
from .selectors import forget_mora_stages


@receiver([post_save, post_delete], sender=MoraStage)
def forget_cached_stages(**kwargs) -> None:
    # Now and again after commit, so no reader re-caches the old bands in between.
    forget_mora_stages()
    transaction.on_commit(forget_mora_stages)
