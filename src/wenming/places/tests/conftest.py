"""Points in the persona organisation (src/wenming/conftest.py):

    code   name            type  responsible unit   area (where it lies)     seen by (besides city office, inspector, admin)
    SQ-A1  甲一社区         SQ    甲一社区            甲一社区第1网格            district A office, leader, grid worker
    WHZ-A1 甲一街道文化站   WHZ   甲一街道            甲一社区                  district A office, leader, handler A1
    GY-A2  甲二广场         GY    甲二街道            甲二街道                  district A office, leader, handler A2
    NM-B1  乙一农贸市场     NM    乙一街道            乙一街道                  leader (包保 street B1)
    ZGD-C  人民路           ZGD   市城管局 (city)     甲一社区第1网格            district A office, leader, grid worker
"""

import pytest

from wenming.inspections.tests.conftest import make_round, system  # noqa: F401 (fixtures)
from wenming.places.models import Point
from wenming.standards.models import PointType


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def make_point(code, name, type_code, unit, area, *, lat="28.680000", lng="115.860000", **extra):
    return Point.objects.create(code=code, name=name, point_type=PointType.objects.get(code=type_code), unit=unit,
                                area=area, address=f"{name}门口", latitude=lat, longitude=lng, **extra)


@pytest.fixture
def pts(org):
    return {
        "community": make_point("SQ-A1", "甲一社区", "SQ", org["community_a1"], org["grid_a1"], latest_score="92.50"),
        "station": make_point("WHZ-A1", "甲一街道文化站", "WHZ", org["street_a1"], org["community_a1"],
                              latest_score="55.00"),
        "square": make_point("GY-A2", "甲二广场", "GY", org["street_a2"], org["street_a2"], lat=None, lng=None),
        "market": make_point("NM-B1", "乙一农贸市场", "NM", org["street_b1"], org["street_b1"], latest_score="81.00"),
        "road": make_point("ZGD-C", "人民路", "ZGD", org["department"], org["grid_a1"], latest_score="70.00"),
    }


# who sees which point (the selectors' rules), for the page matrices
SEES = {
    "community": {"office_city", "office_district_a", "inspector", "leader", "grid_worker", "admin"},
    "station": {"office_city", "office_district_a", "inspector", "leader", "handler_street_a1", "admin"},
    "square": {"office_city", "office_district_a", "inspector", "leader", "handler_street_a2", "admin"},
    "market": {"office_city", "inspector", "leader", "admin"},
    "road": {"office_city", "office_district_a", "inspector", "leader", "grid_worker", "admin"},
}
