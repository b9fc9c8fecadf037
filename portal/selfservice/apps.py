from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SelfserviceConfig(AppConfig):
    name = "portal.selfservice"
    label = "selfservice"
    verbose_name = _("Debtor portal")
