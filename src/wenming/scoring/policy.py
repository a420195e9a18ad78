"""Access policy of assessment (DESIGN.md §3, §4): who sees schemes and scores, who manages them.

* A scheme is **managed** (edited, versioned, its periods closed and re-opened, 加减分事项 and 奖惩台账
  entered, escalation steps decided) by an office at or above the unit that owns it.
* A scheme is **seen** by staff (office, leader, admin, and the staff of an assessed unit) whose scope
  touches it: its range lies in their subtree, or they work at or under one of its assessed units.
* **Scores** of a unit are seen by those who see the unit (access.Scope): an office or leader sees
  the rows of its subtree (a 包保 leader his units too), a unit's handler his unit's row only — with
  its true rank among all peers, but no other unit's figures.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from wenming.core import access
from wenming.org.models import Role

STAFF = {Role.OFFICE, Role.LEADER, Role.ADMIN, Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR}


def _office_paths(user) -> list[str]:
    return [path for path, _, role in access.scope_for(user).grants if role == Role.OFFICE]


def may_view(user) -> bool:
    """Sees the 考核排名 menu: any staff role."""
    return bool(access.scope_for(user).roles & STAFF)


def scheme_filter(user) -> Q:
    """The schemes the user may open."""
    scope = access.scope_for(user)
    if not scope.roles & STAFF:
        return Q(pk__in=[])
    parts = [Q(root_path__startswith=path) for path in scope.subtree_paths]
    # a scheme whose range holds a unit of the user's (a street handler sees the streets' scheme)
    own = [path for path, _, role in scope.grants if role in STAFF] + list(scope.patron_paths)
    prefixes = set()
    for path in own:
        pieces = path.strip("/").split("/")
        prefixes.update("/" + "/".join(pieces[:n]) + "/" for n in range(1, len(pieces) + 1))
    if prefixes:
        parts.append(Q(root_path__in=sorted(prefixes)))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_manage(user, scheme) -> bool:
    """Edits the scheme and runs its periods: an office at or above its owner."""
    return any(scheme.owner_path.startswith(path) for path in _office_paths(user))


def may_create(user, owner=None) -> bool:
    """Creates a scheme (owned by ``owner``, or by some unit when None): an office."""
    paths = _office_paths(user)
    return bool(paths) if owner is None else any(owner.path.startswith(path) for path in paths)


def score_filter(user, prefix: str = "") -> Q:
    """Rows of units the user sees (``prefix`` reaches the row's ``unit_path``/``unit_id``)."""
    scope = access.scope_for(user)
    parts = [Q(**{f"{prefix}unit_path__startswith": path}) for path in scope.subtree_paths]
    own = scope.own_unit_ids
    if own:
        parts.append(Q(**{f"{prefix}unit_id__in": sorted(own)}))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def sees_score_of(user, unit_id: int, unit_path: str) -> bool:
    scope = access.scope_for(user)
    return any(unit_path.startswith(path) for path in scope.subtree_paths) or unit_id in scope.own_unit_ids


def may_enter_for(user, unit) -> bool:
    """Enters a 加减分事项 or a 奖惩台账 line for ``unit``: an office over it."""
    return any(unit.path.startswith(path) for path in _office_paths(user))
