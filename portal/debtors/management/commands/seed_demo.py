from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from portal.debtors.demo import seed_demo


class Command(BaseCommand):
    help = "Create (idempotently) demo creditor, COP portfolio, ~60 debtors and a staff admin."

    def add_arguments(self, parser):
        parser.add_argument("--debtors", type=int, default=60)
        parser.add_argument("--admin-password", default="cobranza-demo")
        parser.add_argument("--force", action="store_true", help="allow with DEBUG off")

    def handle(self, *args, debtors, admin_password, force, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates a known admin password; use --force to run it with DEBUG off."
            )
        result = seed_demo(debtors=debtors, admin_password=admin_password)
        self.stdout.write(
            f"demo portfolio {result.portfolio.code}: {result.debtors_created} debtors and "
            f"{result.debts_created} debts created (re-running creates nothing new)"
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"admin login: http://127.0.0.1:8000/admin/  user={result.admin_username}  "
                f"password={result.admin_password}"
            )
        )
