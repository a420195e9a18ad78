"""Every page, every persona: allowed (200), refused inside scope (403) or not revealed (404)."""

import json

import pytest
from django.urls import reverse

from wenming.core.models import AuditEvent
from wenming.org.models import Patronage, Team, TeamKind, TeamUnit

ALL = ["office_city", "office_district_a", "handler_street_a1", "handler_street_a2", "inspector", "leader",
       "grid_worker", "citizen", "admin", "outsider"]


def expect(**codes):
    """Expected status per persona; unspecified personas default to the ``_`` entry."""
    default = codes.pop("_", None)
    return {name: codes.get(name, default) for name in ALL}


@pytest.fixture
def city_team(org):
    team = Team.objects.create(name="创建工作领导小组", kind=TeamKind.LEADING_GROUP, unit=org["city"])
    TeamUnit.objects.create(team=team, unit=org["street_a1"], is_lead=True)
    return team


@pytest.fixture
def district_b_team(org):
    return Team.objects.create(name="乙区创建办", kind=TeamKind.OFFICE, unit=org["district_b"])


CASES = [
    ("home", lambda o: reverse("home"), expect(_=200)),
    ("me", lambda o: reverse("me"), expect(_=200)),
    ("tree", lambda o: reverse("org:tree"), expect(_=200, citizen=403, outsider=403)),
    ("unit street_a1", lambda o: reverse("org:unit", args=[o["street_a1"].pk]),
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=200, leader=200, admin=200)),
    ("unit street_b1 (leader's 包保)", lambda o: reverse("org:unit", args=[o["street_b1"].pk]),
     expect(_=404, office_city=200, leader=200, admin=200)),
    ("unit grid (grid worker's own)", lambda o: reverse("org:unit", args=[o["grid_a1"].pk]),
     expect(_=404, office_city=200, office_district_a=200, leader=200, admin=200, grid_worker=200)),
    ("unit city", lambda o: reverse("org:unit", args=[o["city"].pk]),
     expect(_=404, office_city=200, inspector=200, admin=200)),
    ("children street_a1", lambda o: reverse("org:unit_children", args=[o["street_a1"].pk]),
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=200, leader=200, admin=200)),
    ("unit edit street_a1", lambda o: reverse("org:unit_edit", args=[o["street_a1"].pk]),
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=403, leader=403, admin=403)),
    ("unit create under street_a1", lambda o: reverse("org:unit_create", args=[o["street_a1"].pk]),
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=403, leader=403, admin=403)),
    ("patronage create street_a1", lambda o: reverse("org:patronage_create", args=[o["street_a1"].pk]),
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=403, leader=403, admin=403)),
    ("import", lambda o: reverse("org:import"), expect(_=403, office_city=200, office_district_a=200)),
    ("import template", lambda o: reverse("org:import_template"),
     expect(_=403, office_city=200, office_district_a=200)),
    ("export", lambda o: reverse("org:export"),
     expect(_=403, office_city=200, office_district_a=200, leader=200, admin=200)),
    ("export district B", lambda o: reverse("org:export") + f"?root={o['district_b'].pk}",
     expect(_=404, office_city=200, admin=200)),
    ("teams", lambda o: reverse("org:teams"), expect(_=200, citizen=403, outsider=403)),
    ("team create", lambda o: reverse("org:team_create"), expect(_=403, office_city=200, office_district_a=200)),
    ("accounts", lambda o: reverse("org:accounts"), expect(_=403, office_city=200, office_district_a=200)),
    ("account create", lambda o: reverse("org:account_create"),
     expect(_=403, office_city=200, office_district_a=200)),
    ("audit log", lambda o: reverse("audit_log"),
     expect(_=403, office_city=200, office_district_a=200, admin=200)),
    # the city's SMS/e-mail failures belong to no unit: office and admin at the city only
    ("outbound failures", lambda o: reverse("outbound"), expect(_=403, office_city=200, admin=200)),
    ("my exports", lambda o: reverse("jobs"), expect(_=200)),
    # a job (an export) is its owner's alone; a queued one has no file yet (the owner is sent back)
    ("job of office_city", lambda o: reverse("job", args=[_job_of("office_city").pk]),
     expect(_=404, office_city=200)),
    ("job status of office_city", lambda o: reverse("job_status", args=[_job_of("office_city").pk]),
     expect(_=404, office_city=200)),
    ("job download of office_city", lambda o: reverse("job_download", args=[_job_of("office_city").pk]),
     expect(_=404, office_city=302)),
    # the API tokens: the city's office only (core/tokens.py)
    ("api tokens", lambda o: reverse("api_tokens"), expect(_=403, office_city=200)),
    # the JSON API (docs/api.md): the schema and its page for anyone; lists and reads by scope — a
    # problem in street A1 (reported by the inspector, assigned by district A's office)
    ("api schema", lambda o: "/api/openapi.json", expect(_=200)),
    ("api docs page", lambda o: "/api/docs", expect(_=200)),
    ("api problems", lambda o: "/api/problems/", expect(_=200)),
    ("api problem", lambda o: f"/api/problems/{_api_problem(o)}/",
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=200, inspector=200, leader=200,
            admin=200)),
    # reporting there needs a role in or above community A1 (not the grid below it): else 400 on "area"
    ("api nearby problems", lambda o: f"/api/problems/nearby/?category=0201&area={o['community_a1'].code}",
     expect(_=400, office_city=200, office_district_a=200, handler_street_a1=200, inspector=200, leader=200,
            citizen=200)),
]


def _api_problem(o) -> str:
    """A problem made through the API (the base layer's tests do not import the cases app):
    reported in community A1 by the inspector, assigned to street A1 by district A's office."""
    import json

    from django.test import Client

    from wenming.org.models import User

    if "_problem" not in o:
        def as_user(username):
            client = Client()
            client.force_login(User.objects.get(username=username))
            return client

        made = as_user("inspector").post("/api/problems/", json.dumps({
            "title": "公益广告破损", "category": "0201", "area": o["community_a1"].code, "address": "甲一社区东门"}),
            content_type="application/json")
        assert made.status_code == 201, made.content
        code = made.json()["code"]
        assigned = as_user("office_district_a").post(f"/api/problems/{code}/actions/assign/", json.dumps(
            {"unit": o["street_a1"].code}), content_type="application/json")
        assert assigned.status_code == 200, assigned.content
        o["_problem"] = code
    return o["_problem"]


def _job_of(username: str):
    from wenming.core.models import Job
    from wenming.org.models import User

    return Job.objects.create(owner=User.objects.get(username=username), kind="cases.ledger_export",
                              title="问题台账导出（全部）")


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,expected", CASES, ids=[c[0] for c in CASES])
def test_page_access_matrix(login, org, label, url, expected):
    for persona in ALL:
        response = login(persona).get(url(org))
        assert response.status_code == expected[persona], f"{label}: {persona} got {response.status_code}"


@pytest.mark.django_db
def test_team_pages_scope(login, city_team, district_b_team):
    # the city's leading group is visible to staff everywhere in the city; district B's office is not
    # visible from district A
    city_url = reverse("org:team", args=[city_team.pk])
    b_url = reverse("org:team", args=[district_b_team.pk])
    for persona in ["office_city", "office_district_a", "handler_street_a1", "inspector", "leader", "grid_worker", "admin"]:
        assert login(persona).get(city_url).status_code == 200, persona
    for persona in ["citizen", "outsider"]:
        assert login(persona).get(city_url).status_code == 404, persona
    assert login("office_city").get(b_url).status_code == 200
    for persona in ["office_district_a", "handler_street_a1", "handler_street_a2", "grid_worker", "citizen"]:
        assert login(persona).get(b_url).status_code == 404, persona


@pytest.mark.django_db
def test_team_writes_refused_to_wrong_persona(login, city_team, personas):
    url = reverse("org:team_member_add", args=[city_team.pk])
    data = {"person_name": "新成员", "team_post": "member", "post": "局长"}
    assert login("handler_street_a1").post(url, data).status_code == 403
    assert login("office_district_a").post(url, data).status_code == 403  # city team, district office
    assert login("citizen").post(url, data).status_code == 404
    assert city_team.members.count() == 0
    assert login("office_city").post(url, data).status_code == 302
    assert city_team.members.get().person_name == "新成员"


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client, org):
    for url in [reverse("home"), reverse("org:tree"), reverse("org:unit", args=[org["city"].pk]),
                reverse("org:accounts"), reverse("audit_log")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.django_db
def test_refusals_are_audited(login, org):
    login("handler_street_a2").get(reverse("org:unit", args=[org["street_a1"].pk]))
    login("handler_street_a1").get(reverse("org:accounts"))
    refused = AuditEvent.objects.filter(action="access.refused").order_by("id")
    assert [(e.actor_username, e.detail["status"]) for e in refused] == [
        ("handler_street_a2", 404), ("handler_street_a1", 403)]


@pytest.mark.django_db
def test_contacts_masked_for_handlers(login, org):
    page = login("handler_street_a1").get(reverse("org:unit", args=[org["street_a1"].pk])).content.decode()
    assert "139****5678" in page and "13912345678" not in page
    page = login("office_district_a").get(reverse("org:unit", args=[org["street_a1"].pk])).content.decode()
    assert "13912345678" in page


WRITE_ENDPOINTS = [
    # (label, url builder, data builder, personas allowed to act)
    ("unit create", lambda o, p, t: reverse("org:unit_create", args=[o["street_a1"].pk]),
     lambda o: {"name": "新社区", "kind": "community", "code": "330102001077", "population": 1}),
    ("unit edit", lambda o, p, t: reverse("org:unit_edit", args=[o["street_a1"].pk]),
     lambda o: {"name": "改名", "population": 1, "is_active": "on"}),
    ("patronage create", lambda o, p, t: reverse("org:patronage_create", args=[o["street_a2"].pk]),
     lambda o: {"kind": "baobao", "patron_username": "leader"}),
    ("team unit add", lambda o, p, t: reverse("org:team_unit_add", args=[t.pk]),
     lambda o: {"unit": o["street_a2"].code}),
    ("team member remove", lambda o, p, t: reverse("org:team_member_remove", args=[t.pk, t.members.first().pk]),
     lambda o: {}),
    ("account grant", lambda o, p, t: reverse("org:account_grant", args=[p["grid_worker"].pk]),
     lambda o: {"unit": o["community_a1"].code, "role": "inspector"}),
    ("account toggle", lambda o, p, t: reverse("org:account_toggle", args=[p["grid_worker"].pk]), lambda o: {}),
    ("account reset", lambda o, p, t: reverse("org:account_reset", args=[p["grid_worker"].pk]), lambda o: {}),
    ("account edit", lambda o, p, t: reverse("org:account", args=[p["grid_worker"].pk]),
     lambda o: {"full_name": "改名"}),
    ("account create", lambda o, p, t: reverse("org:account_create"),
     lambda o: {"username": "new_one", "full_name": "新人", "unit": o["street_a1"].code, "role": "handler"}),
    ("account revoke", lambda o, p, t: reverse("org:account_revoke", args=[
        p["grid_worker"].pk, p["grid_worker"].memberships.get(role="grid_worker").pk]), lambda o: {}),
    ("team create", lambda o, p, t: reverse("org:team_create"),
     lambda o: {"name": "新工作组", "kind": "working_group", "unit": o["district_a"].code}),
    ("patronage end", lambda o, p, t: reverse("org:patronage_end", args=[
        Patronage.objects.get_or_create(patron_user=p["leader"], target_unit=o["street_a1"])[0].pk]), lambda o: {}),
]
REFUSED = ["handler_street_a1", "handler_street_a2", "inspector", "leader", "grid_worker", "citizen", "admin", "outsider"]


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,data", WRITE_ENDPOINTS, ids=[w[0] for w in WRITE_ENDPOINTS])
def test_writes_refused_to_every_wrong_persona(login, org, personas, label, url, data):
    from wenming.org.models import Membership, Patronage, TeamMember, Unit, User

    team = Team.objects.create(name="测试组", kind=TeamKind.WORKING_GROUP, unit=org["district_a"])
    TeamMember.objects.create(team=team, person_name="成员甲", team_post="member")
    # a second role, so that revoking one is allowed for the office
    Membership.objects.create(user=personas["grid_worker"], unit=org["community_a1"], role="handler")
    url(org, personas, team)  # create what the URL points at before the snapshot

    def snapshot():
        return (list(Unit.objects.values_list("name", "code", "population").order_by("id")),
                list(Team.objects.values_list("name", flat=True).order_by("id")),
                list(Patronage.objects.values_list("is_active", flat=True).order_by("id")),
                list(User.objects.values_list("username", "full_name", "is_active", "password").order_by("id")),
                list(Membership.objects.values_list("user_id", "unit_id", "role", "is_active").order_by("id")),
                Patronage.objects.count(), TeamMember.objects.count(), team.responsible_units.count())

    before = snapshot()
    for persona in REFUSED:
        status = login(persona).post(url(org, personas, team), data(org)).status_code
        assert status in (403, 404), f"{label}: {persona} got {status}"
    assert snapshot() == before
    # and the district office may
    status = login("office_district_a").post(url(org, personas, team), data(org)).status_code
    assert status in (200, 302)
    assert snapshot() != before, label


@pytest.mark.django_db
def test_htmx_request_after_session_end_moves_the_whole_page(client, org):
    response = client.get(reverse("org:unit_children", args=[org["city"].pk]), HTTP_HX_REQUEST="true")
    assert response.status_code == 204 and response["HX-Redirect"].startswith("/login/")


API_WRITES = [
    # (label, url builder, JSON body, expected status per persona) — every persona in turn, in ALL's order
    ("api report in community A1", lambda o, p: "/api/problems/",
     lambda o: {"title": "公益广告破损", "category": "0201", "area": o["community_a1"].code, "address": "甲一社区东门"},
     expect(_=400, office_city=201, office_district_a=201, handler_street_a1=201, inspector=201, leader=201,
            citizen=201, admin=403, outsider=403)),  # no role that reports: refused, as on the report page
    # signing is the responsible unit's: others who see the problem 403, the rest 404
    ("api sign", lambda o, p: f"/api/problems/{_api_problem(o)}/actions/sign/", lambda o: {},
     expect(_=404, office_city=403, office_district_a=403, handler_street_a1=200, inspector=403, leader=403,
            admin=403)),
    ("api token create", lambda o, p: reverse("api_tokens"),
     lambda o: {"name": "12345热线", "unit": o["street_a1"].code, "role": "handler", "permissions": "problems.read",
                "days": 30},
     expect(_=403, office_city=200)),
    ("api token revoke", lambda o, p: reverse("api_token_revoke", args=[_token(p).pk]), lambda o: {},
     expect(_=403, office_city=302)),
]


def _token(personas):
    from wenming.core import services_tokens
    from wenming.core.models import ApiToken

    token = ApiToken.objects.filter(revoked_at__isnull=True).first()
    if token is None:
        token, _ = services_tokens.token_create(
            actor=personas["office_city"], name="网格平台", unit=personas["office_district_a"].memberships.get().unit,
            role="office", permissions=["problems.read"])
    return token


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,data,expected", API_WRITES, ids=[w[0] for w in API_WRITES])
def test_api_writes_per_persona(login, org, personas, label, url, data, expected):
    """The API's writes and the token pages' forms: each persona's status (JSON or form)."""
    got = {}
    for persona in ALL:
        client = login(persona)
        target = url(org, personas)
        if target.startswith("/api/"):
            got[persona] = client.post(target, json.dumps(data(org)), content_type="application/json").status_code
        else:
            got[persona] = client.post(target, data(org)).status_code
    assert got == expected, label


@pytest.mark.django_db
def test_api_answers_anonymous_callers_401_json(client, org):
    for url in ["/api/problems/", "/api/problems/nearby/?category=0201&area=1", "/api/problems/WT2026-000001/"]:
        response = client.get(url)
        assert response.status_code == 401 and response.json()["code"] == "unauthenticated", url
    assert client.post("/api/problems/", "{}", content_type="application/json").status_code == 401
    assert client.get(reverse("api_tokens")).status_code == 302  # the token page: to the login page
