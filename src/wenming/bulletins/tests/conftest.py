"""The hand-computed city of scoring/tests/conftest.py (November 2026), for its 通报."""

import datetime

import pytest

from wenming.org.models import Membership, Role, User
from wenming.scoring import services as scoring
from wenming.scoring.tests.conftest import city, system  # noqa: F401 (fixtures)

NOV = datetime.date(2026, 11, 15)


@pytest.fixture
def city_leader(org):
    user = User.objects.create(username="city_leader", full_name="陈市长", post="副市长")
    Membership.objects.create(user=user, unit=org["city"], role=Role.LEADER)
    return user


@pytest.fixture
def november(city, personas):  # noqa: F811
    return scoring.period_close(actor=personas["office_city"], scheme=city["scheme"], kind="month", day=NOV)
