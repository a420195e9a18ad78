"""List pages run a fixed number of queries whatever the number of rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wenming.core import audit
from wenming.org.models import Membership, Role, Team, TeamKind, TeamMember, Unit, UnitKind, User
from wenming.org.services import place_unit


def add_rows(org, start: int, count: int) -> None:
    street = org["street_a2"]
    team = Team.objects.get_or_create(name="测试工作组", kind=TeamKind.WORKING_GROUP, unit=org["district_a"])[0]
    for index in range(start, start + count):
        community = Unit.objects.create(name=f"社区{index}", kind=UnitKind.COMMUNITY, parent=street,
                                        code=f"330102002{index:03d}")
        place_unit(community)
        user = User.objects.create(username=f"user{index}", full_name=f"人员{index}")
        Membership.objects.create(user=user, unit=street, role=Role.HANDLER)
        Membership.objects.create(user=user, unit=community, role=Role.GRID_WORKER)
        TeamMember.objects.create(team=team, person_name=f"成员{index}", team_post="member")
        Team.objects.create(name=f"工作组{index}", kind=TeamKind.WORKING_GROUP, unit=org["district_a"])
        audit.record("test.event", username=f"user{index}", unit=street)


def count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
def test_list_pages_do_not_grow_with_rows(login, org):
    client = login("office_district_a")
    pages = lambda: [  # noqa: E731
        reverse("org:accounts"),
        reverse("org:unit", args=[org["street_a2"].pk]),
        reverse("org:unit_children", args=[org["street_a2"].pk]),
        reverse("org:teams"),
        reverse("org:team", args=[Team.objects.get(name="测试工作组").pk]),
        reverse("audit_log"),
        reverse("home"),
        reverse("org:tree") + "?q=社区",
    ]
    add_rows(org, 1, 3)
    small = {url: count_queries(client, url) for url in pages()}
    add_rows(org, 4, 20)
    large = {url: count_queries(client, url) for url in pages()}
    assert small == large
