"""Pages and API of the loop: each persona allowed or refused; forms answer bad input in Chinese."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from wenming.cases import policy
from wenming.cases.intake import services as intake_services
from wenming.cases.models import Problem, SlaRule, State
from wenming.cases.tests.conftest import jpeg_bytes
from wenming.cases.workflow import services

ALL = ["office_city", "office_district_a", "handler_street_a1", "handler_street_a2", "inspector", "leader",
       "grid_worker", "citizen", "admin", "outsider"]


def expect(**codes):
    default = codes.pop("_", None)
    return {name: codes.get(name, default) for name in ALL}


@pytest.fixture
def problem(personas, org, intake):
    found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    return services.problem_assign(actor=personas["office_district_a"], problem=found, unit=org["street_a1"])


PAGES = [
    ("ledger", lambda p: reverse("cases:ledger"), expect(_=200, citizen=403, outsider=403)),
    ("report", lambda p: reverse("cases:report"), expect(_=200, admin=403, outsider=403)),
    ("mine", lambda p: reverse("cases:mine"), expect(_=403, handler_street_a1=200, handler_street_a2=200,
                                                     grid_worker=200)),
    ("verify", lambda p: reverse("cases:verify"), expect(_=403, office_city=200, office_district_a=200,
                                                         inspector=200)),
    ("todo", lambda p: reverse("cases:todo"), expect(_=403, office_city=200, office_district_a=200)),
    ("notifications", lambda p: reverse("cases:notifications"), expect(_=200)),
    ("settings", lambda p: reverse("cases:settings"), expect(_=403, office_city=200)),
    # the problem is in street A1, reported by the inspector (its verifier), seen by the district's leader
    ("detail", lambda p: reverse("cases:detail", args=[p.code]),
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=200, inspector=200, leader=200,
            admin=200)),
    ("api detail", lambda p: reverse("api:api_problem", args=[p.code]),
     expect(_=404, office_city=200, office_district_a=200, handler_street_a1=200, inspector=200, leader=200,
            admin=200)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,expected", PAGES, ids=[p[0] for p in PAGES])
def test_pages_per_persona(login, problem, label, url, expected):
    for persona in ALL:
        status = login(persona).get(url(problem)).status_code
        assert status == expected[persona], f"{label}: {persona} got {status}"


@pytest.mark.django_db
def test_public_page_needs_no_login_and_shows_no_personal_data(client, org, intake, personas, make_photo):
    inspector = personas["inspector"]
    problem, _ = intake_services.problem_report(actor=inspector, intake=intake(), photos=[make_photo(inspector)])
    problem = services.problem_assign(actor=personas["office_district_a"], problem=problem, unit=org["street_a1"])
    handler = personas["handler_street_a1"]
    services.problem_sign(actor=handler, problem=problem)
    services.problem_submit(actor=handler, problem=problem, photos=[make_photo(handler)], note="已清理")
    services.problem_verify_pass(actor=personas["inspector"], problem=problem)
    page = client.get(reverse("public_closed")).content.decode()
    assert problem.code in page and "整改前" in page and "整改后" in page
    assert "孙浩" not in page and "13800001234" not in page  # the reporter is not shown
    # the photos became public
    link = problem.photos.first()
    assert client.get(reverse("photo_thumb", args=[link.photo_id])).status_code == 200


@pytest.mark.django_db
def test_action_buttons_follow_the_table(login, problem):
    page = login("handler_street_a1").get(reverse("cases:detail", args=[problem.code])).content.decode()
    assert "签收" in page and "申请退回" in page and "复核通过" not in page and "交办" not in page.split("办理过程")[0].split("<h2>办理</h2>")[-1]
    page = login("office_district_a").get(reverse("cases:detail", args=[problem.code])).content.decode()
    assert "改派" in page and "提级办理" in page and "签收" not in page.split("<h2>办理</h2>")[-1].split("办理过程")[0]


@pytest.mark.django_db
def test_act_through_the_page(login, problem):
    handler = login("handler_street_a1")
    response = handler.post(reverse("cases:act", args=[problem.code, "sign"]))
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.state == State.RECTIFYING
    # submit without photos: refused in Chinese, nothing changes
    response = handler.post(reverse("cases:act", args=[problem.code, "submit"]), {"note": "好了"}, follow=True)
    assert "整改完成须填写照片" in response.content.decode()
    problem.refresh_from_db()
    assert problem.state == State.RECTIFYING
    # a text file named .jpg is refused by content
    from django.core.files.uploadedfile import SimpleUploadedFile

    fake = SimpleUploadedFile("after.jpg", b"<html>not an image</html>", content_type="image/jpeg")
    response = handler.post(reverse("cases:act", args=[problem.code, "submit"]), {"note": "好了", "photos": fake},
                            follow=True)
    assert "只能上传 JPEG 或 PNG 照片" in response.content.decode()
    problem.refresh_from_db()
    assert problem.state == State.RECTIFYING
    good = SimpleUploadedFile("after.jpg", jpeg_bytes(), content_type="image/jpeg")
    handler.post(reverse("cases:act", args=[problem.code, "submit"]), {"note": "已清理", "photos": good})
    problem.refresh_from_db()
    assert problem.state == State.SUBMITTED and problem.photos.filter(phase="after").count() == 1
    # the sibling street's handler cannot even see it
    assert login("handler_street_a2").post(reverse("cases:act", args=[problem.code, "verify_pass"])).status_code == 404
    # the handler cannot verify his own work
    assert handler.post(reverse("cases:act", args=[problem.code, "verify_pass"])).status_code == 403


@pytest.mark.django_db
def test_report_form(login, org, category):
    client = login("grid_worker")
    page = client.get(reverse("cases:report")).content.decode()
    assert org["grid_a1"].code in page  # his grid is the default area
    response = client.post(reverse("cases:report"), {"title": "", "category": category.pk, "severity": "normal",
                                                     "area": org["street_a2"].code})
    text = response.content.decode()
    assert "这个字段是必填项" in text and "不在您可以报告的范围内" in text
    assert Problem.objects.count() == 0
    photo = __import__("django.core.files.uploadedfile", fromlist=["SimpleUploadedFile"]).SimpleUploadedFile(
        "a.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = client.post(reverse("cases:report"), {
        "title": "楼道堆放杂物", "category": category.pk, "severity": "normal", "area": org["grid_a1"].code,
        "address": "甲一社区3栋", "photos": photo, "idempotency_key": "form-1"})
    problem = Problem.objects.get()
    assert response.status_code == 302 and problem.source == "grid" and problem.photos.count() == 1
    # the same form submitted twice (a double tap) creates one problem
    client.post(reverse("cases:report"), {
        "title": "楼道堆放杂物", "category": category.pk, "severity": "normal", "area": org["grid_a1"].code,
        "address": "甲一社区3栋", "idempotency_key": "form-1"})
    assert Problem.objects.count() == 1


@pytest.mark.django_db
def test_api_intake_idempotent_and_errors(login, org, category):
    client = login("inspector")
    body = {"title": "公益广告破损", "category": "0601", "area": org["community_a1"].code, "address": "甲一社区东门"}
    first = client.post(reverse("api:api_problems"), json.dumps(body), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="abc-1")
    again = client.post(reverse("api:api_problems"), json.dumps(body), content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="abc-1")
    assert first.status_code == 201 and again.status_code == 200
    assert first.json()["code"] == again.json()["code"] and Problem.objects.count() == 1
    bad = client.post(reverse("api:api_problems"), json.dumps({"title": "", "category": "zz", "area": "1"}),
                      content_type="application/json")
    assert bad.status_code == 400
    assert bad.json()["code"] == "validation_failed"
    assert bad.json()["errors"] == {"category": ["类别编码无效"], "area": ["区域编码无效，或不在您可以报告的范围内"],
                                    "title": ["标题不能为空"]}
    assert client.post(reverse("api:api_problems"), "{not json", content_type="application/json").json()["code"] == \
        "malformed_request"
    assert Client().post(reverse("api:api_problems"), json.dumps(body), content_type="application/json").status_code == 401
    assert Problem.objects.count() == 1


@pytest.mark.django_db
def test_api_actions(login, problem):
    url = reverse("api:api_action", args=[problem.code, "sign"])
    assert login("handler_street_a2").post(url).status_code == 404
    assert login("inspector").post(url).status_code == 403
    response = login("handler_street_a1").post(url)
    assert response.status_code == 200 and response.json()["state"] == "rectifying"
    assert "submit" in response.json()["actions"]
    again = login("handler_street_a1").post(url)
    assert again.status_code == 409 and "可能已有他人处理" in again.json()["message"]
    detail = login("office_district_a").get(reverse("api:api_problem", args=[problem.code])).json()
    assert [e["action"] for e in detail["timeline"]] == ["report", "assign", "sign"]


@pytest.mark.django_db
def test_settings_page_saves_and_refuses(login):
    client = login("office_city")
    response = client.post(reverse("cases:settings_save", args=["sla"]), {
        "category": "0201", "severity": "normal", "limit": 2, "limit_unit": "days", "warn_hours": 3})
    assert response.status_code == 302
    assert SlaRule.objects.get(category__code="0201", severity="normal").limit == 2
    response = client.post(reverse("cases:settings_save", args=["sla"]), {
        "category": "nope", "severity": "normal", "limit": 2, "limit_unit": "days", "warn_hours": 3}, follow=True)
    assert "找不到编码为nope的类别" in response.content.decode()
    response = client.post(reverse("cases:settings_save", args=["hours"]), {
        "morning_start": "12:00", "morning_end": "08:30", "afternoon_start": "14:00", "afternoon_end": "17:30",
        "recurrence_days": 90, "duplicate_radius_m": 50}, follow=True)
    assert "办公时间应为" in response.content.decode()
    for persona in ["office_district_a", "handler_street_a1", "admin", "citizen"]:
        status = login(persona).post(reverse("cases:settings_save", args=["sla"]), {
            "severity": "normal", "limit": 1, "limit_unit": "days", "warn_hours": 1}).status_code
        assert status == 403, persona
    assert not SlaRule.objects.filter(category__isnull=True, severity="normal", limit=1).exists()


@pytest.mark.django_db
def test_home_shows_what_waits(login, problem, personas, intake):
    intake_services.problem_report(actor=personas["inspector"], intake=intake(address="另一处"))

    def attention(persona):
        return {i["label"]: i["count"] for i in login(persona).get(reverse("home")).context["attention"]}

    assert attention("office_district_a")["待受理、待交办和待答复申请的问题"] == 1
    assert attention("handler_street_a1")["本单位待签收的问题"] == 1
    assert attention("handler_street_a2")["本单位待签收的问题"] == 0
    assert attention("inspector")["待我复核的问题"] == 0


@pytest.mark.django_db
def test_report_form_shows_open_problems_at_the_same_place(login, problem, org, category):
    client = login("grid_worker")
    url = reverse("cases:nearby")
    same = client.get(url, {"category": category.pk, "area": org["street_a1"].code, "address": "甲一街道人民路88号"})
    # the grid worker may report only in his grid: street A1 as a whole is outside, nothing is shown
    assert "此处已有同类问题" not in same.content.decode()
    office = login("office_district_a")
    same = office.get(url, {"category": category.pk, "area": org["street_a1"].code, "address": "甲一街道人民路88号"})
    assert problem.code in same.content.decode()
    other = office.get(url, {"category": category.pk, "area": org["street_a1"].code, "address": "别处"})
    assert problem.code not in other.content.decode()
    assert Client().get(url).status_code == 302


@pytest.mark.django_db
def test_a_refused_action_leaves_no_photo_behind(login, problem, settings):
    """Photos are stored in the action's transaction: when the action is refused, their rows are
    rolled back and their files deleted — through the page and through the API, whether the
    refusal is a business rule (not signed yet) or a permission (a handler verifying)."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from wenming.core.models import Photo

    def files():
        root = Path(settings.MEDIA_ROOT)
        return sorted(path for path in root.rglob("*") if path.is_file()) if root.exists() else []

    def photo():
        return SimpleUploadedFile("after.jpg", jpeg_bytes(), content_type="image/jpeg")

    handler = login("handler_street_a1")
    page = handler.post(reverse("cases:act", args=[problem.code, "submit"]), {"note": "好了", "photos": photo()},
                        follow=True)
    assert "不能整改完成" in page.content.decode()                     # not signed for yet
    api = handler.post(reverse("api:api_action", args=[problem.code, "submit"]), {"note": "好了", "photos": photo()})
    assert api.status_code in (400, 409)
    handler.post(reverse("cases:act", args=[problem.code, "sign"]))
    refused = handler.post(reverse("api:api_action", args=[problem.code, "verify_pass"]), {"photos": photo()})
    assert refused.status_code == 403
    problem.refresh_from_db()
    assert problem.state == State.RECTIFYING
    assert Photo.objects.count() == 0 and files() == []
    # the same upload on an action that is allowed is kept
    handler.post(reverse("cases:act", args=[problem.code, "submit"]), {"note": "已清理", "photos": photo()})
    assert Photo.objects.count() == 1 and len(files()) == 2      # the image and its thumbnail


@pytest.mark.django_db
def test_a_retried_report_with_photos_keeps_one_problem_and_one_set_of_photos(login, org, category, settings):
    """A phone retrying an upload (same idempotency key) gets the first problem back; the photos
    sent again are neither kept as rows nor left as files."""
    from pathlib import Path

    from django.core.files.uploadedfile import SimpleUploadedFile

    from wenming.core.models import Photo

    def files():
        return sorted(path for path in Path(settings.MEDIA_ROOT).rglob("*") if path.is_file())

    client = login("grid_worker")
    form = {"title": "楼道堆放杂物", "category": category.pk, "severity": "normal", "area": org["grid_a1"].code,
            "address": "甲一社区3栋", "idempotency_key": "form-7"}
    for _ in range(2):
        photo = SimpleUploadedFile("a.jpg", jpeg_bytes(), content_type="image/jpeg")
        assert client.post(reverse("cases:report"), {**form, "photos": photo}).status_code == 302
    api = {"title": "公益广告破损", "category": "0601", "area": org["grid_a1"].code, "address": "甲一社区东门"}
    answers = []
    for _ in range(2):
        photo = SimpleUploadedFile("b.jpg", jpeg_bytes((10, 90, 200)), content_type="image/jpeg")
        answers.append(client.post(reverse("api:api_problems"), {**api, "photos": photo}, HTTP_IDEMPOTENCY_KEY="api-7"))
    assert [answer.status_code for answer in answers] == [201, 200]
    assert answers[0].json()["code"] == answers[1].json()["code"]
    assert Problem.objects.count() == 2
    assert Photo.objects.count() == 2 and len(files()) == 4          # one photo each, with its thumbnail
    assert all(problem.photos.count() == 1 for problem in Problem.objects.all())


@pytest.mark.django_db
def test_api_assigns_with_a_verifier_and_refuses_an_unknown_one(login, personas, org, intake):
    found, _ = intake_services.problem_report(actor=personas["grid_worker"], intake=intake(area=org["grid_a1"]))
    office = login("office_district_a")
    url = reverse("api:api_action", args=[found.code, "assign"])
    bad = office.post(url, json.dumps({"unit": org["street_a1"].code, "verifier": "nobody"}),
                      content_type="application/json")
    assert bad.status_code == 400 and bad.json()["errors"] == {"verifier": [policy.VERIFIER_REFUSED]}
    found.refresh_from_db()
    assert found.state == State.REPORTED and found.verifier_id is None
    done = office.post(url, json.dumps({"unit": org["street_a1"].code, "verifier": "inspector"}),
                       content_type="application/json")
    assert done.status_code == 200 and done.json()["state"] == "assigned"
    found.refresh_from_db()
    assert found.verifier == personas["inspector"] and found.unit == org["street_a1"]
