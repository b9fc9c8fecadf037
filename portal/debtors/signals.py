from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.pagecache import debtor_pages_all_changed, debtor_pages_changed

from .models import Creditor, Debt, MoraStage, Portfolio
from .selectors import forget_mora_stages


@receiver([post_save, post_delete], sender=MoraStage)
def forget_cached_stages(**kwargs) -> None:
    # Now and again after commit, so no reader re-caches the old bands in between.
    forget_mora_stages()
    transaction.on_commit(forget_mora_stages)
    debtor_pages_all_changed()


@receiver([post_save, post_delete], sender=Debt)
def debt_pages_stale(instance: Debt, **kwargs) -> None:
    """A debt saved one by one (admin, tests, the demo): its debtor's pages re-read it."""
    debtor_pages_changed(instance.debtor_id)


@receiver([post_save, post_delete], sender=Creditor)
@receiver([post_save, post_delete], sender=Portfolio)
def names_pages_stale(**kwargs) -> None:
    """The cards show the creditor's name: a rename is seen by every debtor."""
    debtor_pages_all_changed()
