"""An agreement saved one by one (admin, the demo) makes its debtor's pages read it again;
the lifecycle's own writes are audited, which does the same (portal/pagecache.py)."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from portal.pagecache import debtor_pages_changed

from .models import Agreement


@receiver([post_save, post_delete], sender=Agreement)
def agreement_pages_stale(instance: Agreement, **kwargs) -> None:
    debtor_pages_changed(instance.debtor_id)
