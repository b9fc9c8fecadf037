from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DebtorsConfig(AppConfig):
    name = "portal.debtors"
    label = "debtors"
    verbose_name = _("Portfolio")

    def ready(self) -> None:
        from . import signals  # noqa: F401
