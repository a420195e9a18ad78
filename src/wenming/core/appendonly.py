"""Append-only tables, guarded by the database itself: triggers refuse UPDATE and DELETE of a
row (SQLite and PostgreSQL) and TRUNCATE (PostgreSQL, a statement-level trigger). Guarded: the
audit log (core) and the problem timeline with its photo links (cases).

The triggers stop mistakes and code paths that bypass the ORM; a table owner can still drop
them, which is why the guarded tables are also hash-chained (``core.chain``) and anchored
outside the database (``wenming audit-anchor``).

Every trigger is named ``<table>_append_only_<what>``: :func:`lifted` finds them by that name.
The migrations that install them call :func:`install_statements`, so change its output only
together with a migration that re-installs the triggers.

SQLite drops a table's triggers when a migration rebuilds the table (``ALTER`` through a
copy): a migration that changes a guarded model must re-install them (the tests that try an
UPDATE, a DELETE and a TRUNCATE on each guarded table fail otherwise)."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connections, transaction

POSTGRES_FUNCTION = """CREATE OR REPLACE FUNCTION wenming_append_only() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION USING MESSAGE = TG_TABLE_NAME || ' is append-only: ' || TG_OP || ' refused';
    END; $$ LANGUAGE plpgsql;"""


def install_statements(vendor: str, table: str) -> list[str]:
    """The SQL that guards ``table`` (quoted names are not needed: Django's table names are plain)."""
    if vendor == "sqlite":
        return [
            f"CREATE TRIGGER {table}_append_only_update BEFORE UPDATE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: UPDATE refused'); END;",
            f"CREATE TRIGGER {table}_append_only_delete BEFORE DELETE ON {table} "
            f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: DELETE refused'); END;",
        ]
    if vendor == "postgresql":
        return [
            POSTGRES_FUNCTION,
            f"CREATE TRIGGER {table}_append_only_row BEFORE UPDATE OR DELETE ON {table} "
            f"FOR EACH ROW EXECUTE FUNCTION wenming_append_only();",
            f"CREATE TRIGGER {table}_append_only_truncate BEFORE TRUNCATE ON {table} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION wenming_append_only();",
        ]
    return []


def uninstall_statements(vendor: str, table: str) -> list[str]:
    if vendor == "sqlite":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only_update;",
                f"DROP TRIGGER IF EXISTS {table}_append_only_delete;"]
    if vendor == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {table}_append_only_row ON {table};",
                f"DROP TRIGGER IF EXISTS {table}_append_only_truncate ON {table};"]
    return []


def guards(tables=None, using: str = "default") -> list[tuple[str, str]]:
    """``(table, trigger)`` of the guard triggers present, of ``tables`` (all when None)."""
    connection = connections[using]
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger' "
                           "AND name LIKE '%\\_append\\_only\\_%' ESCAPE '\\' ORDER BY tbl_name, name")
        elif connection.vendor == "postgresql":
            cursor.execute("SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                           "WHERE NOT t.tgisinternal AND t.tgname LIKE '%\\_append\\_only\\_%' "
                           "AND pg_catalog.pg_table_is_visible(c.oid) ORDER BY c.relname, t.tgname")
        else:
            return []
        found = [(table, name) for table, name in cursor.fetchall()]
    return [(table, name) for table, name in found if tables is None or table in tables]


@contextmanager
def lifted(tables=None, using: str = "default"):
    """Lift the guards of ``tables`` (all when None) for the block, in one transaction with it:
    for a deliberate purge (``wenming demo --reset``; the test runner emptying the test
    database). The guards are back at the end of the block, and on an error the transaction
    rolls back the lifting with everything else (DDL is transactional on both databases).
    Needs the rights a purge needs anyway: on PostgreSQL, the owner of the tables."""
    connection = connections[using]
    with transaction.atomic(using=using):
        present = guards(tables, using)
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                definitions = []
                for _, name in present:
                    cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s", [name])
                    definitions.append(cursor.fetchone()[0])
                    cursor.execute(f'DROP TRIGGER "{name}"')
            elif present:
                # ALTER TABLE refuses a table with pending (deferred) foreign-key checks
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table, name in present:
                    cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{name}"')
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        with connection.cursor() as cursor:
            if connection.vendor == "sqlite":
                for sql in definitions:
                    cursor.execute(sql)
            elif present:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table, name in present:
                    cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{name}"')
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
