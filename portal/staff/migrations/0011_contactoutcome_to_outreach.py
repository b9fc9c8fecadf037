"""ContactOutcome leaves staff's state for outreach's (outreach 0009; the table and its rows
stay). Its content type moves with it, so its add/view permissions (and whoever holds them)
become `outreach.*`; the two permissions that are staff's own, `view_kpis` and
`resolve_dispute`, move onto staff models (KpiDay, DisputeResolution) and keep their
`staff.*` names and holders."""

import django.db.models.deletion
from django.db import migrations, models

OWN = (("view_kpis", "kpiday"), ("resolve_dispute", "disputeresolution"))


def _move(apps, *, old_app: str, new_app: str, back: bool) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    outcome = ContentType.objects.filter(app_label=old_app, model="contactoutcome").first()
    if outcome is None:
        return  # a fresh database: post_migrate creates them all where they now belong
    if not ContentType.objects.filter(app_label=new_app, model="contactoutcome").exists():
        outcome.app_label = new_app
        outcome.save(update_fields=["app_label"])
    for codename, model in OWN:
        own, _ = ContentType.objects.get_or_create(app_label="staff", model=model)
        source, target = (own, outcome) if back else (outcome, own)
        if Permission.objects.filter(content_type=target, codename=codename).exists():
            Permission.objects.filter(content_type=source, codename=codename).delete()
        else:
            Permission.objects.filter(content_type=source, codename=codename).update(
                content_type=target
            )


def forwards(apps, schema_editor):
    _move(apps, old_app="staff", new_app="outreach", back=False)


def backwards(apps, schema_editor):
    _move(apps, old_app="outreach", new_app="staff", back=True)


class Migration(migrations.Migration):
    dependencies = [
        ("staff", "0010_staff_field_names"),
        ("outreach", "0009_contactoutcome_from_staff"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.AlterField(
                    model_name="disputeresolution",
                    name="contact_outcome",
                    field=models.OneToOneField(on_delete=django.db.models.deletion.PROTECT, related_name="resolution", to="outreach.contactoutcome", verbose_name="contact outcome"),
                ),
                migrations.DeleteModel(name="ContactOutcome"),
            ],
        ),
        migrations.AlterModelOptions(
            name="disputeresolution",
            options={"permissions": [("resolve_dispute", "Can resolve disputes raised on calls")], "verbose_name": "dispute resolution", "verbose_name_plural": "dispute resolutions"},
        ),
        migrations.AlterModelOptions(
            name="kpiday",
            options={"permissions": [("view_kpis", "Can see the KPI dashboard")], "verbose_name": "KPI day", "verbose_name_plural": "KPI days"},
        ),
        migrations.RunPython(forwards, backwards),
    ]
