"""The demo city's organisation: the unit tree, the campaign's teams, 包保 and the accounts.

Everything comes from ``random.Random`` streams seeded from ``seed``, so a seed always gives the
same city (codes, names, populations, people). Rows are written with ``bulk_create`` level by
level; after each batch the ids are known (SQLite ≥ 3.35 and PostgreSQL return them), so the
materialised ``path`` and ``depth`` are computed in Python and written back with ``bulk_update``.

The city is invented: 江城市 with division code 361200 — 36 is 江西, which has no 12th city, so
the demo can never pass for a real place.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field

from django.contrib.auth.hashers import make_password

from wenming.org.codes import CREDIT_CHARSET, make_credit_code
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

from . import geo, names

DEMO_PASSWORD = "Wenming@2026"
CITY_NAME = "江城市"
CITY_SHORT = "江城"
CITY_DOC_CODE = "江创城"  # the city office's 机关代字 (org.doccodes): 江创城督〔2026〕3号
CITY_CODE = "361200"
BATCH = 500


@dataclass(frozen=True)
class Sizes:
    """How big the city is. Totals are exact; how they spread over parents comes from the seed."""

    districts: int
    streets: int                    # in the whole city
    communities: int                # in the whole city
    grids: int                      # in the whole city
    staff: int | None               # staff accounts in all (personas included); None: the small set
    district_departments: int       # per district
    schools_per_district: int
    enterprises_per_district: int
    city_enterprises: int
    leaders_per_district: int       # district leaders with an account (each 包保 streets/communities)
    spread: float                   # 0: children spread evenly over parents; 0.45: ±45 % around the mean
    outer_districts: int            # the last N districts are semi-rural: half their streets are towns with villages
    baolian_city_departments: int   # city departments that 包联 communities
    baolian_per_department: int


SCALES: dict[str, Sizes] = {
    "small": Sizes(districts=2, streets=6, communities=21, grids=63, staff=None, district_departments=3,
                   schools_per_district=1, enterprises_per_district=1, city_enterprises=1, leaders_per_district=3,
                   spread=0.0, outer_districts=0, baolian_city_departments=6, baolian_per_department=2),
    "city": Sizes(districts=12, streets=120, communities=1500, grids=6000, staff=3000, district_departments=8,
                  schools_per_district=6, enterprises_per_district=8, city_enterprises=4, leaders_per_district=5,
                  spread=0.45, outer_districts=4, baolian_city_departments=26, baolian_per_department=6),
}

# the persona accounts every test and every demo shares (DESIGN.md §4), in the order they are printed
PERSONA_USERNAMES = [
    "admin", "office_city", "leader_city", "inspector", "office_district_a", "office_district_b", "leader",
    "handler_street_a1", "handler_street_a2", "handler_street_b1", "handler_community_a1", "handler_community_a2",
    "handler_cgj", "handler_scjgj", "handler_jjzd", "grid_worker", "volunteer", "citizen",
]


@dataclass
class Persona:
    username: str
    role: str
    unit: Unit
    user: User

    @property
    def role_label(self) -> str:
        return Role(self.role).label


@dataclass
class DemoOrg:
    """What later generators (points, problems, inspections …) need from the organisation."""

    scale: str
    seed: int
    sizes: Sizes
    city: Unit
    districts: list[Unit]
    streets: list[Unit]
    communities: list[Unit]
    grids: list[Unit]
    departments: list[Unit]                 # city departments first, then each district's
    city_departments: dict[str, Unit]       # slug ("cgj", "scjgj", "jjzd" …) -> unit
    schools: list[Unit]
    enterprises: list[Unit]
    teams: list[Team]
    personas: dict[str, Persona]            # username -> persona (see PERSONA_USERNAMES)
    password: str = DEMO_PASSWORD
    staff_count: int = 0                    # accounts holding a staff role
    account_count: int = 0
    patronage_count: int = 0
    children: dict[int, list[Unit]] = field(default_factory=dict)  # unit id -> child units, in code order
    bounds: dict[int, geo.Rect] = field(default_factory=dict)  # district/street/community/grid id -> its rectangle

    @property
    def accounts(self) -> dict[str, User]:
        return {username: persona.user for username, persona in self.personas.items()}

    @property
    def all_units(self) -> list[Unit]:
        return ([self.city, *self.districts, *self.streets, *self.communities, *self.grids, *self.departments,
                 *self.schools, *self.enterprises])

    def counts(self) -> dict[str, int]:
        result: dict[str, int] = {}
        for unit in self.all_units:
            result[unit.kind] = result.get(unit.kind, 0) + 1
        return result


# --- progress ----------------------------------------------------------------------------------------

class _NullBar:
    def update(self, n: int = 1) -> None:
        pass

    def close(self) -> None:
        pass


class Progress:
    """Receives progress; ``bar(label, total)`` returns an object with ``update(n)`` and ``close()``
    (a tqdm bar fits). This base class shows nothing."""

    def bar(self, label: str, total: int):
        return _NullBar()


# --- codes -------------------------------------------------------------------------------------------

_ORG_WEIGHTS = [3, 7, 9, 10, 5, 8, 4, 2]


def _org_code_value(ch: str) -> int:
    return int(ch) if ch.isdigit() else ord(ch) - ord("A") + 10


def _org_code(rng: random.Random, *, prefix: str = "") -> str:
    """A 9-character organisation code (GB 11714): 8 characters and its check character."""
    body = prefix + "".join(rng.choice("0123456789" if not prefix else CREDIT_CHARSET[:30])
                            for _ in range(8 - len(prefix)))
    check = 11 - sum(_org_code_value(c) * w for c, w in zip(body, _ORG_WEIGHTS, strict=True)) % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


def _credit_code(rng: random.Random, category: str, area: str, used: set[str]) -> str:
    """A unified social credit code: 登记管理部门 + 机构类别 (``category``: "11" 机关, "12" 事业单位,
    "13" 群团, "91" 企业), the 6-digit area code, the organisation code, the check character."""
    while True:
        org_code = _org_code(rng, prefix="MA" if category.startswith("9") else "")
        code = make_credit_code(category + area + org_code)
        if code not in used:
            used.add(code)
            return code


def district_doc_code(name: str, used: set[str]) -> str:
    """A district office's 机关代字: 东湖区 → 东创城; 江北区 → 江北创城 (江创城 is the city's)."""
    return next(code for k in range(1, len(name)) if (code := f"{name[:k]}创城") not in used)


def district_post(district: Unit, post: str) -> str:
    """"区委书记" at 东湖区 -> "东湖区委书记"; "副区长" -> "东湖区副区长"."""
    return district.name + (post[1:] if post.startswith("区") else post)


def _partition(rng: random.Random, total: int, parts: int, spread: float) -> list[int]:
    """Split ``total`` children over ``parts`` parents, each at least one, within ±spread of the mean."""
    avg = total / parts
    low = max(1, math.floor(avg * (1 - spread)))
    high = max(low, math.ceil(avg * (1 + spread)))
    counts = [low] * parts
    slots = [i for i in range(parts) for _ in range(high - low)]
    rng.shuffle(slots)
    for i in slots[: total - low * parts]:
        counts[i] += 1
    return counts


# --- the builder -------------------------------------------------------------------------------------

def check_sizes(sizes: Sizes) -> None:
    """Refuse sizes the code scheme or the personas cannot hold, with a Chinese message."""
    problems = []
    if not 2 <= sizes.districts <= len(names.DISTRICT_NAMES):
        problems.append(f"区县数应在2到{len(names.DISTRICT_NAMES)}之间")
    if sizes.streets < sizes.districts + 2:
        problems.append("街道数至少应比区县数多2（第一个区需要两个街道）")
    if sizes.streets > sizes.districts * 99:
        problems.append("每个区县的街道不能超过99个（编码3位）")
    if sizes.communities < sizes.streets:
        problems.append("社区数不能少于街道数")
    if sizes.communities > sizes.streets * 199:
        problems.append("每个街道的社区不能超过199个")
    if sizes.grids < sizes.communities:
        problems.append("网格数不能少于社区数")
    if sizes.grids > sizes.communities * 999:
        problems.append("每个社区的网格不能超过999个")
    if not 1 <= sizes.leaders_per_district <= len(names.DISTRICT_LEADER_POSTS):
        problems.append(f"每个区县的领导账号数应在1到{len(names.DISTRICT_LEADER_POSTS)}之间")
    minimum = len(PERSONA_USERNAMES) + sizes.districts * sizes.leaders_per_district
    if sizes.staff is not None and sizes.staff < minimum:
        problems.append(f"工作人员账号数不能少于{minimum}（演示角色账号和各区领导账号）")
    if problems:
        raise ValueError("演示城市规模参数不合理：" + "；".join(problems))


def build_org(*, scale: str, seed: int, progress: Progress | None = None, sizes: Sizes | None = None) -> DemoOrg:
    """Build the organisation of the demo city into an empty database and return what was built.
    ``sizes`` overrides the scale's numbers (tests build a miniature "city")."""
    if scale not in SCALES:
        raise ValueError(f"未知的规模“{scale}”，应为：{'、'.join(SCALES)}")
    sizes = sizes or SCALES[scale]
    check_sizes(sizes)
    builder = _Builder(scale=scale, seed=seed, sizes=sizes, progress=progress or Progress())
    return builder.build()


class _Builder:
    def __init__(self, *, scale: str, seed: int, sizes: Sizes, progress: Progress):
        self.scale, self.seed, self.sizes, self.progress = scale, seed, sizes, progress
        # one stream per concern, so a change in one stage does not reshuffle the others
        self.rng_units = random.Random(f"{seed}:units")
        self.rng_people = random.Random(f"{seed}:people")
        self.rng_codes = random.Random(f"{seed}:codes")
        self.rng_accounts = random.Random(f"{seed}:accounts")
        self.rng_patronage = random.Random(f"{seed}:patronage")
        self.place_names = names.NamePool(self.rng_units)
        self.credit_codes: set[str] = set()
        self.children: dict[int, list[Unit]] = {}
        self.dept_meta: dict[int, tuple[str, str, str]] = {}  # unit id -> (short name, slug, head post)

    # -- people --
    def person(self) -> str:
        return names.person_name(self.rng_people)

    def mobile(self) -> str:
        return names.mobile_phone(self.rng_people)

    def office_phone(self) -> str:
        return names.office_phone(self.rng_people)

    # -- units --
    def new_unit(self, *, name: str, kind: str, code: str, parent: Unit | None, population: int = 0,
                 head_name: str | None = None, office: bool = True) -> Unit:
        return Unit(name=name, kind=kind, code=code, parent=parent, population=population,
                    head_name=head_name or self.person(), contact_name=self.person(),
                    contact_phone=self.office_phone() if office else self.mobile())

    def insert(self, units: list[Unit], bar) -> None:
        for start in range(0, len(units), BATCH):
            chunk = units[start:start + BATCH]
            Unit.objects.bulk_create(chunk)
            for unit in chunk:
                parent = unit.parent
                if parent is None:
                    unit.path, unit.depth = f"/{unit.pk}/", 0
                else:
                    unit.path, unit.depth = f"{parent.path}{unit.pk}/", parent.depth + 1
                    self.children.setdefault(parent.pk, []).append(unit)
            Unit.objects.bulk_update(chunk, ["path", "depth"], batch_size=BATCH)
            bar.update(len(chunk))

    def build(self) -> DemoOrg:
        s = self.sizes
        rng = self.rng_units
        total_units = (1 + s.districts + s.streets + s.communities + s.grids + len(names.CITY_DEPARTMENTS)
                       + s.districts * (s.district_departments + s.schools_per_district + s.enterprises_per_district)
                       + s.city_enterprises)
        bar = self.progress.bar("单位", total_units)

        # level 0: the city; its head is the 市委书记 who chairs the leading group
        self.city_leaders = [(post, team_post, self.person()) for post, team_post in names.CITY_LEADER_POSTS]
        city = self.new_unit(name=CITY_NAME, kind=UnitKind.CITY, code=CITY_CODE, parent=None,
                             head_name=self.city_leaders[0][2])
        city.doc_code = CITY_DOC_CODE
        doc_codes = {CITY_DOC_CODE}
        self.insert([city], bar)

        # level 1: districts, city departments, city-owned enterprises
        self.district_leaders: dict[int, list[tuple[str, str]]] = {}  # district index -> [(post, name)]
        districts = []
        for i in range(s.districts):
            leaders = [(post, self.person()) for post in names.DISTRICT_LEADER_POSTS[:max(5, s.leaders_per_district)]]
            self.district_leaders[i] = leaders
            district = self.new_unit(name=names.DISTRICT_NAMES[i], kind=UnitKind.DISTRICT,
                                     code=f"{CITY_CODE[:4]}{i + 2:02d}", parent=city, head_name=leaders[0][1])
            district.doc_code = district_doc_code(district.name, doc_codes)
            doc_codes.add(district.doc_code)
            districts.append(district)
        city_departments: dict[str, Unit] = {}
        level1 = list(districts)
        # departments headed by a city leader (宣传部部长, 公安局局长) carry that leader's name
        city_heads = {slug: next(person for post, _, person in self.city_leaders if key in post)
                      for slug, key in [("xcb", "宣传部部长"), ("gaj", "公安局局长")]}
        for short, full, slug, head_post, category in names.CITY_DEPARTMENTS:
            unit = self.new_unit(name=full.format(city=CITY_NAME), kind=UnitKind.DEPARTMENT, parent=city,
                                 code=_credit_code(self.rng_codes, category, CITY_CODE, self.credit_codes),
                                 head_name=city_heads.get(slug))
            unit._demo_meta = (short, slug, head_post)
            city_departments[slug] = unit
            level1.append(unit)
        enterprises: list[Unit] = []
        used_names: set[str] = set()
        for _ in range(s.city_enterprises):
            enterprises.append(self.enterprise(city, CITY_CODE, used_names, city_level=True))
        level1.extend(enterprises)
        self.insert(level1, bar)

        # level 2: streets, district departments, schools, district enterprises
        street_counts = _partition(rng, s.streets, s.districts, s.spread)
        if street_counts[0] < 2:  # district A needs two streets for the personas
            j = street_counts.index(max(street_counts))
            street_counts[0], street_counts[j] = street_counts[j], street_counts[0]
        streets: list[Unit] = []
        departments: list[Unit] = list(city_departments.values())
        schools: list[Unit] = []
        level2: list[Unit] = []
        town_objects: list[Unit] = []
        for d_index, (district, count) in enumerate(zip(districts, street_counts, strict=True)):
            outer = d_index >= s.districts - s.outer_districts
            first_town = math.ceil(count / 2) if outer else count
            for k in range(count):
                town = k >= first_town
                number = (100 + k - first_town + 1) if town else k + 1
                street = self.new_unit(
                    name=self.place_names.street(town=town), kind=UnitKind.STREET, code=f"{district.code}{number:03d}",
                    parent=district, population=rng.randrange(15000, 45000, 10) if town else rng.randrange(20000, 90000, 10))
                streets.append(street)
                if town:
                    town_objects.append(street)
            for short, full, slug, head_post, category in names.DISTRICT_DEPARTMENTS[:s.district_departments]:
                head = next((person for post, person in self.district_leaders[d_index] if "宣传部部长" in post),
                            None) if slug == "xcb" else None
                unit = self.new_unit(name=full.format(city=CITY_NAME, district=district.name), kind=UnitKind.DEPARTMENT,
                                     parent=district, code=_credit_code(self.rng_codes, category, district.code,
                                                                        self.credit_codes), head_name=head)
                unit._demo_meta = (f"{district.name}{short[1:]}", f"{slug}_{district.code}", head_post)
                departments.append(unit)
                level2.append(unit)
            for _ in range(s.schools_per_district):
                school = self.school(district, used_names)
                schools.append(school)
                level2.append(school)
            for _ in range(s.enterprises_per_district):
                enterprise = self.enterprise(district, district.code, used_names, city_level=False)
                enterprises.append(enterprise)
                level2.append(enterprise)
        self.insert(streets + level2, bar)
        for district in districts:
            district.population = sum(st.population for st in self.children[district.pk] if st.kind == UnitKind.STREET)
        city.population = sum(d.population for d in districts)
        Unit.objects.bulk_update([city, *districts], ["population"])
        town_ids = {street.pk for street in town_objects}

        # level 3: communities (社区; villages 村 in towns)
        community_counts = _partition(rng, s.communities, s.streets, s.spread)
        communities: list[Unit] = []
        for street, count in zip(streets, community_counts, strict=True):
            town = street.pk in town_ids
            urban = max(1, count // 4) if town else count
            for k in range(count):
                village = k >= urban
                number = (200 + k - urban + 1) if village else k + 1
                communities.append(self.new_unit(
                    name=self.place_names.community(village=village), kind=UnitKind.COMMUNITY,
                    code=f"{street.code}{number:03d}", parent=street, office=False,
                    population=rng.randrange(1000, 3500, 5) if village else rng.randrange(2500, 9000, 5)))
        self.insert(communities, bar)

        # level 4: grids
        grid_counts = _partition(rng, s.grids, s.communities, s.spread)
        grids: list[Unit] = []
        for community, count in zip(communities, grid_counts, strict=True):
            for k in range(count):
                grids.append(self.new_unit(
                    name=names.grid_name(community.name, k + 1), kind=UnitKind.GRID,
                    code=f"{community.code}{k + 1:03d}", parent=community, office=False,
                    population=rng.randrange(300, 1000)))
        self.insert(grids, bar)
        bar.close()

        # the map: a boundary for every district, street, community and grid
        bounds = geo.lay_out(city, self.children, seed=self.seed)
        bar = self.progress.bar("边界", len(bounds))
        geo.write_boundaries(bounds, bar=bar)
        bar.close()

        self.city, self.districts, self.streets, self.communities, self.grids = city, districts, streets, communities, grids
        self.departments, self.city_departments = departments, city_departments
        self.schools, self.enterprises = schools, enterprises

        personas, staff_count, account_count = self.accounts()
        teams = self.teams(personas)
        patronage_count = self.patronage(personas)
        return DemoOrg(scale=self.scale, seed=self.seed, sizes=s, city=city, districts=districts, streets=streets,
                       communities=communities, grids=grids, departments=departments,
                       city_departments=city_departments, schools=schools, enterprises=enterprises, teams=teams,
                       personas=personas, staff_count=staff_count, account_count=account_count,
                       patronage_count=patronage_count, children=self.children, bounds=bounds)

    def school(self, district: Unit, used: set[str]) -> Unit:
        rng = self.rng_units
        while True:
            pattern = rng.choice(names.SCHOOL_PATTERNS)
            name = pattern.format(city=CITY_NAME, district=district.name, n=names.chinese_number(rng.randint(1, 12)),
                                  place=rng.choice(names.PLACE_WORDS))
            if name not in used:
                used.add(name)
                break
        # public schools are 事业单位: category "12"
        return self.new_unit(name=name, kind=UnitKind.SCHOOL, parent=district,
                             code=_credit_code(self.rng_codes, "12", district.code, self.credit_codes))

    def enterprise(self, parent: Unit, area: str, used: set[str], *, city_level: bool) -> Unit:
        rng = self.rng_units
        patterns = names.ENTERPRISE_PATTERNS if not city_level else [
            p for p in names.ENTERPRISE_PATTERNS if p.startswith("{city_short}")]
        while True:
            name = rng.choice(patterns).format(city_short=CITY_SHORT, place=rng.choice(names.PLACE_WORDS))
            if name not in used:
                used.add(name)
                break
        return self.new_unit(name=name, kind=UnitKind.ENTERPRISE, parent=parent,
                             code=_credit_code(self.rng_codes, "91", area, self.credit_codes))

    # -- accounts --
    def accounts(self) -> tuple[dict[str, Persona], int, int]:
        s, rng = self.sizes, self.rng_accounts
        city, districts = self.city, self.districts
        district_a, district_b = districts[0], districts[1]
        streets_a = self._kids(district_a, UnitKind.STREET)
        street_a1, street_a2 = streets_a[0], streets_a[1]
        street_b1 = self._kids(district_b, UnitKind.STREET)[0]
        community_a1 = self._kids(street_a1, UnitKind.COMMUNITY)[0]
        community_a2 = self._kids(street_a2, UnitKind.COMMUNITY)[0]
        grid_a1 = self._kids(community_a1, UnitKind.GRID)[0]
        depts = self.city_departments

        seats: list[dict] = []

        def seat(username, role, unit, *, full_name=None, post="", persona=False):
            seats.append({"username": username, "role": role, "unit": unit, "persona": persona, "post": post,
                          "full_name": full_name or self.person(), "phone": self.mobile()})

        # district leaders: the first of them is the 区委书记 (the unit head); the persona "leader" is
        # the last leader of district A
        leader_seats: dict[int, list[str]] = {}
        for d_index, district in enumerate(districts):
            leader_seats[d_index] = []
            for k, (post, person) in enumerate(self.district_leaders[d_index][:s.leaders_per_district]):
                is_persona = d_index == 0 and k == s.leaders_per_district - 1
                username = "leader" if is_persona else f"ld_{district.code}_{k + 1}"
                leader_seats[d_index].append(username)
                seat(username, Role.LEADER, district, full_name=person, post=district_post(district, post),
                     persona=is_persona)
        city_vice_mayor = self.city_leaders[-1]
        cgj = depts["cgj"]

        persona_specs = [
            ("admin", Role.ADMIN, city, None, "市大数据局信息中心系统管理员"),
            ("office_city", Role.OFFICE, city, None, "市创建办综合协调组组长"),
            ("leader_city", Role.LEADER, city, city_vice_mayor[2], f"{CITY_NAME}{city_vice_mayor[0]}"),
            ("inspector", Role.INSPECTOR, city, None, "市创建办督查组督查员"),
            ("office_district_a", Role.OFFICE, district_a, None, f"{district_a.name}创建办副主任"),
            ("office_district_b", Role.OFFICE, district_b, None, f"{district_b.name}创建办副主任"),
            ("handler_street_a1", Role.HANDLER, street_a1, street_a1.contact_name, f"{street_a1.name}创建办经办人"),
            ("handler_street_a2", Role.HANDLER, street_a2, street_a2.contact_name, f"{street_a2.name}创建办经办人"),
            ("handler_street_b1", Role.HANDLER, street_b1, street_b1.contact_name, f"{street_b1.name}创建办经办人"),
            ("handler_community_a1", Role.HANDLER, community_a1, community_a1.contact_name,
             f"{community_a1.name}党委副书记"),
            ("handler_community_a2", Role.HANDLER, community_a2, community_a2.contact_name,
             f"{community_a2.name}党委副书记"),
            ("handler_cgj", Role.HANDLER, cgj, cgj.contact_name, "市城管局市容环境卫生管理科科长"),
            ("handler_scjgj", Role.HANDLER, depts["scjgj"], depts["scjgj"].contact_name, "市市场监管局市场规范管理科科长"),
            ("handler_jjzd", Role.HANDLER, depts["jjzd"], depts["jjzd"].contact_name, "市公安局交警支队秩序科科长"),
            ("grid_worker", Role.GRID_WORKER, grid_a1, grid_a1.contact_name, "专职网格员"),
            ("volunteer", Role.VOLUNTEER, community_a1, None, "注册志愿者"),
            ("citizen", Role.CITIZEN, city, None, "市民"),
        ]
        for username, role, unit, full_name, post in persona_specs:
            seat(username, role, unit, full_name=full_name, post=post, persona=True)
        assert sorted(x["username"] for x in seats if x["persona"]) == sorted(PERSONA_USERNAMES)

        # everyone else, most important first; a city-scale total cuts the list (grid workers fill up)
        extra: list[tuple] = []  # (username, role, unit, full_name, post)
        counters: dict[str, int] = {}

        def add(prefix: str, role: str, unit: Unit, post: str, full_name: str | None = None):
            counters[prefix] = counters.get(prefix, 0) + 1
            extra.append((f"{prefix}_{counters[prefix]}", role, unit, full_name, post))

        city_scale = s.staff is not None
        for _ in range(5 if city_scale else 1):
            add(f"cjb_{city.code}", Role.OFFICE, city, "市创建办工作人员")
        for _ in range(20 if city_scale else 1):
            add(f"dc_{city.code}", Role.INSPECTOR, city, "市创建办督查员")
        for d_index, district in enumerate(districts):
            for k in range(3 if city_scale else 1):
                # in districts A and B the persona is the 副主任; elsewhere the first account is
                deputy = k == 0 and d_index >= 2
                add(f"cjb_{district.code}", Role.OFFICE, district,
                    f"{district.name}创建办{'副主任' if deputy else '工作人员'}")
            for _ in range(4 if city_scale else 0):
                add(f"dc_{district.code}", Role.INSPECTOR, district, f"{district.name}创建办督查员")
        for dept in self.departments:
            short, slug, _ = dept._demo_meta
            if slug in {"cgj", "scjgj", "jjzd"} and not city_scale:
                continue  # the personas are these departments' handlers in the small demo
            for k in range((2 if dept.parent_id == city.pk else 1) if city_scale else 1):
                contact = dept.contact_name if k == 0 and slug not in {"cgj", "scjgj", "jjzd"} else None
                add(f"jb_{slug}", Role.HANDLER, dept, f"{short}创建工作联络员", contact)
        persona_units = {street_a1.pk, street_a2.pk, street_b1.pk, community_a1.pk, community_a2.pk}
        for street in self.streets:
            for k in range(2 if city_scale else 1):
                if street.pk in persona_units and k == 0:
                    continue
                add(f"jb_{street.code}", Role.HANDLER, street, f"{street.name}创建办工作人员",
                    street.contact_name if k == 0 else None)
        for community in self.communities:
            if community.pk in persona_units:
                continue
            add(f"jb_{community.code}", Role.HANDLER, community, f"{community.name}创建专干", community.contact_name)
        if city_scale:
            remaining = s.staff - sum(1 for x in seats if x["role"] in STAFF_ROLES) - len(extra)
            if remaining > 0:
                pool = [g for g in self.grids if g.pk != grid_a1.pk]
                for grid in sorted(rng.sample(pool, min(remaining, len(pool))), key=lambda g: g.code):
                    add(f"wg_{grid.code}", Role.GRID_WORKER, grid, "专职网格员", grid.contact_name)
            keep = s.staff - sum(1 for x in seats if x["role"] in STAFF_ROLES)
            extra = extra[:max(0, keep)]
        else:
            for grid in self._kids(community_a1, UnitKind.GRID)[1:]:
                add(f"wg_{grid.code}", Role.GRID_WORKER, grid, "专职网格员", grid.contact_name)
        for username, role, unit, full_name, post in extra:
            seat(username, role, unit, full_name=full_name, post=post)

        encoded = make_password(DEMO_PASSWORD)  # hashed once (Argon2 is slow on purpose), shared by all
        users = [User(username=x["username"], full_name=x["full_name"], phone=x["phone"], post=x["post"],
                      password=encoded, must_change_password=False) for x in seats]
        bar = self.progress.bar("账号", len(users))
        for start in range(0, len(users), BATCH):
            User.objects.bulk_create(users[start:start + BATCH])
            bar.update(len(users[start:start + BATCH]))
        bar.close()
        Membership.objects.bulk_create(
            [Membership(user=user, unit=x["unit"], role=x["role"]) for user, x in zip(users, seats, strict=True)],
            batch_size=BATCH)
        self.users_by_name = {user.username: user for user in users}
        self.leader_usernames = leader_seats
        personas = {x["username"]: Persona(username=x["username"], role=x["role"], unit=x["unit"], user=user)
                    for user, x in zip(users, seats, strict=True) if x["persona"]}
        personas = {name: personas[name] for name in PERSONA_USERNAMES}
        staff = sum(1 for x in seats if x["role"] in STAFF_ROLES)
        return personas, staff, len(users)

    def _kids(self, unit: Unit, kind: str) -> list[Unit]:
        return [child for child in self.children.get(unit.pk, []) if child.kind == kind]

    # -- teams --
    def teams(self, personas: dict[str, Persona]) -> list[Team]:
        city, depts = self.city, self.city_departments
        users = self.users_by_name
        bar = self.progress.bar("机构与包保", 2 + len(WORKING_GROUPS) + 2 * len(self.districts))
        members: list[TeamMember] = []
        links: list[TeamUnit] = []

        sorts: dict[int, int] = {}

        def member(team, team_post, person, post, user=None):
            sorts[id(team)] = sorts.get(id(team), -1) + 1
            members.append(TeamMember(team=team, team_post=team_post, person_name=person, post=post, user=user,
                                      sort=sorts[id(team)]))

        def dept_head_post(dept: Unit) -> str:
            short, _, head_post = dept._demo_meta
            return f"{short}{head_post}"

        # roots first (a child needs its parent's id), then the subteams
        leading = Team(unit=city, kind=TeamKind.LEADING_GROUP, name=f"{CITY_NAME}创建全国文明城市工作领导小组", sort=0,
                       duties="统一领导、统筹协调全市创建全国文明城市工作，研究决定创建工作中的重大事项；"
                              "实行“党委统一领导、党政齐抓共管、创建办组织协调、职能单位各尽其责、全社会共同参与”的工作机制。")
        district_leadings = []
        for district in self.districts:
            district_leadings.append(Team(
                unit=district, kind=TeamKind.LEADING_GROUP, name=f"{district.name}创建全国文明城市工作领导小组", sort=0,
                duties=f"在市创建领导小组和区委、区政府领导下，组织实施{district.name}创建工作；一周一调度，"
                       "进入迎查后期一天一调度，及时发现问题、梳理问题、解决问题。"))
        Team.objects.bulk_create([leading, *district_leadings])

        office = Team(unit=city, kind=TeamKind.OFFICE, parent=leading, sort=1,
                      name=f"{CITY_NAME}创建全国文明城市工作领导小组办公室（市创建办）",
                      duties="办公室设在市文明办，负责创建工作的日常组织、协调、指导和督查；分解测评体系任务，"
                             "明确牵头单位、责任单位、责任人和完成时限；交办、督办、复核问题；定期通报创建工作情况。")
        subteams = [office]
        groups = []
        for sort, (name, kind, duties, lead, others, with_districts) in enumerate(WORKING_GROUPS, start=2):
            team = Team(unit=city, kind=kind, parent=leading, sort=sort, name=name, duties=duties)
            groups.append((team, lead, others, with_districts))
            subteams.append(team)
        district_offices = []
        for district, parent in zip(self.districts, district_leadings, strict=True):
            district_offices.append(Team(
                unit=district, kind=TeamKind.OFFICE, parent=parent, sort=1, name=f"{district.name}创建办",
                duties=f"{district.name}创建领导小组办公室，负责全区创建工作的日常组织协调、任务分解、督查通报和迎检资料汇总。"))
        Team.objects.bulk_create(subteams + district_offices)

        # the city leading group: 组长 市委书记, 副组长 the other city leaders, 成员 the heads of the
        # departments and the district party secretaries
        for post, team_post, person in self.city_leaders:
            is_vice_mayor = (post, team_post, person) == self.city_leaders[-1]
            member(leading, TeamPost.LEADER if team_post == "leader" else TeamPost.DEPUTY, person, post,
                   users.get("leader_city") if is_vice_mayor else None)
        city_leader_names = {person for _, _, person in self.city_leaders}
        for dept in depts.values():
            if dept.head_name not in city_leader_names:  # a leader already seated as 副组长
                member(leading, TeamPost.MEMBER, dept.head_name, dept_head_post(dept))
            links.append(TeamUnit(team=leading, unit=dept))
        for district in self.districts:
            member(leading, TeamPost.MEMBER, district.head_name, district_post(district, "区委书记"))
            links.append(TeamUnit(team=leading, unit=district))
        bar.update(1)

        # the office: 主任 the head of 文明办, 副主任, and the staff who hold office accounts
        wmb = depts["wmb"]
        member(office, TeamPost.DIRECTOR, wmb.head_name, "市委宣传部副部长、市文明办主任")
        member(office, TeamPost.DEPUTY_DIRECTOR, self.person(), "市文明办副主任")
        member(office, TeamPost.DEPUTY_DIRECTOR, self.person(), "市城管局副局长")
        for username in ["office_city", *[u for u in users if u.startswith(f"cjb_{city.code}_")]]:
            member(office, TeamPost.STAFF, users[username].full_name, users[username].post, users[username])
        links.append(TeamUnit(team=office, unit=wmb, is_lead=True))
        bar.update(1)

        # working groups: 组长 a city leader, 副组长 the head of the lead unit, 成员 the other heads
        chairs = [leader for leader in self.city_leaders[1:]]
        for k, (team, lead, others, with_districts) in enumerate(groups):
            lead_unit = depts[lead]
            post, _, person = chairs[(k + 1) % len(chairs)]
            if person == lead_unit.head_name:
                post, _, person = chairs[(k + 2) % len(chairs)]
            member(team, TeamPost.LEADER, person, post)
            member(team, TeamPost.DEPUTY, lead_unit.head_name, dept_head_post(lead_unit))
            links.append(TeamUnit(team=team, unit=lead_unit, is_lead=True))
            for slug in others:
                member(team, TeamPost.MEMBER, depts[slug].head_name, dept_head_post(depts[slug]))
                links.append(TeamUnit(team=team, unit=depts[slug]))
            if with_districts:
                links.extend(TeamUnit(team=team, unit=district) for district in self.districts)
            if team.kind == TeamKind.INSPECTION_GROUP:
                inspectors = ["inspector", *[u for u in users if u.startswith(f"dc_{city.code}_")]]
                for username in inspectors:
                    member(team, TeamPost.STAFF, users[username].full_name, users[username].post, users[username])
            bar.update(1)

        # each district: a leading group chaired by the 区委书记, and its office
        for d_index, (district, team, office_team) in enumerate(
                zip(self.districts, district_leadings, district_offices, strict=True)):
            accounts = self.leader_usernames[d_index]
            for k, (post, person) in enumerate(self.district_leaders[d_index]):
                user = users[accounts[k]] if k < len(accounts) else None
                member(team, TeamPost.LEADER if k == 0 else TeamPost.DEPUTY, person, district_post(district, post), user)
            leader_names = {person for _, person in self.district_leaders[d_index]}
            for unit in self.children.get(district.pk, []):
                if unit.kind == UnitKind.DEPARTMENT:
                    links.append(TeamUnit(team=team, unit=unit))
                    if unit.head_name in leader_names:
                        continue
                    member(team, TeamPost.MEMBER, unit.head_name, dept_head_post(unit))
                elif unit.kind == UnitKind.STREET:
                    title = "党委书记" if unit.name.endswith("镇") else "党工委书记"
                    member(team, TeamPost.MEMBER, unit.head_name, f"{unit.name}{title}")
                    links.append(TeamUnit(team=team, unit=unit))
            propaganda = next((u for u in self.children.get(district.pk, []) if u.kind == UnitKind.DEPARTMENT
                               and u._demo_meta[1].startswith("xcb_")), None)
            member(office_team, TeamPost.DIRECTOR, propaganda.head_name if propaganda else self.person(),
                   district_post(district, "区委宣传部部长、区创建办主任"))
            office_users = [u for u in users if u.startswith(f"cjb_{district.code}_")]
            if d_index == 0:
                office_users.insert(0, "office_district_a")
            elif d_index == 1:
                office_users.insert(0, "office_district_b")
            for k, username in enumerate(office_users):
                member(office_team, TeamPost.DEPUTY_DIRECTOR if k == 0 else TeamPost.STAFF,
                       users[username].full_name, users[username].post, users[username])
            if propaganda:
                links.append(TeamUnit(team=office_team, unit=propaganda, is_lead=True))
            bar.update(2)
        TeamMember.objects.bulk_create(members, batch_size=BATCH)
        TeamUnit.objects.bulk_create(links, batch_size=BATCH)
        bar.close()
        return [leading, office, *[g for g, *_ in groups], *district_leadings, *district_offices]

    # -- patronage --
    def patronage(self, personas: dict[str, Persona]) -> int:
        """District leaders each 包保 streets (every street has one) and a few communities
        ("区领导分包社区、街路责任制"); the city vice-mayor 包保 district A; departments 包联 communities."""
        rng, users = self.rng_patronage, self.users_by_name
        rows: list[Patronage] = []
        note = "区领导分包社区、街路责任制"
        for d_index, district in enumerate(self.districts):
            leaders = [users[name] for name in self.leader_usernames[d_index]]
            if not leaders:
                continue
            streets = self._kids(district, UnitKind.STREET)
            if d_index == 0:
                # the persona "leader" 包保 street a1 and nothing else; the other leaders share the rest
                persona = users["leader"]
                rows.append(Patronage(patron_user=persona, target_unit=streets[0], note=note))
                others = [u for u in leaders if u.pk != persona.pk] or [persona]
                rest = streets[1:]
            else:
                others, rest = leaders, streets
            for k, street in enumerate(rest):
                rows.append(Patronage(patron_user=others[k % len(others)], target_unit=street, note=note))
            covered = {p.target_unit.pk for p in rows if p.target_unit.parent_id == district.pk}
            candidates = [c for street in streets for c in self._kids(street, UnitKind.COMMUNITY)]
            for leader in others:
                if d_index == 0 and leader.username == "leader":
                    continue
                own = {p.target_unit.pk for p in rows if p.patron_user is leader}
                pool = [c for c in candidates if c.parent_id not in own and c.pk not in covered]
                for community in rng.sample(pool, min(len(pool), rng.randint(1, 2))):
                    rows.append(Patronage(patron_user=leader, target_unit=community, note=note))
                    covered.add(community.pk)
        rows.append(Patronage(patron_user=users["leader_city"], target_unit=self.districts[0],
                              note="市领导包保区县"))

        # departments 包联 communities: at most one department per community
        s = self.sizes
        pool = list(self.communities)
        rng.shuffle(pool)
        taken: set[int] = set()
        city_depts = list(self.city_departments.values())[:s.baolian_city_departments]
        for dept in city_depts:
            for community in [c for c in pool if c.pk not in taken][:s.baolian_per_department]:
                taken.add(community.pk)
                rows.append(Patronage(kind=PatronageKind.BAOLIAN, patron_unit=dept, target_unit=community,
                                      note="市直单位包联社区"))
        for dept in self.departments:
            if dept.parent_id == self.city.pk:
                continue
            own = [c for c in pool if c.pk not in taken and c.path.startswith(f"{dept.parent.path}")]
            for community in own[:max(1, s.baolian_per_department // 2)]:
                taken.add(community.pk)
                rows.append(Patronage(kind=PatronageKind.BAOLIAN, patron_unit=dept, target_unit=community,
                                      note="区直单位包联社区"))
        Patronage.objects.bulk_create(rows, batch_size=BATCH)
        return len(rows)


# (name, kind, duties, lead department slug, other department slugs, the districts are responsible too)
# The duties follow the seed work plans (基础环境整治组, 问卷调查组, 志愿服务组, 法治环境宣传组, 创建活动组
# come from one of them word for word; the others from their 专项整治行动 and 工作任务).
WORKING_GROUPS = [
    ("基础环境整治组", TeamKind.WORKING_GROUP,
     "一是负责辖区内卫生保洁，合理布局封闭式垃圾箱；二是对城市道路两侧房屋的墙面进行整治；三是进一步抓好违章建筑整治；"
     "四是清理整顿道路两侧的占道经营，取缔马路市场；五是清理乱搭乱建现象。全面排查解决路面破损、管道不通、排水不畅、"
     "绿化缺损、路灯缺失等问题，确保主干道装灯率100%、亮灯率100%。",
     "cgj", ["zjj", "sthjj", "ylj", "swuj"], True),
    ("问卷调查组", TeamKind.WORKING_GROUP,
     "负责社区居民和店铺商家问卷调查的引导和组织工作；开展模拟问卷，测算市民对创建工作的知晓率、支持率、参与率和满意度，"
     "各项均不低于90%。",
     "tjj", ["wmb", "mzj"], True),
    ("志愿服务组", TeamKind.WORKING_GROUP,
     "一是建立机关、各社区志愿者组织；二是建立志愿者注册登记制度，注册志愿者人数占人口总数比例达到10%以上；"
     "三是充分发挥党员、团员模范作用，推动志愿服务常态化，在窗口单位和公共场所设立学雷锋志愿服务岗。",
     "tsw", ["wmb", "mzj", "fl", "zgh"], False),
    ("法治环境宣传组", TeamKind.WORKING_GROUP,
     "一是法制宣传教育，提供法律援助；二是维护老年人、未成年人、妇女、残疾人和进城务工人员的合法权益；"
     "三是社会环境安定有序。",
     "zfw", ["sfj", "gaj", "fl"], False),
    ("创建活动组", TeamKind.WORKING_GROUP,
     "一是抓好思想道德建设，做好市民素质教育；二是组织文体活动与维护文体设施，每年至少组织一次大型的党建、创文宣传活动；"
     "三是做好文化管理；四是开展科学普及；五是规范市民文明行为，宣传社会道德风尚，营造和谐创建工作氛围。",
     "wmb", ["xcb", "wlj", "zgh", "tsw", "kx"], False),
    ("交通秩序整治组", TeamKind.WORKING_GROUP,
     "开展交通秩序专项整治行动，加大对车辆乱停乱放等各种违法违章交通行为的查处，引导文明交通，规范交通秩序；"
     "组织机关干部职工、志愿者每周五在责任路段路口、每月15日在公交站台开展文明劝导、文明引导活动。",
     "jjzd", ["jtysj", "cgj", "gaj"], True),
    ("市场秩序整治组", TeamKind.WORKING_GROUP,
     "开展集贸市场专项整治行动，加强市场周边管理，重点整治市场内外脏乱差、市场周边流动商贩占道经营、售假卖假及食品安全等"
     "违规现象，确保市场卫生、整洁、安全、有序；清理六小行业无证照经营行为。",
     "scjgj", ["swj", "cgj", "wjw"], True),
    ("窗口服务组", TeamKind.WORKING_GROUP,
     "开展窗口服务专项整治行动，着力提升便民服务大厅、银行、公交车、医院、餐饮、商业零售、加油站等窗口行业整体服务水平；"
     "工作人员着装统一、服务规范，公开收费项目、收费标准、办事制度，建立高效投诉处理机制。",
     "zwfwj", ["wjw", "jtysj", "scjgj"], False),
    ("宣传氛围营造组", TeamKind.WORKING_GROUP,
     "在城市主干道、社区、公园、广场等悬挂或张贴创建标语和宣传品；农贸市场、学校、新时代文明实践所（站）、公共厕所等"
     "重点点位设置“讲文明树新风”公益广告，确保户外公益广告达20%以上比例，工地围挡公益广告达30%以上比例。",
     "xcb", ["wmb", "cgj", "zjj", "wlj"], False),
    ("未成年人思想道德建设组", TeamKind.WORKING_GROUP,
     "深入推进未成年人思想道德建设，广泛开展“爱学习、爱科学、爱劳动、爱祖国”活动，组织“美德少年”“小手拉大手”"
     "等主题实践活动；街道、社区文化活动中心开辟未成年人专属或共享的活动场所。",
     "jyj", ["tsw", "fl", "wmb", "wlj"], False),
    ("档案资料组", TeamKind.WORKING_GROUP,
     "迅速收集整理创建工作所需的文件、图片、总结等资料，及时提交至领导小组办公室；按照测评体系及实地考察涉及的项目、指标，"
     "建立统一、规范、详实的创建档案，做好材料审核和网上申报。",
     "wmb", ["xcb", "tjj"], True),
    ("督查考核组", TeamKind.INSPECTION_GROUP,
     "制定督查方案、明确督查内容，按照每周一检查、每月一通报、每季一调度、半年一小结的方式加强督促检查；"
     "对经市民举报或媒体曝光的问题，以下发《督办函》的形式交办责任单位限期整改，整改不到位的通报批评并追究责任。",
     "wmb", ["zfw"], False),
]
