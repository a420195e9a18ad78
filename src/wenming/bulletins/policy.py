"""Access policy of 通报 (DESIGN.md §3, §4). 通报 are internal documents: never for citizens.

* An office, leader or admin whose subtree holds the issuing office sees its bulletins at every
  stage; once issued, a bulletin is also seen by the staff of the units it names (and by the
  offices and leaders above them).
* The issuing office (or one above it) drafts, edits, generates, submits and issues; a leader at
  the issuing unit or above reviews (审核).
* An office keeps its own Word 版式 (模板): the offices that draft for a unit upload, download and
  change its templates; nobody else sees them.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from wenming.core import access
from wenming.org.models import Role

from .models import BulletinStatus

STAFF = {Role.OFFICE, Role.LEADER, Role.ADMIN, Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR}


def _paths(user, roles) -> list[str]:
    return [path for path, _, role in access.scope_for(user).grants if role in roles]


def may_view(user) -> bool:
    return bool(access.scope_for(user).roles & STAFF)


def bulletin_filter(user) -> Q:
    scope = access.scope_for(user)
    if not scope.roles & STAFF:
        return Q(pk__in=[])
    parts = [Q(issuer_path__startswith=path) for path in _paths(user, {Role.OFFICE, Role.LEADER, Role.ADMIN})]
    named = [Q(recipients__path__startswith=path) for path in scope.subtree_paths]
    if scope.own_unit_ids:
        named.append(Q(recipients__in=sorted(scope.own_unit_ids)))
    if named:
        parts.append(Q(status=BulletinStatus.ISSUED) & reduce(or_, named))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_draft(user, issuer=None) -> bool:
    paths = _paths(user, {Role.OFFICE})
    return bool(paths) if issuer is None else any(issuer.path.startswith(p) for p in paths)


def may_edit(user, bulletin) -> bool:
    return bulletin.status == BulletinStatus.DRAFT and may_draft(user, bulletin.issuer)


def may_generate(user, bulletin) -> bool:
    return bulletin.status != BulletinStatus.ISSUED and may_draft(user, bulletin.issuer)


def may_submit(user, bulletin) -> bool:
    return bulletin.status == BulletinStatus.DRAFT and may_draft(user, bulletin.issuer)


def reviews(user, bulletin) -> bool:
    """A leader at the issuing unit or above: reviews its bulletins (when they are submitted)."""
    return any(bulletin.issuer_path.startswith(p) for p in _paths(user, {Role.LEADER}))


def may_review(user, bulletin) -> bool:
    return bulletin.status == BulletinStatus.SUBMITTED and reviews(user, bulletin)


def may_issue(user, bulletin) -> bool:
    return bulletin.status == BulletinStatus.APPROVED and may_draft(user, bulletin.issuer)


def manages(user, bulletin) -> bool:
    """Any of the office's acts, whatever the stage (for 403 rather than 404 answers)."""
    return may_draft(user, bulletin.issuer)


def office_paths(user) -> list[str]:
    """The units whose office the user is (their 通报 and 版式 are his to manage)."""
    return _paths(user, {Role.OFFICE})


def may_manage_templates(user, issuer=None) -> bool:
    """Upload, download, take into use or set aside the Word templates of ``issuer`` (any issuer: the
    template pages at all)."""
    return may_draft(user, issuer)


def template_filter(user) -> Q:
    paths = office_paths(user)
    return reduce(or_, [Q(issuer__path__startswith=p) for p in paths]) if paths else Q(pk__in=[])
