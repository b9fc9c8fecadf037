from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class StaffConfig(AppConfig):
    name = "portal.staff"
    label = "staff"
    verbose_name = _("Staff")

    def ready(self) -> None:
        from .roles import roles_sync_after_migrate

        # Runs after every app's permissions exist, so new models reach the roles too.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="staff.roles_sync")
