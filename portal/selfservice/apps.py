from django.apps import AppConfig


class SelfserviceConfig(AppConfig):
    name = "portal.selfservice"
    label = "selfservice"
    verbose_name = "Portal del deudor"
