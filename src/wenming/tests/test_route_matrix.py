"""Every route × every persona (DESIGN.md §4): the status each persona of src/wenming/conftest.py,
and an anonymous caller, gets from every URL of the URLconf.

The rules the expectations are written from:

* an object outside the persona's scope answers 404, whether it exists or not;
* inside the scope, an act the persona's roles do not allow answers 403 — before any check of
  what was sent;
* a page for which the persona has no role at all (a citizen's 组织体系) answers 403;
* an anonymous caller is sent to the login page (302), or told 401 in JSON by the API.

``test_every_route_is_declared`` fails for a URL without a row here, naming it. Each case runs every
persona's request in a savepoint that is rolled back, so a write that one persona may do changes
nothing for the next. The data is the small city of ``world.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

OC, OD, H1, H2 = "office_city", "office_district_a", "handler_street_a1", "handler_street_a2"
IN, LD, GW, CZ, AD, OU = "inspector", "leader", "grid_worker", "citizen", "admin", "outsider"
ALL = [OC, OD, H1, H2, IN, LD, GW, CZ, AD, OU]
STAFF = [OC, OD, H1, H2, IN, LD, GW, AD]        # org.view: every role of the organisation
OFFICES = [OC, OD]
SEES_A1 = [OC, OD, H1, LD, AD]                  # street A1 and what it is responsible for
SEES_B = [OC, AD]                               # district B (the leader's 包保 is street B1 only)
ANONYMOUS = "anonymous"


def expect(default: int, *groups: tuple[int, list[str]], **single: int) -> dict[str, int]:
    """The status of every persona: ``default`` unless a group or a single entry says otherwise."""
    codes = dict.fromkeys(ALL, default)
    for status, names in groups:
        codes.update(dict.fromkeys(names, status))
    codes.update(single)
    assert set(codes) == set(ALL), set(codes) - set(ALL)
    return codes


def staff_only(status: int = 200) -> dict[str, int]:
    return expect(403, (status, STAFF))


def only(status: int, names: list[str], otherwise: int = 403) -> dict[str, int]:
    return expect(otherwise, (status, names))


def seen_by(names: list[str], status: int = 200) -> dict[str, int]:
    return expect(404, (status, names))


def acting(allowed: list[str], seers: list[str], status: int = 302) -> dict[str, int]:
    """An act on an object: ``allowed`` may (``status``), the others who see it 403, the rest 404."""
    assert set(allowed) <= set(seers), set(allowed) - set(seers)
    return expect(404, (403, seers), (status, allowed))


@dataclass
class Case:
    route: str
    label: str
    url: Callable
    expected: dict[str, int]
    method: str = "GET"
    data: Callable | None = None
    anonymous: int | None = None  # default: 401 under /api/, else 302 to the login page
    json: bool = field(default=False)

    @property
    def id(self) -> str:
        return f"{self.route} {self.label}".strip()


CASES: list[Case] = []


def case(route: str, label: str, url, expected, **extra) -> None:
    CASES.append(Case(route, label, url if callable(url) else (lambda w, u=url: u), expected, **extra))


def post(route: str, label: str, url, expected, data=None, **extra) -> None:
    case(route, label, url, expected, method="POST", data=data or (lambda w: {}), **extra)


def api_post(route: str, label: str, url, expected, data=None, **extra) -> None:
    case(route, label, url, expected, method="POST", data=data or (lambda w: {}), json=True, **extra)


# --- core: home, login, personal pages, audit, photos, jobs ---------------------------------------------

case("home", "", "/", expect(200))
case("login", "(signed in: sent home)", "/login/", expect(302), anonymous=200)
post("login", "nothing sent (the form again)", "/login/", expect(302), anonymous=200)
post("logout", "", "/logout/", expect(302))
case("me", "", "/me/", expect(200))
case("password_change", "", "/me/password/", expect(200))
post("password_change", "nothing sent (the form again)", "/me/password/", expect(200))
case("audit_log", "", "/audit/", only(200, [OC, OD, AD]))
# a photo: whoever sees its unit or the problem it belongs to; a public one (结单公示) anyone, signed in or not;
# a private photo is not found for an anonymous caller either (it is an image, not a page)
case("photo", "of street A1's problem", lambda w: f"/photos/{w.photo_a1.pk}/", seen_by(SEES_A1), anonymous=404)
case("photo", "of district B's problem", lambda w: f"/photos/{w.photo_b.pk}/", seen_by(SEES_B), anonymous=404)
case("photo", "public (closed problem)", lambda w: f"/photos/{w.photo_public.pk}/", expect(200), anonymous=200)
case("photo", "missing", "/photos/999999/", expect(404), anonymous=404)
case("photo_thumb", "of street A1's problem", lambda w: f"/photos/{w.photo_a1.pk}/thumb/", seen_by(SEES_A1),
     anonymous=404)
case("photo_thumb", "public", lambda w: f"/photos/{w.photo_public.pk}/thumb/", expect(200), anonymous=200)
case("jobs", "", "/me/exports/", expect(200))
# a job is its owner's alone; a queued one has no file yet (the owner is sent back to its page)
case("job", "of office_city", lambda w: f"/jobs/{w.job.pk}/", seen_by([OC]))
case("job_status", "of office_city", lambda w: f"/jobs/{w.job.pk}/status/", seen_by([OC]))
case("job_download", "of office_city (queued)", lambda w: f"/jobs/{w.job.pk}/download/", seen_by([OC], 302))
case("outbound", "", "/outbound/", only(200, [OC, AD]))

# --- org -----------------------------------------------------------------------------------------------

case("org:tree", "", "/org/", staff_only())
case("org:unit_search", "by name", "/org/units/search/?uq=甲", staff_only())
case("org:person_search", "by name", "/org/people/search/?pq=a", only(200, [OC, OD]))
case("org:unit", "street A1", lambda w: f"/org/units/{w.org['street_a1'].pk}/", seen_by(SEES_A1))
case("org:unit", "street B1 (the leader's 包保)", lambda w: f"/org/units/{w.org['street_b1'].pk}/",
     seen_by([OC, LD, AD]))
case("org:unit", "district B", lambda w: f"/org/units/{w.org['district_b'].pk}/", seen_by(SEES_B))
case("org:unit", "the grid", lambda w: f"/org/units/{w.org['grid_a1'].pk}/", seen_by([OC, OD, LD, AD, GW]))
case("org:unit", "the city", lambda w: f"/org/units/{w.org['city'].pk}/", seen_by([OC, IN, AD]))
case("org:unit", "missing", "/org/units/999999/", expect(404))
case("org:unit_children", "street A1", lambda w: f"/org/units/{w.org['street_a1'].pk}/children/", seen_by(SEES_A1))
case("org:unit_children", "district B", lambda w: f"/org/units/{w.org['district_b'].pk}/children/",
     seen_by(SEES_B))
case("org:unit_create", "under street A1", lambda w: f"/org/units/{w.org['street_a1'].pk}/new/",
     acting(OFFICES, SEES_A1, 200))
case("org:unit_create", "under district B", lambda w: f"/org/units/{w.org['district_b'].pk}/new/",
     acting([OC], SEES_B, 200))
case("org:unit_edit", "street A1", lambda w: f"/org/units/{w.org['street_a1'].pk}/edit/",
     acting(OFFICES, SEES_A1, 200))
post("org:unit_edit", "street A1, nothing sent", lambda w: f"/org/units/{w.org['street_a1'].pk}/edit/",
     acting(OFFICES, SEES_A1, 200))
post("org:unit_create", "under street A1, nothing sent", lambda w: f"/org/units/{w.org['street_a1'].pk}/new/",
     acting(OFFICES, SEES_A1, 200))
case("org:unit_edit", "district B", lambda w: f"/org/units/{w.org['district_b'].pk}/edit/",
     acting([OC], SEES_B, 200))
case("org:patronage_create", "for street A1", lambda w: f"/org/units/{w.org['street_a1'].pk}/patrons/new/",
     acting(OFFICES, SEES_A1, 200))
post("org:patronage_create", "for street A1, nothing sent",
     lambda w: f"/org/units/{w.org['street_a1'].pk}/patrons/new/", acting(OFFICES, SEES_A1, 200))
post("org:patronage_end", "the leader's 包保 of street B1", lambda w: f"/org/patronages/{w.patronage.pk}/end/",
     acting([OC], [OC, LD, AD]))
case("org:import", "", "/org/import/", only(200, OFFICES))
post("org:import", "no file", "/org/import/", only(200, OFFICES))
case("org:export", "", "/org/export/", only(200, [OC, OD, LD, AD]))
case("org:import_template", "", "/org/import/template.xlsx", only(200, OFFICES))
case("org:boundary_import", "", "/org/boundaries/import/", only(200, OFFICES))
post("org:boundary_import", "no file", "/org/boundaries/import/", only(200, OFFICES))
case("org:boundary_export", "", "/org/boundaries/export.geojson", staff_only())
case("org:teams", "", "/org/teams/", staff_only())
case("org:team_create", "", "/org/teams/new/", only(200, OFFICES))
post("org:team_create", "nothing sent", "/org/teams/new/", only(200, OFFICES))
# a team: those who see its unit, and the staff of the units below it
case("org:team", "the city's leading group", lambda w: f"/org/teams/{w.team_city.pk}/", seen_by(STAFF))
case("org:team", "district A's 督查组", lambda w: f"/org/teams/{w.team_a.pk}/", seen_by([OC, OD, H1, H2, LD, GW, AD]))
case("org:team", "district B's office", lambda w: f"/org/teams/{w.team_b.pk}/", seen_by(SEES_B))
case("org:team", "the city department's working group (street A1 responsible in it)",
     lambda w: f"/org/teams/{w.team_dept.pk}/", seen_by(SEES_B))
post("org:team_member_add", "to the city's group", lambda w: f"/org/teams/{w.team_city.pk}/members/",
     acting([OC], STAFF))
post("org:team_member_add", "to district B's office", lambda w: f"/org/teams/{w.team_b.pk}/members/",
     acting([OC], SEES_B))
post("org:team_member_remove", "from the city's group",
     lambda w: f"/org/teams/{w.team_city.pk}/members/{w.team_city.members.get().pk}/remove/", acting([OC], STAFF))
post("org:team_unit_add", "to the city's group", lambda w: f"/org/teams/{w.team_city.pk}/units/",
     acting([OC], STAFF))
post("org:team_unit_add", "to district B's office", lambda w: f"/org/teams/{w.team_b.pk}/units/",
     acting([OC], SEES_B))
case("org:accounts", "", "/org/accounts/", only(200, OFFICES))
case("org:account_create", "", "/org/accounts/new/", only(200, OFFICES))
post("org:account_create", "nothing sent", "/org/accounts/new/", only(200, OFFICES))
# accounts: managed by the offices above every role they hold; others have no account pages at all (403)
case("org:account", "the grid worker's", lambda w: f"/org/accounts/{w.personas[GW].pk}/", only(200, OFFICES))
post("org:account", "the grid worker's, nothing sent", lambda w: f"/org/accounts/{w.personas[GW].pk}/",
     only(200, OFFICES))
case("org:account", "the leader's (包保 outside district A)", lambda w: f"/org/accounts/{w.personas[LD].pk}/",
     expect(403, (200, [OC]), (404, [OD])))
post("org:account_toggle", "the grid worker's", lambda w: f"/org/accounts/{w.personas[GW].pk}/toggle/",
     only(302, OFFICES))
post("org:account_toggle", "the leader's", lambda w: f"/org/accounts/{w.personas[LD].pk}/toggle/",
     expect(403, (302, [OC]), (404, [OD])))
post("org:account_reset", "the grid worker's", lambda w: f"/org/accounts/{w.personas[GW].pk}/reset-password/",
     only(200, OFFICES))
post("org:account_grant", "the grid worker's (empty form)", lambda w: f"/org/accounts/{w.personas[GW].pk}/roles/",
     only(302, OFFICES))
post("org:account_revoke", "the grid worker's role",
     lambda w: f"/org/accounts/{w.personas[GW].pk}/roles/{w.personas[GW].memberships.get().pk}/revoke/",
     only(302, OFFICES))

# --- cases: lists, intake, notices, transfer, metrics, settings --------------------------------------------

case("cases:ledger", "", "/problems/", staff_only())
case("cases:report", "", "/problems/new/", only(200, [OC, OD, H1, H2, IN, LD, GW, CZ]))
post("cases:report", "nothing sent (the form again)", "/problems/new/", only(200, [OC, OD, H1, H2, IN, LD, GW, CZ]))
case("cases:nearby", "(a fragment of the report form; empty for who may not report there)",
     lambda w: f"/problems/new/nearby/?category={w.p_reported.category_id}&area={w.org['community_a1'].code}",
     expect(200))
REPORTERS = [OC, OD, H1, H2, IN, LD, GW, CZ]
case("cases:place", "a location", "/problems/new/place/?latitude=30.25&longitude=120.16", only(200, REPORTERS))
case("cases:place", "a unit picked", lambda w: f"/problems/new/place/?area={w.org['grid_a1'].code}",
     only(200, REPORTERS))
case("cases:areas", "", "/problems/new/areas/?q=甲", only(200, REPORTERS))
case("cases:plan", "", lambda w: f"/problems/new/plan/?unit={w.org['street_a1'].code}", only(200, REPORTERS))
case("cases:reported", "", "/problems/reported/", only(200, REPORTERS))
case("cases:mine", "", "/problems/mine/", only(200, [H1, H2, GW]))
case("cases:verify", "", "/problems/verify/", only(200, [OC, OD, IN]))
case("cases:todo", "", "/problems/todo/", only(200, OFFICES))
case("cases:notifications", "", "/problems/notifications/", expect(200))
post("cases:notifications_read", "", "/problems/notifications/read/", expect(302))
# supervision documents: offices, leaders and admins over the problem, and the unit named (DESIGN.md §4)
case("cases:notices", "", "/problems/notices/", only(200, [OC, OD, H1, H2, LD, AD]))
case("cases:notice", "district A's 督办单 to street A1", lambda w: f"/problems/notices/{w.notice.pk}/",
     seen_by(SEES_A1))
case("cases:notice", "street A1's 督办单 of a problem given since to street A2",
     lambda w: f"/problems/notices/{w.notice_moved.pk}/", seen_by(SEES_A1))
case("cases:notice", "the city's 督办单 to district B", lambda w: f"/problems/notices/{w.notice_b.pk}/", seen_by(SEES_B))
case("cases:notice", "missing", "/problems/notices/999999/", expect(404))
case("cases:notice_docx", "district A's 督办单 to street A1", lambda w: f"/problems/notices/{w.notice.pk}/docx/",
     seen_by(SEES_A1))
case("cases:notice_docx", "the city's 督办单 to district B", lambda w: f"/problems/notices/{w.notice_b.pk}/docx/",
     seen_by(SEES_B))
post("cases:export", "the ledger", "/problems/export/", staff_only(302))
case("cases:import", "", "/problems/import/", only(200, OFFICES))
post("cases:import", "no file", "/problems/import/", only(200, OFFICES))
case("cases:import_template", "", "/problems/import/template.xlsx", only(200, OFFICES))
case("cases:metrics", "", "/problems/metrics/", only(200, [OC, OD, LD, AD]))
case("cases:metrics_export", "", "/problems/metrics/export.xlsx", only(200, [OC, OD, LD, AD]))
case("cases:metrics", "of district B", lambda w: f"/problems/metrics/?unit={w.org['district_b'].code}",
     expect(403, (200, SEES_B), (404, [OD, LD])))
case("cases:settings", "", "/problems/settings/", only(200, [OC]))
post("cases:settings_save", "SLA (empty form)", "/problems/settings/sla/", only(302, [OC]))
post("cases:settings_delete", "an SLA rule", lambda w: f"/problems/settings/sla/{w.sla_rule.pk}/delete/",
     only(302, [OC]))
post("cases:settings_delete", "a routing rule", lambda w: f"/problems/settings/routing/{w.routing_rule.pk}/delete/",
     only(302, [OC]))
post("cases:settings_delete", "a calendar day",
     lambda w: f"/problems/settings/calendar/{w.calendar_override.pk}/delete/", only(302, [OC]))
case("public_closed", "结单公示 (no login)", "/public/closed/", expect(200), anonymous=200)
case("public_track", "问题查询 (no login)", "/public/track/?code=AAAA-AAAA", expect(200), anonymous=200)

# --- cases: one problem ---------------------------------------------------------------------------------

# who sees each problem of the world (cases.policy.problem_filter): subtree roles by unit or area, the
# responsible unit's staff, the grid's worker by area, the reporter and the named 复核人
PROBLEM_SEERS = {
    "p_reported": [OC, OD, LD, AD, CZ],       # a citizen's, in community A1, not yet assigned
    "p_pending": [OC, OD, LD, AD],
    "p_assigned": SEES_A1,
    "p_rectifying": SEES_A1,
    "p_submitted": SEES_A1 + [IN],            # the inspector is its 复核人
    "p_closed": SEES_A1 + [IN],
    "p_rejected": [OC, OD, LD, AD, CZ],
    "p_merged": [OC, OD, LD, AD, CZ],
    "p_grid": [OC, OD, LD, AD, GW],           # reported by the grid worker in his grid
    "p_moved": [OC, OD, LD, AD, H2],          # assigned to street A1, then reassigned to street A2
    "p_recurred": SEES_A1 + [IN],             # 反弹 of the closed one, reported by the inspector
    "p_b": SEES_B,
    "p_raised": SEES_A1 + [IN],               # raised by the inspector's failed item in round A
}
for key, seers in PROBLEM_SEERS.items():
    case("cases:detail", key, lambda w, k=key: f"/problems/{w[k].code}/", seen_by(seers))
case("cases:detail", "missing", "/problems/WT2000-999999/", expect(404))

# each workflow action on a problem in a state it starts from: who may act is sent back to the page
# (done, or told what is missing), the others who see the problem are refused (403), the rest 404
ACT_CASES = [
    # (action, problem, who may)
    ("accept", "p_reported", OFFICES),
    ("assign", "p_pending", OFFICES),
    ("reject", "p_reported", OFFICES),
    ("merge", "p_reported", OFFICES),
    ("sign", "p_raised", [H1]),
    ("request_return", "p_raised", [H1]),
    ("approve_return", "p_assigned", OFFICES),
    ("refuse_return", "p_assigned", OFFICES),
    ("request_coordination", "p_rectifying", [H1]),
    ("reassign", "p_rectifying", OFFICES),
    ("escalate", "p_rectifying", OFFICES),
    ("refuse_coordination", "p_rectifying", OFFICES),
    ("request_extension", "p_rectifying", [H1]),
    ("approve_extension", "p_rectifying", OFFICES),
    ("refuse_extension", "p_rectifying", OFFICES),
    ("submit", "p_rectifying", [H1]),
    ("verify_pass", "p_submitted", OFFICES + [IN]),
    ("verify_fail", "p_submitted", OFFICES + [IN]),
    ("recur", "p_closed", OFFICES + [IN]),
    ("reassign", "p_b", [OC]),
    ("sign", "p_b", []),
]
for action, key, allowed in ACT_CASES:
    post("cases:act", f"{action} {key}", lambda w, k=key, a=action: f"/problems/{w[k].code}/act/{a}/",
         acting(allowed, PROBLEM_SEERS[key]))
post("cases:act", "unknown action", lambda w: f"/problems/{w.p_rectifying.code}/act/fly/", expect(404))

# --- standards -------------------------------------------------------------------------------------------

case("standards:list", "", "/standards/", staff_only())
case("standards:import", "", "/standards/import/", only(200, [OC]))
post("standards:import", "no file", "/standards/import/", only(200, [OC]))
post("standards:builtin", "", "/standards/builtin/", only(302, [OC]))
case("standards:template", "", "/standards/import/template.xlsx", only(200, [OC]))
case("standards:point_types", "", "/standards/point-types/", staff_only())
post("standards:point_types", "nothing sent (only the city office adds)", "/standards/point-types/", only(200, [OC]))
# a system is the city's: staff read the active ones, only the city office its drafts (others: not found)
case("standards:system", "active", lambda w: f"/standards/{w.system.pk}/", staff_only())
case("standards:system", "draft", lambda w: f"/standards/{w.draft.pk}/", expect(403, (404, STAFF), (200, [OC])))
case("standards:export_xlsx", "active", lambda w: f"/standards/{w.system.pk}/export.xlsx", staff_only())
case("standards:export_xlsx", "draft", lambda w: f"/standards/{w.draft.pk}/export.xlsx",
     expect(403, (404, STAFF), (200, [OC])))
case("standards:export_yaml", "active", lambda w: f"/standards/{w.system.pk}/export.yaml", staff_only())
case("standards:replace", "draft", lambda w: f"/standards/{w.draft.pk}/replace/", only(200, [OC]))
post("standards:replace", "draft, no file", lambda w: f"/standards/{w.draft.pk}/replace/", only(200, [OC]))
case("standards:replace", "active (sent back: only drafts change)", lambda w: f"/standards/{w.system.pk}/replace/",
     only(302, [OC]))
post("standards:copy", "active (empty form)", lambda w: f"/standards/{w.system.pk}/copy/", only(302, [OC]))
post("standards:status", "draft (no status)", lambda w: f"/standards/{w.draft.pk}/status/", only(302, [OC]))

# --- scoring (考核排名) ------------------------------------------------------------------------------------

MANAGES_CITY = [OC]   # the city's streets scheme is managed by the city office only
case("scoring:list", "", "/scoring/", staff_only())
case("scoring:scheme_new", "", "/scoring/schemes/new/", only(200, OFFICES))
post("scoring:scheme_new", "nothing sent", "/scoring/schemes/new/", only(200, OFFICES))
case("scoring:scheme", "the city's streets", lambda w: f"/scoring/schemes/{w.scheme.pk}/", seen_by(STAFF))
case("scoring:scheme", "missing", "/scoring/schemes/999999/", expect(404))
post("scoring:scheme", "edit an active scheme", lambda w: f"/scoring/schemes/{w.scheme.pk}/",
     acting(MANAGES_CITY, STAFF))
for _action in ("activate", "new_version", "close"):
    post("scoring:scheme_action", _action, lambda w, a=_action: f"/scoring/schemes/{w.scheme.pk}/{a}/",
         acting(MANAGES_CITY, STAFF))
post("scoring:scheme_action", "unknown action", lambda w: f"/scoring/schemes/{w.scheme.pk}/fly/", expect(404))
case("scoring:period", "November", lambda w: f"/scoring/periods/{w.period.pk}/", seen_by(STAFF))
case("scoring:period", "missing", "/scoring/periods/999999/", expect(404))
case("scoring:period_export", "November", lambda w: f"/scoring/periods/{w.period.pk}/export/", seen_by(STAFF))
case("scoring:score", "street A1's", lambda w: f"/scoring/periods/{w.period.pk}/units/{w.org['street_a1'].pk}/",
     seen_by(SEES_A1))
case("scoring:score", "street B1's", lambda w: f"/scoring/periods/{w.period.pk}/units/{w.org['street_b1'].pk}/",
     seen_by([OC, LD, AD]))
post("scoring:period_action", "reopen", lambda w: f"/scoring/periods/{w.period.pk}/reopen/",
     acting(MANAGES_CITY, STAFF))
post("scoring:period_action", "unknown action", lambda w: f"/scoring/periods/{w.period.pk}/fly/", expect(404))
post("scoring:step", "street A1's 约谈", lambda w: f"/scoring/steps/{w.step.pk}/", acting(MANAGES_CITY, SEES_A1))
case("scoring:adjustments", "", "/scoring/adjustments/", staff_only())
post("scoring:adjustments", "nothing sent", "/scoring/adjustments/", expect(403, (403, STAFF), (200, OFFICES)))
post("scoring:adjustment_withdraw", "community A1's exposure",
     lambda w: f"/scoring/adjustments/{w.adjustment.pk}/withdraw/", acting(OFFICES, [OC, OD, LD, AD]))
case("scoring:ledger", "", "/scoring/ledger/", staff_only())
post("scoring:ledger", "nothing sent", "/scoring/ledger/", expect(403, (403, STAFF), (200, OFFICES)))

# --- bulletins (通报) -------------------------------------------------------------------------------------

CITY_DOCS = [OC, AD]   # the city office's draft: its office and the city's admin (no city leader in the world)
case("bulletins:list", "", "/bulletins/", staff_only())
case("bulletins:new", "", "/bulletins/new/", only(200, OFFICES))
post("bulletins:new", "nothing sent", "/bulletins/new/", only(200, OFFICES))
case("bulletins:detail", "the city's draft", lambda w: f"/bulletins/{w.bulletin.pk}/", seen_by(CITY_DOCS))
case("bulletins:detail", "missing", "/bulletins/999999/", expect(404))
post("bulletins:detail", "edit, nothing sent", lambda w: f"/bulletins/{w.bulletin.pk}/",
     expect(404, (403, CITY_DOCS), (200, [OC])))
for _action in ("generate", "submit", "issue"):
    post("bulletins:action", _action, lambda w, a=_action: f"/bulletins/{w.bulletin.pk}/{a}/",
         acting([OC], CITY_DOCS))
for _action in ("approve", "return"):   # only a leader at or above the city reviews: nobody here
    post("bulletins:action", _action, lambda w, a=_action: f"/bulletins/{w.bulletin.pk}/{a}/",
         acting([], CITY_DOCS))
post("bulletins:action", "unknown action", lambda w: f"/bulletins/{w.bulletin.pk}/fly/", expect(404))
case("bulletins:file", "docx not generated yet", lambda w: f"/bulletins/{w.bulletin.pk}/file/docx/", expect(404))
# the offices' Word 版式: each office its own; the city's template is the city office's only
case("bulletins:templates", "", "/bulletins/templates/", only(200, OFFICES))
post("bulletins:templates", "nothing sent", "/bulletins/templates/", only(200, OFFICES))
case("bulletins:template_default", "", "/bulletins/templates/default/", only(200, OFFICES))
case("bulletins:template_file", "the city's", lambda w: f"/bulletins/templates/{w.bulletin_template.pk}/file/",
     seen_by([OC]))
case("bulletins:template_file", "missing", "/bulletins/templates/999999/file/", expect(404))
post("bulletins:template_activate", "the city's", lambda w: f"/bulletins/templates/{w.bulletin_template.pk}/activate/",
     expect(404, (302, [OC])))
post("bulletins:template_reset", "the city's", "/bulletins/templates/reset/", expect(403, (404, [OD]), (302, [OC])),
     data=lambda w: {"issuer": w.org['city'].pk})
post("bulletins:template_reset", "nothing sent", "/bulletins/templates/reset/", only(404, OFFICES))
# --- plans (工作方案) ----------------------------------------------------------------------------------------
# the city's plan, its task 1 issued to street A1: the city's office and admin see all of it; district A's office
# and leader and street A1's handler see the task that names street A1; only the city office writes
PLAN_SEERS = [OC, OD, H1, LD, AD]
case("plans:list", "", "/plans/", staff_only())
case("plans:mine", "", "/plans/mine/", staff_only())
case("plans:new", "", "/plans/new/", only(200, OFFICES))
post("plans:new", "nothing sent", "/plans/new/", only(200, OFFICES))
case("plans:import_template", "", "/plans/import-template/", only(200, OFFICES))
case("plans:detail", "the city's plan", lambda w: f"/plans/{w.work_plan.pk}/", seen_by(PLAN_SEERS))
case("plans:detail", "missing", "/plans/999999/", expect(404))
case("plans:edit", "the city's plan", lambda w: f"/plans/{w.work_plan.pk}/edit/", acting([OC], PLAN_SEERS, 200))
post("plans:edit", "nothing sent", lambda w: f"/plans/{w.work_plan.pk}/edit/", acting([OC], PLAN_SEERS, 200))
case("plans:matrix", "the city's plan", lambda w: f"/plans/{w.work_plan.pk}/matrix/", seen_by(PLAN_SEERS))
case("plans:matrix_export", "the city's plan", lambda w: f"/plans/{w.work_plan.pk}/matrix/export/",
     seen_by(PLAN_SEERS))
case("plans:timeline", "the city's plan", lambda w: f"/plans/{w.work_plan.pk}/timeline/", seen_by(PLAN_SEERS))
case("plans:export", "the city's plan", lambda w: f"/plans/{w.work_plan.pk}/export/", seen_by(PLAN_SEERS))
case("plans:import", "the city's plan", lambda w: f"/plans/{w.work_plan.pk}/import/", acting([OC], PLAN_SEERS, 200))
post("plans:import", "nothing sent", lambda w: f"/plans/{w.work_plan.pk}/import/", acting([OC], PLAN_SEERS, 200))
post("plans:issue", "the draft task", lambda w: f"/plans/{w.work_plan.pk}/issue/", acting([OC], PLAN_SEERS))
post("plans:stage_add", "nothing sent", lambda w: f"/plans/{w.work_plan.pk}/stages/", acting([OC], PLAN_SEERS))
post("plans:stage_delete", "", lambda w: f"/plans/stages/{w.stage.pk}/delete/", acting([OC], PLAN_SEERS))
post("plans:stage_delete", "missing", "/plans/stages/999999/delete/", expect(404))
case("plans:task_new", "", lambda w: f"/plans/{w.work_plan.pk}/tasks/new/", acting([OC], PLAN_SEERS, 200))
post("plans:task_new", "nothing sent", lambda w: f"/plans/{w.work_plan.pk}/tasks/new/", acting([OC], PLAN_SEERS, 200))
case("plans:task", "issued to street A1", lambda w: f"/plans/tasks/{w.task.pk}/", seen_by(PLAN_SEERS))
case("plans:task", "a draft", lambda w: f"/plans/tasks/{w.draft_task.pk}/", seen_by([OC, AD]))
post("plans:task", "edit a draft, nothing sent", lambda w: f"/plans/tasks/{w.draft_task.pk}/",
     expect(404, (403, [AD]), (200, [OC])))
post("plans:task", "edit an issued one", lambda w: f"/plans/tasks/{w.task.pk}/", acting([OC], PLAN_SEERS))
post("plans:task_delete", "a draft", lambda w: f"/plans/tasks/{w.draft_task.pk}/delete/", acting([OC], [OC, AD]))
post("plans:task_delete", "issued (refused)", lambda w: f"/plans/tasks/{w.task.pk}/delete/", acting([OC], PLAN_SEERS))
post("plans:report", "street A1's part, nothing else sent", lambda w: f"/plans/tasks/{w.task.pk}/report/",
     acting([OC, OD, H1], PLAN_SEERS), data=lambda w: {"assignment": w.assignment.pk})
post("plans:report", "missing task", "/plans/tasks/999999/report/", expect(404))
post("plans:review", "accept street A1's report", lambda w: f"/plans/reports/{w.report.pk}/accept/",
     acting([OC], PLAN_SEERS))
post("plans:review", "unknown action", lambda w: f"/plans/reports/{w.report.pk}/fly/", expect(404))
case("plans:report_file", "street A1's PDF", lambda w: f"/plans/report-files/{w.report.files.get().pk}/",
     seen_by(PLAN_SEERS))
MEETING_READERS = [OC, OD, LD, AD]   # offices, leaders and admins read their units' meetings
case("plans:meetings", "", "/plans/meetings/", only(200, MEETING_READERS))
case("plans:meetings_export", "", "/plans/meetings/export/", only(200, MEETING_READERS))
case("plans:meeting_new", "", "/plans/meetings/new/", only(200, OFFICES))
post("plans:meeting_new", "nothing sent", "/plans/meetings/new/", only(200, OFFICES))
case("plans:meeting", "the city's", lambda w: f"/plans/meetings/{w.meeting.pk}/", seen_by([OC, AD]))
case("plans:meeting", "missing", "/plans/meetings/999999/", expect(404))
case("plans:meeting_edit", "the city's", lambda w: f"/plans/meetings/{w.meeting.pk}/edit/", acting([OC], [OC, AD], 200))
post("plans:meeting_edit", "nothing sent", lambda w: f"/plans/meetings/{w.meeting.pk}/edit/",
     acting([OC], [OC, AD], 200))
post("plans:decision_add", "nothing sent", lambda w: f"/plans/meetings/{w.meeting.pk}/decisions/",
     acting([OC], [OC, AD], 200))
case("plans:plan_file", "missing (files: plans/tests/test_plans.py)", "/plans/plan-files/999999/", expect(404))
case("plans:meeting_file", "the minutes", lambda w: f"/plans/meeting-files/{w.meeting.files.get().pk}/",
     seen_by([OC, AD]))
post("plans:sign", "street A1's part", lambda w: f"/plans/assignments/{w.assignment.pk}/sign/",
     expect(404, (302, [OC, OD, H1])))

# --- archives (创城档案) ---------------------------------------------------------------------------------------
# the city's requirement for 文化站 points (street A1, district B) and street A1's material for it, waiting for review:
# every office, leader, admin and handler reads the archive; offices, leaders and admins oversee it (matrix, readiness);
# the material is seen by its street and those above it, passed or returned by an office above the street
ARCHIVE_USERS = [OC, OD, H1, H2, LD, AD]
OVERSEERS = [OC, OD, LD, AD]
EVIDENCE_SEERS = [OC, OD, H1, LD, AD]
case("archives:home", "", "/archives/", only(200, ARCHIVE_USERS))
case("archives:matrix", "", "/archives/matrix/", only(200, OVERSEERS))
case("archives:matrix_export", "", "/archives/matrix/export/", only(200, OVERSEERS))
case("archives:readiness", "", "/archives/readiness/", only(200, OVERSEERS))
case("archives:waiting", "", "/archives/waiting/", only(200, OFFICES))
post("archives:derive", "", "/archives/derive/", only(302, OFFICES))
post("archives:collect", "", "/archives/collect/", only(302, OFFICES))
post("archives:package", "", "/archives/package/", only(302, OFFICES))
case("archives:requirement_new", "", "/archives/requirements/new/", only(200, OFFICES))
post("archives:requirement_new", "nothing sent", "/archives/requirements/new/", only(200, OFFICES))
case("archives:requirement", "the city's", lambda w: f"/archives/requirements/{w.requirement.pk}/",
     only(200, ARCHIVE_USERS))
case("archives:requirement", "with street A1", lambda w: f"/archives/requirements/{w.requirement.pk}/?unit="
     f"{w.org['street_a1'].pk}", expect(403, (200, [OC, OD, H1, LD, AD]), (404, [H2])))
case("archives:requirement", "missing", "/archives/requirements/999999/", only(404, ARCHIVE_USERS))
case("archives:requirement_edit", "the city's", lambda w: f"/archives/requirements/{w.requirement.pk}/edit/",
     acting([OC], ARCHIVE_USERS, 200))
post("archives:requirement_edit", "nothing sent", lambda w: f"/archives/requirements/{w.requirement.pk}/edit/",
     acting([OC], ARCHIVE_USERS, 200))
post("archives:upload", "nothing sent", lambda w: f"/archives/requirements/{w.requirement.pk}/upload/",
     expect(403, (302, [OC, OD, H1])))
post("archives:review", "accept street A1's", lambda w: f"/archives/evidence/{w.evidence.pk}/accept/",
     acting([OC, OD], EVIDENCE_SEERS))
post("archives:review", "unknown action", lambda w: f"/archives/evidence/{w.evidence.pk}/fly/", expect(404))
post("archives:withdraw", "street A1's", lambda w: f"/archives/evidence/{w.evidence.pk}/withdraw/",
     acting([OC, OD, H1], EVIDENCE_SEERS))
case("archives:file", "street A1's PDF", lambda w: f"/archives/files/{w.evidence.files.get().pk}/",
     seen_by(EVIDENCE_SEERS))
case("archives:file", "missing", "/archives/files/999999/", expect(404))

# --- surveys (问卷调查) ----------------------------------------------------------------------------------------
# the city's built-in questionnaire; its 入户 campaign over the city (甲一社区) with a flagged response, and its
# 扫码自填 campaign. Offices, leaders and admins oversee (questionnaires, results); offices, handlers and grid workers
# collect; every one of them sees the campaigns covering his unit; only the city office manages them.
SURVEY_USERS = [OC, OD, H1, H2, LD, AD, GW]
SURVEY_OVERSEERS = [OC, OD, LD, AD]
A1_COLLECTORS = [OC, OD, H1, GW]
case("surveys:home", "", "/surveys/", only(200, SURVEY_USERS))
case("surveys:questionnaires", "", "/surveys/questionnaires/", only(200, SURVEY_OVERSEERS))
post("surveys:builtin", "", "/surveys/questionnaires/builtin/", only(302, OFFICES))
case("surveys:questionnaire_import", "", "/surveys/questionnaires/import/", only(200, OFFICES))
post("surveys:questionnaire_import", "nothing sent", "/surveys/questionnaires/import/", only(200, OFFICES))
case("surveys:questionnaire", "the city's", lambda w: f"/surveys/questionnaires/{w.questionnaire.pk}/",
     seen_by(SURVEY_OVERSEERS))
case("surveys:questionnaire", "missing", "/surveys/questionnaires/999999/", expect(404))
post("surveys:questionnaire_publish", "already published", lambda w: f"/surveys/questionnaires/{w.questionnaire.pk}/publish/",
     acting([OC], SURVEY_OVERSEERS))
post("surveys:questionnaire_delete", "published: refused", lambda w: f"/surveys/questionnaires/{w.questionnaire.pk}/delete/",
     acting([OC], SURVEY_OVERSEERS))
case("surveys:questionnaire_export", "yaml", lambda w: f"/surveys/questionnaires/{w.questionnaire.pk}/export/yaml/",
     seen_by(SURVEY_OVERSEERS))
case("surveys:questionnaire_export", "xlsx", lambda w: f"/surveys/questionnaires/{w.questionnaire.pk}/export/xlsx/",
     seen_by(SURVEY_OVERSEERS))
case("surveys:questionnaire_export", "unknown format", lambda w: f"/surveys/questionnaires/{w.questionnaire.pk}/export/pdf/",
     seen_by(SURVEY_OVERSEERS, 302))
case("surveys:campaign_new", "", "/surveys/campaigns/new/", only(200, OFFICES))
post("surveys:campaign_new", "nothing sent", "/surveys/campaigns/new/", only(200, OFFICES))
case("surveys:campaign", "the city's", lambda w: f"/surveys/campaigns/{w.campaign.pk}/", seen_by(SURVEY_USERS))
case("surveys:campaign", "missing", "/surveys/campaigns/999999/", expect(404))
case("surveys:results", "", lambda w: f"/surveys/campaigns/{w.campaign.pk}/results/",
     expect(404, (403, SURVEY_USERS), (200, SURVEY_OVERSEERS)))
case("surveys:results", "by street, cross-tab of question 1", lambda w: f"/surveys/campaigns/{w.campaign.pk}/results/"
     "?level=street&q=1", expect(404, (403, SURVEY_USERS), (200, SURVEY_OVERSEERS)))
case("surveys:results_export", "", lambda w: f"/surveys/campaigns/{w.campaign.pk}/results/export/",
     expect(404, (403, SURVEY_USERS), (200, SURVEY_OVERSEERS)))
case("surveys:review", "", lambda w: f"/surveys/campaigns/{w.campaign.pk}/review/", acting([OC], SURVEY_USERS, 200))
case("surveys:qr", "甲一社区's link", lambda w: f"/surveys/campaigns/{w.campaign_self.pk}/qr/{w.campaign_self.units.get().pk}/",
     acting([OC], SURVEY_USERS, 200))
post("surveys:campaign_action", "close", lambda w: f"/surveys/campaigns/{w.campaign.pk}/close/", acting([OC], SURVEY_USERS))
post("surveys:campaign_action", "check surveyors", lambda w: f"/surveys/campaigns/{w.campaign.pk}/check/",
     acting([OC], SURVEY_USERS))
post("surveys:campaign_action", "unknown action", lambda w: f"/surveys/campaigns/{w.campaign.pk}/fly/", expect(404))
post("surveys:response_review", "the flagged one", lambda w: f"/surveys/responses/{w.response.pk}/review/",
     acting([OC], SURVEY_OVERSEERS))
case("surveys:collect_list", "", "/surveys/collect/", only(200, SURVEY_USERS))
case("surveys:collect", "甲一社区", lambda w: f"/surveys/collect/{w.campaign.units.get().pk}/", seen_by(A1_COLLECTORS))
post("surveys:collect_submit", "nothing sent", lambda w: f"/surveys/collect/{w.campaign.units.get().pk}/submit/",
     seen_by(A1_COLLECTORS, 400))
case("public_survey", "甲一社区's link (no account needed)", lambda w: f"/public/survey/{w.campaign_self.units.get().token}/",
     expect(200), anonymous=200)
case("public_survey", "unknown link", "/public/survey/nothing/", expect(404), anonymous=404)
post("public_survey_submit", "nothing sent", lambda w: f"/public/survey/{w.campaign_self.units.get().token}/submit/",
     expect(400), anonymous=400)

# --- dashboard (领导驾驶舱) ----------------------------------------------------------------------------------
# offices and leaders read it (each over his own unit); everyone else is refused; another's unit is not found
DASHBOARD = [OC, OD, LD]
case("dashboard:index", "", "/dashboard/", only(200, DASHBOARD))
case("dashboard:index", "district A (the city office is not its office)", lambda w: f"/dashboard/?unit={w.org['district_a'].pk}",
     expect(403, (404, DASHBOARD), (200, [OD, LD])))
case("dashboard:screen", "", "/dashboard/screen/", only(200, DASHBOARD))
case("dashboard:export", "today by unit", "/dashboard/export/today_units/", only(200, DASHBOARD))
case("dashboard:export", "unknown table", "/dashboard/export/nothing/", only(404, DASHBOARD))
case("dashboard:table", "the map's cells", "/dashboard/table/points_map/", only(200, DASHBOARD))
case("dashboard:table", "district A's heat", lambda w: f"/dashboard/table/heat/?unit={w.org['district_a'].pk}",
     expect(403, (404, DASHBOARD), (200, [OD, LD])))
case("dashboard:table", "unknown table", "/dashboard/table/nothing/", only(404, DASHBOARD))

# --- inspections -----------------------------------------------------------------------------------------

case("inspections:list", "", "/inspections/", staff_only())
case("inspections:new", "", "/inspections/new/", only(200, [OC, OD, H1, H2]))
post("inspections:new", "nothing sent", "/inspections/new/", only(200, [OC, OD, H1, H2]))
# 复制上一轮 fills the form (or says why not) for whoever may plan some round; it writes nothing
case("inspections:new", "复制上一轮 (district A's 周测评)",
     lambda w: f"/inspections/new/?copy=1&kind=weekly&owner={w.org['district_a'].pk}", only(200, [OC, OD, H1, H2]))
case("inspections:mine", "", "/inspections/mine/", expect(200))
case("inspections:settings", "", "/inspections/settings/", only(200, [OC]))
post("inspections:settings", "nothing sent", "/inspections/settings/", only(302, [OC]))
# round A (district A's, published): its owner's side, its inspector, and the units whose points it holds
ROUND_A = [OC, OD, LD, AD, IN, H1, GW]
ROUND_B = [OC, AD, IN]                          # district B's, open
ROUND_DRAFT = [OC, AD]                          # the city's, a draft: its managers and the admin above
# district A's 暗访, open: not shown to the inspected units yet; the inspector sees it through his 督查组
ROUND_SECRET = [OC, OD, LD, AD, IN]
case("inspections:round", "district A's (published)", lambda w: f"/inspections/{w.round_a.pk}/", seen_by(ROUND_A))
case("inspections:round", "district B's (open)", lambda w: f"/inspections/{w.round_b.pk}/", seen_by(ROUND_B))
case("inspections:round", "the city's draft", lambda w: f"/inspections/{w.round_draft.pk}/", seen_by(ROUND_DRAFT))
case("inspections:round", "district A's 暗访 (open, by its 督查组)", lambda w: f"/inspections/{w.round_secret.pk}/",
     seen_by(ROUND_SECRET))
case("inspections:round", "missing", "/inspections/999999/", expect(404))
for action, key, managers, seers in [
    ("sample", "round_draft", [OC], ROUND_DRAFT),
    ("assign", "round_draft", [OC], ROUND_DRAFT),
    ("open", "round_draft", [OC], ROUND_DRAFT),
    ("reassign", "round_b", [OC], ROUND_B),
    ("close", "round_b", [OC], ROUND_B),
    ("min_sample", "round_b", [OC], ROUND_B),
    ("publish", "round_a", OFFICES, ROUND_A),
]:
    post("inspections:action", f"{action} {key}", lambda w, k=key, a=action: f"/inspections/{w[k].pk}/{a}/",
         acting(managers, seers))
post("inspections:action", "unknown action", lambda w: f"/inspections/{w.round_a.pk}/fly/", expect(404))
# the phone form: the point's inspector only; those who see the point in the round are refused
case("inspections:inspect", "district B's open point", lambda w: f"/inspections/do/{w.rp_b.pk}/",
     acting([IN], ROUND_B, 200))
post("inspections:inspect", "district B's open point, no answers (the form again)",
     lambda w: f"/inspections/do/{w.rp_b.pk}/", acting([IN], ROUND_B, 200))
case("inspections:inspect", "round A's done point (to its result)", lambda w: f"/inspections/do/{w.rp_a1.pk}/",
     acting([IN], [OC, OD, LD, AD, IN, H1], 302))
case("inspections:inspect", "the 暗访's done point (its 督查组 member, to the result)",
     lambda w: f"/inspections/do/{w.rp_secret.pk}/", acting([IN], ROUND_SECRET, 302))
case("inspections:result", "the 暗访's point (before publication)", lambda w: f"/inspections/result/{w.rp_secret.pk}/",
     seen_by(ROUND_SECRET))
case("inspections:result", "round A's point of street A1", lambda w: f"/inspections/result/{w.rp_a1.pk}/",
     seen_by([OC, OD, LD, AD, IN, H1]))
case("inspections:result", "round A's point in the grid", lambda w: f"/inspections/result/{w.rp_grid.pk}/",
     seen_by([OC, OD, LD, AD, IN, GW]))
case("inspections:result", "district B's point (not yet published)", lambda w: f"/inspections/result/{w.rp_b.pk}/",
     seen_by(ROUND_B))

# --- places ----------------------------------------------------------------------------------------------

def _point_form(w, **overrides) -> dict:
    data = {"code": "GD-A1-01", "name": "甲一街道建筑工地", "point_type": w.point_a1.point_type_id,
            "unit": w.org["street_a1"].code, "area": w.org["grid_a1"].code}
    return {**data, **overrides}


POINT_A1 = [OC, OD, H1, IN, LD, AD]             # street A1's, lying in community A1
POINT_GRID = [OC, OD, IN, LD, AD, GW]           # community A1's, lying in the grid
POINT_B = [OC, IN, AD]
case("places:list", "", "/points/", staff_only())
case("places:scatter", "", "/points/scatter.json", staff_only())
case("places:create", "", "/points/new/", only(200, OFFICES))
# a point the form accepts and the rules refuse (a reserved code): the form again, with the reason
post("places:create", "a reserved code", "/points/new/", only(200, OFFICES), data=lambda w: _point_form(w, code="new"))
case("places:import", "", "/points/import/", only(200, OFFICES))
post("places:import", "no file", "/points/import/", only(200, OFFICES))
case("places:import_template", "", "/points/import/template.xlsx", only(200, OFFICES))
case("places:export", "", "/points/export/", staff_only())
case("places:qr_sheet", "", "/points/qr-sheet/", staff_only())
case("places:qr", "street A1's point (to its page)", lambda w: f"/points/q/{w.point_a1.qr_token}/",
     seen_by(POINT_A1, 302))
case("places:qr", "unknown code", "/points/q/nothing/", expect(404))
case("places:detail", "street A1's", lambda w: f"/points/{w.point_a1.code}/", seen_by(POINT_A1))
case("places:detail", "in the grid", lambda w: f"/points/{w.point_grid.code}/", seen_by(POINT_GRID))
case("places:detail", "district B's", lambda w: f"/points/{w.point_b.code}/", seen_by(POINT_B))
case("places:edit", "street A1's", lambda w: f"/points/{w.point_a1.code}/edit/", acting(OFFICES, POINT_A1, 200))
case("places:edit", "district B's", lambda w: f"/points/{w.point_b.code}/edit/", acting([OC], POINT_B, 200))
post("places:edit", "street A1's, given a reserved code", lambda w: f"/points/{w.point_a1.code}/edit/",
     acting(OFFICES, POINT_A1, 200), data=lambda w: _point_form(w, code="export"))
post("places:photo", "street A1's (no file)", lambda w: f"/points/{w.point_a1.code}/photo/",
     acting(OFFICES, POINT_A1))
for action in ["regenerate-qr", "deactivate", "activate"]:
    post("places:action", f"{action} street A1's", lambda w, a=action: f"/points/{w.point_a1.code}/{a}/",
         acting(OFFICES, POINT_A1))
post("places:action", "deactivate district B's", lambda w: f"/points/{w.point_b.code}/deactivate/",
     acting([OC], POINT_B))
post("places:action", "unknown action", lambda w: f"/points/{w.point_a1.code}/fly/", expect(404))

# --- API tokens (the city office) ----------------------------------------------------------------------------

case("api_tokens", "", "/api-tokens/", only(200, [OC]))
post("api_tokens", "nothing sent (the form again)", "/api-tokens/", only(200, [OC]))
post("api_token_revoke", "", lambda w: f"/api-tokens/{w.api_token().pk}/revoke/", only(302, [OC]))

# --- the JSON API ----------------------------------------------------------------------------------------------

case("api:openapi-json", "(public)", "/api/openapi.json", expect(200), anonymous=200)
case("api:openapi-view", "(public)", "/api/docs", expect(200), anonymous=200)
case("api:api-root", "(no endpoint)", "/api/", expect(404), anonymous=404)
case("^api/", "no endpoint", "/api/nothing/", expect(404), anonymous=404)
case("api:api_problems", "list", "/api/problems/", expect(200))
# reporting: only roles that report (not the admin, not an outsider: 403); a reporter may report where one of
# his units is, or below — community A1 is below street A1 and district A, above the grid (400 on "area")
api_post("api:api_problems", "report in community A1", "/api/problems/",
         expect(400, (201, [OC, OD, H1, IN, LD, CZ]), (403, [AD, OU])),
         data=lambda w: {"title": "公益广告破损", "category": "0201", "area": w.org["community_a1"].code,
                         "address": "甲一社区东门"})
case("api:api_problems_locate", "a point", "/api/problems/locate/?latitude=30.25&longitude=120.16",
     expect(403, (200, REPORTERS)))
case("api:api_problems_nearby", "in community A1",
     lambda w: f"/api/problems/nearby/?category=0201&area={w.org['community_a1'].code}",
     expect(400, (200, [OC, OD, H1, IN, LD, CZ])))
case("api:api_problem", "street A1's", lambda w: f"/api/problems/{w.p_rectifying.code}/", seen_by(SEES_A1))
case("api:api_problem", "district B's", lambda w: f"/api/problems/{w.p_b.code}/", seen_by(SEES_B))
case("api:api_problem", "missing", "/api/problems/WT2000-999999/", expect(404))
api_post("api:api_action", "sign street A1's", lambda w: f"/api/problems/{w.p_raised.code}/actions/sign/",
         acting([H1], PROBLEM_SEERS["p_raised"], 200))
api_post("api:api_action", "accept the citizen's (nothing sent)",
         lambda w: f"/api/problems/{w.p_reported.code}/actions/accept/", acting(OFFICES, PROBLEM_SEERS["p_reported"], 200))
api_post("api:api_action", "reject the citizen's (no reason: 400 for who may)",
         lambda w: f"/api/problems/{w.p_reported.code}/actions/reject/", acting(OFFICES, PROBLEM_SEERS["p_reported"], 400))
api_post("api:api_action", "unknown action", lambda w: f"/api/problems/{w.p_reported.code}/actions/fly/", expect(404))


# --- the tests ---------------------------------------------------------------------------------------------------

def _routes(resolver=None, namespace: str = "") -> set[str]:
    """Every URL pattern: ``namespace:name``, or its regex when it has no name."""
    found: set[str] = set()
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= _routes(entry, inner)
        elif isinstance(entry, URLPattern):
            found.add(f"{namespace}{entry.name}" if entry.name else str(entry.pattern.regex.pattern))
    return found


def test_every_route_is_declared():
    urlconf, declared = _routes(), {c.route for c in CASES}
    missing, stale = sorted(urlconf - declared), sorted(declared - urlconf)
    assert not missing, f"routes without a row in test_route_matrix.CASES: {missing}"
    assert not stale, f"rows for routes the URLconf no longer has: {stale}"


def _request(client, c: Case, url: str, data):
    if c.method == "GET":
        return client.get(url)
    if c.json:
        return client.post(url, json.dumps(data), content_type="application/json")
    return client.post(url, data)


@pytest.mark.parametrize("c", CASES, ids=[c.id for c in CASES])
def test_route_matrix(city, client_for, c: Case):
    got, expected = {}, dict(c.expected)
    anonymous = c.anonymous if c.anonymous is not None else (401 if c.url(city).startswith("/api/") else 302)
    expected[ANONYMOUS] = anonymous
    for persona in ALL + [None]:
        name = persona or ANONYMOUS
        try:
            with transaction.atomic():  # what one persona may write is undone before the next asks
                url, data = c.url(city), c.data(city) if c.data else None
                response = _request(client_for(persona), c, url, data)
                transaction.set_rollback(True)
        except Exception as error:  # a 500, reported with the persona who met it
            got[name] = f"{type(error).__name__}: {error}"
            continue
        got[name] = response.status_code
        if persona is None and response.status_code == 302 and anonymous == 302:
            assert response["Location"].startswith("/login/"), f"{c.id}: anonymous sent to {response['Location']}"
        if persona is None and response.status_code == 401:
            assert response.json()["code"] == "unauthenticated", c.id
    wrong = {name: f"expected {expected[name]}, got {got[name]}" for name in expected if got[name] != expected[name]}
    assert not wrong, f"{c.id} ({c.method} {c.url(city)}): {wrong}"
