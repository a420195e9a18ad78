"""The audit log's guard triggers, renamed to the ``<table>_append_only_<what>`` scheme of
``core.appendonly`` and completed: DELETE is now refused on SQLite too (the test runner lifts
the guards to empty its database), and TRUNCATE on PostgreSQL."""

from django.db import migrations

from wenming.core.appendonly import install_statements, uninstall_statements

TABLE = "core_auditevent"

OLD = {
    "sqlite": ["DROP TRIGGER IF EXISTS core_auditevent_no_update;"],
    "postgresql": ["DROP TRIGGER IF EXISTS core_auditevent_no_change ON core_auditevent;",
                   "DROP FUNCTION IF EXISTS core_auditevent_append_only();"],
}
OLD_BACK = {
    "sqlite": ["""CREATE TRIGGER core_auditevent_no_update BEFORE UPDATE ON core_auditevent
                  BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;"""],
    "postgresql": [
        """CREATE OR REPLACE FUNCTION core_auditevent_append_only() RETURNS trigger AS $$
           BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql;""",
        """CREATE TRIGGER core_auditevent_no_change BEFORE UPDATE OR DELETE ON core_auditevent
           FOR EACH ROW EXECUTE FUNCTION core_auditevent_append_only();""",
    ],
}


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*OLD.get(vendor, []), *install_statements(vendor, TABLE)]:
        schema_editor.execute(statement)


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in [*uninstall_statements(vendor, TABLE), *OLD_BACK.get(vendor, [])]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_job")]

    operations = [migrations.RunPython(forward, backward)]
