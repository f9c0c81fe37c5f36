"""The red flags move here from the agenda (booking and e-consult share them): the model
changes app without its rows being copied, then its table takes this app's name."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("core", "0010_audit_indexes_by_use"),
        ("agenda", "0003_appointment_desk_note"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="RedFlag",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                            ),
                        ),
                        ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ("code", models.SlugField(max_length=40)),
                        ("question", models.CharField(max_length=200, verbose_name="vraag")),
                        (
                            "advice",
                            models.CharField(
                                choices=[("112", "Bel 112"), ("spoedlijn", "Bel de spoedlijn van de praktijk")],
                                max_length=10,
                                verbose_name="advies",
                            ),
                        ),
                        ("extra_advice", models.CharField(blank=True, max_length=200, verbose_name="extra advies")),
                        ("active", models.BooleanField(default=True)),
                        ("sort_order", models.PositiveSmallIntegerField(default=100)),
                        (
                            "practice",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.CASCADE,
                                related_name="red_flags",
                                to="core.practice",
                            ),
                        ),
                    ],
                    options={
                        "ordering": ["sort_order", "id"],
                        "db_table": "agenda_redflag",
                        "constraints": [
                            models.UniqueConstraint(
                                condition=models.Q(("practice__isnull", False)),
                                fields=("practice", "code"),
                                name="red_flag_code_per_practice",
                            ),
                            models.UniqueConstraint(
                                condition=models.Q(("practice__isnull", True)),
                                fields=("code",),
                                name="red_flag_code_baseline",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("practice__isnull", False), ("active", True), _connector="OR"),
                                name="red_flag_baseline_always_active",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name="redflag", table=None),
    ]
