"""The audit log's indexes by use (issue 18).

- The single-column indexes of practice, actor and patient go: an index in Meta leads with
  each of them already, and every index is written with each entry, under the chain lock.
- "When did this user last open this patient's results (or repeats)", asked for the menu's
  badges and the start page, becomes one probe (audit_entry_last_look); before, it read
  every entry of the patient, more with every page they saw.

On SQLite the foreign-key changes rebuild the table, which drops its append-only trigger:
it is made again at the end (PostgreSQL drops the indexes in place). On a region's audit
table the new index takes a while to build and blocks writes: upgrade in the evening.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


SQLITE_TRIGGER = """CREATE TRIGGER IF NOT EXISTS core_auditentry_no_update
   BEFORE UPDATE ON core_auditentry
   BEGIN SELECT RAISE(ABORT, 'audit log is append-only (NEN 7513): UPDATE refused'); END;"""


def sqlite_trigger_again(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_TRIGGER)


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0009_audit_read_lanes'),
        ('patients', '0005_public_id_per_practice'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='auditentry',
            name='actor',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='patient',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_entries', to='patients.patient'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='practice',
            field=models.ForeignKey(db_index=False, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_entries', to='core.practice'),
        ),
        migrations.AddIndex(
            model_name='auditentry',
            index=models.Index(condition=models.Q(('action', 'read'), ('outcome', 'allowed')), fields=['patient', 'actor', 'object_kind', '-occurred_at'], name='audit_entry_last_look'),
        ),
        migrations.RunPython(sqlite_trigger_again, migrations.RunPython.noop),
    ]
