"""The problem API (docs/api.md): every refusal is the documented JSON error — a stable code, a
Chinese message, the status of its class — whatever the input; bad input changes nothing."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from wenming.cases.intake import services as intake_services
from wenming.cases.models import Problem, State
from wenming.cases.workflow import services
from wenming.core.errors import all_codes

PROBLEMS = "/api/problems/"


def is_chinese(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def assert_error(response, status: int, code: str, field: str | None = None) -> dict:
    """The documented error body: code, Chinese message, errors per field as lists."""
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response.content[:300]
    body = response.json()
    assert set(body) == {"code", "message", "errors"}, body
    assert body["code"] == code and all_codes()[code] == status, body
    assert is_chinese(body["message"]), body
    assert isinstance(body["errors"], dict)
    assert all(isinstance(v, list) and v and all(is_chinese(m) for m in v) for v in body["errors"].values()), body
    if field is not None:
        assert field in body["errors"], body
    return body


@pytest.fixture
def body(org, category):
    return {"title": "公益广告破损", "category": category.code, "area": org["community_a1"].code,
            "address": "甲一社区东门"}


@pytest.fixture
def problem(personas, org, intake):
    found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    return services.problem_assign(actor=personas["office_district_a"], problem=found, unit=org["street_a1"])


def post_json(client, url, payload, **extra):
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return client.post(url, text, content_type="application/json", **extra)


# --- (a) requests the API cannot read -------------------------------------------------------------

@pytest.mark.django_db
def test_multipart_without_boundary_is_a_json_error(login):
    response = login("inspector").post(PROBLEMS, b"--x\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\na\r\n",
                                       content_type="multipart/form-data")
    assert_error(response, 400, "malformed_request")
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_json_over_the_upload_limit_is_a_json_error(login, body, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2000
    response = post_json(login("inspector"), PROBLEMS, {**body, "description": "很长" * 2000})
    assert_error(response, 413, "payload_too_large")
    assert Problem.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["{not json", "[1, 2]", "\"a string\"", "null", "\xff\xfe"])
def test_a_body_that_is_not_a_json_object_is_a_json_error(login, text):
    response = login("inspector").post(PROBLEMS, text.encode("latin-1"), content_type="application/json")
    assert_error(response, 400, "malformed_request")


@pytest.mark.django_db
def test_wrong_types_are_named_per_field(login, body):
    response = post_json(login("inspector"), PROBLEMS, {**body, "title": 5, "latitude": [1], "longitude": {"a": 1},
                                                        "severity": "huge"})
    found = assert_error(response, 400, "validation_failed")
    assert set(found["errors"]) == {"title", "latitude", "longitude", "severity"}
    assert found["errors"]["title"] == ["应为文本"]
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_unknown_address_and_wrong_method_are_json_errors(login, problem):
    client = login("office_district_a")
    assert_error(client.get("/api/nothing-here/"), 404, "not_found")
    assert_error(client.delete(f"{PROBLEMS}{problem.code}/"), 405, "method_not_allowed")
    assert_error(client.get(f"{PROBLEMS}{problem.code}/actions/sign/"), 405, "method_not_allowed")


@pytest.mark.django_db
def test_no_login_is_401_and_csrf_is_checked_for_sessions(personas, body):
    assert_error(Client().get(PROBLEMS), 401, "unauthenticated")
    assert_error(post_json(Client(), PROBLEMS, body), 401, "unauthenticated")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(personas["inspector"])
    assert browser.get(PROBLEMS).status_code == 200  # reading needs no CSRF token
    assert_error(post_json(browser, PROBLEMS, body), 403, "csrf_failed")
    token = "A" * 32  # the cookie a page sets, and the header the client copies it into
    browser.cookies["csrftoken"] = token
    response = post_json(browser, PROBLEMS, body, HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201, response.content
    assert Problem.objects.count() == 1


# --- (b) coordinates that are not finite numbers ---------------------------------------------------

BAD_NUMBERS = ['"NaN"', "NaN", "1e999999", '"1e999999"', "Infinity", '"-Infinity"', '"inf"', "91", '"abc"']


@pytest.mark.django_db
@pytest.mark.parametrize("value", BAD_NUMBERS)
def test_intake_refuses_coordinates_that_are_not_finite(login, body, value):
    text = json.dumps({**body, "longitude": "120.1"})[:-1] + f', "latitude": {value}}}'
    response = login("inspector").post(PROBLEMS, text, content_type="application/json")
    assert_error(response, 400, "validation_failed", field="latitude")
    assert Problem.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["NaN", "1e999999", "Infinity", "-inf", "abc"])
def test_nearby_refuses_coordinates_that_are_not_finite(login, org, category, value):
    response = login("inspector").get(f"{PROBLEMS}nearby/", {
        "category": category.code, "area": org["community_a1"].code, "latitude": value, "longitude": "120.16"})
    assert_error(response, 400, "validation_failed", field="latitude")


@pytest.mark.django_db
def test_nearby_lists_open_problems_at_the_same_place(login, org, category, body):
    client = login("inspector")
    made = post_json(client, PROBLEMS, {**body, "latitude": "30.25", "longitude": "120.16"}).json()
    found = client.get(f"{PROBLEMS}nearby/", {"category": category.code, "area": org["community_a1"].code,
                                              "latitude": "30.25001", "longitude": "120.16"}).json()
    assert [p["code"] for p in found["results"]] == [made["code"]]
    far = client.get(f"{PROBLEMS}nearby/", {"category": category.code, "area": org["community_a1"].code,
                                            "latitude": "30.35", "longitude": "120.16"}).json()
    assert far["results"] == []


# --- (c) deadlines that are no dates -----------------------------------------------------------------

BAD_DEADLINES = ["2026-02-30T10:00:00+08:00", "2026-13-01T10:00:00+08:00", "2026-12-01T25:00:00+08:00",
                 "2026-12-01T10:00:00+99:00", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+08:00",
                 "tomorrow", "2026-12-01T10:00:00\x00"]


@pytest.mark.django_db
@pytest.mark.parametrize("deadline", BAD_DEADLINES)
def test_assign_refuses_deadlines_that_are_no_dates(login, personas, org, intake, deadline):
    found, _ = intake_services.problem_report(actor=personas["grid_worker"], intake=intake(area=org["grid_a1"]))
    response = post_json(login("office_district_a"), f"{PROBLEMS}{found.code}/actions/assign/",
                         {"unit": org["street_a1"].code, "deadline": deadline})
    assert_error(response, 400, "validation_failed", field="deadline")
    found.refresh_from_db()
    assert found.state == State.REPORTED and found.unit_id is None


# --- (d) idempotency keys are never cut -----------------------------------------------------------

@pytest.mark.django_db
def test_long_idempotency_keys_are_refused_not_cut(login, body):
    client = login("inspector")
    prefix = "k" * 70
    first = post_json(client, PROBLEMS, body, HTTP_IDEMPOTENCY_KEY=prefix + "-1")
    second = post_json(client, PROBLEMS, {**body, "title": "另一个问题"}, HTTP_IDEMPOTENCY_KEY=prefix + "-2")
    assert_error(first, 400, "validation_failed", field="Idempotency-Key")
    assert_error(second, 400, "validation_failed", field="Idempotency-Key")
    in_body = post_json(client, PROBLEMS, {**body, "idempotency_key": prefix + "-3"})
    assert_error(in_body, 400, "validation_failed", field="idempotency_key")
    assert Problem.objects.count() == 0
    # keys up to the limit work, and two different ones are two problems
    a = post_json(client, PROBLEMS, body, HTTP_IDEMPOTENCY_KEY="k" * 63 + "a")
    b = post_json(client, PROBLEMS, {**body, "title": "另一个问题"}, HTTP_IDEMPOTENCY_KEY="k" * 63 + "b")
    assert (a.status_code, b.status_code) == (201, 201) and a.json()["code"] != b.json()["code"]


@pytest.mark.django_db
def test_the_report_form_refuses_a_long_key_too(login, org, category):
    client = login("grid_worker")
    form = {"title": "楼道堆放杂物", "category": category.pk, "severity": "normal", "area": org["grid_a1"].code,
            "address": "甲一社区3栋"}
    response = client.post(reverse("cases:report"), {**form, "idempotency_key": "f" * 100})
    assert response.status_code == 200 and "防重复提交标识" in response.content.decode()
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_the_service_refuses_a_long_key(personas, intake):
    from wenming.core.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as refused:
        intake_services.problem_report(actor=personas["inspector"], intake=intake(), idempotency_key="x" * 65)
    assert refused.value.field == "idempotency_key"
    assert Problem.objects.count() == 0


# --- (e) NUL characters ---------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("field", ["title", "address", "description", "category", "area", "idempotency_key"])
def test_nul_in_any_intake_field_is_refused(login, body, field):
    response = post_json(login("inspector"), PROBLEMS, {**body, field: "甲\x00乙"})
    found = assert_error(response, 400, "validation_failed", field=field)
    assert "空字符" in found["errors"][field][0]
    assert Problem.objects.count() == 0


@pytest.mark.django_db
def test_nul_in_a_form_field_path_or_query_is_refused(login, problem, body):
    client = login("office_district_a")
    form = client.post(PROBLEMS, {**body, "title": "甲\x00乙"})
    assert_error(form, 400, "validation_failed", field="title")
    note = post_json(login("handler_street_a1"), f"{PROBLEMS}{problem.code}/actions/sign/", {"note": "好\x00"})
    assert_error(note, 400, "validation_failed", field="note")
    query = client.get(PROBLEMS, {"state": "assigned\x00"})  # refused by RefuseNulMiddleware before the API
    assert query.status_code == 400 and query.json()["code"] in ("validation_failed", "malformed_request")
    path = client.get(f"{PROBLEMS}{problem.code}%00/")  # a NUL in a path: refused before any view, as JSON here
    assert path.status_code == 400 and path.json()["code"] == "malformed_request"
    problem.refresh_from_db()
    assert problem.state == State.ASSIGNED


# --- the error tree decides the status ---------------------------------------------------------------

@pytest.mark.django_db
def test_a_stale_action_is_a_409_conflict(login, problem):
    url = f"{PROBLEMS}{problem.code}/actions/sign/"
    assert login("handler_street_a1").post(url).status_code == 200
    found = assert_error(login("handler_street_a1").post(url), 409, "conflict")
    assert "可能已有他人处理" in found["message"]


@pytest.mark.django_db
def test_refusals_keep_their_status(login, problem):
    url = f"{PROBLEMS}{problem.code}/actions/sign/"
    assert_error(login("handler_street_a2").post(url), 404, "not_found")
    assert_error(login("inspector").post(url), 403, "forbidden")
    assert_error(login("handler_street_a1").post(f"{PROBLEMS}{problem.code}/actions/fly/"), 404, "not_found")
    assert_error(login("office_district_a").get(f"{PROBLEMS}WT1999-000001/"), 404, "not_found")


# --- pagination ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_list_pages_with_limit_and_offset(login, personas, intake):
    for n in range(7):
        intake_services.problem_report(actor=personas["inspector"], intake=intake(title=f"问题{n}"))
    client = login("office_district_a")
    first = client.get(PROBLEMS, {"limit": 3}).json()
    assert (first["count"], first["limit"], first["offset"]) == (7, 3, 0)
    assert [p["title"] for p in first["results"]] == ["问题6", "问题5", "问题4"]
    last = client.get(PROBLEMS, {"limit": 3, "offset": 6}).json()
    assert [p["title"] for p in last["results"]] == ["问题0"] and last["count"] == 7
    assert client.get(PROBLEMS, {"state": "closed"}).json()["count"] == 0
    assert_error(client.get(PROBLEMS, {"limit": 0}), 400, "validation_failed", field="limit")
    assert_error(client.get(PROBLEMS, {"limit": 201}), 400, "validation_failed", field="limit")
    assert_error(client.get(PROBLEMS, {"offset": -1}), 400, "validation_failed", field="offset")
    assert_error(client.get(PROBLEMS, {"offset": "9" * 30}), 400, "validation_failed", field="offset")
    assert_error(client.get(PROBLEMS, {"state": "lost"}), 400, "validation_failed", field="state")


# --- the schema ---------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_openapi_is_generated_and_the_docs_page_is_local(client):
    schema = client.get("/api/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    assert {"/api/problems/", "/api/problems/nearby/", "/api/problems/{code}/",
            "/api/problems/{code}/actions/{action}/"} <= set(schema["paths"])
    report = schema["paths"]["/api/problems/"]["post"]
    assert {"application/json", "multipart/form-data"} <= set(report["requestBody"]["content"])
    assert {"400", "401", "403"} <= set(report["responses"])
    assert schema["components"]["securitySchemes"] == {
        "TokenAuth": {"type": "http", "scheme": "bearer"},
        "SessionAuth": {"type": "apiKey", "in": "cookie", "name": "sessionid"}}
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(schema)))
    assert refs and refs <= set(schema["components"]["schemas"])  # every reference resolves
    page = client.get("/api/docs").content.decode()
    assert "swagger-ui-bundle.js" in page and "cdn" not in page.lower() and "https://" not in page
