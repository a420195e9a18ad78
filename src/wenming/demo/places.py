"""Demo points (点位) of every type, placed where the demo's problems are (the same invented
geography as ``demo/catalog.py``), each with its responsible unit, the grid or street it lies in, its
包保 leader where a leader 包保s its street or community, an address and coordinates.

Who answers for what follows the seeds: a community for itself, its 文化服务中心 and its estates;
a street for its office, 文化站, markets, commercial streets and parks; the city's departments for
roads and toilets (城管局), bus stops and stations (交通运输局), hospitals (卫健委), building sites
(住建局) and the service hall (政务服务数据管理局); a school for itself and its surroundings.

Small scale: about 170 points. City scale: exactly ``CITY_POINTS`` (DESIGN.md §10), bulk-inserted."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

from wenming.org.models import Patronage, PatronageKind, Unit, UnitKind
from wenming.places.models import Point, new_qr_token
from wenming.standards.models import PointType

from . import names
from .catalog import Geography, coords
from .org import DemoOrg, Progress

CITY_POINTS = 20_000
BATCH = 2000


@dataclass
class PlacesResult:
    points: int
    by_type: dict[str, int]

    def summary(self) -> str:
        return f"  点位：{self.points} 个，{len(self.by_type)} 种类型"


@dataclass
class _Spec:
    type_code: str
    name: str
    unit: Unit
    area: Unit
    address: str
    coords_of: Unit  # the community (or grid) whose neighbourhood the point lies in


class _Planner:
    def __init__(self, org: DemoOrg, seed: int):
        self.org = org
        self.rng = random.Random(f"{seed}:points")
        self.geo = Geography(org, seed)
        self.children = self._children()
        self.specs: list[_Spec] = []
        self.used_names: set[str] = set()

    def _children(self) -> dict[int, list[Unit]]:
        result: dict[int, list[Unit]] = {}
        for unit in [*self.org.streets, *self.org.communities, *self.org.grids]:
            result.setdefault(unit.parent_id, []).append(unit)
        return result

    def dept(self, slug: str) -> Unit:
        return self.org.city_departments.get(slug) or self.org.city

    def unique(self, name: str) -> str:
        if name not in self.used_names:
            self.used_names.add(name)
            return name
        n = 2
        while f"{name}（{names.chinese_number(n)}）" in self.used_names:
            n += 1
        name = f"{name}（{names.chinese_number(n)}）"
        self.used_names.add(name)
        return name

    def add(self, type_code: str, name: str, unit: Unit, area: Unit, *, where: Unit | None = None) -> None:
        where = where or area
        community = where if where.kind in (UnitKind.COMMUNITY, UnitKind.GRID) else self.children[where.pk][0]
        place = self.geo.place(community)
        address = f"{place.district.name}{place.street.name}{self.rng.choice(place.roads)}{self.rng.randint(1, 388)}号"
        self.specs.append(_Spec(type_code, self.unique(name), unit, area, address, community))

    def grid_of(self, community: Unit) -> Unit:
        return self.rng.choice(self.children.get(community.pk) or [community])

    def community_of(self, street: Unit) -> Unit:
        return self.rng.choice(self.children[street.pk])

    def word(self) -> str:
        return self.rng.choice(names.PLACE_WORDS)

    # --- what each unit answers for ----------------------------------------------------------------

    def street_points(self, street: Unit, *, markets: int, roads: int, lanes: int, parks: int) -> None:
        self.add("JD", f"{street.name}办事处", street, street)
        self.add("WHZ", f"{street.name}综合文化站", street, street)
        for _ in range(markets):
            community = self.community_of(street)
            self.add("NM", f"{self.word()}农贸市场", street, self.grid_of(community))
        place = self.geo.place(self.community_of(street))
        for road in self.rng.sample(place.roads, min(roads, len(place.roads))):
            self.add("SYJ", f"{road}商业街", street, street)
        for _ in range(lanes):
            community = self.community_of(street)
            self.add("BJ", f"{self.geo.place(community).estate}后巷", community, self.grid_of(community))
        for _ in range(parks):
            self.add("GY", f"{self.word()}{self.rng.choice(['公园', '广场', '游园'])}", street, street)

    def community_points(self, community: Unit, *, estates: int) -> None:
        village = community.name.endswith("村")
        self.add("SQ", community.name, community, community)
        self.add("WHZX", f"{community.name}综合文化服务中心", community, community)
        estate = self.geo.place(community).estate
        for k in range(estates):
            name = estate if k == 0 else f"{self.word()}{self.rng.choice(['花园', '佳苑', '家园', '小区'])}"
            self.add("XQ", name if name.endswith(("小区", "花园", "佳苑", "家园", "新村", "苑", "园")) else name + "小区",
                     community, self.grid_of(community))
        if village and self.rng.random() < 0.5:
            self.add("CZC", community.name.removesuffix("村") + "城中村片区", community, community)

    def city_points(self, *, per_district: int, toilets_per_street: int) -> None:
        cgj, jt, wjw, zjj, zw = (self.dept(s) for s in ("cgj", "jtysj", "wjw", "zjj", "zwfwj"))
        scjg = self.dept("scjgj")
        for district in self.org.districts:
            streets = self.children[district.pk]
            self.add("ZW", f"{district.name}政务服务中心", zw, self.rng.choice(streets))
            self.add("YY", f"{district.name}人民医院", wjw, self.rng.choice(streets))
            self.add("CK", f"{district.name}不动产登记中心", zw, self.rng.choice(streets))
            self.add("CK", f"{district.name}市场监管所办事窗口", scjg, self.rng.choice(streets))
            for _ in range(per_district):
                street = self.rng.choice(streets)
                place = self.geo.place(self.community_of(street))
                self.add("ZGD", self.rng.choice(place.roads), cgj, street)
                community = self.community_of(street)
                self.add("GJ", f"{self.rng.choice(place.roads)}公交站", jt, self.grid_of(community))
                self.add("GD", f"{self.word()}{self.rng.choice(['花园', '广场', '大厦', '安置房'])}项目工地", zjj, street)
            for street in streets:
                for _ in range(toilets_per_street):
                    community = self.community_of(street)
                    self.add("CS", f"{self.geo.place(community).estate}公厕", cgj, self.grid_of(community))
        self.add("CZ", f"{self.org.city.name}火车站", jt, self.org.streets[0])
        self.add("CZ", f"{self.org.city.name}长途汽车站", jt, self.org.streets[-1])
        for school in self.org.schools:
            district = next((d for d in self.org.districts if school.path.startswith(d.path)), None)
            streets = self.children[district.pk] if district is not None else self.org.streets
            self.add("XX", f"{school.name}及周边", school, self.rng.choice(streets))


def _patrons() -> dict[int, int]:
    """Unit id -> the leader who 包保s it (streets and communities)."""
    rows = Patronage.objects.filter(kind=PatronageKind.BAOBAO, is_active=True, patron_user__isnull=False)
    return dict(rows.order_by("id").values_list("target_unit_id", "patron_user_id"))


def plan_points(org: DemoOrg, *, seed: int, count: int | None = None) -> list[_Spec]:
    """The points of the demo city; ``count`` tops up (or trims) to exactly that many with estates,
    lanes and toilets (the kinds a city has most of)."""
    planner = _Planner(org, seed)
    big = org.scale == "city"
    for street in org.streets:
        planner.street_points(street, markets=3 if big else 1, roads=2 if big else 1, lanes=10 if big else 2,
                              parks=2 if big else (1 if street.pk % 2 else 0))
    for community in org.communities:
        planner.community_points(community, estates=3 if big else 1)
    planner.city_points(per_district=30 if big else 4, toilets_per_street=8 if big else 1)
    if not any(spec.type_code == "CZC" for spec in planner.specs):  # the small city has no villages
        community = org.communities[-1]
        planner.add("CZC", community.name.removesuffix("社区") + "城中村片区", community, community)
    if count is not None:
        streets = {s.pk: s for s in org.streets}
        kinds = [("XQ", 6), ("BJ", 3), ("CS", 1), ("GJ", 1)]
        while len(planner.specs) < count:
            kind = planner.rng.choices([k for k, _ in kinds], weights=[w for _, w in kinds])[0]
            community = planner.rng.choice(org.communities)
            street = streets[community.parent_id]
            estate = f"{planner.word()}{planner.rng.choice(['花园', '佳苑', '家园', '小区', '新村'])}"
            if kind == "XQ":
                planner.add("XQ", estate, community, planner.grid_of(community))
            elif kind == "BJ":
                planner.add("BJ", f"{estate}后巷", community, planner.grid_of(community))
            elif kind == "CS":
                planner.add("CS", f"{estate}公厕", planner.dept("cgj"), planner.grid_of(community))
            else:
                place = planner.geo.place(community)
                planner.add("GJ", f"{planner.rng.choice(place.roads)}{estate}站", planner.dept("jtysj"), street)
        del planner.specs[count:]
    return planner.specs


def build_points(org: DemoOrg, *, seed: int, progress: Progress | None = None,
                 count: int | None = None) -> PlacesResult:
    """Write the demo's points (bulk inserts). At city scale ``count`` defaults to CITY_POINTS."""
    progress = progress or Progress()
    if count is None and org.scale == "city":
        count = CITY_POINTS
    specs = plan_points(org, seed=seed, count=count)
    types = {t.code: t for t in PointType.objects.all()}
    patrons = _patrons()
    rng = random.Random(f"{seed}:point-coords")
    geo_rng = random.Random(f"{seed}:point-geo")
    geo = Geography(org, seed)
    communities = {c.pk: c for c in org.communities}
    numbers: Counter[str] = Counter()
    rows: list[Point] = []
    bar = progress.bar("点位", len(specs))
    for spec in specs:
        numbers[spec.type_code] += 1
        lat, lng = coords(rng, geo.place(spec.coords_of))
        where = spec.coords_of
        community = where if where.kind == UnitKind.COMMUNITY else communities.get(where.parent_id)
        patron = patrons.get(community.pk) if community is not None else None
        if patron is None and community is not None:
            patron = patrons.get(community.parent_id)
        rows.append(Point(
            code=f"{spec.type_code}-{numbers[spec.type_code]:05d}", name=spec.name,
            point_type=types[spec.type_code], unit=spec.unit, area=spec.area, unit_path=spec.unit.path,
            area_path=spec.area.path, patron_id=patron, address=spec.address, latitude=lat, longitude=lng,
            qr_token=new_qr_token(),
        ))
        if geo_rng.random() < 0.02:  # a few points without coordinates yet (not surveyed)
            rows[-1].latitude = rows[-1].longitude = None
        if len(rows) >= BATCH:
            Point.objects.bulk_create(rows, batch_size=BATCH)
            bar.update(len(rows))
            rows = []
    Point.objects.bulk_create(rows, batch_size=BATCH)
    bar.update(len(rows))
    bar.close()
    return PlacesResult(points=len(specs), by_type=dict(numbers))
