"""Plain SQL for the reads that every intake makes (DESIGN.md §10: intake close to the throughput
of a bare Django view). Each is the SQL the ORM query it replaces generated — same tables,
columns, conditions and indexes — without the ORM compiling it again on every request, which
was most of an intake's CPU time (docs/performance.md). Table and column names come from the
models' ``_meta``; the tests compare each function with its ORM equivalent."""

from __future__ import annotations

from datetime import datetime

from django.db import connection

from wenming.org.models import Membership, Role, User

from .models import OPEN_STATES, Problem, State


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def recurrence_candidates(category_id: int, area_id: int, closed_since: datetime, limit: int = 100) -> list[tuple]:
    """``(id, state, latitude, longitude, address)`` of the newest problems of this category in
    this area that are open or were closed since ``closed_since`` — as
    ``Problem.objects.filter(category=…, area=…).filter(Q(state__in=OPEN_STATES) |
    Q(state=CLOSED, closed_at__gte=…)).order_by("-id").values_list(…)[:limit]``."""
    c = lambda name: _column(Problem, name)  # noqa: E731
    states = ", ".join(["%s"] * len(OPEN_STATES))
    sql = (f"SELECT {c('id')}, {c('state')}, {c('latitude')}, {c('longitude')}, {c('address')} "
           f"FROM {_table(Problem)} WHERE {c('category')} = %s AND {c('area')} = %s "
           f"AND ({c('state')} IN ({states}) OR ({c('state')} = %s AND {c('closed_at')} >= %s)) "
           f"ORDER BY {c('id')} DESC LIMIT %s")
    params = [category_id, area_id, *[str(s) for s in OPEN_STATES], str(State.CLOSED),
              connection.ops.adapt_datetimefield_value(closed_since), limit]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [tuple(row) for row in cursor.fetchall()]


def office_memberships(unit_ids: list[int]) -> list[tuple[int, int]]:
    """``(user_id, unit_id)`` of the active office memberships of active users at these units —
    as ``Membership.objects.filter(unit_id__in=…, role=OFFICE, is_active=True,
    user__is_active=True).values_list("user_id", "unit_id")``."""
    if not unit_ids:
        return []
    m = lambda name: f"m.{_column(Membership, name)}"  # noqa: E731
    marks = ", ".join(["%s"] * len(unit_ids))
    sql = (f"SELECT {m('user')}, {m('unit')} FROM {_table(Membership)} m "
           f"INNER JOIN {_table(User)} u ON ({m('user')} = u.{_column(User, 'id')}) "
           f"WHERE {m('is_active')} = %s AND {m('role')} = %s AND {m('unit')} IN ({marks}) "
           f"AND u.{_column(User, 'is_active')} = %s")
    with connection.cursor() as cursor:
        cursor.execute(sql, [True, str(Role.OFFICE), *unit_ids, True])
        return [(int(user_id), int(unit_id)) for user_id, unit_id in cursor.fetchall()]
