"""Fixtures for rounds: the small index system of the standards tests, and points.

Items of the system (score, rule):
    WHZ05  2    判定 符合/不符合                         types WHZ
    WHZ01  2.5  判定 符合 100 / 基本符合 50 / 不符合 0    types WHZ, TST
    WHZ09  4    等级 by 3 conditions: A 100 ≥3, B 80 ≥2, C 60 ≥1, C# 0; pass C     types WHZ
    ZGD01  5    扣分 0.5 per 处                          types TST
"""

import datetime

import pytest

from wenming.cases.settings import defaults as case_defaults
from wenming.places.models import Point
from wenming.standards import services as standards_services
from wenming.standards.models import PointType, SystemStatus
from wenming.standards.tests.test_formats import import_yaml


@pytest.fixture
def system(personas):
    case_defaults.load()
    office = personas["office_city"]
    _, system = import_yaml(office)
    return standards_services.system_set_status(actor=office, system=system, status=SystemStatus.ACTIVE)


def make_point(code, name, type_code, unit, area, **extra):
    return Point.objects.create(code=code, name=name, point_type=PointType.objects.get(code=type_code), unit=unit,
                                area=area, address=f"{name}门口", latitude="30.250000", longitude="120.160000", **extra)


@pytest.fixture
def points(org, system):
    return {
        "station": make_point("P1", "甲一文化站", "WHZ", org["street_a1"], org["grid_a1"]),
        "square": make_point("P2", "甲一广场", "TST", org["community_a1"], org["grid_a1"]),
        "station_b": make_point("P3", "乙一文化站", "WHZ", org["street_b1"], org["street_b1"]),
    }


@pytest.fixture
def make_round(personas, org, system):
    from wenming.inspections import services

    def _make(kind="weekly", scope=None, actor="office_city", owner=None, **extra):
        return services.round_create(
            actor=personas[actor], title=extra.pop("title", "第47周测评"), kind=kind, system=system,
            owner=owner or org["city"], scope_units=scope or [org["city"]],
            period_start=extra.pop("period_start", datetime.date(2026, 11, 16)),
            period_end=extra.pop("period_end", datetime.date(2026, 11, 22)), **extra)

    return _make


def answers_for(items, **by_code):
    """{item id: Answer} from {code: Answer-kwargs}."""
    from wenming.inspections.services import Answer

    return {item.pk: Answer(**by_code[item.code]) for item in items if item.code in by_code}
