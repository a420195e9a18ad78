"""机关代字 (the office's code at the head of its documents' numbers): set by the city office on the
unit's edit page or through the unit import, 1-8 Chinese characters, unique; a hint on the unit
page while an office that signs documents has none."""

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from wenming.core.errors import Forbidden, ServiceError
from wenming.core.models import AuditEvent
from wenming.org import doccodes, services, transfer
from wenming.org.models import Membership, Role, Unit
from wenming.org.tests.test_import import xlsx

FORM = {"population": 600000, "contact_name": "联系人", "contact_phone": "13912345678", "head_name": "",
        "is_active": "on"}


def edit(client, unit: Unit, doc_code: str | None):
    data = {**FORM, "name": unit.name}
    if doc_code is not None:
        data["doc_code"] = doc_code
    return client.post(reverse("org:unit_edit", args=[unit.pk]), data)


def doc_code_of(unit: Unit) -> str:
    return Unit.objects.get(pk=unit.pk).doc_code


@pytest.mark.django_db
def test_city_office_sets_a_code_on_the_edit_page(login, org):
    client = login("office_city")
    page = client.get(reverse("org:unit_edit", args=[org["district_a"].pk])).content.decode()
    assert 'name="doc_code"' in page and "机关代字" in page
    response = edit(client, org["district_a"], " 东创城 ")
    assert response.status_code == 302
    assert doc_code_of(org["district_a"]) == "东创城"
    event = AuditEvent.objects.get(action="org.unit_update")
    assert event.detail["changed"] == {"doc_code": ["", "东创城"]}
    # the unit page shows it, with the number it makes
    page = client.get(reverse("org:unit", args=[org["district_a"].pk])).content.decode()
    assert "东创城" in page and "东创城督〔" in page and "doc-code-hint" not in page
    # cleared: the derived code again
    assert edit(client, org["district_a"], "").status_code == 302 and doc_code_of(org["district_a"]) == ""


@pytest.mark.django_db
@pytest.mark.parametrize("value, message", [
    ("DC01", "机关代字应为1至8个汉字（如“江创城”），不能含数字、字母、空格或标点"),
    ("江创城督办函字号多", "机关代字应为1至8个汉字"),
    ("江 创城", "机关代字应为1至8个汉字"),
    ("江创城。", "机关代字应为1至8个汉字"),
    ("乙创城", "机关代字“乙创城”已被乙区使用，请换一个"),
])
def test_invalid_code_refused_in_chinese_and_nothing_changed(login, org, value, message):
    Unit.objects.filter(pk=org["district_b"].pk).update(doc_code="乙创城")
    Unit.objects.filter(pk=org["district_a"].pk).update(doc_code="甲创城")
    response = login("office_city").post(reverse("org:unit_edit", args=[org["district_a"].pk]),
                                         {**FORM, "name": "甲区改名", "doc_code": value})
    assert response.status_code == 200
    assert message in response.content.decode()
    unit = Unit.objects.get(pk=org["district_a"].pk)
    assert (unit.name, unit.doc_code) == ("甲区", "甲创城")
    assert not AuditEvent.objects.filter(action="org.unit_update").exists()


@pytest.mark.django_db
def test_wrong_persona_cannot_set_the_code(login, personas, org):
    district_a = org["district_a"]
    # a district office edits its own unit, but the code is the city office's to set: no field,
    # and a code sent anyway is not taken
    client = login("office_district_a")
    assert 'name="doc_code"' not in client.get(reverse("org:unit_edit", args=[district_a.pk])).content.decode()
    assert edit(client, district_a, "东创城").status_code == 302
    assert doc_code_of(district_a) == ""
    # through the service: refused (403) and audited
    with pytest.raises(Forbidden):
        services.unit_update(actor=personas["office_district_a"], unit=district_a, name="甲区", population=1,
                             contact_name="", contact_phone="", head_name="", is_active=True, doc_code="东创城")
    refusal = AuditEvent.objects.filter(action="access.refused").latest("id")
    assert refusal.detail == {"status": 403, "permission": "org.set_doc_code"}
    # the others may not open the edit page at all
    for persona, status in [("handler_street_a1", 404), ("leader", 403), ("admin", 403), ("inspector", 404),
                            ("citizen", 404), ("outsider", 404)]:
        assert edit(login(persona), district_a, "东创城").status_code == status, persona
    assert doc_code_of(district_a) == ""
    # unchanged, it passes whoever saves the unit (a district office saving the other fields)
    Unit.objects.filter(pk=district_a.pk).update(doc_code="东创城")
    district_a.refresh_from_db()
    services.unit_update(actor=personas["office_district_a"], unit=district_a, name="甲区", population=1,
                         contact_name="", contact_phone="", head_name="", is_active=True, doc_code="东创城")


@pytest.mark.django_db
def test_unit_page_hints_that_a_code_should_be_set(login, org):
    # 甲区 has an office (office_district_a) and no code: its documents use one made from its name
    page = login("office_district_a").get(reverse("org:unit", args=[org["district_a"].pk])).content.decode()
    assert "本单位尚未设置机关代字" in page and "甲创城督〔" in page and "请市创建办" in page
    page = login("office_city").get(reverse("org:unit", args=[org["district_a"].pk])).content.decode()
    assert "本单位尚未设置机关代字" in page and reverse("org:unit_edit", args=[org["district_a"].pk]) in page
    # a street without an office signs nothing: no 机关代字 shown
    page = login("office_city").get(reverse("org:unit", args=[org["street_a1"].pk])).content.decode()
    assert "机关代字" not in page
    # the city signs documents even without an office member
    Membership.objects.filter(role=Role.OFFICE, unit=org["city"]).update(is_active=False)
    assert doccodes.issues_documents(org["city"]) and not doccodes.issues_documents(org["district_b"])


@pytest.mark.django_db
def test_codes_through_the_unit_import(personas, org, login):
    rows = [["330102", "甲区", "区县", "330100", 600000, "", "", "", "东创城"],
            ["330103", "乙区", "区县", "330100", 500000, "", "", "", "乙创城"],
            ["330104", "丙区", "区县", "330100", 1000, "", "", "", ""]]
    report = transfer.import_units(actor=personas["office_city"], data=xlsx(rows), filename="units.xlsx")
    assert report.ok, report.errors
    assert [doc_code_of(org[k]) for k in ("district_a", "district_b")] == ["东创城", "乙创城"]
    assert Unit.objects.get(code="330104").doc_code == ""
    event = AuditEvent.objects.get(action="org.units_import")
    assert event.detail["doc_codes"] == {"330102": "东创城", "330103": "乙创城"}

    # exported with the codes; a district office re-imports its part unchanged
    sheet = load_workbook(io.BytesIO(login("office_district_a").get(reverse("org:export")).content)).active
    exported = [[("" if v is None else v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert exported[0][-1] == "机关代字" and exported[1][0] == "330102" and exported[1][-1] == "东创城"
    report = transfer.import_units(actor=personas["office_district_a"], data=xlsx(exported[1:]), filename="b.xlsx")
    assert report.ok, report.errors

    # refused, with row and column, and nothing written
    before = list(Unit.objects.order_by("id").values_list("code", "name", "doc_code"))
    bad = [["330102", "甲区改名", "区县", "330100", 600000, "", "", "", "DC01"],          # row 2: not Chinese
           ["330103", "乙区", "区县", "330100", 500000, "", "", "", "东创城"],           # row 3: 甲区's
           ["330104", "丙区", "区县", "330100", 1000, "", "", "", "丙创城"],
           ["330102001", "甲一街道", "街道", "330102", 1, "", "", "", "丙创城"]]           # row 5: twice
    report = transfer.import_units(actor=personas["office_city"], data=xlsx(bad), filename="bad.xlsx")
    messages = {(e.row, e.column): e.message for e in report.errors}
    assert messages == {
        (2, "机关代字"): doccodes.DOC_CODE_FORMAT_MESSAGE,
        (3, "机关代字"): "机关代字“东创城”已被甲区使用，请换一个",
        (5, "机关代字"): "机关代字“丙创城”与第4行重复",
    }
    # a district office may not change a code
    mine = [["330102", "甲区", "区县", "330100", 600000, "", "", "", "甲创城"]]
    report = transfer.import_units(actor=personas["office_district_a"], data=xlsx(mine), filename="mine.xlsx")
    assert [(e.row, e.column, e.message) for e in report.errors] == [
        (2, "机关代字", "只有市创建办可以设置机关代字（留空则不修改）")]
    assert list(Unit.objects.order_by("id").values_list("code", "name", "doc_code")) == before


@pytest.mark.django_db
def test_service_refuses_a_code_another_unit_holds(personas, org):
    Unit.objects.filter(pk=org["district_b"].pk).update(doc_code="乙创城")
    with pytest.raises(ServiceError, match="机关代字“乙创城”已被乙区使用") as refused:
        services.unit_update(actor=personas["office_city"], unit=org["district_a"], name="甲区", population=1,
                             contact_name="", contact_phone="", head_name="", is_active=True, doc_code="乙创城")
    assert refused.value.field == "doc_code"
