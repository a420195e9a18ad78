"""A city survey over the persona organisation (conftest.build_org) with two more communities:
甲一社区 (8,000 people, under 甲一街道), 甲二社区 (4,000, under 甲二街道) and 乙一社区 (3,000, under 乙一街道).
The built-in questionnaire, published by the city office; a campaign of 20 per community, open."""

import datetime

import pytest

from wenming.conftest import make_unit
from wenming.org.models import UnitKind
from wenming.surveys import services


@pytest.fixture
def communities(org):
    return {"a1": org["community_a1"],
            "a2": make_unit("甲二社区", UnitKind.COMMUNITY, "330102002001", org["street_a2"], 4_000),
            "b1": make_unit("乙一社区", UnitKind.COMMUNITY, "330103001001", org["street_b1"], 3_000)}


@pytest.fixture
def questionnaire(personas, org):
    q = services.builtin_install(actor=personas["office_city"], owner=org["city"])
    return services.questionnaire_publish(actor=personas["office_city"], questionnaire=q)


def new_campaign(personas, org, questionnaire, *, mode="interview", rule="fixed", value=20, scope=None,
                 open_it=True, title="2026年第四季度群众满意度调查", min_seconds=60):
    item = services.CampaignInput(title=title, scope=scope or org["city"], questionnaire=questionnaire, mode=mode,
                                  starts_on=datetime.date(2026, 11, 1), ends_on=datetime.date(2026, 12, 31),
                                  quota_rule=rule, quota_value=value, min_seconds=min_seconds)
    campaign = services.campaign_create(actor=personas["office_city"], owner=org["city"], item=item)
    if open_it:
        campaign = services.campaign_open(actor=personas["office_city"], campaign=campaign)
    return campaign


@pytest.fixture
def campaign(personas, org, communities, questionnaire):
    return new_campaign(personas, org, questionnaire)


# answers to the built-in questionnaire: 知晓 (1: A), 支持 (3: A), 参与 (4: yes), 满意 (5: ≥ 4)
ALL_YES = {"1": "A", "2": ["C", "D"], "3": "A", "4": True, "5": 5, "6": ["B"], "7": "多建停车位"}
ALL_NO = {"1": "C", "3": "B", "4": False, "5": 2}
