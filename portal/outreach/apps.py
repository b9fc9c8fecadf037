from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutreachConfig(AppConfig):
    name = "portal.outreach"
    label = "outreach"
    verbose_name = _("Outreach and consent")

    def ready(self) -> None:
        from . import receivers  # noqa: F401
