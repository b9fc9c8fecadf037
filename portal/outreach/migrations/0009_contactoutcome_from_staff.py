"""ContactOutcome moves here from the staff app: the contact policy reads it, and outreach
sits below staff. Only the migration state moves; the table stays `staff_contactoutcome`
with its rows (staff 0011 removes it from staff's state). Its `promise` link is still here
for agreements 0006 to copy onto the promise; 0010 then drops it."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

STATUSES = [
    ("active", "Active"),
    ("in_agreement", "In an agreement"),
    ("paid", "Paid"),
    ("settled", "Settled with a discount"),
    ("disputed", "Disputed"),
    ("legal", "Legal collection"),
    ("closed", "Closed"),
]


class Migration(migrations.Migration):
    dependencies = [
        ("outreach", "0008_staff_field_names"),
        ("staff", "0010_staff_field_names"),
        ("agreements", "0005_staff_field_names"),
        ("debtors", "0012_staff_field_names"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name="ContactOutcome",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("method", models.CharField(choices=[("phone", "Phone call"), ("ivr", "IVR (automated call)"), ("visit", "In-person visit")], max_length=8, verbose_name="method")),
                        ("direction", models.CharField(choices=[("outbound", "We contacted the debtor"), ("inbound", "The debtor contacted us")], default="outbound", max_length=8, verbose_name="direction")),
                        ("outcome", models.CharField(choices=[("right_party", "Right party contacted"), ("wrong_number", "Wrong number / wrong person"), ("no_answer", "No answer"), ("promise", "Promise to pay"), ("refused", "Refused to pay"), ("dispute", "Disputes the debt")], max_length=14, verbose_name="outcome")),
                        ("notes", models.TextField(blank=True, max_length=2000, verbose_name="notes")),
                        ("occurred_at", models.DateTimeField(default=django.utils.timezone.now, verbose_name="when")),
                        ("policy_decision", models.JSONField(blank=True, default=dict, verbose_name="policy decision")),
                        ("message_id", models.BigIntegerField(blank=True, null=True, verbose_name="message")),
                        ("previous_debt_status", models.CharField(blank=True, choices=STATUSES, max_length=16, verbose_name="previous debt status")),
                        ("created_at", models.DateTimeField(auto_now_add=True, verbose_name="created at")),
                        ("agent", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to=settings.AUTH_USER_MODEL, verbose_name="agent")),
                        ("debt", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="debtors.debt", verbose_name="debt")),
                        ("debtor", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name="+", to="debtors.debtor", verbose_name="debtor")),
                        ("promise", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="+", to="agreements.promisetopay", verbose_name="promise to pay")),
                    ],
                    options={
                        "verbose_name": "contact outcome",
                        "verbose_name_plural": "contact outcomes",
                        "db_table": "staff_contactoutcome",
                        "ordering": ["-occurred_at", "-id"],
                        "indexes": [
                            models.Index(fields=["debtor", "-occurred_at"], name="staff_conta_debtor__d09ca0_idx"),
                            models.Index(fields=["occurred_at"], name="staff_conta_occurre_39c606_idx"),
                        ],
                    },
                ),
            ],
        ),
    ]
