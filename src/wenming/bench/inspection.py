"""``wenming bench inspect``: inspections submitted end to end per second through the phone
inspection form — 30 check items and 3 photos each — next to the throughput of the bare Django
view (``/bench/ping/``) receiving the same multipart body, on the same server, in the same run.

Setup, through the services, on a throwaway database: the small demo organisation; an index
system of 30 check items for one point type (农贸市场/集贸市场: 19 判定, 4 等级 by conditions,
3 等级 by rate, 4 扣分), imported from YAML by the city office (``standards.services.system_import``)
and activated; enough points of that type for the whole run (bulk inserts); a 周测评 over the
whole city, planned, sampled, assigned to the clients' inspectors and opened (``round_create``,
``round_sample``, ``round_assign``, ``round_open``).

The server is the production one, started as ``wenming bench intake`` starts it (gunicorn,
2 workers × 4 threads on SQLite, 2 × cores + 1 on PostgreSQL). ``--clients`` threads each log in
as a different inspector through the login form, then POST, for ``--seconds`` per phase, the
inspection form ``/inspections/do/<round point>/`` of the next of their assigned points as a phone
browser sends it: multipart, every field of the page in page order (CSRF token, submit key,
location; per item the verdict, the conditions, rate or count, the note and the photo input —
empty when no photo; the overall note and the submit button). Answers are mostly 符合, with 1–3
failed items per inspection (so problems are raised and routed) carrying the 3 photos (JPEG,
960×720, about 50 KB each, made once with Pillow). A submission counts when the server redirects
to the result page. Phases: baseline, inspect, baseline again; the baseline — the same kind of
body, photos included, to ``/bench/ping/``, which parses the multipart form and reads the files
but does not decode them — is the mean of its two phases. The round points done are counted in
the database afterwards.

Before that (``--in-process N``, 0 to skip), one submission and one baseline request are measured
in this process through Django's test client: the SQL statements of one request and its CPU time
(``queries_inspect``: a submission with 2 failed items, the mean; ``cpu_ms_inspect``,
``queries_ping``, ``cpu_ms_ping``). ``--profile N``
also profiles N submissions in-process (cProfile, the top functions by cumulative time).

    RESULT inspect inspect_per_s=… baseline_per_s=… ratio=… inspect_p50_ms=… baseline_p50_ms=…
           items=30 photos=3 clients=… errors=… queries_inspect=… cpu_ms_inspect=… queries_ping=…
           cpu_ms_ping=… db=…
"""

from __future__ import annotations

import argparse
import io
import math
import os
import random
import statistics
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from decimal import Decimal

from .intake import BrowserLike, HttpError, free_port, start_server, stop_server
from .runner import result_line, throwaway_database

ITEMS = 30
PHOTOS = 3
POINT_TYPE = "NM"
# one submission takes well over 100 ms (six photo decodes and encodes alone), so one client
# sends at most about 10 a second: what the automatic number of points per client is sized for
MAX_RATE_PER_CLIENT = 10
RESULT_PREFIX = "/inspections/result/"
BOUNDARY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


# --- the photos ------------------------------------------------------------------------------------

def make_photos(count: int = PHOTOS, seed: int = 2026) -> list[bytes]:
    """``count`` different JPEGs, 960×720, about 50 KB each: a gradient, coloured blocks, noise."""
    from PIL import Image, ImageDraw, ImageFilter

    photos = []
    for n in range(count):
        rng = random.Random(f"{seed}:photo:{n}")
        width, height = 960, 720
        ramp = Image.linear_gradient("L").resize((width, height))
        image = Image.merge("RGB", (ramp.point(lambda v: 90 + v // 3), ramp.point(lambda v: 110 + v // 4),
                                    ramp.point(lambda v: 170 - v // 3)))
        draw = ImageDraw.Draw(image)
        for _ in range(60):
            x, y = rng.randrange(width), rng.randrange(height)
            draw.rectangle([x, y, x + rng.randrange(20, 160), y + rng.randrange(20, 120)],
                           fill=tuple(rng.randrange(256) for _ in range(3)))
        noise = Image.effect_noise((width, height), 18 + n).convert("RGB")
        image = Image.blend(image, noise, 0.12).filter(ImageFilter.SMOOTH)
        out = io.BytesIO()
        image.save(out, format="JPEG", quality=85)
        photos.append(out.getvalue())
    return photos


# --- the index system: 30 items for 农贸市场 --------------------------------------------------------

_VERDICT = {"kind": "判定", "shares": {"符合": 100, "不符合": 0}}
_VERDICT3 = {"kind": "判定", "shares": {"符合": 100, "基本符合": 50, "不符合": 0}}
_RATE = {"kind": "等级", "by": "比率", "grades": [{"grade": "A", "share": 100, "min": 95},
                                                {"grade": "B", "share": 80, "min": 85},
                                                {"grade": "C", "share": 50, "min": 70},
                                                {"grade": "D", "share": 0, "min": 0}], "pass": "B"}


def _conditions(*conditions: str) -> dict:
    n = len(conditions)
    return {"kind": "等级", "by": "条件", "conditions": list(conditions),
            "grades": [{"grade": "A", "share": 100, "min": n}, {"grade": "B", "share": 80, "min": n - 1},
                       {"grade": "C", "share": 50, "min": n - 2}, {"grade": "D", "share": 0, "min": 0}],
            "pass": "B"}


def _deduction(per, unit: str = "处") -> dict:
    return {"kind": "扣分", "per": per, "unit": unit}


# (indicator, content, rule text, scoring, score, category)
MARKET_ITEMS = [
    ("0101", "市场内地面干净，无积水、无垃圾、无杂物。", "地面干净无积水为符合；局部有积水或杂物为基本符合；普遍脏乱为不符合。", _VERDICT3, 3, "0203"),
    ("0101", "垃圾桶（箱）配备齐全，垃圾日产日清，无暴露垃圾。", "配备齐全、日产日清为符合，否则为不符合。", _VERDICT, 3, "0101"),
    ("0101", "排水沟渠畅通，无污水外溢、无异味。", "畅通无外溢为符合；局部淤积为基本符合；污水外溢为不符合。", _VERDICT3, 3, "0203"),
    ("0101", "市场公共厕所达到二类以上标准，干净无异味。", "逐项核对下列条件：全部满足为A，少一项为B，少两项为C，其余为D。C及以下须整改。",
     _conditions("有专人保洁并有保洁记录", "地面洁净无积水", "无明显异味", "洗手设施完好可用"), 4, "0203"),
    ("0101", "无卫生死角，墙面、顶棚无蜘蛛网、无积尘。", "无卫生死角为符合，否则为不符合。", _VERDICT, 3, "0102"),
    ("0101", "活禽宰杀区域与销售区域隔离，宰杀废弃物及时清运。", "隔离且及时清运为符合，否则为不符合。", _VERDICT, 3, "0203"),
    ("0101", "市场周边无乱堆乱放。", "每发现一处乱堆乱放扣1分，扣完为止。", _deduction(1), 4, "0109"),
    ("0101", "摊位台面整洁，商品摆放有序。", "抽查摊位，按整洁摊位所占比率评等级：≥95%为A，≥85%为B，≥70%为C，其余为D。C及以下须整改。",
     _RATE, 4, "0203"),
    ("0101", "灭鼠、灭蝇、灭蟑设施齐全有效。", "设施齐全有效为符合，否则为不符合。", _VERDICT, 3, "0203"),
    ("0101", "市场外围100米范围内无暴露垃圾。", "每发现一处暴露垃圾扣0.5分，扣完为止。", _deduction(0.5), 4, "0101"),
    ("0102", "划行归市，分区经营，区域标识清楚。", "分区清楚为符合；个别混杂为基本符合；未分区为不符合。", _VERDICT3, 3, "0203"),
    ("0102", "无占道经营、店外经营。", "每发现一处占道或店外经营扣1分，扣完为止。", _deduction(1), 4, "0201"),
    ("0102", "无乱拉乱挂、乱搭乱建。", "无乱拉乱挂、乱搭乱建为符合，否则为不符合。", _VERDICT, 3, "0110"),
    ("0102", "机动车、非机动车停放有序。", "停放有序为符合；个别乱停为基本符合；普遍乱停为不符合。", _VERDICT3, 3, "0301"),
    ("0102", "经营户亮照经营，证照齐全。", "按亮照经营的摊位比率评等级：≥95%为A，≥85%为B，≥70%为C，其余为D。C及以下须整改。",
     _RATE, 4, "0203"),
    ("0102", "计量器具经检定合格，设有公平秤。", "计量器具合格且设有公平秤为符合，否则为不符合。", _VERDICT, 3, "0203"),
    ("0102", "明码标价，价签规范统一。", "按明码标价的摊位比率评等级：≥95%为A，≥85%为B，≥70%为C，其余为D。C及以下须整改。",
     _RATE, 4, "0203"),
    ("0102", "消防通道畅通，消防器材完好有效。", "通道畅通、器材有效为符合，否则为不符合。", _VERDICT, 3, "0302"),
    ("0103", "市场内外设置公益广告，宣传社会主义核心价值观。", "逐项核对下列条件：全部满足为A，少一项为B，少两项为C，其余为D。C及以下须整改。",
     _conditions("主入口有核心价值观公益广告", "市场内公益广告不少于3处", "公益广告无破损褪色", "有“讲文明树新风”内容"), 4, "0601"),
    ("0103", "设有文明经营宣传栏，内容及时更新。", "设有且当月更新为符合；设有但未及时更新为基本符合；未设为不符合。", _VERDICT3, 3, "0602"),
    ("0103", "公示投诉举报电话，设有投诉站。", "公示电话且设有投诉站为符合，否则为不符合。", _VERDICT, 3, "0203"),
    ("0103", "无障碍设施完好，未被占用。", "完好且未被占用为符合，否则为不符合。", _VERDICT, 3, "0303"),
    ("0103", "照明、通风设施完好。", "完好为符合；个别损坏为基本符合；大面积损坏为不符合。", _VERDICT3, 3, "9901"),
    ("0103", "设有便民服务设施。", "逐项核对下列条件：全部满足为A，少一项为B，少两项为C，其余为D。C及以下须整改。",
     _conditions("设有休息座椅", "设有饮水点", "设有便民服务台"), 4, "0203"),
    ("0104", "设有农残快检室，每日检测并公示结果。", "逐项核对下列条件：全部满足为A，少一项为B，少两项为C，其余为D。C及以下须整改。",
     _conditions("设有快检室并配备检测设备", "有专职检测人员", "每日检测有记录", "检测结果当日公示"), 4, "0202"),
    ("0104", "食品经营者持有效健康证明上岗。", "抽查经营者均持有效证明为符合，否则为不符合。", _VERDICT, 3, "0202"),
    ("0104", "无销售野生动物、无活禽违规交易。", "未发现为符合，否则为不符合。", _VERDICT, 3, "0202"),
    ("0104", "有市场管理制度和保洁制度，专人负责。", "制度齐全且有专人为符合；制度不全为基本符合；无制度为不符合。", _VERDICT3, 3, "0203"),
    ("0104", "经营户诚信经营，无欺行霸市、强买强卖。", "未发现为符合，否则为不符合。", _VERDICT, 3, "0702"),
    ("0104", "市场内无人吸烟，地面无烟头。", "每发现一个烟头或一人吸烟扣0.5分，扣完为止。", _deduction(0.5, "个"), 3, "0701"),
]
INDICATORS = {"0101": "环境卫生", "0102": "经营秩序", "0103": "宣传氛围与设施", "0104": "食品安全与管理"}


def system_yaml() -> bytes:
    """The index system as the YAML file an office would import."""
    from wenming.standards.formats import dump_yaml

    children = []
    for code, name in INDICATORS.items():
        items = []
        for n, (indicator, content, rule, scoring, score, category) in enumerate(MARKET_ITEMS, start=1):
            if indicator == code:
                items.append({"code": f"NM-B{n:02d}", "content": content, "rule": rule, "method": "实地考察",
                              "point_types": [POINT_TYPE], "score": score, "scoring": scoring, "category": category})
        children.append({"code": code, "name": name, "items": items})
    document = {"system": {"name": "农贸市场测评体系（压测）", "version": "2026版", "description": "wenming bench inspect"},
                "point_types": [{"code": POINT_TYPE, "name": "农贸市场/集贸市场"}],
                "indicators": [{"code": "01", "name": "农贸市场", "children": children}]}
    return dump_yaml(document).encode()


# --- setup ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class ItemSpec:
    pk: int
    kind: str
    params: dict


@dataclass
class Prepared:
    round_id: int
    items: list[ItemSpec]
    inspectors: list[str]                       # usernames: one per client, then the in-process one
    queues: dict[str, deque] = field(default_factory=dict)  # username → its round points' ids


def _import_system(office):
    from wenming.standards import services as standards

    report, system = standards.system_import(actor=office, data=system_yaml(), filename="农贸市场测评体系.yaml")
    if system is None:
        raise SystemExit("测评体系导入失败：" + "；".join(str(error) for error in report.errors[:5]))
    return standards.system_set_status(actor=office, system=system, status="active")


def _inspectors(org, office, count: int) -> list:
    """``count`` active inspectors of the city: the demo's, then new accounts (created by the
    office; their first password change is simulated by setting the demo password)."""
    from django.contrib.auth.hashers import make_password

    from wenming.demo.org import DEMO_PASSWORD
    from wenming.org import services as org_services
    from wenming.org.models import Membership, Role, User

    users = [m.user for m in Membership.objects.filter(role=Role.INSPECTOR, is_active=True, unit=org.city,
                                                       user__is_active=True)
             .select_related("user").order_by("user__username")][:count]
    created = []
    for n in range(len(users), count):
        user, _ = org_services.account_create(actor=office, username=f"bench_dc_{n + 1}", full_name=f"测评员{n + 1:02d}",
                                              phone="", post="市创建办督查员（压测）", unit=org.city, role=Role.INSPECTOR)
        created.append(user.pk)
        users.append(user)
    if created:
        User.objects.filter(pk__in=created).update(password=make_password(DEMO_PASSWORD), must_change_password=False)
    return users


def _points(org, count: int, seed: int) -> None:
    from wenming.places.models import Point, new_qr_token
    from wenming.standards.models import PointType

    point_type = PointType.objects.get(code=POINT_TYPE)
    rng = random.Random(f"{seed}:points")
    communities = {unit.pk: unit for unit in org.communities}
    batch = []
    for n in range(count):
        grid = org.grids[n % len(org.grids)]
        community = communities[grid.parent_id]
        batch.append(Point(code=f"NM-B{n + 1:05d}", name=f"{community.name}农贸市场{n + 1}号", point_type=point_type,
                           unit=community, area=grid, unit_path=community.path, area_path=grid.path,
                           address=f"江城市{community.name}市场路{rng.randint(1, 300)}号",
                           latitude=Decimal("28.42") + Decimal(rng.randint(-9999, 9999)) / 100000,
                           longitude=Decimal("115.98") + Decimal(rng.randint(-9999, 9999)) / 100000,
                           qr_token=new_qr_token()))
    Point.objects.bulk_create(batch, batch_size=1000)


def prepare(*, clients: int, per_inspector: int, seed: int = 2026, out=print) -> Prepared:
    """The organisation, the index system, ``clients + 1`` inspectors (the last one for the
    in-process measurement) with ``per_inspector`` round points each, in an open 周测评."""
    import datetime

    from django.db import transaction
    from django.utils import timezone

    from wenming.demo.org import build_org
    from wenming.inspections import services
    from wenming.inspections.models import RoundPoint

    began = time.perf_counter()
    with transaction.atomic():
        org = build_org(scale="small", seed=seed)
    office = org.personas["office_city"].user
    system = _import_system(office)
    users = _inspectors(org, office, clients + 1)
    total = per_inspector * len(users)
    with transaction.atomic():
        _points(org, total, seed)
    today = timezone.localdate()
    round_ = services.round_create(actor=office, title="第47周农贸市场测评（压测）", kind="weekly", system=system,
                                   owner=org.city, scope_units=[org.city], period_start=today,
                                   period_end=today + datetime.timedelta(days=6))
    sampled = services.round_sample(actor=office, round_=round_)
    services.round_assign(actor=office, round_=round_, inspectors=users)
    services.round_open(actor=office, round_=round_)
    first = RoundPoint.objects.filter(round=round_).select_related("round", "point").first()
    items = [ItemSpec(item.pk, item.rule_kind, item.params) for item in services.items_for(first)]
    if len(items) != ITEMS:
        raise SystemExit(f"点位应有 {ITEMS} 个检查项，实际 {len(items)} 个")
    queues = {user.username: deque() for user in users}
    by_id = {user.pk: user.username for user in users}
    for pk, inspector_id in RoundPoint.objects.filter(round=round_).order_by("id").values_list("pk", "inspector_id"):
        queues[by_id[inspector_id]].append(pk)
    out(f"组织机构、测评体系（{len(items)} 个检查项）、{len(users)} 名测评员、{sampled} 个已分配的点位就绪，"
        f"用时 {time.perf_counter() - began:.1f} 秒")
    return Prepared(round_.pk, items, [user.username for user in users], queues)


# --- the form ---------------------------------------------------------------------------------------

FAIL_NOTES = ["现场发现问题，已拍照取证，请责任单位限期整改。", "检查时发现不符合要求，经营户在场，已当场告知。",
              "问题较上周未见改善，需督促整改到位。"]


def _pass_min(params: dict):
    return next(grade["min"] for grade in params["grades"] if grade["grade"] == params["pass"])


def _answer(item: ItemSpec, fail: bool, rng: random.Random) -> list[tuple[str, str]]:
    """The fields one item sends, as the page's inputs do (only checked boxes are sent)."""
    key = str(item.pk)
    if item.kind == "verdict":
        if fail:
            return [(f"v_{key}", "fail")]
        partial = "partial" in item.params["shares"] and rng.random() < 0.1
        return [(f"v_{key}", "partial" if partial else "pass")]
    if item.kind == "grade" and item.params["by"] == "conditions":
        total, needed = len(item.params["conditions"]), int(_pass_min(item.params))
        met = rng.randint(0, needed - 1) if fail else (total if rng.random() < 0.8 else rng.randint(needed, total))
        if met == 0:
            return [(f"m_{key}", "1")]
        return [(f"c_{key}", str(n)) for n in range(1, met + 1)]
    if item.kind == "grade":
        needed = float(_pass_min(item.params))
        rate = rng.uniform(40, needed - 0.5) if fail else rng.uniform(needed, 100)
        return [(f"rate_{key}", f"{rate:.1f}")]
    return [(f"count_{key}", str(rng.randint(1, 3) if fail else 0))]


def form_parts(items: list[ItemSpec], photos: list[bytes], rng: random.Random, *, csrf: str,
               failed: int | None = None) -> list[tuple]:
    """The inspection form's fields in page order: ``(name, value)`` or ``(name, (filename, bytes))``
    for a file input (an empty one is sent with an empty filename, as browsers do). ``failed``
    items fail (1, 2 or 3 at random when not given)."""
    failed = sorted(rng.sample(range(len(items)), failed or rng.choice((1, 2, 3))))
    photos_at: dict[int, list[bytes]] = {}
    for n, data in enumerate(photos):
        photos_at.setdefault(failed[n % len(failed)], []).append(data)
    latitude, longitude = 28.42 + rng.uniform(-0.1, 0.1), 115.98 + rng.uniform(-0.1, 0.1)
    parts: list[tuple] = [("csrfmiddlewaretoken", csrf), ("submit_key", uuid.UUID(int=rng.getrandbits(128)).hex),
                          ("latitude", f"{latitude:.6f}"), ("longitude", f"{longitude:.6f}")]
    for index, item in enumerate(items):
        fail = index in failed
        parts += _answer(item, fail, rng)
        parts.append((f"note_{item.pk}", rng.choice(FAIL_NOTES) if fail else ""))
        files = photos_at.get(index) or []
        for n, data in enumerate(files):
            parts.append((f"photo_{item.pk}", (f"IMG_2026111{index % 10}_{n}.jpg", data)))
        if not files:
            parts.append((f"photo_{item.pk}", ("", b"")))
    parts += [("note", "市场整体秩序良好。" if len(failed) == 1 else "发现问题已当场告知市场管理方。"), ("intent", "submit")]
    return parts


def encode_multipart(parts: list[tuple], boundary: str) -> tuple[bytes, str]:
    """``multipart/form-data`` as a browser encodes it; returns (body, content type)."""
    chunks = []
    for name, value in parts:
        if isinstance(value, tuple):
            filename, data = value
            kind = "image/jpeg" if filename else "application/octet-stream"
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                          f"Content-Type: {kind}\r\n\r\n".encode() + data + b"\r\n")
        else:
            chunks.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                          + value.encode() + b"\r\n")
    chunks.append(f"--{boundary}--\r\n".encode())
    return b"".join(chunks), f"multipart/form-data; boundary={boundary}"


def form_body(items: list[ItemSpec], photos: list[bytes], rng: random.Random, *, csrf: str,
              failed: int | None = None) -> tuple[bytes, str]:
    boundary = "----WebKitFormBoundary" + "".join(rng.choice(BOUNDARY_CHARS) for _ in range(16))
    return encode_multipart(form_parts(items, photos, rng, csrf=csrf, failed=failed), boundary)


# --- the clients -------------------------------------------------------------------------------------

@dataclass
class Phase:
    name: str
    ok: int = 0
    errors: int = 0
    exhausted: int = 0  # clients that ran out of assigned points
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    first_error: str = ""

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


def _error_text(status: int, body: bytes) -> str:
    import re

    text = body.decode("utf-8", "replace")
    listed = re.search(r'<ul class="errorlist">(.*?)</ul>', text, re.S)
    return f"HTTP {status}: " + (re.sub(r"<[^>]+>", " ", listed.group(1)).strip() if listed else text[:200])


def run_phase(name: str, clients: list[BrowserLike], queues: list[deque], items: list[ItemSpec],
              photos: list[bytes], *, seconds: float, max_requests: int, inspect: bool, seed: int) -> Phase:
    """All clients at once, until ``seconds`` pass, ``max_requests`` have been sent or (inspect)
    a client has no assigned point left."""
    phase = Phase(name)
    lock = threading.Lock()
    budget = [max_requests]
    barrier = threading.Barrier(len(clients) + 1)

    def work(k: int) -> None:
        rng = random.Random(f"{seed}:{name}:{k}")
        client, queue = clients[k], queues[k]
        barrier.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            if inspect:
                if not queue:
                    with lock:
                        phase.exhausted += 1
                    return
                path = f"/inspections/do/{queue.popleft()}/"
            else:
                path = "/bench/ping/"
            body, content_type = form_body(items, photos, rng, csrf=client.cookies.get("csrftoken", ""))
            began = time.perf_counter()
            try:
                status, answer = client.request("POST", path, body, {"Content-Type": content_type})
            except OSError as error:
                status, answer = 0, str(error).encode()
            spent = time.perf_counter() - began
            # a browser follows the redirect and the result page shows (and so removes) the message
            client.cookies.pop("messages", None)
            ok = (status == 302 and (client.location or "").startswith(RESULT_PREFIX)) if inspect else status == 201
            with lock:
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
                if ok:
                    phase.ok += 1
                    phase.latencies.append(spent)
                else:
                    phase.errors += 1
                    phase.first_error = phase.first_error or _error_text(status, answer)

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(clients))]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    phase.seconds = time.perf_counter() - started
    return phase


def measure(host: str, port: int, prepared: Prepared, usernames: list[str], password: str, photos: list[bytes], *,
            seconds: float, max_requests: int, warmup: float = 1.0, seed: int = 2026, out=print) -> dict:
    """Log the clients in, then run warm-up, baseline, inspect, baseline. Returns the figures."""
    clients = [BrowserLike(host, port, timeout=120) for _ in usernames]
    for client, username in zip(clients, usernames, strict=True):
        client.login(username, password)
    queues = [prepared.queues[username] for username in usernames]
    out(f"{len(clients)} 个测评员已登录：{'、'.join(usernames)}")
    common = {"max_requests": max_requests, "seed": seed}
    if warmup:
        run_phase("warm-ping", clients, queues, prepared.items, photos, seconds=warmup, inspect=False, **common)
        run_phase("warm-inspect", clients, queues, prepared.items, photos, seconds=warmup, inspect=True, **common)
    phases = [
        run_phase("baseline-1", clients, queues, prepared.items, photos, seconds=seconds, inspect=False, **common),
        run_phase("inspect", clients, queues, prepared.items, photos, seconds=seconds, inspect=True, **common),
        run_phase("baseline-2", clients, queues, prepared.items, photos, seconds=seconds, inspect=False, **common),
    ]
    for client in clients:
        client.close()
    for phase in phases:
        out(f"  {phase.name:<11} {phase.ok:>6} 成功 / {phase.errors} 失败，{phase.seconds:6.2f} 秒，"
            f"{phase.per_second:8.1f} 次/秒，中位延迟 {phase.p50_ms:.1f} ms，状态码 {phase.statuses}")
        if phase.first_error:
            out(f"    首个失败：{phase.first_error}")
        if phase.exhausted:
            out(f"    注意：{phase.exhausted} 个客户端的点位已用完，提前停止（请加大 --points）")
    baseline = (phases[0].per_second + phases[2].per_second) / 2
    inspect = phases[1]
    return {
        "inspect_per_s": inspect.per_second, "baseline_per_s": baseline,
        "ratio": inspect.per_second / baseline if baseline else 0.0,
        "inspect_p50_ms": inspect.p50_ms, "baseline_p50_ms": statistics.mean([phases[0].p50_ms, phases[2].p50_ms]),
        "inspect_ok": inspect.ok, "errors": sum(p.errors for p in phases), "exhausted": inspect.exhausted,
        "clients": len(clients),
    }


def figures_line(figures: dict, single: dict, db: str) -> str:
    return result_line("inspect", {
        "inspect_per_s": figures["inspect_per_s"], "baseline_per_s": figures["baseline_per_s"],
        "ratio": figures["ratio"], "inspect_p50_ms": figures["inspect_p50_ms"],
        "baseline_p50_ms": figures["baseline_p50_ms"], "items": ITEMS, "photos": PHOTOS,
        "clients": figures["clients"], "errors": figures["errors"], **single, "db": db})


# --- in-process ----------------------------------------------------------------------------------

class _InProcess:
    """Submissions through Django's test client in this process (all the middleware, no CSRF)."""

    def __init__(self, prepared: Prepared, username: str, photos: list[bytes], seed: int):
        from django.test import Client

        from wenming.org.models import User

        self.client = Client(HTTP_HOST="localhost")
        self.client.force_login(User.objects.get(username=username))
        self.queue, self.items, self.photos = prepared.queues[username], prepared.items, photos
        self.rng = random.Random(f"{seed}:in-process")

    def post(self, inspect: bool, failed: int | None = None) -> None:
        if inspect and not self.queue:
            raise SystemExit("进程内测量的点位已用完（请加大 --points）")
        path = f"/inspections/do/{self.queue.popleft()}/" if inspect else "/bench/ping/"
        body, content_type = form_body(self.items, self.photos, self.rng, csrf="unchecked", failed=failed)
        response = self.client.post(path, body, content_type=content_type)
        ok = (response.status_code == 302 and response["Location"].startswith(RESULT_PREFIX)) if inspect \
            else response.status_code == 201
        if not ok:
            raise HttpError(f"进程内请求失败（{_error_text(response.status_code, response.content)}）")
        self.client.cookies.pop("messages", None)


def in_process_points(requests: int, rounds: int, profile: int) -> int:
    return (3 + 3 + rounds * requests if requests else 0) + profile


def measure_in_process(prepared: Prepared, photos: list[bytes], *, requests: int = 10, rounds: int = 2,
                       seed: int = 2026, out=print) -> dict[str, float]:
    """What one request costs the server without the network and the other clients: the
    statements one submission (with 2 failed items, the mean) and one baseline request run, and
    the CPU time of each (best of ``rounds`` runs of ``requests``, failed items at random)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    runner = _InProcess(prepared, prepared.inspectors[-1], photos, seed)
    for _ in range(3):  # caches, the session's first save
        runner.post(True)
        runner.post(False)
    statements, by_failed = {}, {}
    for failed in (1, 3, 2):
        with CaptureQueriesContext(connection) as context:
            runner.post(True, failed)
        by_failed[failed] = len(context.captured_queries)
    statements[True] = by_failed[2]
    with CaptureQueriesContext(connection) as context:
        runner.post(False)
    statements[False] = len(context.captured_queries)
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for inspect in (False, True):
            started = time.process_time()
            for _ in range(requests):
                runner.post(inspect)
            cpu[inspect].append((time.process_time() - started) / requests * 1000)
    figures = {"queries_inspect": statements[True], "cpu_ms_inspect": min(cpu[True]),
               "queries_ping": statements[False], "cpu_ms_ping": min(cpu[False])}
    out(f"进程内（无网络、无并发）：提交测评每次 {figures['queries_inspect']} 条SQL（2个不合格项；1个时 {by_failed[1]} 条，"
        f"3个时 {by_failed[3]} 条）、CPU {figures['cpu_ms_inspect']:.1f} ms；"
        f"空白视图 {figures['queries_ping']} 条SQL、CPU {figures['cpu_ms_ping']:.2f} ms")
    return figures


def profile_in_process(prepared: Prepared, photos: list[bytes], *, requests: int, seed: int = 2026, top: int = 30,
                       out=print) -> None:
    """cProfile of ``requests`` submissions in this process; prints the top functions."""
    import cProfile
    import pstats

    runner = _InProcess(prepared, prepared.inspectors[-1], photos, seed + 1)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        runner.post(True)
    profiler.disable()
    stream = io.StringIO()
    stats = pstats.Stats(profiler, stream=stream)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    out(f"进程内剖析（{requests} 次提交，cProfile）：\n{stream.getvalue()}")


# --- main ----------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming bench inspect",
                                     description="手机测评表单提交（30个检查项、3张照片）吞吐量与空白Django视图对比")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8, help="并发客户端（测评员）数（默认8）")
    parser.add_argument("--seconds", type=float, default=10.0, help="每个阶段的时长（秒，默认10）")
    parser.add_argument("--requests", type=int, default=50000, help="每个阶段的请求数上限（默认50000）")
    parser.add_argument("--points", type=int, default=0,
                        help=f"每个测评员分配的点位数（默认按时长估算：每秒{MAX_RATE_PER_CLIENT}个，另加余量）")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn 进程数（默认同 wenming serve）")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--in-process", type=int, default=10, metavar="N",
                        help="先在本进程内测量单次请求的SQL条数和CPU时间（每轮N次，默认10；0为跳过）")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="另在本进程内剖析N次提交（cProfile）")
    args = parser.parse_args(argv)
    if args.clients < 1:
        parser.error("--clients 至少为1")

    warmup = 1.0
    per_client = args.points or math.ceil((args.seconds + warmup) * MAX_RATE_PER_CLIENT) + 20
    per_inspector = max(per_client, in_process_points(args.in_process, 2, args.profile))
    with throwaway_database(args.db, settings_module="wenming.bench.settings") as env:
        from django.conf import settings
        from django.db import connections

        from wenming.cases.models import Problem
        from wenming.demo.org import DEMO_PASSWORD
        from wenming.inspections.models import ItemResult, RoundPoint

        print(f"准备：{args.clients + 1} 名测评员，每人 {per_inspector} 个点位……", flush=True)
        prepared = prepare(clients=args.clients, per_inspector=per_inspector, seed=args.seed,
                           out=lambda s: print(s, flush=True))
        photos = make_photos(seed=args.seed)
        print(f"照片 {PHOTOS} 张：{'、'.join(f'{len(p) / 1024:.0f} KB' for p in photos)}；"
              f"表单约 {len(form_body(prepared.items, photos, random.Random(1), csrf='x')[0]) / 1024:.0f} KB", flush=True)
        single = {}
        if args.in_process:
            single = measure_in_process(prepared, photos, requests=args.in_process, seed=args.seed,
                                        out=lambda s: print(s, flush=True))
        if args.profile:
            profile_in_process(prepared, photos, requests=args.profile, seed=args.seed,
                               out=lambda s: print(s, flush=True))
        done = RoundPoint.objects.filter(round_id=prepared.round_id, status=RoundPoint.Status.DONE)
        done_before, problems_before = done.count(), Problem.objects.count()
        connections.close_all()  # the server's processes have the database to themselves
        sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        workers = args.workers or (2 if sqlite else 2 * (os.cpu_count() or 1) + 1)
        port = free_port()
        log_path = os.path.join(env["WENMING_DATA_DIR"], "gunicorn.log")
        print(f"启动 gunicorn：127.0.0.1:{port}，{workers} 个进程 × {args.threads} 线程，"
              f"{args.clients} 个客户端，每阶段 {args.seconds:g} 秒（至多 {args.requests} 次请求）", flush=True)
        server = start_server(env, port, workers, args.threads, log_path)
        try:
            figures = measure("127.0.0.1", port, prepared, prepared.inspectors[:args.clients], DEMO_PASSWORD, photos,
                              seconds=args.seconds, max_requests=args.requests, warmup=warmup, seed=args.seed,
                              out=lambda s: print(s, flush=True))
        finally:
            stop_server(server)
        finished = done.count() - done_before
        raised = Problem.objects.count() - problems_before
        results = ItemResult.objects.filter(inspection__round_point__round_id=prepared.round_id).count()
        print(f"数据库中本轮已完成点位 {done.count()} 个（服务器上新增 {finished} 个，其中计时阶段 {figures['inspect_ok']} 个，"
              f"另含预热）；检查项结果共 {results} 条；服务器上的提交发现问题 {raised} 个"
              f"（每次 {raised / finished if finished else 0:.2f} 个）", flush=True)
        if figures["errors"]:
            print(f"注意：共有 {figures['errors']} 个请求失败，见 {log_path}", flush=True)
    print(figures_line(figures, single, args.db), flush=True)
    return 0
