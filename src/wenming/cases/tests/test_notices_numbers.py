"""督办单/督办函 numbers (文号): the issuing office's 机关代字, the kind's word, 〔year〕 and the number
(GB/T 9704-2012 §7.2.4), so that two offices never write the same 文号; dates in the document
without leading zeros."""

import io
import re
from datetime import datetime, timedelta
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import docx
import pytest
from django.urls import reverse
from django.utils import timezone

from wenming.cases.intake import services as intake_services
from wenming.cases.models import NoticeKind, SupervisionNotice
from wenming.cases.notices import documents
from wenming.cases.notices import services as notices
from wenming.cases.workflow import services
from wenming.conftest import make_unit
from wenming.core.dates import chinese_datetime
from wenming.core.errors import ServiceError
from wenming.org import doccodes
from wenming.org import services as org_services
from wenming.org.models import DocCodeClaim, Membership, Role, Unit, UnitKind, User

SHANGHAI = ZoneInfo("Asia/Shanghai")
ISSUED = datetime(2026, 12, 2, 9, 0, tzinfo=SHANGHAI)
DEADLINE = datetime(2026, 12, 7, 18, 0, tzinfo=SHANGHAI)


def set_doc_code(actor, unit: Unit, code: str) -> Unit:
    unit.refresh_from_db()
    return org_services.unit_update(actor=actor, unit=unit, name=unit.name, population=unit.population,
                                    contact_name=unit.contact_name, contact_phone=unit.contact_phone,
                                    head_name=unit.head_name, is_active=unit.is_active, doc_code=code)


@pytest.fixture
def problem_of(personas, intake):
    """``problem_of(unit)`` → a problem assigned to ``unit`` by the city office."""

    def _make(unit: Unit, area: Unit | None = None):
        problem, _ = intake_services.problem_report(actor=personas["inspector"],
                                                    intake=intake(**({"area": area} if area else {})))
        return services.problem_assign(actor=personas["office_city"], problem=problem, unit=unit,
                                       deadline=timezone.now() + timedelta(days=3))

    return _make


def issue(problem, kind=NoticeKind.NOTICE, now=ISSUED) -> SupervisionNotice:
    return notices.issue(problem, kind, DEADLINE, now)


@pytest.mark.django_db
def test_two_offices_issue_number_one_of_2026_with_different_numbers(personas, org, problem_of):
    set_doc_code(personas["office_city"], org["city"], "江创城")
    set_doc_code(personas["office_city"], org["district_a"], "东创城")
    # the department hangs under the city: the city office signs; street A1's notices come from 甲区
    city_notice = issue(problem_of(org["department"]))
    district_notice = issue(problem_of(org["street_a1"]))
    assert (city_notice.issuer, district_notice.issuer) == (org["city"], org["district_a"])
    assert (city_notice.year, city_notice.seq, district_notice.year, district_notice.seq) == (2026, 1, 2026, 1)
    assert city_notice.number == "江创城督〔2026〕1号"
    assert district_notice.number == "东创城督〔2026〕1号"
    # numbered per office, kind and year: the district's second 督办单 and its first 督办函
    assert issue(problem_of(org["street_a2"])).number == "东创城督〔2026〕2号"
    assert issue(problem_of(org["street_a1"]), NoticeKind.LETTER).number == "东创城督函〔2026〕1号"
    assert issue(problem_of(org["street_a1"]), now=ISSUED.replace(year=2027)).number == "东创城督〔2027〕1号"


@pytest.mark.django_db
def test_offices_without_a_code_get_one_from_their_name(personas, org, problem_of):
    assert issue(problem_of(org["department"])).number == "测创城督〔2026〕1号"   # 测试市
    assert issue(problem_of(org["street_a1"])).number == "甲创城督〔2026〕1号"    # 甲区
    assert doccodes.effective_doc_code(org["district_a"]) == doccodes.EffectiveDocCode("甲创城", derived=True)


@pytest.mark.django_db
def test_two_offices_never_write_the_same_number(personas, org, problem_of):
    # 甲东区 derives 甲创城 as 甲区 does: the one that issues second takes more of its name
    district_c = make_unit("甲东区", UnitKind.DISTRICT, "330104", org["city"], 100)
    street_c1 = make_unit("甲东一街道", UnitKind.STREET, "330104001", district_c, 100)
    Membership.objects.create(user=User.objects.create(username="office_c", full_name="丙"), unit=district_c,
                              role=Role.OFFICE)
    first = issue(problem_of(org["street_a1"]))
    second = issue(problem_of(street_c1, area=street_c1))
    assert (first.issuer, second.issuer) == (org["district_a"], district_c)
    assert (first.number, second.number) == ("甲创城督〔2026〕1号", "甲东创城督〔2026〕1号")

    # a code used on a document stays its office's: nobody else may set it ...
    with pytest.raises(ServiceError, match="机关代字“甲创城”已用于甲区已发的督办文书，不能再用"):
        set_doc_code(personas["office_city"], org["district_b"], "甲创城")
    # ... not even after 甲区 has changed its own
    set_doc_code(personas["office_city"], org["district_a"], "甲区创城")
    assert issue(problem_of(org["street_a1"])).number == "甲区创城督〔2026〕2号"
    with pytest.raises(ServiceError, match="已用于甲区已发的督办文书"):
        set_doc_code(personas["office_city"], district_c, "甲创城")
    # nor may two offices hold one code
    with pytest.raises(ServiceError, match="机关代字“甲区创城”已被甲区使用，请换一个"):
        set_doc_code(personas["office_city"], org["district_b"], "甲区创城")
    # 甲东区 keeps the code it has used
    assert issue(problem_of(street_c1, area=street_c1)).number == "甲东创城督〔2026〕2号"

    # a code another office used in the meantime (set at the same moment, say) is not written again
    DocCodeClaim.objects.create(code="乙创城", unit=district_c)
    Unit.objects.filter(pk=org["district_b"].pk).update(doc_code="乙创城")
    Membership.objects.create(user=User.objects.create(username="office_b", full_name="乙"),
                              unit=org["district_b"], role=Role.OFFICE)
    district_b = Unit.objects.get(pk=org["district_b"].pk)
    assert doccodes.effective_doc_code(district_b) == doccodes.EffectiveDocCode("乙区创城", derived=True,
                                                                                conflict=True)
    assert issue(problem_of(org["street_b1"], area=org["street_b1"])).number == "乙区创城督〔2026〕1号"

    numbers = list(SupervisionNotice.objects.values_list("number", flat=True))
    assert len(numbers) == len(set(numbers)) == 5


@pytest.mark.django_db
def test_docx_carries_the_number_and_dates_without_leading_zeros(personas, org, problem_of, login):
    set_doc_code(personas["office_city"], org["district_a"], "东创城")
    notice = issue(problem_of(org["street_a1"]))
    document = docx.Document(io.BytesIO(documents.notice_docx(notice)))
    paragraphs = [p.text for p in document.paragraphs if p.text]
    text = "\n".join(paragraphs + [c.text for t in document.tables for r in t.rows for c in r.cells])
    assert paragraphs[:3] == ["甲区创建办", "东创城督〔2026〕1号", "督办单"]
    assert paragraphs[-1] == "2026年12月2日"                                   # 成文日期
    assert "请你单位高度重视，于2026年12月7日18时前整改完毕" in text             # the body
    rows = {row.cells[0].text: row.cells[1].text for row in document.tables[0].rows}
    assert rows["本次整改期限"] == "2026年12月7日18时"
    assert rows["原整改期限"] == chinese_datetime(notice.problem.deadline)
    assert f"已超过整改期限（{rows['原整改期限']}）" in text
    assert not re.search(r"[年月日]0\d|\d:\d\d", text), text                   # no 12月02日, no 09:00
    assert document.core_properties.title == "督办单 东创城督〔2026〕1号"

    # the page, the list and the download's name show the same number
    client = login("office_district_a")
    assert "东创城督〔2026〕1号" in client.get(reverse("cases:notice", args=[notice.pk])).content.decode()
    assert "东创城督〔2026〕1号" in client.get(reverse("cases:notices")).content.decode()
    response = client.get(reverse("cases:notice_docx", args=[notice.pk]))
    assert "东创城督〔2026〕1号.docx" in unquote(response["Content-Disposition"])
