from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("prescriptions", "0003_public_id_per_practice"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage",
            name="claim",
            field=models.UUIDField(blank=True, editable=False, null=True),
        ),
    ]
