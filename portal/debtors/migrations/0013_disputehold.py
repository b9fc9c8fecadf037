import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("debtors", "0012_staff_field_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="DisputeHold",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("kind", models.CharField(choices=[("card", "Card dispute"), ("call", "Dispute raised on a call")], max_length=8, verbose_name="kind")),
                ("reference", models.CharField(max_length=255, verbose_name="reference")),
                ("previous_status", models.CharField(choices=[("active", "Active"), ("in_agreement", "In an agreement"), ("paid", "Paid"), ("settled", "Settled with a discount"), ("disputed", "Disputed"), ("legal", "Legal collection"), ("closed", "Closed")], max_length=16, verbose_name="previous status")),
                ("opened_at", models.DateTimeField(verbose_name="opened at")),
                ("closed_at", models.DateTimeField(blank=True, null=True, verbose_name="closed at")),
                ("closed_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="closed by")),
                ("debt", models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, related_name="dispute_holds", to="debtors.debt", verbose_name="debt")),
                ("opened_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="opened by")),
            ],
            options={
                "verbose_name": "dispute hold",
                "verbose_name_plural": "dispute holds",
                "ordering": ["opened_at", "id"],
                "constraints": [models.UniqueConstraint(fields=("debt", "kind", "reference"), name="dispute_hold_once")],
            },
        ),
    ]
