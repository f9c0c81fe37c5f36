"""Read lanes: a practice's reads spread over several chains, its changes in lane 0.

On SQLite, changing a unique constraint or a foreign key rebuilds the table, which drops
its triggers: the append-only and forward-only triggers of migrations 0003 and 0004 are
made again at the end (PostgreSQL alters the tables in place and keeps them).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


SQLITE_TRIGGERS = [
    """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update BEFORE UPDATE ON core_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only (NEN 7513): UPDATE refused'); END;""",
    """CREATE TRIGGER IF NOT EXISTS core_auditchain_forward_only BEFORE UPDATE ON core_auditchain
       WHEN NEW.last_seq < OLD.last_seq OR NEW.scope <> OLD.scope
       BEGIN SELECT RAISE(ABORT, 'audit chain head only moves forward (NEN 7513)'); END;""",
]


def sqlite_triggers_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_TRIGGERS:
            schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0008_audit_key_fingerprint'),
        ('patients', '0005_public_id_per_practice'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='auditentry',
            name='audit_entry_seq',
        ),
        migrations.AddField(
            model_name='auditchain',
            name='lane',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name='auditentry',
            name='lane',
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name='auditchain',
            name='practice',
            field=models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_chains', to='core.practice'),
        ),
        migrations.AlterField(
            model_name='auditchain',
            name='scope',
            field=models.CharField(max_length=24, unique=True),
        ),
        migrations.AddConstraint(
            model_name='auditchain',
            constraint=models.UniqueConstraint(fields=('practice', 'lane'), name='audit_chain_lane'),
        ),
        migrations.AddConstraint(
            model_name='auditentry',
            constraint=models.UniqueConstraint(fields=('practice', 'lane', 'seq'), name='audit_entry_lane_seq'),
        ),
        migrations.RunPython(sqlite_triggers_again, migrations.RunPython.noop),
    ]
