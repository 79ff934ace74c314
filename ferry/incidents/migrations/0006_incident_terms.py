import django.db.models.deletion
from django.db import migrations, models

# The index of existing documentation, built in the database: each term carried by an act (act type, method)
# or an involvement (perpetrator type), with every term above it, once per incident. A copy of what
# ferry.incidents.term_index.rebuild does today, frozen with this migration.
INSERT = """
WITH up(term_id, above_id) AS (VALUES {pairs})
INSERT INTO incidents_incidentterm (incident_id, term_id, start_date, created_at)
SELECT DISTINCT i.id, up.above_id, i.start_date, i.created_at
FROM {source} s JOIN up ON up.term_id = s.{column} JOIN incidents_incident i ON i.id = s.incident_id
WHERE true
ON CONFLICT DO NOTHING
"""
SOURCES = [
    ("incidents_act", "act_type_id"),
    ("incidents_act", "method_id"),
    (
        "(SELECT v.perpetrator_type_id, a.incident_id FROM incidents_involvement v "
        "JOIN incidents_act a ON a.id = v.act_id)",
        "perpetrator_type_id",
    ),
]


def index_build(apps, schema_editor):
    parents = dict(apps.get_model("incidents", "Term").objects.values_list("pk", "parent_id"))
    pairs = []
    for term_id in parents:
        above = term_id
        while above is not None:
            pairs.append((term_id, above))
            above = parents.get(above)
    if not pairs:
        return
    values = ", ".join(f"({int(t)}, {int(a)})" for t, a in pairs)
    with schema_editor.connection.cursor() as cursor:
        for source, column in SOURCES:
            cursor.execute(INSERT.format(pairs=values, source=source, column=column))


class Migration(migrations.Migration):

    dependencies = [
        ('incidents', '0005_tallies'),
    ]

    operations = [
        migrations.CreateModel(
            name='IncidentTerm',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('start_date', models.DateField()),
                ('created_at', models.DateTimeField()),
                ('incident', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='terms', to='incidents.incident', db_index=False)),
                ('term', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='incidents.term', db_index=False)),
            ],
            options={
                'indexes': [models.Index(fields=['term', 'start_date', 'created_at'], name='incident_term_order')],
                'constraints': [models.UniqueConstraint(fields=('incident', 'term'), name='incident_term_once')],
            },
        ),
        migrations.RunPython(index_build, migrations.RunPython.noop),
    ]
