"""Round pages through the browser's eyes (Django client): who sees what, the phone form, results."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wenming.cases.models import Problem
from wenming.cases.tests.conftest import jpeg_bytes
from wenming.inspections import services
from wenming.inspections.models import (
    Inspection,
    InspectionRound,
    ItemResult,
    RoundPoint,
)
from wenming.org.tests.test_access import ALL, expect

from .conftest import make_point
from .test_services import STATION_ANSWERS, opened, submit


@pytest.fixture
def rounds(personas, org, points, make_round):
    weekly = opened(make_round(), personas)
    submit(weekly, points["station"], personas, STATION_ANSWERS)
    secret = opened(make_round(kind="unannounced", title="暗访", scope=[org["district_a"]]), personas)
    draft = make_round(title="下周测评")
    return {"weekly": weekly, "secret": secret, "draft": draft,
            "station": RoundPoint.objects.get(round=weekly, point=points["station"]),
            "square": RoundPoint.objects.get(round=weekly, point=points["square"]),
            "secret_station": RoundPoint.objects.get(round=secret, point=points["station"])}


PAGES = [
    ("list", lambda r: "/inspections/", expect(_=200, citizen=403, outsider=403)),
    ("new", lambda r: "/inspections/new/", expect(_=403, office_city=200, office_district_a=200, handler_street_a1=200,
                                                  handler_street_a2=200)),
    ("mine", lambda r: "/inspections/mine/", expect(_=200)),
    ("weekly round", lambda r: f"/inspections/{r['weekly'].pk}/",
     expect(_=404, office_city=200, inspector=200, handler_street_a1=200, office_district_a=200, leader=200,
            grid_worker=200, admin=200)),
    ("secret round", lambda r: f"/inspections/{r['secret'].pk}/", expect(_=404, office_city=200, inspector=200, admin=200)),
    ("draft round", lambda r: f"/inspections/{r['draft'].pk}/", expect(_=404, office_city=200, admin=200)),
    ("inspect form", lambda r: f"/inspections/do/{r['square'].pk}/",
     expect(_=404, office_city=403, inspector=200, office_district_a=403, leader=403,
            grid_worker=403, admin=403)),
    ("secret inspect form", lambda r: f"/inspections/do/{r['secret_station'].pk}/",
     expect(_=404, office_city=403, inspector=200, admin=403)),
    ("result before publication", lambda r: f"/inspections/result/{r['station'].pk}/",
     expect(_=404, office_city=200, inspector=200, admin=200)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,expected", PAGES, ids=[p[0] for p in PAGES])
def test_page_access(login, rounds, label, url, expected):
    for persona in ALL:
        status = login(persona).get(url(rounds)).status_code
        assert status == expected[persona], f"{label}: {persona} got {status}"


@pytest.mark.django_db
def test_round_actions_refused_to_wrong_personas(login, rounds):
    url = f"/inspections/{rounds['draft'].pk}/sample/"
    for persona in ALL:
        if persona == "office_city":
            continue
        status = login(persona).post(url).status_code
        assert status in (403, 404), f"{persona} got {status}"
    assert not RoundPoint.objects.filter(round=rounds["draft"]).exists()
    assert login("office_city").post(url).status_code == 302
    assert RoundPoint.objects.filter(round=rounds["draft"]).count() == 3


@pytest.mark.django_db
def test_results_open_to_the_unit_once_published(login, personas, rounds):
    url = f"/inspections/result/{rounds['station'].pk}/"
    assert login("handler_street_a1").get(url).status_code == 404
    services.round_close(actor=personas["office_city"], round_=rounds["weekly"])
    services.round_publish(actor=personas["office_city"], round_=rounds["weekly"])
    page = login("handler_street_a1").get(url).content.decode()
    assert "75.88" in page and "实得 6.45 ÷ 应得 8.50 × 100" in page and "基本符合" in page
    round_page = login("handler_street_a1").get(f"/inspections/{rounds['weekly'].pk}/").content.decode()
    assert "甲一街道" in round_page and "乙一街道" not in round_page      # only his own unit's points and score
    assert login("handler_street_a2").get(url).status_code == 404


def _form(items, **by_code):
    data = {"submit_key": "form-key", "intent": "submit", "note": "晴", "latitude": "30.2", "longitude": "120.1"}
    for item in items:
        data.update({f"{name}_{item.pk}": value for name, value in by_code.get(item.code, {}).items()})
    return data


@pytest.mark.django_db
def test_phone_form_scores_a_point_and_raises_a_problem_with_the_photo(login, personas, rounds):
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    client = login("inspector")
    page = client.get(f"/inspections/do/{row.pk}/").content.decode()
    assert "ZGD01" in page and "发现数量（处）" in page and 'capture="environment"' in page
    photo = _upload("litter.jpg")
    data = _form(items.values(), WHZ01={"v": "pass"}, ZGD01={"count": "3", "note": "三处垃圾"})
    data[f"photo_{items['ZGD01'].pk}"] = photo
    # a draft first: nothing scored, what was typed comes back
    response = client.post(f"/inspections/do/{row.pk}/", dict(data, intent="draft"))
    assert response.status_code == 302
    page = client.get(f"/inspections/do/{row.pk}/").content.decode()
    assert "三处垃圾" in page and 'name="kept_photos"' in page
    data.pop(f"photo_{items['ZGD01'].pk}")
    kept = page.split('name="kept_photos" value="')[1].split('"')[0]
    response = client.post(f"/inspections/do/{row.pk}/", dict(data, kept_photos=kept))
    assert response.status_code == 302 and response["Location"] == f"/inspections/result/{row.pk}/"
    row.refresh_from_db()
    # WHZ01 2.5/2.5 + ZGD01 5 − 1.5 = 3.5 → 6 / 7.5 = 80.00
    assert (row.status, row.earned, row.possible, row.score) == ("done", Decimal("6.00"), Decimal("7.50"), Decimal("80.00"))
    result = ItemResult.objects.get(inspection__round_point=row, item__code="ZGD01")
    assert result.label == "扣1.5分（3处）" and result.photos.count() == 1
    problem = Problem.objects.get(item_results=result)
    assert problem.category.code == "0101" and problem.photos.count() == 1
    # the same submission again (a retried upload) changes nothing
    response = client.post(f"/inspections/do/{row.pk}/", dict(data, kept_photos=kept))
    assert response.status_code == 302
    assert Problem.objects.filter(item_results__inspection__round_point=row).count() == 1


@pytest.mark.django_db
def test_phone_form_processes_each_photo_once(login, rounds, monkeypatch):
    from wenming.core import photos, services_photos

    calls = []

    def counting(data, **kwargs):
        calls.append(len(data))
        return photos.process_photo(data, **kwargs)

    monkeypatch.setattr("wenming.inspections.views.process_photo", counting)
    monkeypatch.setattr(services_photos, "process_photo", counting)
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    data = _form(items.values(), WHZ01={"v": "pass"}, ZGD01={"count": "2"})
    data[f"photo_{items['ZGD01'].pk}"] = [_upload("a.jpg"), _upload("b.jpg", jpeg_bytes((10, 200, 10)))]
    response = login("inspector").post(f"/inspections/do/{row.pk}/", data)
    assert response.status_code == 302
    assert ItemResult.objects.get(inspection__round_point=row, item__code="ZGD01").photos.count() == 2
    assert len(calls) == 2


@pytest.mark.django_db
def test_phone_form_processes_photos_before_its_transaction(login, rounds, monkeypatch):
    from wenming.core import photos

    depth, submit = {}, services.inspection_submit

    def processing(data, **kwargs):
        depth.setdefault("processing", len(connection.atomic_blocks))
        return photos.process_photo(data, **kwargs)

    def submitting(**kwargs):
        depth["submitting"] = len(connection.atomic_blocks)
        return submit(**kwargs)

    monkeypatch.setattr("wenming.inspections.views.process_photo", processing)
    monkeypatch.setattr("wenming.inspections.views.services.inspection_submit", submitting)
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    data = _form(items.values(), WHZ01={"v": "pass"}, ZGD01={"count": "2"})
    data[f"photo_{items['ZGD01'].pk}"] = _upload("a.jpg")
    assert login("inspector").post(f"/inspections/do/{row.pk}/", data).status_code == 302
    # the view's transaction (BEGIN IMMEDIATE on SQLite) is opened after the image work
    assert depth["processing"] < depth["submitting"]


@pytest.mark.django_db
def test_phone_form_refused_by_the_service_keeps_its_photos_for_the_next_try(login, rounds, settings, tmp_path):
    import re

    from wenming.core.models import Photo

    settings.MEDIA_ROOT = tmp_path
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    before = Photo.objects.count()
    # 不适用 without a note: refused by inspection_submit, after the photos were stored (and rolled back)
    data = _form(items.values(), WHZ01={"v": "na"}, ZGD01={"count": "2"})
    data[f"photo_{items['ZGD01'].pk}"] = [_upload("a.jpg"), _upload("b.jpg", jpeg_bytes((10, 200, 10)))]
    client = login("inspector")
    page = client.post(f"/inspections/do/{row.pk}/", data).content.decode()
    assert "WHZ01 选择“不适用”须填写说明" in page
    # the two photos are stored again outside the refused transaction, once each, for ZGD01 only
    kept = re.findall(rf'name="kept_new_{items["ZGD01"].pk}" value="(\d+)"', page)
    assert len(kept) == 2 and Photo.objects.count() == before + 2
    assert f'name="kept_new_{items["WHZ01"].pk}"' not in page and "已选择的 2 张照片已保留" in page
    assert len([path for path in tmp_path.rglob("*") if path.is_file()]) == 4      # photo and thumbnail each
    row.refresh_from_db()
    assert row.status == "pending" and not Inspection.objects.filter(round_point=row).exists()
    # corrected and sent again with the kept photos: they go to ZGD01's result, nothing is stored twice
    data = _form(items.values(), WHZ01={"v": "na", "note": "无宣传栏"}, ZGD01={"count": "2"})
    data.update({"kept_photos": kept, f"kept_new_{items['ZGD01'].pk}": kept})
    assert client.post(f"/inspections/do/{row.pk}/", data).status_code == 302
    result = ItemResult.objects.get(inspection__round_point=row, item__code="ZGD01")
    assert sorted(str(pk) for pk in result.photos.values_list("pk", flat=True)) == sorted(kept)
    assert Photo.objects.count() == before + 2


@pytest.mark.django_db
@pytest.mark.parametrize("with_draft_photos", [False, True], ids=["no kept photos", "kept photos"])
def test_phone_form_reads_kept_photos_and_items_once(login, rounds, with_draft_photos):
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    client = login("inspector")
    data = _form(items.values(), WHZ01={"v": "pass"}, ZGD01={"count": "0"})
    if with_draft_photos:
        for code in ("WHZ01", "ZGD01"):
            data[f"photo_{items[code].pk}"] = _upload(f"{code}.jpg")
        assert client.post(f"/inspections/do/{row.pk}/", dict(data, intent="draft")).status_code == 302
        for code in ("WHZ01", "ZGD01"):
            data.pop(f"photo_{items[code].pk}")
        data["kept_photos"] = [str(pk) for answer in Inspection.objects.get(round_point=row).draft.values()
                               for pk in answer["photos"]]
        assert len(data["kept_photos"]) == 2
    with CaptureQueriesContext(connection) as queries:
        assert client.post(f"/inspections/do/{row.pk}/", data).status_code == 302
    statements = [query["sql"] for query in queries.captured_queries]
    photos_read = [sql for sql in statements if sql.startswith('SELECT') and 'FROM "core_photo" WHERE' in sql]
    assert len(photos_read) == (1 if with_draft_photos else 0)
    assert sum(1 for sql in statements if 'FROM "standards_checkitem"' in sql) == 1
    assert ItemResult.objects.filter(inspection__round_point=row, photos__isnull=False).count() == (
        2 if with_draft_photos else 0)


@pytest.fixture
def retry(login, rounds, settings, tmp_path, monkeypatch):
    """A submission with a photo done through the form; then the same form posted again, as a
    phone retries an upload it got no answer for — seen by the view as the point was when the
    retry arrived, before the first submission committed."""
    from wenming.core import photos
    from wenming.inspections import views

    settings.MEDIA_ROOT = tmp_path
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    data = _form(items.values(), WHZ01={"v": "pass"}, ZGD01={"count": "2"})
    client = login("inspector")
    assert client.post(f"/inspections/do/{row.pk}/", dict(data, **{f"photo_{items['ZGD01'].pk}": _upload("a.jpg")})
                       ).status_code == 302
    processed, read_point = [], views._round_point_for

    def counting(data, **kwargs):
        processed.append(len(data))
        return photos.process_photo(data, **kwargs)

    def as_it_was(request, pk):
        point = read_point(request, pk)
        point.status = RoundPoint.Status.PENDING
        return point

    monkeypatch.setattr(views, "process_photo", counting)
    monkeypatch.setattr(views, "_round_point_for", as_it_was)

    def post():
        return client.post(f"/inspections/do/{row.pk}/", dict(data, **{f"photo_{items['ZGD01'].pk}": _upload("a.jpg")}))

    return {"post": post, "row": row, "processed": processed,
            "files": lambda: sorted(path for path in tmp_path.rglob("*") if path.is_file())}


@pytest.mark.django_db
def test_retried_upload_goes_to_the_result_without_processing_or_storing_its_photos(retry):
    from wenming.core.models import Photo

    photos, files = Photo.objects.count(), retry["files"]()
    response = retry["post"]()
    assert response.status_code == 302 and response["Location"] == f"/inspections/result/{retry['row'].pk}/"
    assert retry["processed"] == []
    assert Photo.objects.count() == photos and retry["files"]() == files
    assert ItemResult.objects.filter(inspection__round_point=retry["row"]).count() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("misses", [1, 2], ids=["before the service's check", "before the lock"])
def test_retried_upload_racing_its_first_submission_keeps_none_of_its_photos(retry, monkeypatch, misses):
    """The first submission commits after the view's check (and, on PostgreSQL, after the
    service's own check, while the retry waits for the round point's lock)."""
    from wenming.core.models import Photo

    looked_up, submitted_with = [], services.submitted_with

    def late(actor, submit_key):
        looked_up.append(submit_key)
        return None if len(looked_up) <= misses else submitted_with(actor, submit_key)

    monkeypatch.setattr(services, "submitted_with", late)
    photos, files = Photo.objects.count(), retry["files"]()
    response = retry["post"]()
    assert response.status_code == 302 and response["Location"] == f"/inspections/result/{retry['row'].pk}/"
    assert len(retry["processed"]) == 1      # it got as far as the image work …
    assert Photo.objects.count() == photos and retry["files"]() == files     # … and stored nothing


def _upload(name, data=None):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data or jpeg_bytes(), content_type="image/jpeg")


@pytest.mark.django_db
def test_phone_form_refuses_bad_input_in_chinese_and_keeps_it(login, rounds):
    row = rounds["square"]
    items = {item.code: item for item in services.items_for(row)}
    client = login("inspector")
    data = _form(items.values(), WHZ01={"v": "na"}, ZGD01={"count": "-2"})
    page = client.post(f"/inspections/do/{row.pk}/", data).content.decode()
    assert "WHZ01 选择“不适用”须填写说明" in page and "ZGD01 发现的数量不能小于0" in page
    data = _form(items.values(), WHZ01={"v": "pass", "note": "张贴齐全"}, ZGD01={"count": "0"})
    data[f"photo_{items['WHZ01'].pk}"] = _upload("x.jpg", b"GIF89a not a photo")
    page = client.post(f"/inspections/do/{row.pk}/", data).content.decode()
    assert "WHZ01 照片：" in page and "张贴齐全" in page
    # the overall note comes back as typed this time, not as an older saved draft had it
    services.inspection_save_draft(actor=row.inspector, round_point=row, answers={}, note="旧的总体说明")
    data["note"] = "新的总体说明"
    page = client.post(f"/inspections/do/{row.pk}/", data).content.decode()
    assert "新的总体说明" in page and "旧的总体说明" not in page
    Inspection.objects.filter(round_point=row).delete()
    RoundPoint.objects.filter(pk=row.pk).update(status="pending")
    row.refresh_from_db()
    assert row.status == "pending" and not ItemResult.objects.filter(inspection__round_point=row).exists()


@pytest.mark.django_db
def test_round_page_queries_do_not_grow_with_the_sample(login, personas, org, system, make_round):
    def build(n, title):
        for i in range(n):
            make_point(f"{title}-{i}", f"点{i}", "WHZ", org["street_a1"], org["grid_a1"])
        round_ = make_round(title=title, scope=[org["street_a1"]])
        services.round_sample(actor=personas["office_city"], round_=round_)
        services.round_assign(actor=personas["office_city"], round_=round_, inspectors=[personas["inspector"]])
        return round_

    small, large = build(2, "S"), build(30, "L")
    client = login("office_city")
    counts = []
    for round_ in (small, large):
        client.get(f"/inspections/{round_.pk}/")
        with CaptureQueriesContext(connection) as queries:
            assert client.get(f"/inspections/{round_.pk}/").status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


@pytest.mark.django_db
def test_create_round_through_the_form(login, personas, org, system, points):
    client = login("office_city")
    response = client.post("/inspections/new/", {
        "title": "第48周测评", "kind": "weekly", "system": system.pk, "owner": org["city"].pk,
        "scope": [org["district_a"].pk], "period_start": "2026-11-23", "period_end": "2026-11-29",
        "sample_mode": "stratified", "size_WHZ": "1", "size_TST": "1", "weight_WHZ": "2", "sample_seed": "99"})
    assert response.status_code == 302
    round_ = InspectionRound.objects.get(title="第48周测评")
    assert (round_.sample_sizes, round_.weights, round_.sample_seed) == ({"WHZ": 1, "TST": 1}, {"WHZ": 2}, 99)
    assert round_.period_start == datetime.date(2026, 11, 23)
    client.post(f"/inspections/{round_.pk}/sample/")
    assert RoundPoint.objects.filter(round=round_).count() == 2    # district A: P1 (WHZ), P2 (TST)
    bad = client.post("/inspections/new/", {"title": "", "kind": "weekly", "system": system.pk, "owner": org["city"].pk,
                                            "scope": [org["district_a"].pk], "period_start": "2026-11-23",
                                            "period_end": "2026-11-01", "sample_mode": "all"})
    assert bad.status_code == 200 and "这个字段是必填项" in bad.content.decode()


@pytest.mark.django_db
def test_planning_and_round_pages_say_what_a_recheck_samples(login, make_round):
    page = login("office_city").get("/inspections/new/").content.decode()
    assert "复查只抽取测评范围内有“待复核”测评问题的点位" in page
    recheck = make_round(kind="recheck", title="复查")
    page = login("office_city").get(f"/inspections/{recheck.pk}/").content.decode()
    assert "样本只取测评范围内有“待复核”测评问题的点位" in page


@pytest.mark.django_db
def test_reassign_from_the_round_page(login, personas, org, rounds):
    from wenming.cases.models import Notification
    from wenming.org.models import Membership, Role, User

    deputy = User.objects.create(username="inspector_a", full_name="钱测评")
    Membership.objects.create(user=deputy, unit=org["district_a"], role=Role.INSPECTOR)
    weekly, square = rounds["weekly"], rounds["square"]
    url = f"/inspections/{weekly.pk}/reassign/"
    data = {"round_points": [square.pk], "inspector": deputy.pk}
    expected = expect(_=404, office_city=302, inspector=403, handler_street_a1=403, office_district_a=403, leader=403,
                      grid_worker=403, admin=403)
    for persona in ALL:
        if persona != "office_city":
            status = login(persona).post(url, data).status_code
            assert status == expected[persona], f"{persona} got {status}"
    assert RoundPoint.objects.get(pk=square.pk).inspector_id == personas["inspector"].pk
    client = login("office_city")
    page = client.get(f"/inspections/{weekly.pk}/").content.decode()
    assert "改派测评员" in page and "钱测评（inspector_a）" in page
    assert f'name="round_points" value="{square.pk}"' in page
    assert f'name="round_points" value="{rounds["station"].pk}"' not in page          # done: no box
    response = client.post(url, data, follow=True)
    assert "已将 1 个点位改派给 钱测评，已通知新旧测评员" in response.content.decode()
    assert RoundPoint.objects.get(pk=square.pk).inspector_id == deputy.pk
    assert Notification.objects.filter(user=deputy, title="测评任务：第47周测评").exists()
    # a done point is refused, in Chinese
    response = client.post(url, {"round_points": [rounds["station"].pk], "inspector": deputy.pk}, follow=True)
    assert "“甲一文化站”已完成测评，不能改派" in response.content.decode()
    # all unfinished points of one inspector at once (乙一文化站 is still his)
    response = client.post(url, {"from_inspector": personas["inspector"].pk, "inspector": deputy.pk}, follow=True)
    assert "已将 1 个点位改派给 钱测评" in response.content.decode()
    assert set(RoundPoint.objects.filter(round=weekly).exclude(status="done")
               .values_list("inspector__username", flat=True)) == {"inspector_a"}
    response = client.post(url, {"inspector": deputy.pk}, follow=True)
    assert "请勾选要改派的点位" in response.content.decode()


@pytest.mark.django_db
def test_assign_from_the_round_page(login, personas, rounds):
    client = login("office_city")
    draft = rounds["draft"]
    client.post(f"/inspections/{draft.pk}/sample/")
    response = client.post(f"/inspections/{draft.pk}/assign/", {"inspectors": [personas["inspector"].pk]}, follow=True)
    assert "已将 3 个点位分配给 1 名测评员" in response.content.decode()
    assert not RoundPoint.objects.filter(round=draft, inspector__isnull=True).exists()


@pytest.mark.django_db
def test_my_inspections_menu_for_everyone_a_round_may_assign_points_to(login, personas, org, points, make_round):
    link = 'href="/inspections/mine/"'
    shown = {persona for persona in ALL if link in login(persona).get("/").content.decode()}
    assert shown == {"office_city", "office_district_a", "handler_street_a1", "handler_street_a2", "inspector",
                     "grid_worker"}
    page = login("grid_worker").get("/inspections/mine/").content.decode()
    assert "暂无测评任务。" in page and "自查的点位由本单位经办人分配给本单位人员" in page
    # a grid worker given a point in his unit's 自查 finds it there
    handler = personas["handler_street_a1"]
    own = make_round(kind="self_check", actor="handler_street_a1", owner=org["street_a1"], scope=[org["street_a1"]],
                     title="甲一街道自查")
    services.round_sample(actor=handler, round_=own)
    services.round_assign(actor=handler, round_=own, inspectors=[personas["grid_worker"]])
    services.round_open(actor=handler, round_=own)
    page = login("grid_worker").get("/inspections/mine/").content.decode()
    assert "甲一文化站" in page and "甲一街道自查" in page and "暂无测评任务" not in page


def _round_data(system, owner, scope, kind):
    return {"title": "本周检查", "kind": kind, "system": system.pk, "owner": owner.pk, "scope": [scope.pk],
            "period_start": "2026-11-23", "period_end": "2026-11-29", "sample_mode": "all"}


@pytest.mark.django_db
def test_new_round_offers_only_the_kinds_the_user_may_create(login, personas, org, system):
    import re

    from wenming.org.models import Membership, Role

    def kinds(page):
        select = page.split('name="kind"')[1].split("</select>")[0]
        return re.findall(r'<option value="(\w+)"', select)

    assert kinds(login("office_district_a").get("/inspections/new/").content.decode()) == [
        "weekly", "monthly", "unannounced", "third_party", "self_check", "recheck"]
    client = login("handler_street_a1")
    assert kinds(client.get("/inspections/new/").content.decode()) == ["self_check"]
    # another kind posted anyway: a form error, not a 403
    response = client.post("/inspections/new/", _round_data(system, org["street_a1"], org["street_a1"], "weekly"))
    assert response.status_code == 200 and "您只能新建“自查”轮次" in response.content.decode()
    assert not InspectionRound.objects.exists()
    response = client.post("/inspections/new/", _round_data(system, org["street_a1"], org["street_a1"], "self_check"))
    assert response.status_code == 302 and InspectionRound.objects.get().kind == "self_check"
    # an office elsewhere who is also a unit's handler: that unit only gets a 自查
    Membership.objects.create(user=personas["office_district_a"], unit=org["street_b1"], role=Role.HANDLER)
    client = login("office_district_a")
    response = client.post("/inspections/new/", _round_data(system, org["street_b1"], org["street_b1"], "monthly"))
    assert response.status_code == 200
    assert "您不是“乙一街道”或其上级的创建办，只能为它组织“自查”" in response.content.decode()
    response = client.post("/inspections/new/", _round_data(system, org["street_a2"], org["street_a2"], "monthly"))
    assert response.status_code == 302
    assert InspectionRound.objects.count() == 2


@pytest.mark.django_db
def test_ticked_conditions_come_back_in_the_draft_and_show_on_the_result(login, personas, rounds):
    import re

    row = RoundPoint.objects.get(round=rounds["weekly"], point__code="P3")           # 乙一文化站, WHZ
    items = {item.code: item for item in services.items_for(row)}
    whz09 = items["WHZ09"].pk
    client = login("inspector")
    data = _form(items.values(), WHZ05={"v": "pass"}, WHZ01={"v": "pass"}, WHZ09={"c": ["2", "3"]})
    client.post(f"/inspections/do/{row.pk}/", dict(data, intent="draft"))
    page = client.get(f"/inspections/do/{row.pk}/").content.decode()
    ticked = re.findall(rf'name="c_{whz09}" value="(\d)" checked', page)
    assert ticked == ["2", "3"]                                    # not the first two
    response = client.post(f"/inspections/do/{row.pk}/", data)
    assert response.status_code == 302
    result = ItemResult.objects.get(inspection__round_point=row, item_id=whz09)
    assert (result.label, result.answer["conditions"]) == ("B", [2, 3])
    page = client.get(f"/inspections/result/{row.pk}/").content.decode()
    assert "✗ 未满足：有专人负责" in page and "✓ 满足：有管理制度" in page and "✓ 满足：有活动资料" in page


@pytest.mark.django_db
def test_a_draft_kept_before_conditions_were_stored_ticks_the_first_ones(login, personas, rounds):
    import re

    from wenming.inspections.models import Inspection

    row = RoundPoint.objects.get(round=rounds["weekly"], point__code="P3")
    whz09 = next(item for item in services.items_for(row) if item.code == "WHZ09").pk
    Inspection.objects.create(round_point=row, inspector=personas["inspector"], draft={str(whz09): {"met": 2}})
    page = login("inspector").get(f"/inspections/do/{row.pk}/").content.decode()
    assert re.findall(rf'name="c_{whz09}" value="(\d)" checked', page) == ["1", "2"]


@pytest.mark.django_db
def test_round_page_ranks_by_level_and_opens_a_units_sample(login, personas, org, rounds):
    url = f"/inspections/{rounds['weekly'].pk}/"
    client = login("office_city")
    page = client.get(url).content.decode()
    assert "按区县及市直部门" in page and "按街道/镇及区直部门" in page and "按责任单位" in page
    assert org["district_a"].name in page and "甲一街道" not in page.split('id="sample"')[0]
    page = client.get(url + "?level=2").content.decode()
    assert "甲一街道" in page.split('id="sample"')[0]
    # a district's row opens its sample: district A's two points, not district B's
    page = client.get(url + f"?level=1&unit={org['district_a'].code}").content.decode()
    sample = page.split('id="sample"')[1]
    assert f"样本点位：{org['district_a'].name}" in page and "P1" in sample and "P2" in sample and "P3" not in sample
    page = client.get(url + "?unit=999999").content.decode()
    assert "找不到编码为999999的单位" in page and "P1" not in page.split('id="sample"')[1]
    # a unit sees its own responsible units only, and no levels
    rounds["weekly"].status = "published"
    rounds["weekly"].save(update_fields=["status"])
    page = login("handler_street_a1").get(url).content.decode()
    assert "按区县及市直部门" not in page and "甲一街道" in page and org["district_b"].name not in page


@pytest.mark.django_db
def test_my_inspections_are_paged(login, personas, org, points, make_round):
    for n in range(28):
        make_point(f"Q{n:02d}", f"甲一{n}号站", "WHZ", org["street_a1"], org["grid_a1"])
    opened(make_round(), personas)  # 3 + 28 = 31 points for the one inspector
    client = login("inspector")
    first = client.get("/inspections/mine/").content.decode()
    assert first.count('class="problem-card') == 30 and "第 1 / 2 页" in first
    assert login("inspector").get("/inspections/mine/?page=2").content.decode().count('class="problem-card') == 1
