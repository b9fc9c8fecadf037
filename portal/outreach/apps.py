from django.apps import AppConfig


class OutreachConfig(AppConfig):
    name = "portal.outreach"
    label = "outreach"
    verbose_name = "Contacto y consentimientos"

    def ready(self) -> None:
        from . import receivers  # noqa: F401
