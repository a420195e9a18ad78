"""The built-in index system (its 材料审核 items give the requirements) over the persona organisation
(conftest.build_org): 街道办事处 points for the three streets, a 社区 point for 甲一社区."""

import io

import pikepdf
import pytest
from PIL import Image

from wenming.archives import services
from wenming.archives.models import Requirement
from wenming.places.models import Point
from wenming.standards.models import PointType
from wenming.standards.services import load_builtin


@pytest.fixture
def system(db):
    from wenming.cases.settings.defaults import load

    load()
    return load_builtin()


def make_point(code, name, type_code, unit, area=None):
    return Point.objects.create(code=code, name=name, point_type=PointType.objects.get(code=type_code), unit=unit,
                                area=area or unit, address=f"{name}门口", latitude="30.250000", longitude="120.160000")


@pytest.fixture
def points(org, system):
    return {
        "jd_a1": make_point("JD-A1", "甲一街道办事处", "JD", org["street_a1"]),
        "jd_a2": make_point("JD-A2", "甲二街道办事处", "JD", org["street_a2"]),
        "jd_b1": make_point("JD-B1", "乙一街道办事处", "JD", org["street_b1"]),
        "sq_a1": make_point("SQ-A1", "甲一社区居委会", "SQ", org["community_a1"]),
    }


@pytest.fixture
def requirements(personas, org, system, points):
    services.requirements_derive(actor=personas["office_city"], system=system, owner=org["city"])
    return {r.code: r for r in Requirement.objects.all()}


def pdf(pages: int = 1, marker: str = "") -> bytes:
    document = pikepdf.Pdf.new()
    for _ in range(pages):
        document.add_blank_page()
    if marker:
        document.docinfo["/Title"] = marker
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def jpeg(color=(200, 60, 40)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, "JPEG")
    return out.getvalue()
