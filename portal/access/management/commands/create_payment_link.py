from django.core.management.base import BaseCommand, CommandError

from portal.access.services import LinkError, payment_link_create
from portal.access.tokens import payment_link_url
from portal.debtors.models import Debtor


class Command(BaseCommand):
    help = "Mint a payment link for the debtor with DOCUMENT_NUMBER and print its full URL."

    def add_arguments(self, parser):
        parser.add_argument("document_number")
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="expiry in days (default: the portfolio's setting)",
        )
        parser.add_argument("--document-type", default=None, help="CC, CE, NIT, ... if ambiguous")

    def handle(self, *args, document_number, days, document_type, **options):
        debtors = Debtor.objects.filter(document_number=document_number)
        if document_type:
            debtors = debtors.filter(document_type=document_type)
        found = list(debtors[:2])
        if not found:
            raise CommandError(f"no debtor with document number {document_number}")
        if len(found) > 1:
            raise CommandError("several debtors share that number; pass --document-type")
        try:
            link, token = payment_link_create(debtor=found[0], days=days)
        except LinkError as error:
            raise CommandError(str(error)) from error
        url = payment_link_url(token)
        self.stdout.write(url)
        self.stderr.write(f"expires {link.expires_at:%Y-%m-%d %H:%M %Z}")
