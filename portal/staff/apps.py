from django.apps import AppConfig
from django.db.models.signals import post_migrate


class StaffConfig(AppConfig):
    name = "portal.staff"
    label = "staff"
    verbose_name = "Equipo"

    def ready(self) -> None:
        from .roles import roles_sync_after_migrate

        # Runs after every app's permissions exist, so new models reach the roles too.
        post_migrate.connect(roles_sync_after_migrate, dispatch_uid="staff.roles_sync")
