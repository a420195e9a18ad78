"""A city's streets assessed over October and November 2026, with figures computed by hand.

Scheme 「街道考核」 for the streets of the test city (甲一, 甲二, 乙一): the default weights 实地测评 50,
问题整改 20, 督办 10, 任务 10 and 问卷 10 (no data: the rest is scaled to 100); at least 2 points
inspected to be ranked; 红旗榜 the first place, 黄牌榜 below 80; escalation after 2 黄牌 in a row.

October: round 「第42周」 (ends 10-18, published 10-19): 甲一 two points 50 and 50; 甲二 90 and 90.
    甲一 25 + 20 + 10 = 55 of 80 → 68.75 (黄牌); 甲二 45 + 20 + 10 = 75 of 80 → 93.75 (红旗, 1st)
November: round 「第46周」 (ends 11-15, published 11-16, 文化站 WHZ weighs 2):
    甲一: 文化站 90 (×2) and a community's square 60 → 240 / 3 = 80.00
    甲二: two squares 70 and 80 → 75.00
    乙一: one market 95 → 95.00, sample 1 < 2: not ranked
    a 自查 round (never counted) gives 甲二 100; a round published after the close (tomorrow) is not read.
  Problems of 甲一 (as they stood at the end of November): N1 due 11-10, closed on time;
    N2 due 11-20, overdue since then, open → 按期办结率 1/2, 退回率 0/1, 反弹率 0/1, 1 overdue:
    60 × 0.5 + 20 + 20 − 2 × 1 = 68.00; one 督办单 on N2 (11-21): 督办 100 − 5 = 95.00
  甲一 40 + 13.60 + 9.50 = 63.10 of 80 → 78.875 → 78.88, then 上级曝光 −2 (甲一社区, 11-12) → 76.88
  甲二 37.50 + 20 + 10 = 67.50 of 80 → 84.375 → 84.38 (1st, 红旗榜)
  乙一 47.50 + 20 + 10 = 77.50 of 80 → 96.875 → 96.88 (not ranked: 测评点位不足)
  甲一: 黄牌 again (76.88 < 80), the 2nd in a row → 约谈 proposed; change from October +8.13.
"""

import datetime
from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wenming.cases import events
from wenming.cases.models import Category, NoticeKind, Problem, State, SupervisionNotice
from wenming.inspections.models import InspectionRound, RoundKind, RoundPoint, RoundStatus
from wenming.inspections.tests.conftest import system  # noqa: F401, F811 (fixture)
from wenming.places.models import Point
from wenming.scoring import services
from wenming.scoring.models import AdjustmentKind, ListMode
from wenming.standards.models import PointType

SH = ZoneInfo("Asia/Shanghai")


def at(month: int, day: int, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, tzinfo=SH)


def make_point(code, type_code, unit):
    return Point.objects.create(code=code, name=f"点位{code}", point_type=PointType.objects.get(code=type_code),
                                unit=unit, area=unit, address=f"{code}号", latitude="30.250000",
                                longitude="120.160000")


def published_round(personas, org, system, title, end, points_scores, *, kind=RoundKind.WEEKLY, weights=None,  # noqa: F811
                    published=None):
    round_ = InspectionRound.objects.create(
        title=title, kind=kind, system=system, owner=org["city"], owner_path=org["city"].path,
        period_start=end - timedelta(days=6), period_end=end, status=RoundStatus.PUBLISHED, weights=weights or {},
        created_by=personas["office_city"], published_at=published or datetime.datetime.combine(
            end + timedelta(days=1), datetime.time(9), tzinfo=SH))
    for point, score in points_scores:
        RoundPoint.objects.create(round=round_, point=point, unit=point.unit, unit_path=point.unit.path,
                                  status=RoundPoint.Status.DONE, earned=score, possible=100, score=Decimal(score),
                                  done_at=at(end.month, end.day))
    return round_


def problem(unit, code, **fields):
    category = Category.objects.get(code="0201")
    p = Problem.objects.create(code=code, title=f"问题{code}", category=category, source="inspection",
                               area=unit, area_path=unit.path, unit=unit, unit_path=unit.path,
                               address=f"人民路{code}", **fields)
    events.write_version(p, fields["assigned_at"])
    return p


@pytest.fixture
def city(personas, org, system):  # noqa: F811
    from wenming.cases.settings.defaults import load

    load()
    a1, a2, b1, community = org["street_a1"], org["street_a2"], org["street_b1"], org["community_a1"]
    pts = {
        "a1_station": make_point("A1-WHZ", "WHZ", a1), "a1_square": make_point("A1-GY", "GY", community),
        "a2_square": make_point("A2-GY1", "GY", a2), "a2_square2": make_point("A2-GY2", "GY", a2),
        "b1_market": make_point("B1-NM", "NM", b1),
    }
    published_round(personas, org, system, "第42周测评", datetime.date(2026, 10, 18),
                    [(pts["a1_station"], 50), (pts["a1_square"], 50), (pts["a2_square"], 90),
                     (pts["a2_square2"], 90)])
    nov = published_round(personas, org, system, "第46周测评", datetime.date(2026, 11, 15),
                          [(pts["a1_station"], 90), (pts["a1_square"], 60), (pts["a2_square"], 70),
                           (pts["a2_square2"], 80), (pts["b1_market"], 95)], weights={"WHZ": 2})
    published_round(personas, org, system, "甲二街道自查", datetime.date(2026, 11, 20),
                    [(pts["a2_square"], 100)], kind=RoundKind.SELF_CHECK)
    published_round(personas, org, system, "第48周测评（迟发布）", datetime.date(2026, 11, 29),
                    [(pts["a1_station"], 10)], published=timezone.now() + timedelta(days=1))
    n1 = problem(a1, "WT2026-000001", state=State.CLOSED, assigned_at=at(11, 3), deadline=at(11, 10),
                 submitted_at=at(11, 9), closed_at=at(11, 10, 15), closed_on_time=True, handling_hours=20)
    n2 = problem(a1, "WT2026-000002", state=State.RECTIFYING, assigned_at=at(11, 14), deadline=at(11, 20),
                 is_overdue=True, overdue_at=at(11, 20, 18))
    SupervisionNotice.objects.create(problem=n2, kind=NoticeKind.NOTICE, issuer=org["district_a"], year=2026, seq=1,
                                     number="甲创督〔2026〕1号", unit=a1, deadline=at(11, 24), issued_at=at(11, 21),
                                     body="请整改")
    office = personas["office_city"]
    rules = services.default_rules("街道考核")
    rules.min_sample, rules.red_mode, rules.red_value = 2, ListMode.RANK, Decimal(1)
    rules.yellow_mode, rules.yellow_value = ListMode.THRESHOLD, Decimal(80)
    rules.period_kinds = ["week", "month"]
    scheme = services.scheme_create(actor=office, owner=org["city"], root=org["city"], unit_kind="street",
                                    rules=rules, activate=True)
    exposure = services.adjustment_add(actor=office, unit=community, kind=AdjustmentKind.EXPOSURE,
                                       occurred_on=datetime.date(2026, 11, 12), title="市电视台曝光占道经营",
                                       points="2", source="市电视台《问政》")
    return {"scheme": scheme, "points": pts, "round": nov, "n1": n1, "n2": n2, "exposure": exposure}
