import io

import pytest
from PIL import Image

from wenming.cases.intake.services import Intake
from wenming.cases.models import Category
from wenming.core.services_photos import photo_create


def jpeg_bytes(color=(200, 60, 40)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "JPEG")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_photo():
    def _make(actor, unit=None):
        return photo_create(actor=actor, data=jpeg_bytes(), filename="x.jpg", unit=unit)

    return _make


@pytest.fixture
def category(db):
    from wenming.cases.settings.defaults import load

    load()  # a transactional test's flush removes what the migration seeded
    return Category.objects.get(code="0201")  # 占道经营, normal: 3 working days


@pytest.fixture
def intake(org, category):
    def _intake(**overrides):
        values = {"title": "人行道占道经营", "category": category, "area": org["street_a1"],
                  "address": "甲一街道人民路88号", "description": "水果摊占用人行道"}
        values.update(overrides)
        return Intake(**values)

    return _intake
