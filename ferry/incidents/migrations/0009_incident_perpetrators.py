import django.db.models.deletion
from django.db import migrations, models

# The index of the register's entities in existing documentation, built in the database (as
# ferry.incidents.term_index.rebuild does today).
INSERT = """
INSERT INTO incidents_incidentperpetrator (incident_id, perpetrator_id, start_date, created_at)
SELECT DISTINCT i.id, v.perpetrator_id, i.start_date, i.created_at
FROM incidents_involvement v JOIN incidents_act a ON a.id = v.act_id JOIN incidents_incident i ON i.id = a.incident_id
WHERE v.perpetrator_id IS NOT NULL
"""


def index_build(apps, schema_editor):
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(INSERT)


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0008_verify_runs'),
    ]

    operations = [
        migrations.CreateModel(
            name='IncidentPerpetrator',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start_date', models.DateField()),
                ('created_at', models.DateTimeField()),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='perpetrator_entries', to='incidents.incident', db_index=False)),
                ('perpetrator', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.perpetrator', db_index=False)),
            ],
            options={
                'indexes': [models.Index(fields=['perpetrator', 'start_date', 'created_at'], name='incident_perpetrator_order')],
                'constraints': [models.UniqueConstraint(fields=('incident', 'perpetrator'), name='incident_perpetrator_once')],
            },
        ),
        migrations.RunPython(index_build, migrations.RunPython.noop),
    ]
