import hashlib
import json
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import Client

from wenming.core.audit import verify_chain
from wenming.core.models import AuditEvent
from wenming.demo.build import DemoError, build_demo
from wenming.demo.org import DEMO_PASSWORD, PERSONA_USERNAMES, SCALES, build_org
from wenming.org.codes import code_error
from wenming.org.models import (
    STAFF_ROLES,
    Membership,
    Patronage,
    PatronageKind,
    Role,
    Team,
    TeamKind,
    TeamMember,
    TeamPost,
    TeamUnit,
    Unit,
    UnitKind,
    User,
)

pytestmark = pytest.mark.django_db

SMALL_COUNTS = {
    UnitKind.CITY: 1,
    UnitKind.DISTRICT: 2,
    UnitKind.STREET: 6,
    UnitKind.COMMUNITY: 21,
    UnitKind.GRID: 63,
    UnitKind.DEPARTMENT: 26 + 2 * 3,  # every city department, three per district
    UnitKind.SCHOOL: 2,
    UnitKind.ENTERPRISE: 3,
}

WORKING_GROUP_NAMES = {"基础环境整治组", "问卷调查组", "志愿服务组", "法治环境宣传组", "创建活动组", "交通秩序整治组",
                       "市场秩序整治组", "窗口服务组", "宣传氛围营造组", "未成年人思想道德建设组", "档案资料组"}


@pytest.fixture
def small():
    return build_demo(scale="small", seed=2026, problems=0).org


def kind_counts() -> dict[str, int]:
    return dict(Unit.objects.values_list("kind").annotate(n=Count("id")).order_by())


def assert_tree_valid() -> None:
    """Every unit: path = parent's path + own id, depth = parent's + 1, and a valid code."""
    units = {u.pk: u for u in Unit.objects.select_related(None)}
    for unit in units.values():
        parent = units.get(unit.parent_id)
        if parent is None:
            assert unit.path == f"/{unit.pk}/" and unit.depth == 0
        else:
            assert unit.path == f"{parent.path}{unit.pk}/", unit.name
            assert unit.depth == parent.depth + 1, unit.name
        message = code_error(unit.code, unit.kind, parent.code if parent else None, parent.kind if parent else None)
        assert message is None, (unit.name, unit.code, message)
        if unit.kind in {UnitKind.DEPARTMENT, UnitKind.SCHOOL, UnitKind.ENTERPRISE}:
            # 统一社会信用代码: 机关 11 / 群团 13, 事业单位 12, 企业 91; then the parent's area code
            prefix = {UnitKind.DEPARTMENT: {"11", "13"}, UnitKind.SCHOOL: {"12"}, UnitKind.ENTERPRISE: {"91"}}
            assert unit.code[:2] in prefix[unit.kind]
            assert unit.code[2:8] == parent.code[:6]
    grids = [u for u in units.values() if u.kind == UnitKind.GRID]
    assert grids and all(len(g.code) == 15 and g.code.isdigit() for g in grids)


def digest() -> str:
    """Everything the seed decides, without ids and hashes."""
    data = {
        "units": sorted(Unit.objects.values_list("code", "name", "population", "kind", "parent__code", "head_name",
                                                 "contact_name", "contact_phone")),
        "users": sorted(User.objects.values_list("username", "full_name", "post", "phone")),
        "memberships": sorted(Membership.objects.values_list("user__username", "unit__code", "role")),
        "teams": sorted(Team.objects.values_list("unit__code", "name", "kind", "duties")),
        "members": sorted(TeamMember.objects.values_list("team__name", "team__unit__code", "team_post", "person_name",
                                                         "post", "user__username", "sort")),
        "team_units": sorted(TeamUnit.objects.values_list("team__name", "team__unit__code", "unit__code", "is_lead")),
        "patronage": sorted(Patronage.objects.values_list("kind", "patron_user__username", "patron_unit__code",
                                                          "target_unit__code", "note"),
                            key=lambda row: [str(x) for x in row]),
    }
    return hashlib.sha256(json.dumps(data, ensure_ascii=False, default=str).encode()).hexdigest()


def test_small_demo_has_exact_counts(small):
    assert kind_counts() == SMALL_COUNTS
    assert small.counts() == SMALL_COUNTS
    streets = Unit.objects.filter(kind=UnitKind.STREET).annotate(n=Count("children"))
    assert sorted(s.n for s in streets) == [3, 3, 3, 4, 4, 4]  # 3–4 communities per street
    assert set(Unit.objects.filter(kind=UnitKind.COMMUNITY).annotate(n=Count("children"))
               .values_list("n", flat=True)) == {3}
    assert Unit.objects.filter(kind=UnitKind.DISTRICT, parent=small.city).count() == 2
    assert {d.name for d in small.districts} == {"东湖区", "西江区"}
    assert small.city.name == "江城市" and small.city.code == "361200"
    for slug, name in [("cgj", "江城市城市管理局"), ("scjgj", "江城市市场监督管理局"), ("jjzd", "江城市公安局交通警察支队"),
                       ("wmb", "江城市精神文明建设委员会办公室")]:
        assert small.city_departments[slug].name == name


def test_small_demo_units_are_complete(small):
    assert_tree_valid()
    for unit in Unit.objects.all():
        assert unit.contact_name and unit.head_name, unit.name
        assert 7 <= len(unit.contact_phone.replace("-", "")) <= 13, unit.contact_phone
    ranges = {UnitKind.STREET: (10_000, 99_999), UnitKind.COMMUNITY: (1_000, 9_999), UnitKind.GRID: (100, 999),
              UnitKind.DEPARTMENT: (0, 0), UnitKind.SCHOOL: (0, 0), UnitKind.ENTERPRISE: (0, 0)}
    for kind, (low, high) in ranges.items():
        for population in Unit.objects.filter(kind=kind).values_list("population", flat=True):
            assert low <= population <= high, (kind, population)
    for district in small.districts:
        streets = Unit.objects.filter(parent=district, kind=UnitKind.STREET)
        assert district.population == sum(s.population for s in streets)
    assert small.city.population == sum(d.population for d in small.districts)
    assert len(set(Unit.objects.values_list("name", flat=True))) == Unit.objects.count()  # names are unique


def test_city_teams_have_members_and_responsible_units(small):
    city = small.city
    leading = Team.objects.get(unit=city, kind=TeamKind.LEADING_GROUP)
    assert leading.name == "江城市创建全国文明城市工作领导小组"
    chair = leading.members.get(team_post=TeamPost.LEADER)
    assert chair.post == "市委书记" and chair.person_name == city.head_name
    deputies = list(leading.members.filter(team_post=TeamPost.DEPUTY).values_list("post", flat=True))
    assert "市委副书记、市长" in deputies and len(deputies) >= 4
    member_posts = set(leading.members.filter(team_post=TeamPost.MEMBER).values_list("post", flat=True))
    assert {"市城管局局长", "市市场监管局局长", "市公安局交警支队支队长", "东湖区委书记"} <= member_posts
    assert leading.responsible_units.count() == len(small.city_departments) + 2
    people = list(leading.members.values_list("person_name", flat=True))
    assert len(people) == len(set(people))  # nobody sits twice (the 宣传部部长 is a 副组长, not also a 成员)
    propaganda_head = leading.members.get(post="市委常委、宣传部部长").person_name
    assert small.city_departments["xcb"].head_name == propaganda_head

    office = Team.objects.get(unit=city, kind=TeamKind.OFFICE)
    assert office.parent_id == leading.pk
    assert office.members.filter(team_post=TeamPost.DIRECTOR).count() == 1
    assert office.members.filter(team_post=TeamPost.DEPUTY_DIRECTOR).count() >= 1
    assert office.members.filter(user__username="office_city").exists()
    assert office.responsible_units.get(is_lead=True).unit == small.city_departments["wmb"]

    groups = Team.objects.filter(unit=city, kind=TeamKind.WORKING_GROUP)
    assert set(groups.values_list("name", flat=True)) == WORKING_GROUP_NAMES
    for team in groups:
        assert team.parent_id == leading.pk
        assert team.duties
        assert team.responsible_units.filter(is_lead=True).count() == 1, team.name
        assert team.responsible_units.count() >= 2, team.name
        assert team.members.filter(team_post=TeamPost.LEADER).count() == 1
        assert team.members.count() >= 2
    environment = groups.get(name="基础环境整治组")
    assert environment.responsible_units.get(is_lead=True).unit == small.city_departments["cgj"]
    assert "占道经营" in environment.duties
    traffic = groups.get(name="交通秩序整治组")
    assert traffic.responsible_units.get(is_lead=True).unit == small.city_departments["jjzd"]
    inspection = Team.objects.get(unit=city, kind=TeamKind.INSPECTION_GROUP)
    assert inspection.members.filter(user__username="inspector").exists()


def test_each_district_has_leading_group_and_office(small):
    for district in small.districts:
        leading = Team.objects.get(unit=district, kind=TeamKind.LEADING_GROUP)
        chair = leading.members.get(team_post=TeamPost.LEADER)
        assert chair.post == f"{district.name[:-1]}区委书记" and chair.person_name == district.head_name
        assert chair.user is not None  # the 区委书记 has an account
        assert leading.members.filter(team_post=TeamPost.DEPUTY).exists()
        assert leading.responsible_units.filter(unit__kind=UnitKind.STREET).count() == 3
        office = Team.objects.get(unit=district, kind=TeamKind.OFFICE, parent=leading)
        assert office.members.filter(team_post=TeamPost.DIRECTOR).count() == 1
        assert office.responsible_units.filter(is_lead=True).count() == 1
    a, b = small.districts
    assert Team.objects.get(unit=a, kind=TeamKind.OFFICE).members.filter(user__username="office_district_a").exists()
    assert Team.objects.get(unit=b, kind=TeamKind.OFFICE).members.filter(user__username="office_district_b").exists()


def test_patronage(small):
    leader = small.personas["leader"]
    street_a1 = small.personas["handler_street_a1"].unit
    assert list(Patronage.objects.filter(patron_user=leader.user).values_list("target_unit", flat=True)) == [street_a1.pk]
    # every street has a district leader of its own district as patron
    for street in small.streets:
        patrons = Patronage.objects.filter(target_unit=street, patron_user__isnull=False)
        assert patrons.count() == 1, street.name
        assert Membership.objects.filter(user=patrons.get().patron_user, unit=street.parent, role=Role.LEADER).exists()
    # leaders other than the persona also take communities
    community_patronage = Patronage.objects.filter(patron_user__isnull=False, target_unit__kind=UnitKind.COMMUNITY)
    assert community_patronage.count() >= 4
    for patronage in community_patronage.select_related("target_unit__parent"):
        assert Membership.objects.filter(user=patronage.patron_user, unit=patronage.target_unit.parent.parent,
                                         role=Role.LEADER).exists()
    # departments 包联 communities, at most one department per community
    baolian = Patronage.objects.filter(kind=PatronageKind.BAOLIAN)
    assert baolian.count() == 6 * 2 + 2 * 3
    assert all(p.patron_unit.kind == UnitKind.DEPARTMENT and p.target_unit.kind == UnitKind.COMMUNITY
               for p in baolian.select_related("patron_unit", "target_unit"))
    assert baolian.values("target_unit").distinct().count() == baolian.count()
    assert Patronage.objects.count() == small.patronage_count


def test_personas_have_their_roles(small):
    org = small
    a, b = org.districts
    street_a1, street_a2 = [s for s in org.streets if s.parent_id == a.pk][:2]
    expected = {
        "office_city": (Role.OFFICE, org.city),
        "office_district_a": (Role.OFFICE, a),
        "office_district_b": (Role.OFFICE, b),
        "handler_street_a1": (Role.HANDLER, street_a1),
        "handler_street_a2": (Role.HANDLER, street_a2),
        "inspector": (Role.INSPECTOR, org.city),
        "leader": (Role.LEADER, a),
        "leader_city": (Role.LEADER, org.city),
        "citizen": (Role.CITIZEN, org.city),
        "admin": (Role.ADMIN, org.city),
        "handler_cgj": (Role.HANDLER, org.city_departments["cgj"]),
    }
    for username, (role, unit) in expected.items():
        membership = Membership.objects.get(user__username=username)
        assert (membership.role, membership.unit_id) == (role, unit.pk), username
    grid = Membership.objects.get(user__username="grid_worker").unit
    assert grid.kind == UnitKind.GRID and grid.path.startswith(street_a1.path)
    volunteer = Membership.objects.get(user__username="volunteer")
    assert volunteer.role == Role.VOLUNTEER and volunteer.unit.kind == UnitKind.COMMUNITY
    assert list(org.personas) == PERSONA_USERNAMES
    for username in PERSONA_USERNAMES:
        user = User.objects.get(username=username)
        assert user.full_name and user.post and not user.must_change_password and user.is_active
    # the handler of a unit is its contact person
    assert org.personas["handler_street_a1"].user.full_name == street_a1.contact_name
    # every unit of district A below the street level has a handler or grid worker
    assert User.objects.count() == org.account_count
    staff = User.objects.filter(memberships__role__in=STAFF_ROLES).distinct().count()
    assert staff == org.staff_count
    handled = set(Membership.objects.filter(role=Role.HANDLER).values_list("unit_id", flat=True))
    assert {s.pk for s in org.streets} <= handled and {c.pk for c in org.communities} <= handled


def test_every_persona_logs_in_with_the_printed_password(small):
    out = StringIO()
    from wenming.demo.build import login_help

    printed = login_help(small)
    out.write(printed)
    assert DEMO_PASSWORD in printed
    for username in PERSONA_USERNAMES:
        assert username in printed
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert response["Location"] == "/", username
        assert client.session["_auth_user_id"] == str(small.personas[username].user.pk)


def test_a_generated_staff_account_logs_in_too(small):
    user = User.objects.filter(username__startswith="jb_").order_by("id").first()
    response = Client().post("/login/", {"username": user.username, "password": DEMO_PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"


def test_same_seed_same_city_and_reset():
    build_demo(scale="small", seed=2026, problems=0)
    first = digest()
    events_before = AuditEvent.objects.count()
    build_demo(scale="small", seed=2026, reset=True, problems=0)
    assert digest() == first
    assert kind_counts() == SMALL_COUNTS  # nothing left over from the first build
    assert AuditEvent.objects.count() > events_before  # the audit log is kept, and the rebuild is in it
    assert verify_chain().ok
    build_demo(scale="small", seed=7, reset=True, problems=0)
    assert digest() != first
    assert kind_counts() == SMALL_COUNTS


def test_refuses_when_units_exist(small):
    before = digest()
    with pytest.raises(DemoError, match="--reset"):
        build_demo(scale="small", seed=2026, problems=0)
    assert digest() == before


def test_refuses_when_a_persona_username_is_taken():
    User.objects.create_user(username="admin", password="Something-1234")
    with pytest.raises(DemoError, match="admin"):
        build_demo(scale="small", seed=2026, problems=0)
    assert not Unit.objects.exists()
    # --reset removes it (it holds a persona's name)
    build_demo(scale="small", seed=2026, reset=True, problems=0)
    assert Membership.objects.get(user__username="admin").role == Role.ADMIN


def test_reset_keeps_unrelated_accounts(small):
    keeper = User.objects.create_user(username="ops_root", password="Something-1234")
    build_demo(scale="small", seed=2026, reset=True, problems=0)
    assert User.objects.filter(pk=keeper.pk).exists()


def test_command_prints_login_table():
    from django.db import connection

    if connection.vendor != "sqlite":
        # the whole small city built twice by the command (`./run demo` serves it on SQLite): on PostgreSQL the
        # builders are covered by the demo modules' own builds and the resets above
        pytest.skip("the demo command's two full builds run on SQLite only")
    out = StringIO()
    call_command("demo", "--seed", "2026", stdout=out)
    text = out.getvalue()
    assert "/login/" in text and DEMO_PASSWORD in text
    for username in PERSONA_USERNAMES:
        assert username in text
    assert "江城市" in text and "东湖区" in text
    # the plan is built before the assessment, so its tasks count in 任务完成 of the last closed month
    from datetime import timedelta

    from django.utils import timezone

    from wenming.plans.models import Assignment, TaskStatus
    from wenming.scoring.models import Period, PeriodScore

    month = Period.objects.filter(kind="month", status="closed", scheme__unit_kind=UnitKind.STREET).latest("end")
    parts = [next(c for c in s.components if c["metric"] == "tasks")
             for s in PeriodScore.objects.filter(period=month, version=month.version)]
    if Assignment.objects.filter(task__status=TaskStatus.ISSUED, task__deadline__year=month.end.year,
                                 task__deadline__lte=month.end).exists():   # (in January nothing is due yet)
        assert any(p["score"] is not None and p["detail"]["due"] > 0 for p in parts), parts
    # and last month's closed 入户调查 counts in 问卷调查 of that month
    last = Period.objects.filter(kind="month", status="closed", scheme__unit_kind=UnitKind.STREET,
                                 end__gte=timezone.localdate().replace(day=1) - timedelta(days=1)).first()
    if last is not None:
        surveyed = [next(c for c in s.components if c["metric"] == "survey")
                    for s in PeriodScore.objects.filter(period=last, version=last.version)]
        assert surveyed and all(p["score"] is not None and p["detail"]["responses"] > 0 for p in surveyed), surveyed
    with pytest.raises(DemoError):
        call_command("demo", stdout=StringIO())
    # --if-empty (the first of the README's two commands) leaves an existing city alone
    count = Unit.objects.count()
    out = StringIO()
    call_command("demo", scale="small", if_empty=True, stdout=out)
    assert "跳过生成演示城市" in out.getvalue() and Unit.objects.count() == count
    call_command("demo", "--reset", stdout=StringIO())
    assert kind_counts() == SMALL_COUNTS


def test_city_scale_generator_in_miniature():
    sizes = replace(SCALES["city"], districts=3, streets=14, communities=40, grids=130, staff=250,
                    district_departments=4, schools_per_district=2, enterprises_per_district=2, city_enterprises=2,
                    outer_districts=1, baolian_per_department=1)
    org = build_org(scale="city", seed=11, sizes=sizes)
    counts = kind_counts()
    assert counts[UnitKind.CITY] == 1
    assert counts[UnitKind.DISTRICT] == 3
    assert counts[UnitKind.STREET] == 14
    assert counts[UnitKind.COMMUNITY] == 40
    assert counts[UnitKind.GRID] == 130
    assert counts[UnitKind.DEPARTMENT] == 26 + 3 * 4
    assert counts[UnitKind.SCHOOL] == 6 and counts[UnitKind.ENTERPRISE] == 2 + 6
    assert org.counts() == counts
    assert_tree_valid()
    # the outer district has towns (镇, code 1xx) with villages (村, code 2xx)
    outer = org.districts[-1]
    towns = Unit.objects.filter(parent=outer, name__endswith="镇")
    assert towns.exists() and all(t.code[6] == "1" for t in towns)
    villages = Unit.objects.filter(parent__in=towns, name__endswith="村")
    assert villages.exists() and all(v.code[9] == "2" for v in villages)
    # exactly the requested number of staff accounts, grid workers among them
    staff = User.objects.filter(memberships__role__in=STAFF_ROLES).distinct().count()
    assert staff == org.staff_count == 250
    assert Membership.objects.filter(role=Role.GRID_WORKER).count() > 1
    assert set(PERSONA_USERNAMES) <= set(User.objects.values_list("username", flat=True))
    # every street has one leader patron from its district
    for street in org.streets:
        patron = Patronage.objects.get(target_unit=street, patron_user__isnull=False).patron_user
        assert Membership.objects.filter(user=patron, unit=street.parent, role=Role.LEADER).exists()


def test_city_sizes_are_checked():
    with pytest.raises(ValueError, match="区县数"):
        build_org(scale="city", seed=1, sizes=replace(SCALES["city"], districts=40))
    with pytest.raises(ValueError, match="工作人员账号数"):
        build_org(scale="city", seed=1, sizes=replace(SCALES["city"], staff=10))
    assert not Unit.objects.exists()


@pytest.mark.django_db
@pytest.mark.django_db
def test_demo_refused_in_production(settings):
    from django.core.management import CommandError, call_command

    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="生产模式"):
        call_command("demo", scale="small")
