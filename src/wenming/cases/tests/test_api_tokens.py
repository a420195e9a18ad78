"""An integration's API token on the problem API: it sees and does what its service account's
one membership allows (core.access), and only what the token was granted; no CSRF; every use
audited; revoked or expired → 401 JSON."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from wenming.cases.intake import services as intake_services
from wenming.cases.models import Problem, State
from wenming.cases.tests.test_api import assert_error
from wenming.cases.workflow import services
from wenming.core import services_tokens
from wenming.core.models import ApiToken, AuditEvent

PROBLEMS = "/api/problems/"


@pytest.fixture
def make_token(personas, org):
    def _make(unit="street_a1", role="handler", permissions=("problems.read", "problems.report", "problems.sign"),
              days=None):
        token, secret = services_tokens.token_create(actor=personas["office_city"], name="对接系统", unit=org[unit],
                                                     role=role, permissions=list(permissions), days=days)
        client = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=f"Bearer {secret}")
        return token, client

    return _make


@pytest.fixture
def problems(personas, org, intake):
    """One problem assigned to street A1, one in district B (street B1)."""
    office = personas["office_city"]
    a1, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(title="甲一的问题"))
    a1 = services.problem_assign(actor=office, problem=a1, unit=org["street_a1"])
    b1, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(title="乙一的问题", area=org["street_b1"]))
    b1 = services.problem_assign(actor=office, problem=b1, unit=org["street_b1"])
    return a1, b1


@pytest.mark.django_db
def test_a_token_sees_only_its_unit(make_token, problems):
    a1, b1 = problems
    _, client = make_token()
    listed = client.get(PROBLEMS).json()
    assert [p["code"] for p in listed["results"]] == [a1.code] and listed["count"] == 1
    assert client.get(f"{PROBLEMS}{a1.code}/").status_code == 200
    assert_error(client.get(f"{PROBLEMS}{b1.code}/"), 404, "not_found")
    # an office-role token at district A sees its subtree, still not district B
    _, office = make_token(unit="district_a", role="office")
    assert [p["code"] for p in office.get(PROBLEMS).json()["results"]] == [a1.code]


@pytest.mark.django_db
def test_a_token_reports_without_csrf_inside_its_unit_only(make_token, org, category):
    token, client = make_token(unit="grid_a1", role="grid_worker")
    body = {"title": "楼道堆放杂物", "category": category.code, "address": "甲一社区3栋"}
    made = client.post(PROBLEMS, json.dumps({**body, "area": org["grid_a1"].code}), content_type="application/json")
    assert made.status_code == 201, made.content
    problem = Problem.objects.get(code=made.json()["code"])
    assert problem.reporter == token.user and problem.source == "grid"
    outside = client.post(PROBLEMS, json.dumps({**body, "area": org["street_a2"].code}),
                          content_type="application/json")
    assert_error(outside, 400, "validation_failed", field="area")
    assert Problem.objects.count() == 1


@pytest.mark.django_db
def test_a_token_does_only_what_it_was_granted(make_token, problems, org, category):
    a1, _ = problems
    _, reader = make_token(permissions=["problems.read"])
    assert_error(reader.post(f"{PROBLEMS}{a1.code}/actions/sign/"), 403, "token_not_allowed")
    body = {"title": "x", "category": category.code, "area": org["street_a1"].code, "address": "甲一"}
    assert_error(reader.post(PROBLEMS, json.dumps(body), content_type="application/json"), 403, "token_not_allowed")
    assert reader.get(f"{PROBLEMS}{a1.code}/").json()["actions"] == []  # the handler could sign; the token may not
    a1.refresh_from_db()
    assert a1.state == State.ASSIGNED
    _, signer = make_token()
    assert signer.get(f"{PROBLEMS}{a1.code}/").json()["actions"] == ["sign"]
    signed = signer.post(f"{PROBLEMS}{a1.code}/actions/sign/")
    assert signed.status_code == 200 and signed.json()["state"] == State.RECTIFYING
    _, writer = make_token(permissions=["problems.report"])
    assert_error(writer.get(PROBLEMS), 403, "token_not_allowed")
    assert AuditEvent.objects.filter(action="access.refused", detail_json__contains="problems.sign").exists()


@pytest.mark.django_db
def test_revoked_expired_and_wrong_tokens_get_401_json(make_token, personas, problems):
    token, client = make_token()
    assert client.get(PROBLEMS).status_code == 200
    services_tokens.token_revoke(actor=personas["office_city"], token=token)
    found = assert_error(client.get(PROBLEMS), 401, "token_invalid")
    assert "吊销" in found["message"]
    old, expired = make_token(days=1)
    ApiToken.objects.filter(pk=old.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    assert "过期" in assert_error(expired.get(PROBLEMS), 401, "token_invalid")["message"]
    for header in ["Bearer wm_nothing", "Bearer ", "Basic dXNlcjpwYXNz", "wm_abc"]:
        assert_error(Client(HTTP_AUTHORIZATION=header).get(PROBLEMS), 401, "token_invalid")


@pytest.mark.django_db
def test_a_wrong_token_is_refused_even_with_a_valid_session(personas):
    browser = Client(HTTP_AUTHORIZATION="Bearer wm_wrong")
    browser.force_login(personas["office_city"])
    assert_error(browser.get(PROBLEMS), 401, "token_invalid")


@pytest.mark.django_db
def test_every_request_with_a_token_is_audited(make_token, problems):
    a1, _ = problems
    token, client = make_token()
    before = AuditEvent.objects.filter(action="api_token.use").count()
    client.get(PROBLEMS)
    client.get(f"{PROBLEMS}{a1.code}/")
    client.post(f"{PROBLEMS}{a1.code}/actions/sign/")
    used = list(AuditEvent.objects.filter(action="api_token.use").order_by("id"))[before:]
    assert [(e.detail["method"], e.detail["path"]) for e in used] == [
        ("GET", PROBLEMS), ("GET", f"{PROBLEMS}{a1.code}/"), ("POST", f"{PROBLEMS}{a1.code}/actions/sign/")]
    assert {e.actor_username for e in used} == {token.user.username}
