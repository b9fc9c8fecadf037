"""`contact_outcome.promise` reaches the promise made on a call, now that outreach 0010 has
dropped the old field of that name (state only: a related name is not in the database)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("agreements", "0006_promisetopay_contact_outcome"),
        ("outreach", "0010_remove_contactoutcome_promise"),
    ]

    operations = [
        migrations.AlterField(
            model_name="promisetopay",
            name="contact_outcome",
            field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name="promise", to="outreach.contactoutcome", verbose_name="contact outcome"),
        ),
    ]
