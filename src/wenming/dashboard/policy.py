"""Access policy of the 领导驾驶舱 (DESIGN.md §4, §8): who reads it, over which units.

* An **office** or a **leader** reads the dashboard of the unit of his membership (its whole
  subtree: the city office the city, a district's the district); a leader's 包保 units are
  highlighted and shown with their own figures, wherever they lie.
* A **大屏展示账号** (org ``Role.SCREEN``, held alone) reads the dashboard of its unit on the big
  screen and nothing else (core.middleware.ScreenAccountMiddleware); it is given no link out of
  the dashboard and no export.
* Everyone else (handlers, grid workers, inspectors, the system admin, citizens) is refused (403).

A figure links to another page (a unit's score explanation) only where that page's own policy
admits the viewer (scoring.policy).
"""

from __future__ import annotations

from wenming.core import access
from wenming.org.models import Role
from wenming.scoring import policy as scoring_policy

READERS = {Role.OFFICE, Role.LEADER}


def top_paths(user) -> list[str]:
    """The units whose dashboard the user may open (the highest first): his office and leader
    memberships' units, and a screen account's unit."""
    scope = access.scope_for(user)
    paths = [path for path, _, role in scope.grants if role in READERS or role == Role.SCREEN]
    return sorted(access._minimal(paths), key=lambda p: (p.count("/"), p))


def may_view(user) -> bool:
    return bool(top_paths(user))


def patron_paths(user) -> list[str]:
    """The leader's 包保 units, highlighted on his dashboard."""
    scope = access.scope_for(user)
    return list(scope.patron_paths) if scope.roles & READERS else []


def is_screen(user) -> bool:
    return access.scope_for(user).is_screen_only


def may_export(user) -> bool:
    """Downloads the tables as Excel: an office or leader (not a screen account)."""
    return bool(access.scope_for(user).roles & READERS)


def may_open_score(user, unit_id: int, unit_path: str) -> bool:
    """Links a ranked unit to scoring's score page: what that page requires of the viewer."""
    return bool(access.scope_for(user).roles & READERS) and scoring_policy.sees_score_of(user, unit_id, unit_path)
