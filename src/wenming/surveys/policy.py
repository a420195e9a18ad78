"""Access policy of 问卷调查 (DESIGN.md §3, §4, §9).

* **Questionnaires** are written, versioned and published by an office at or above the unit that owns
  them, and used (in campaigns) by the offices below it.
* **Campaigns** are set up, opened, closed and their flagged responses reviewed by an office at or above
  the organising unit. Offices, leaders and admins see the campaigns that cover any part of their subtree
  and the figures of the communities in it — never another district's.
* **Collecting** (入户 on a phone) is open to the staff of a community in the campaign — its office and
  handlers, the offices and handlers of the street or district above it, its grid workers — and to the
  volunteers registered there, while the campaign is open. Self-fill by link needs no account.
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from wenming.core import access
from wenming.org.models import Role

OVERSEERS = {Role.OFFICE, Role.LEADER, Role.ADMIN}
COLLECTORS = {Role.OFFICE, Role.HANDLER, Role.GRID_WORKER, Role.VOLUNTEER}


def _grants(user, roles) -> list[str]:
    return [path for path, _, role in access.scope_for(user).grants if role in roles]


def ancestor_paths(path: str) -> list[str]:
    parts = [p for p in (path or "").split("/") if p]
    return ["/" + "/".join(parts[:n]) + "/" for n in range(1, len(parts) + 1)]


def may_view(user) -> bool:
    """Sees the 问卷调查 menu: offices, leaders and admins (results) and collectors (their campaigns)."""
    return bool(access.scope_for(user).roles & (OVERSEERS | COLLECTORS))


def may_oversee(user) -> bool:
    return bool(_grants(user, OVERSEERS))


# --- questionnaires ------------------------------------------------------------------------------------

def questionnaire_filter(user) -> Q:
    """Questionnaires owned at or above an office of the user's (he may use them), or within his subtree."""
    paths = _grants(user, OVERSEERS)
    above = sorted({p for path in paths for p in ancestor_paths(path)})
    parts = ([Q(owner_path__in=above)] if above else []) + [Q(owner_path__startswith=path) for path in paths]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_manage_questionnaires(user, owner=None) -> bool:
    paths = _grants(user, {Role.OFFICE})
    return bool(paths) if owner is None else any(owner.path.startswith(path) for path in paths)


def may_edit_questionnaire(user, questionnaire) -> bool:
    return any(questionnaire.owner_path.startswith(path) for path in _grants(user, {Role.OFFICE}))


# --- campaigns ------------------------------------------------------------------------------------------

def campaign_filter(user) -> Q:
    """Campaigns covering any unit the user oversees, or covering a unit where he collects."""
    parts = []
    for path in _grants(user, OVERSEERS | COLLECTORS):
        parts.append(Q(scope_path__in=ancestor_paths(path)))
    for path in _grants(user, OVERSEERS):
        parts.append(Q(scope_path__startswith=path))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def unit_filter(user) -> Q:
    """The communities (a Q over ``unit_path``) whose figures and responses the user sees."""
    parts = [Q(unit_path__startswith=path) for path in _grants(user, OVERSEERS)]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_manage_campaigns(user, owner=None) -> bool:
    return may_manage_questionnaires(user, owner)


def may_manage_campaign(user, campaign) -> bool:
    return any(campaign.owner_path.startswith(path) for path in _grants(user, {Role.OFFICE}))


def may_see_results(user, campaign) -> bool:
    """Offices, leaders and admins of a unit the campaign covers (they see their own part of it)."""
    return any(campaign.scope_path.startswith(path) or path.startswith(campaign.scope_path)
               for path in _grants(user, OVERSEERS))


def may_review(user, campaign) -> bool:
    return may_manage_campaign(user, campaign)


def may_collect(user, campaign_unit) -> bool:
    """Interviews for a community: its own staff and volunteers, those of the units above it, its grids'."""
    path = campaign_unit.unit_path
    return any(path.startswith(p) or p.startswith(path) for p in _grants(user, COLLECTORS))


def collect_filter(user) -> Q:
    """The campaign communities (a Q over CampaignUnit) the user may collect for."""
    parts = []
    for path in _grants(user, COLLECTORS):
        parts.append(Q(unit_path__startswith=path))
        parts.append(Q(unit_path__in=ancestor_paths(path)))
    return reduce(or_, parts) if parts else Q(pk__in=[])
