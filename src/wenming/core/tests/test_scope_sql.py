"""The user's grants (core.access.scope_for) are read in plain SQL: the same rows as the ORM query."""

import pytest

from wenming.core import access
from wenming.org.models import Membership, Role


def orm_grants(user):
    return sorted(Membership.objects.filter(user=user, is_active=True, unit__is_active=True)
                  .values_list("unit__path", "unit_id", "role"))


@pytest.mark.django_db
def test_grants_match_the_orm_query(personas, org):
    leader = personas["leader"]
    Membership.objects.create(user=leader, unit=org["street_a1"], role=Role.INSPECTOR)
    Membership.objects.create(user=leader, unit=org["street_a2"], role=Role.HANDLER, is_active=False)
    Membership.objects.create(user=leader, unit=org["street_b1"], role=Role.HANDLER)
    org["street_b1"].is_active = False
    org["street_b1"].save()
    for user in personas.values():
        assert sorted(access._grants(user.pk)) == orm_grants(user), user.username
    assert sorted(access._grants(leader.pk)) == sorted([
        (org["district_a"].path, org["district_a"].pk, Role.LEADER),
        (org["street_a1"].path, org["street_a1"].pk, Role.INSPECTOR)])
    access.forget_scope(leader)
    scope = access.scope_for(leader)
    assert scope.roles == {Role.LEADER, Role.INSPECTOR} and scope.patron_paths == [org["street_b1"].path]
    assert access._grants(personas["outsider"].pk) == []
