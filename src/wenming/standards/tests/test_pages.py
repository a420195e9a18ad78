"""The evaluation-system pages: who sees what, who may change what, and what the pages show."""

import io

import pytest
import yaml
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from wenming.org.tests.test_access import ALL, expect
from wenming.standards import services
from wenming.standards.models import CheckItem, IndexSystem, PointType, SystemStatus

from .test_formats import SMALL, import_yaml

STAFF = expect(_=200, citizen=403, outsider=403)


@pytest.fixture
def systems(personas):
    office = personas["office_city"]
    _, active = import_yaml(office)
    services.system_set_status(actor=office, system=active, status=SystemStatus.ACTIVE)
    _, draft = import_yaml(office, version="2027版")
    return {"active": active, "draft": draft}


PAGES = [
    ("list", lambda s: "/standards/", STAFF),
    ("active system", lambda s: f"/standards/{s['active'].pk}/", STAFF),
    ("active system filtered", lambda s: f"/standards/{s['active'].pk}/?type=WHZ", STAFF),
    ("draft system", lambda s: f"/standards/{s['draft'].pk}/", expect(_=404, office_city=200, citizen=403, outsider=403)),
    ("export xlsx", lambda s: f"/standards/{s['active'].pk}/export.xlsx", STAFF),
    ("export yaml", lambda s: f"/standards/{s['active'].pk}/export.yaml", STAFF),
    ("draft export", lambda s: f"/standards/{s['draft'].pk}/export.yaml",
     expect(_=404, office_city=200, citizen=403, outsider=403)),
    ("point types", lambda s: "/standards/point-types/", STAFF),
    ("import", lambda s: "/standards/import/", expect(_=403, office_city=200)),
    ("template", lambda s: "/standards/import/template.xlsx", expect(_=403, office_city=200)),
    ("replace draft", lambda s: f"/standards/{s['draft'].pk}/replace/", expect(_=403, office_city=200)),
]


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,expected", PAGES, ids=[p[0] for p in PAGES])
def test_page_access(login, systems, label, url, expected):
    for persona in ALL:
        status = login(persona).get(url(systems)).status_code
        assert status == expected[persona], f"{label}: {persona} got {status}"


WRITES = [
    ("import", lambda s: "/standards/import/",
     lambda: {"name": "新体系", "version": "1", "file": _named(SMALL, "a.yaml")}),
    ("replace", lambda s: f"/standards/{s['draft'].pk}/replace/", lambda: {"file": _named(SMALL, "a.yaml")}),
    ("copy", lambda s: f"/standards/{s['active'].pk}/copy/", lambda: {"name": "测试测评体系", "version": "2030版"}),
    ("status", lambda s: f"/standards/{s['active'].pk}/status/", lambda: {"status": "retired"}),
    ("point type", lambda s: "/standards/point-types/", lambda: {"code": "NEW", "name": "新类型"}),
    ("builtin", lambda s: "/standards/builtin/", lambda: {}),
]


def _named(text, name):
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


def _state():
    return (list(IndexSystem.objects.values_list("name", "version", "status").order_by("id")),
            list(PointType.objects.values_list("code", flat=True).order_by("id")),
            list(CheckItem.objects.values_list("id", flat=True).order_by("id")))


@pytest.mark.django_db
@pytest.mark.parametrize("label,url,data", WRITES, ids=[w[0] for w in WRITES])
def test_writes_refused_to_every_wrong_persona(login, systems, label, url, data):
    before = _state()
    for persona in [name for name in ALL if name != "office_city"]:
        status = login(persona).post(url(systems), data()).status_code
        assert status in (403, 404), f"{label}: {persona} got {status}"
    assert _state() == before
    assert login("office_city").post(url(systems), data()).status_code == 302
    assert _state() != before, label


@pytest.mark.django_db
def test_detail_shows_the_tree_and_filters_by_point_type(login, systems):
    page = login("handler_street_a1").get(f"/standards/{systems['active'].pk}/").content.decode()
    for text in ("0101 综合文化站", "010101 未成年人活动场所", "WHZ05", "有禁烟标识且无吸烟现象为符合",
                 "每处扣0.5分，扣完为止", "按满足条件数评等级：A（≥3项，得100%）", "在用"):
        assert text in page, text
    assert "启用" not in page.replace("在用", "")          # no management buttons for a handler
    page = login("office_city").get(f"/standards/{systems['active'].pk}/?type=TST").content.decode()
    assert "WHZ01" in page and "ZGD01" in page and "WHZ05" not in page and "010101" not in page


@pytest.mark.django_db
def test_detail_query_count_does_not_grow_with_items(login, systems, personas):
    client = login("office_city")
    url = f"/standards/{systems['active'].pk}/"
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    bigger = SMALL.replace("2026版", "2040版")
    for n in range(10):
        bigger = bigger.replace("  - code: \"02\"\n", f"  - code: \"9{n}\"\n    name: 追加{n}\n    items:\n"
                                f"      - {{code: X{n}, content: 内容, point_types: [TST], score: 1, "
                                f"scoring: {{kind: 判定, shares: {{符合: 100, 不符合: 0}}}}}}\n  - code: \"02\"\n", 1)
    _, big = import_yaml(personas["office_city"], bigger)
    assert big.items.count() == 14
    client.get(f"/standards/{big.pk}/")
    with CaptureQueriesContext(connection) as large:
        client.get(f"/standards/{big.pk}/")
    assert len(large) == len(small)


@pytest.mark.django_db
def test_upload_form_reports_errors_and_writes_nothing(login, systems):
    before = _state()
    bad = SMALL.replace("score: 2.5", "score: 零")
    response = login("office_city").post("/standards/import/", {"name": "X", "version": "9", "file": _named(bad, "x.yaml")})
    page = response.content.decode()
    assert response.status_code == 200
    assert "导入未完成：发现 1 处错误，未写入任何数据" in page and "分值应为数字，而不是「零」" in page
    response = login("office_city").post("/standards/import/", {"name": "X", "version": "9",
                                                                "file": _named("not a sheet", "x.xlsx")})
    assert "文件不是有效的Excel" in response.content.decode()
    assert _state() == before


@pytest.mark.django_db
def test_exports_are_readable_and_audited(login, systems):
    from wenming.core.models import AuditEvent

    response = login("inspector").get(f"/standards/{systems['active'].pk}/export.yaml")
    document = yaml.safe_load(response.content.decode())
    assert document["system"]["version"] == "2026版"
    assert [node["code"] for node in document["indicators"]] == ["01", "02"]
    response = login("inspector").get(f"/standards/{systems['active'].pk}/export.xlsx")
    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 5 and rows[1][6] == "WHZ05"
    assert AuditEvent.objects.filter(action="export.download", actor_username="inspector").count() == 2


@pytest.mark.django_db
def test_root_office_loads_the_builtin_template_once(login, systems):
    client = login("office_city")
    assert "载入内置模板" in client.get("/standards/").content.decode()
    assert "载入内置模板" not in login("office_district_a").get("/standards/").content.decode()
    assert client.get("/standards/builtin/").status_code == 405
    response = client.post("/standards/builtin/")
    system = IndexSystem.objects.get(name="文明城市创建测评体系（内置模板）")
    assert response.status_code == 302 and response["Location"] == f"/standards/{system.pk}/"
    assert (system.status, system.created_by.username) == (SystemStatus.DRAFT, "office_city")
    page = client.get(response["Location"]).content.decode()
    assert f"已载入内置模板：{system}（草稿，共 {system.items.count()} 个检查项）" in page
    # a second click: nothing new, and the way to the one there is
    response = client.post("/standards/builtin/", follow=True)
    page = response.content.decode()
    assert f'内置模板已存在：<a href="/standards/{system.pk}/">{system}</a>（草稿），未重复载入' in page
    assert IndexSystem.objects.filter(name=system.name).count() == 1
