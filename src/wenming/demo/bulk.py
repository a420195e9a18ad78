"""Bulk writes for the city-scale generators: one ``executemany`` per batch, explicit ids."""

from __future__ import annotations

from django.db import connection


class FastInsert:
    """INSERT … VALUES (%s, …) run with ``executemany``: one statement for a whole batch. Django's
    bulk_create builds the SQL text value by value (about a third of the city build's time went
    there, and SQLite allows only 999 variables per statement through Django); the rows are
    converted here the way Django's own adapters convert them."""

    def __init__(self, model, *, with_pk: bool = True):
        import json
        from datetime import UTC

        from django.db import models as m

        self.fields = [f for f in model._meta.concrete_fields if with_pk or not f.primary_key]
        self.attnames = [f.attname for f in self.fields]
        quote = connection.ops.quote_name
        self.sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in self.fields)}) "
                    f"VALUES ({', '.join(['%s'] * len(self.fields))})")
        sqlite = connection.vendor == "sqlite"

        def convert(f):
            if isinstance(f, m.DateTimeField):
                if sqlite:  # as DatabaseOperations.adapt_datetimefield_value: naive UTC text
                    return lambda v: None if v is None else str(v.astimezone(UTC).replace(tzinfo=None))
                return None
            if isinstance(f, m.JSONField):
                return lambda v: json.dumps(v, cls=f.encoder)
            return None

        self.converters = [convert(f) for f in self.fields]

    def params(self, values: dict) -> list:
        return [v if c is None else c(v) for v, c in zip((values[a] for a in self.attnames), self.converters)]

    def run(self, rows: list[list]) -> None:
        if rows:
            with connection.cursor() as cursor:
                cursor.executemany(self.sql, rows)


def reserve_ids(model, n: int) -> list[int]:
    """``n`` fresh primary keys for rows inserted with explicit ids (the caller's transaction holds
    the write lock on SQLite; PostgreSQL hands them out from the sequence)."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, n])
            return [row[0] for row in cursor.fetchall()]
        cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
        first = cursor.fetchone()[0] + 1
    return list(range(first, first + n))
