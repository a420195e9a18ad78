"""``<field>__literal_in=[...]``: ``field IN ('a', 'b')`` with the values written into the SQL
rather than passed as parameters — for fixed lists of the code's own constants (states, kinds) that
a partial index's condition names. SQLite's planner can only use a partial index whose condition it
sees in the query, and a parameter hides it (DESIGN.md §10: the dashboard's open-overdue range).
Only plain identifiers are accepted, so nothing a user types can reach the SQL this way."""

from __future__ import annotations

import re

from django.db.models import CharField, Lookup

IDENTIFIER = re.compile(r"^[A-Za-z0-9_]+$")


@CharField.register_lookup
class LiteralIn(Lookup):
    lookup_name = "literal_in"
    prepare_rhs = False

    def get_prep_lookup(self):
        values = list(self.rhs)
        if not values or not all(isinstance(v, str) and IDENTIFIER.match(v) for v in values):
            raise ValueError("literal_in takes a non-empty list of plain identifiers")
        return values

    def as_sql(self, compiler, connection):
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(repr(str(v)) for v in self.rhs)})", params
