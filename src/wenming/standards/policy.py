"""Access policy of the evaluation system (测评体系): staff read it, only the city office manages it."""

from __future__ import annotations

from wenming.core import access


def may_view(user) -> bool:
    return access.scope_for(user).has("org.view")


def may_manage(user) -> bool:
    return access.scope_for(user).is_root_office
