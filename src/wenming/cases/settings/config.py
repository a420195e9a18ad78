"""The part of the loop's configuration every intake reads — the active categories, the
recurrence window and the duplicate radius — without an ORM query for each.

The categories change rarely (the city office's settings page) and are kept per server process.
The cache is valid for one *config token*: a random number in the ``CaseSettings`` row that is
replaced, in the same transaction, whenever a category or the settings row is saved or deleted
(the receivers below). Each request reads that row with one plain SQL statement, which gives the
settings themselves and the token; a token other than the cached one reloads the categories. So a
change made through one server process is seen by the next request of every other process, and a
rolled-back change leaves the old token (and the old cache) valid. Changes that bypass ``save()``
and ``delete()`` (``QuerySet.update``, raw SQL) are not seen until the next token change.

Within one request the row is read once (memoised on the request); outside a request (commands,
tests calling services) it is read on every call.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from wenming.core.middleware import current_request

from ..models import CaseSettings, Category, new_config_token

_MEMO = "_wenming_case_config"
_CATEGORY_FIELDS = ("id", "code", "name", "parent_id", "is_active", "sort")


@dataclass(frozen=True)
class Snapshot:
    token: int
    recurrence_days: int
    duplicate_radius_m: int


# (token, {code: field values of an active category})
_categories: tuple[int, dict[str, tuple]] = (0, {})


def _read() -> Snapshot:
    table = connection.ops.quote_name(CaseSettings._meta.db_table)
    sql = f"SELECT config_token, recurrence_days, duplicate_radius_m FROM {table} ORDER BY id LIMIT 1"
    for _ in range(2):
        with connection.cursor() as cursor:
            cursor.execute(sql)
            row = cursor.fetchone()
        if row is not None:
            return Snapshot(*row)
        from ..escalation.sla import case_settings

        case_settings()  # creates the row with its defaults
    raise AssertionError("CaseSettings row missing")


def snapshot() -> Snapshot:
    """The settings row's token and windows, read once per request."""
    request = current_request()
    if request is None:
        return _read()
    memo = getattr(request, _MEMO, None)
    if memo is None:
        memo = _read()
        setattr(request, _MEMO, memo)
    return memo


def active_category(code: str) -> Category | None:
    """The active category with this code (a fresh instance), or None."""
    global _categories
    token = snapshot().token
    cached_token, by_code = _categories
    if cached_token != token:
        by_code = {values[1]: values for values in
                   Category.objects.filter(is_active=True).order_by().values_list(*_CATEGORY_FIELDS)}
        _categories = (token, by_code)
    values = by_code.get(code)
    if values is None:
        return None
    return Category.from_db(connection.alias, list(_CATEGORY_FIELDS), values)


def forget() -> None:
    """Drop this process's cache and the current request's memo."""
    global _categories
    _categories = (0, {})
    request = current_request()
    if request is not None and hasattr(request, _MEMO):
        delattr(request, _MEMO)


@receiver(post_save, sender=Category, dispatch_uid="cases.config.category_saved")
@receiver(post_delete, sender=Category, dispatch_uid="cases.config.category_deleted")
@receiver(post_save, sender=CaseSettings, dispatch_uid="cases.config.settings_saved")
@receiver(post_delete, sender=CaseSettings, dispatch_uid="cases.config.settings_deleted")
def _changed(sender, **kwargs) -> None:
    if kwargs.get("raw"):
        return  # loaddata
    CaseSettings.objects.using(kwargs.get("using") or "default").update(config_token=new_config_token())
    forget()
