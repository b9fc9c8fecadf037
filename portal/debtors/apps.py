from django.apps import AppConfig


class DebtorsConfig(AppConfig):
    name = "portal.debtors"
    label = "debtors"
    verbose_name = "Cartera"

    def ready(self) -> None:
        from . import signals  # noqa: F401
