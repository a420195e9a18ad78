"""Access policy of the 创城档案 (DESIGN.md §3, §4, §9).

* **Requirements** are set (derived from the index system, edited, switched off) by an office at or above
  the unit that owns them, and read by every staff member of a unit they cover (the units below their
  owner) and by those who oversee the owner.
* A unit's **materials** are uploaded by its office or handler (or an office above it), seen by the unit
  and by the offices, leaders and admins above it, and **reviewed** (合格 / 退回) by an office strictly
  above it — a unit never passes its own materials.
* The **completeness matrix**, the **迎检 readiness report** and the **网上申报 package** cover the units
  in the viewer's scope: for offices, leaders and admins (the package for offices only).
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from wenming.core import access
from wenming.org.models import Role

USERS = {Role.OFFICE, Role.LEADER, Role.ADMIN, Role.HANDLER}
OVERSEERS = {Role.OFFICE, Role.LEADER, Role.ADMIN}
UPLOADERS = {Role.OFFICE, Role.HANDLER}


def _paths(user, roles) -> list[str]:
    return [path for path, _, role in access.scope_for(user).grants if role in roles]


def ancestor_paths(path: str) -> list[str]:
    """``/1/7/42/`` → ``/1/``, ``/1/7/``, ``/1/7/42/``."""
    parts = [p for p in (path or "").split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def may_view(user) -> bool:
    """Sees the 创城档案 menu: offices, leaders, admins and the handlers of units."""
    return bool(access.scope_for(user).roles & USERS)


def requirement_filter(user) -> Q:
    """Requirements set above or at a unit of the user (they apply to it), or within what he oversees."""
    grants = [(path, role) for path, _, role in access.scope_for(user).grants if role in USERS]
    above = sorted({p for path, _ in grants for p in ancestor_paths(path)})
    parts = [Q(owner_path__in=above)] if above else []
    parts += [Q(owner_path__startswith=path) for path, role in grants if role in OVERSEERS]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_manage(user, owner=None) -> bool:
    """Sets requirements for ``owner`` (or, with None, for any unit): an office at or above it."""
    paths = _paths(user, {Role.OFFICE})
    return bool(paths) if owner is None else any(owner.path.startswith(path) for path in paths)


def may_manage_requirement(user, requirement) -> bool:
    return any(requirement.owner_path.startswith(path) for path in _paths(user, {Role.OFFICE}))


def evidence_filter(user) -> Q:
    """Materials of the units the user oversees, and of the units where he is a handler."""
    scope = access.scope_for(user)
    parts = [Q(unit_path__startswith=path) for path in _paths(user, OVERSEERS)]
    own = sorted(unit_id for _, unit_id, role in scope.grants if role == Role.HANDLER)
    if own:
        parts.append(Q(unit_id__in=own))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def unit_filter(user) -> Q:
    """The units whose column of the archive the user sees (a Q over org.Unit)."""
    scope = access.scope_for(user)
    parts = [Q(path__startswith=path) for path in _paths(user, OVERSEERS)]
    own = sorted(unit_id for _, unit_id, role in scope.grants if role == Role.HANDLER)
    if own:
        parts.append(Q(pk__in=own))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_upload(user, unit) -> bool:
    """Hands in materials for ``unit``: its office or handler, or an office above it."""
    return bool(access.scope_for(user).roles_at(unit) & UPLOADERS)


def may_withdraw(user, evidence) -> bool:
    """Takes back an uploaded material not yet passed: whoever may upload for its unit."""
    from .models import EvidenceStatus

    return (not evidence.is_link and evidence.status != EvidenceStatus.ACCEPTED
            and may_upload(user, evidence.unit))


def may_review(user, evidence) -> bool:
    """合格 / 退回: an office strictly above the material's unit."""
    return any(evidence.unit_path.startswith(path) and evidence.unit_path != path
               for path in _paths(user, {Role.OFFICE}))


def reviews_any(user) -> bool:
    return bool(_paths(user, {Role.OFFICE}))


def may_oversee(user) -> bool:
    """The completeness matrix and the readiness report."""
    return bool(_paths(user, OVERSEERS))


def may_export_package(user) -> bool:
    """The 网上申报 package: an office (over the units it oversees)."""
    return bool(_paths(user, {Role.OFFICE}))
