"""Plain SQL for the reads that every intake makes (DESIGN.md §10: intake close to the throughput
of a bare Django view). Each is the SQL the ORM query it replaces generated — same tables,
columns, conditions and indexes — without the ORM compiling it again on every request, which
was most of an intake's CPU time (docs/performance.md). Table and column names come from the
models' ``_meta``; the tests compare each function with its ORM equivalent."""

from __future__ import annotations

from datetime import datetime

from django.db import connection, models
from django.db.models import signals

from wenming.org.models import Membership, Role, Unit, User

from ..models import OPEN_STATES, Problem, State


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _column(model, name: str) -> str:
    return connection.ops.quote_name(model._meta.get_field(name).column)


def place_candidates(category_id: int, closed_since: datetime, *, box: tuple | None, address: str,
                     scope_path: str, limit: int = 100) -> list[tuple]:
    """``(id, code, state, latitude, longitude, address, area_path)`` of the newest problems of this
    category that are open or were closed since ``closed_since`` and stand at the place: inside
    ``box`` (``(lat_min, lat_max, lon_min, lon_max)``), or at the same ``address`` in the area
    under ``scope_path`` — whichever unit their report named (DESIGN.md §5 "same place"). As
    ``Problem.objects.filter(category=…).filter(Q(state__in=OPEN_STATES) | Q(state=CLOSED,
    closed_at__gte=…)).filter(Q(latitude__range=…, longitude__range=…) | Q(address=…,
    area_path__startswith=…)).order_by("-id").values_list(…)[:limit]``."""
    c = lambda name: _column(Problem, name)  # noqa: E731
    places, params = [], []
    if box is not None:
        places.append(f"({c('latitude')} BETWEEN %s AND %s AND {c('longitude')} BETWEEN %s AND %s)")
        params += [connection.ops.adapt_decimalfield_value(v, 9, 6) for v in box]
    if address:
        places.append(f"({c('address')} = %s AND {c('area_path')} LIKE %s)")
        params += [address, scope_path.replace("%", "").replace("_", "") + "%"]
    if not places:
        return []
    states = ", ".join(["%s"] * len(OPEN_STATES))
    sql = (f"SELECT {c('id')}, {c('code')}, {c('state')}, {c('latitude')}, {c('longitude')}, {c('address')}, "
           f"{c('area_path')} FROM {_table(Problem)} WHERE {c('category')} = %s "
           f"AND ({c('state')} IN ({states}) OR ({c('state')} = %s AND {c('closed_at')} >= %s)) "
           f"AND ({' OR '.join(places)}) ORDER BY {c('id')} DESC LIMIT %s")
    params = [category_id, *[str(s) for s in OPEN_STATES], str(State.CLOSED),
              connection.ops.adapt_datetimefield_value(closed_since), *params, limit]
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


_converters: dict[tuple, list] = {}


def _instance(model, row):
    """A model instance from a row of all its concrete fields, converted as the ORM converts
    them (booleans and timestamps on SQLite, …)."""
    fields = model._meta.concrete_fields
    key = (model, connection.vendor)
    if key not in _converters:
        table = model._meta.db_table
        _converters[key] = [
            (f.get_col(table), connection.ops.get_db_converters(f.get_col(table)) + f.get_db_converters(connection))
            for f in fields]
    values = []
    for value, (column, converters) in zip(row, _converters[key], strict=True):
        for convert in converters:
            value = convert(value, column, connection)
        values.append(value)
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def active_unit(code: str) -> Unit | None:
    """The active unit with this code — as ``Unit.objects.filter(code=…, is_active=True).first()``."""
    columns = ", ".join(connection.ops.quote_name(f.column) for f in Unit._meta.concrete_fields)
    sql = f"SELECT {columns} FROM {_table(Unit)} WHERE {_column(Unit, 'code')} = %s AND {_column(Unit, 'is_active')} = %s"
    with connection.cursor() as cursor:
        cursor.execute(sql, [code, True])
        row = cursor.fetchone()
    return None if row is None else _instance(Unit, row)


# models whose save() override was checked: it refuses to update a row and links an unlinked
# event into the timeline's chain — callers of insert() link first (events.record)
_INSERT_SAFE_SAVE = {"cases.ProblemEvent"}
_plain: dict[tuple, tuple[list, str] | None] = {}


def _insert_plan(model) -> tuple[list, str] | None:
    """(fields, ``INSERT … (columns) VALUES``) for a model that ``save()`` would insert plainly, or
    None: a save() override (unless checked), save signals, database defaults, returned columns
    or a parent model."""
    key = (model, connection.vendor)
    if key not in _plain:
        fields = [f for f in model._meta.local_concrete_fields if not f.primary_key]
        if (model.save is not models.Model.save and model._meta.label not in _INSERT_SAFE_SAVE) or \
                model._meta.parents or any(f.db_returning or f.has_db_default() for f in fields):
            _plain[key] = None
        else:
            qn = connection.ops.quote_name
            _plain[key] = (fields, f"INSERT INTO {qn(model._meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
                                   f"VALUES ")
    plan = _plain[key]
    if plan is None or signals.pre_save.has_listeners(model) or signals.post_save.has_listeners(model):
        return None
    return plan


def _row(obj, fields) -> list:
    obj._prepare_related_fields_for_save(operation_name="save")
    return [f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields]


def insert(obj) -> None:
    """``obj.save()`` for a new instance: each field's ``pre_save`` (``auto_now``) and
    ``get_db_prep_save``, then the INSERT — with the statement text built once per process
    instead of composed by the ORM for every row, which was the larger part of an intake's
    inserts. The new id comes from ``RETURNING`` (PostgreSQL) or ``lastrowid`` (SQLite). Models
    that :func:`_insert_plan` refuses go through ``save()``."""
    plan = _insert_plan(type(obj))
    if plan is None:
        obj.save(force_insert=True)
        return
    fields, sql = plan
    sql += f"({', '.join(['%s'] * len(fields))})"
    sqlite = connection.vendor == "sqlite"
    if not sqlite:
        sql += f" RETURNING {connection.ops.quote_name(type(obj)._meta.pk.column)}"
    with connection.cursor() as cursor:
        cursor.execute(sql, _row(obj, fields))
        obj.pk = cursor.lastrowid if sqlite else cursor.fetchone()[0]
    obj._state.adding, obj._state.db = False, connection.alias


def insert_many(objs) -> None:
    """New instances of one model in one multi-row INSERT, as ``bulk_create`` on a database that
    returns no ids: the instances get none."""
    objs = list(objs)
    if not objs:
        return
    plan = _insert_plan(type(objs[0]))
    if plan is None:
        type(objs[0]).objects.bulk_create(objs)
        return
    fields, sql = plan
    row = f"({', '.join(['%s'] * len(fields))})"
    for start in range(0, len(objs), 50):  # SQLite allows 999 parameters per statement
        chunk = objs[start:start + 50]
        with connection.cursor() as cursor:
            cursor.execute(sql + ", ".join([row] * len(chunk)), [v for obj in chunk for v in _row(obj, fields)])
