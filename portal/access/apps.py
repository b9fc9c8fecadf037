from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    name = "portal.access"
    label = "access"
    verbose_name = _("Debtor access")

    def ready(self) -> None:
        # In every process: a worker that saves a debtor never authenticates anyone.
        from . import receivers  # noqa: F401
