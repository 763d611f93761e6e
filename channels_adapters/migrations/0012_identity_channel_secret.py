"""Every channel gets its own identity secret (widget identity verification): existing rows
one each (a callable default on AddField would give them all the same one)."""

from django.db import migrations, models

import customers.identity


def fill_secrets(apps, schema_editor):  # noqa: ANN001, ANN201  (a migration's signature)
    Channel = apps.get_model("channels_adapters", "Channel")
    for channel in Channel.objects.filter(identity_secret="").only("pk"):
        channel.identity_secret = customers.identity.identity_secret_new()
        channel.save(update_fields=["identity_secret"])


class Migration(migrations.Migration):
    dependencies = [
        ("channels_adapters", "0011_notes_note_button_rate_anytime"),
        ("customers", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="channel",
            name="identity_secret",
            field=models.CharField(default="", max_length=64),
            preserve_default=False,
        ),
        migrations.RunPython(fill_secrets, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="channel",
            name="identity_secret",
            field=models.CharField(default=customers.identity.identity_secret_new, max_length=64),
        ),
    ]
