"""The demo city's problems (问题整改闭环): believable Chinese problems in every state and branch.

Two generators, one entry point (:func:`build_cases`):

* ``small`` — about 125 problems written THROUGH THE SERVICES by the persona accounts, so every
  timeline, request, notification, 督办单 and 督办函 is real. The story runs on a simulated clock
  over the past six weeks: ``django.utils.timezone.now`` is replaced (only while the builder runs)
  by the simulation's clock, every story is a generator that says when its next step happens,
  and the real sweeper runs every simulated hour — so warnings, 逾期, 督办单 → 督办函 → 通报批评
  happen exactly as they would in production, with working-day deadlines on the official
  calendar. The clock never runs backwards and ends at the moment the build started, so nothing
  lies in the future. The seed decides the stories (texts, places, people, branches); the dates
  follow the day the demo is built.

* ``city`` — DESIGN.md §10's 1,000,000 problems over three years with their timelines, written
  in batches of 20,000 problems (each batch its own transaction: one multi-row insert per table
  through ``executemany`` — see :class:`FastInsert` — codes from ``services.reserve_codes``)
  with a progress bar. Each problem's steps are laid out on the office's working calendar (a
  precomputed index, :class:`WorkIndex`, equal to ``core.worktime``), its escalation ladder is
  played as the sweeper would have played it, and the whole is cut at "now": old problems are
  mostly 已销号, recent ones are still on their way. Reproducible from the seed and ``now``.
"""

from __future__ import annotations

import heapq
import io
import math
import random
import time as _time
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from wenming.cases import services, sla, sweeper, timeline
from wenming.cases.models import (
    Category,
    Escalation,
    EscalationStep,
    NoticeCounter,
    NoticeKind,
    Problem,
    ProblemEvent,
    ProblemRequest,
    RequestStatus,
    Severity,
    SlaRule,
    SlaUnit,
    Source,
    State,
    SupervisionNotice,
)
from wenming.core import worktime
from wenming.org.models import Membership, Role, Unit, UnitKind, User

from . import names
from .bulk import FastInsert, reserve_ids
from .org import DemoOrg, Progress

CITY_PROBLEMS = 1_000_000
CITY_BATCH = 20_000
CITY_YEARS = 3
SMALL_DAYS = 42  # the small demo's history: six weeks

# --- what problems look like ---------------------------------------------------------------------------------------

# category code -> (weight, [(where, title, description, what the unit did)]). ``where`` and the
# title take {road} {road2} {no} {estate} {bldg} {market} {park} {community} {district}.
CATALOG: dict[str, tuple[int, list[tuple[str, str, str, str]]]] = {
    "0101": (14, [
        ("{road}{no}号", "{road}{no}号门前暴露垃圾未及时清运",
         "沿街商铺门前堆放生活垃圾和包装纸箱，部分已散落至人行道，有异味，影响市容。",
         "已组织环卫保洁人员清运垃圾、冲洗地面，并督促商户落实“门前三包”责任。"),
        ("{estate}{bldg}栋", "{estate}{bldg}栋楼下垃圾桶满溢",
         "小区垃圾桶满溢，垃圾散落在桶外地面，周边有蚊蝇滋生，居民意见较大。",
         "已清运满溢垃圾，清运频次增加为每日两次，并增设两组分类垃圾桶。"),
        ("{road}与{road2}交叉口", "{road}与{road2}交叉口绿化带内暴露垃圾",
         "绿化带内有塑料袋、饮料瓶等生活垃圾，部分已被雨水浸泡。",
         "已清理绿化带内垃圾，纳入道路保洁日常巡查范围。"),
    ]),
    "0102": (6, [
        ("{estate}{bldg}栋", "{estate}{bldg}栋后侧卫生死角",
         "楼栋后侧夹道长期积存建筑垃圾和废弃家具，杂草丛生，成为卫生死角。",
         "已清理建筑垃圾和废弃家具，平整场地，并安排物业每周巡查。"),
        ("{road}{no}号", "{road}{no}号背街小巷积存杂物、污水",
         "小巷内积存杂物，地面有污水和油污，长期无人清扫。",
         "已清运杂物、冲洗路面，并明确由社区保洁员每日清扫。"),
    ]),
    "0103": (10, [
        ("{estate}{bldg}栋", "{estate}{bldg}栋单元门口张贴小广告",
         "单元门口及楼道墙面张贴大量开锁、疏通管道、办证类小广告。",
         "已铲除小广告并粉刷墙面，在单元门口设置便民信息张贴栏。"),
        ("{road}{no}号", "{road}{no}号附近电线杆、配电箱小广告",
         "电线杆和配电箱上喷涂、张贴小广告，密密麻麻，影响街容街貌。",
         "已清除电线杆、配电箱上的小广告，喷涂的号码已覆盖，并将号码移交城管部门依法处理。"),
    ]),
    "0104": (4, [
        ("{road}{no}号", "{road}{no}号店招店牌破损、字体缺失",
         "该商铺店招字体缺失两个，灯箱破损，存在坠落隐患。",
         "已督促商户更换店招，拆除破损灯箱。"),
        ("{road}{no}号", "{road}{no}号门前违规设置落地广告牌",
         "商户在人行道上摆放落地广告牌和易拉宝，占用通行空间。",
         "已劝导商户撤除落地广告牌，并告知门前不得设置落地广告。"),
    ]),
    "0105": (2, [
        ("{road}桥下", "{road}桥下沟渠水体发黑发臭",
         "沟渠水体发黑，水面漂浮垃圾，散发臭味，周边居民反映强烈。",
         "已打捞水面垃圾，排查整改雨污混接点两处，水体已无明显异味。"),
    ]),
    "0106": (6, [
        ("{estate}", "{estate}绿化带被毁改种蔬菜",
         "小区公共绿化带被居民开垦种植蔬菜，并用竹竿、旧渔网围挡。",
         "已会同物业劝导居民清除菜地，拆除围挡，补植草皮和灌木。"),
        ("{road}{no}号", "{road}{no}号旁公共绿地种菜、堆放农具",
         "道路旁公共绿地被开垦成菜地，堆放农具和粪桶。",
         "已清除菜地，恢复绿化，并在绿地旁设置爱绿护绿提示牌。"),
    ]),
    "0107": (2, [
        ("{estate}{bldg}栋", "{estate}{bldg}栋楼下散养家禽",
         "居民在楼下空地搭建鸡舍散养鸡鸭，粪便污染地面。",
         "已劝导居民拆除鸡舍，家禽已自行处置，地面已清洗消毒。"),
    ]),
    "0108": (4, [
        ("{road}", "{road}渣土车未覆盖、沿路撒漏",
         "渣土运输车辆未密闭覆盖，沿路撒漏泥土，车辆经过扬尘严重。",
         "已约谈涉事运输企业并依法处罚，组织清扫冲洗路面，加强工地出入口冲洗管理。"),
        ("{road}{no}号", "{road}{no}号工地围挡破损、裸土未覆盖",
         "建筑工地围挡破损倒伏，裸土未覆盖，刮风时扬尘严重。",
         "已督促施工单位修复围挡，裸土全部覆盖防尘网，并开启雾炮喷淋。"),
    ]),
    "0109": (5, [
        ("{road}{no}号", "{road}{no}号沿街商户门前乱堆乱放",
         "商户在门前人行道上堆放货物、纸箱和废旧物品。",
         "已督促商户清理门前堆放物品，签订“门前三包”责任书。"),
    ]),
    "0110": (3, [
        ("{estate}{bldg}栋", "{estate}{bldg}栋楼间乱拉绳索晾晒",
         "楼栋之间乱拉绳索晾晒衣被，绳索横跨小区道路。",
         "已拆除乱拉绳索，在小区内设置集中晾晒区。"),
    ]),
    "0201": (14, [
        ("{road}{no}号", "{road}{no}号人行道流动摊贩占道经营",
         "早晚高峰时段多个流动摊贩在人行道上摆摊售卖水果、蔬菜，占用盲道，行人需绕行。",
         "已劝离流动摊贩，引导其进入附近便民疏导点经营，早晚高峰安排人员值守。"),
        ("{road}{no}号", "{road}{no}号餐馆出店经营",
         "餐馆在门前人行道摆放桌椅出店经营，油污污染地面。",
         "已督促商户将桌椅收回店内，清洗地面油污，并告知再次出店经营将依法处罚。"),
        ("{market}农贸市场", "{market}农贸市场周边马路市场",
         "市场外道路两侧摊贩占道经营，形成马路市场，交通拥堵。",
         "已取缔马路市场，摊贩全部入场经营，设置隔离护栏，安排专人巡查。"),
    ]),
    "0202": (2, [
        ("{road}{no}号", "{road}{no}号早餐店从业人员无健康证明",
         "早餐店两名从业人员未持有效健康证明上岗，操作间卫生较差。",
         "已责令停止违规上岗，从业人员已办理健康证明，操作间完成清洁消毒。"),
    ]),
    "0203": (4, [
        ("{market}农贸市场", "{market}农贸市场地面湿滑、污水横流",
         "市场水产区地面湿滑，污水横流，排水沟堵塞。",
         "已疏通排水沟，水产区铺设防滑垫，市场管理方增加保洁频次。"),
        ("{market}农贸市场", "{market}农贸市场农残检测结果未公示",
         "市场内缺少农药残留检测结果公示和投诉举报电话公示。",
         "已设置农残检测结果公示屏和投诉举报电话公示牌。"),
    ]),
    "0301": (12, [
        ("{road}{no}号", "{road}{no}号机动车占用人行道停放",
         "多辆机动车长期停放在人行道上，行人只能走机动车道。",
         "已对违停车辆依法处罚，设置隔离桩，施划停车泊位。"),
        ("{road}地铁站出口", "{road}地铁站出口共享单车乱停乱放",
         "共享单车在出口处大量堆积，堵塞盲道和通道。",
         "已督促共享单车企业调度清运车辆，施划停放区，安排运维人员定时整理。"),
        ("{estate}", "{estate}门口电动车乱停乱放",
         "小区门口电动车无序停放，占用人行道和盲道。",
         "已整理车辆，施划非机动车停放线，物业安排专人管理。"),
    ]),
    "0302": (6, [
        ("{estate}{bldg}栋", "{estate}{bldg}栋消防通道被私家车占用",
         "私家车长期停放在消防通道上，消防车无法通行。",
         "已联系车主移走车辆，施划消防通道标线，设置禁停标识和隔离桩。"),
    ]),
    "0303": (3, [
        ("{road}{no}号", "{road}{no}号盲道被占用、盲道砖缺损",
         "盲道上停放电动车、堆放杂物，部分盲道砖缺损。",
         "已清理盲道上的车辆和杂物，更换缺损盲道砖。"),
    ]),
    "0304": (2, [
        ("{road}与{road2}交叉口", "{road}与{road2}交叉口交通护栏倾倒",
         "路口中央隔离护栏多处倾倒破损，存在交通安全隐患。",
         "已修复更换倾倒护栏十二米。"),
    ]),
    "0401": (3, [
        ("{estate}{bldg}栋", "{estate}{bldg}栋楼顶违章搭建彩钢棚",
         "顶楼住户在楼顶违规搭建彩钢棚约30平方米。",
         "已下达限期拆除通知，当事人已自行拆除，现场已清理。"),
        ("{road}{no}号", "{road}{no}号门前违规搭建雨棚",
         "商户在门前违规搭建雨棚，侵占人行道。",
         "已拆除违规雨棚，恢复人行道原貌。"),
    ]),
    "0501": (3, [
        ("{road}", "{road}多盏路灯夜间不亮",
         "该路段连续五盏路灯夜间不亮，居民夜间出行不便。",
         "已更换损坏灯具和线路，路灯恢复正常照明。"),
    ]),
    "0502": (4, [
        ("{road}{no}号", "{road}{no}号人行道井盖缺失",
         "人行道上一处雨水井盖缺失，仅用树枝遮挡，存在严重安全隐患。",
         "已设置临时围挡并更换新井盖，经检查安装牢固。"),
        ("{estate}", "{estate}内井盖破损下沉",
         "小区道路井盖破损下沉，车辆经过声响大。",
         "已更换防沉降井盖。"),
    ]),
    "0503": (2, [
        ("{estate}", "{estate}健身器材损坏",
         "小区健身广场两件健身器材损坏，螺丝松动，存在安全隐患。",
         "已维修更换损坏部件，张贴安全使用提示。"),
    ]),
    "0504": (2, [
        ("{community}", "{community}宣传栏破损、内容陈旧",
         "社区宣传栏玻璃破损，展示内容陈旧褪色。",
         "已更换宣传栏玻璃，更新社会主义核心价值观和创建宣传内容。"),
    ]),
    "0505": (3, [
        ("{road}{no}号", "{road}{no}号人行道地砖松动破损",
         "人行道地砖松动破损约20平方米，雨天积水溅脚。",
         "已重新铺设人行道地砖。"),
    ]),
    "0601": (6, [
        ("{road}{no}号", "{road}{no}号工地围挡公益广告缺失",
         "工地围挡未按要求设置“讲文明树新风”公益广告，公益广告比例不足30%。",
         "已督促施工单位在围挡上增设公益广告，比例达到要求。"),
        ("{road}公交站台", "{road}公交站台公益广告褪色破损",
         "公交站台公益广告画面褪色、破损卷边。",
         "已更换全新公益广告画面。"),
    ]),
    "0602": (2, [
        ("{community}", "{community}创建宣传氛围不浓",
         "社区主要出入口和楼道内创建宣传标语、公益广告数量少，居民知晓率不高。",
         "已在社区主要出入口、楼道设置创建宣传标语和公益广告。"),
    ]),
    "0701": (2, [
        ("{road}公交站台", "{road}公交站台烟头较多",
         "站台周边地面烟头较多，候车乘客吸烟现象突出。",
         "已清扫地面，设置禁烟标识，安排志愿者开展文明劝导。"),
    ]),
    "0702": (2, [
        ("{park}", "{park}游客乱扔垃圾、践踏草坪",
         "公园内部分游客乱扔垃圾、践踏草坪、攀折花木。",
         "已增设文明提示牌，组织志愿者在节假日开展文明劝导。"),
    ]),
    "0801": (2, [
        ("{district}政务服务中心", "{district}政务服务中心窗口服务不规范",
         "部分窗口工作人员未佩戴工作牌，办事指南未公示。",
         "已规范工作人员着装和佩戴工作牌，公示办事指南和投诉电话。"),
    ]),
    "9901": (1, [
        ("{road}{no}号", "{road}{no}号废弃车辆长期占用公共空间",
         "一辆报废面包车长期停放在路边，车身锈蚀、轮胎缺失。",
         "已联系车主拖移报废车辆。"),
    ]),
}

SEVERITY_OF = {"0502": Severity.URGENT, "0401": Severity.DIFFICULT, "0105": Severity.DIFFICULT}

# reports that are not the campaign's business: (title, description, category, reason for 不予受理)
REJECTS = [
    ("{estate}{bldg}栋楼上装修噪音扰民", "楼上住户装修噪音大，周末也在施工。", "9901",
     "属于噪声投诉，已告知通过12345热线向生态环境部门反映，不属于创建问题。"),
    ("{estate}物业费收费不合理", "物业公司上调物业费，未征求业主意见。", "9901",
     "属于物业服务合同纠纷，不属于创建问题，已告知向住建部门反映。"),
    ("{road}{no}号门前暴露垃圾", "门前有一堆垃圾。", "0101",
     "经现场核实，该处垃圾已于当日早班清运，问题不存在。"),
    ("建议{road}增设公交线路", "希望在{road}增设一条公交线路方便出行。", "9901",
     "属于意见建议，已转交通运输部门参考，不作为创建问题立案。"),
    ("{road}{no}号商户占道经营", "照片模糊，无法辨认位置。", "0201",
     "照片和位置信息不足，无法核实，请补充准确位置后重新反映。"),
]

VERIFY_PASS_NOTES = ["现场复核，已整改到位，同意销号。", "对照整改前后照片核实，整改到位，予以销号。",
                     "复核组现场查看，问题已解决，同意销号。"]
VERIFY_FAIL_NOTES = ["现场复核仍未完全整改到位，现场仍有残留，请彻底整改。",
                     "整改后照片角度与整改前不一致，无法对照，请补充同角度照片并确认整改到位。",
                     "复核时问题已有反复，整改未落实长效管理措施，退回重改。",
                     "整改说明过于简单，未说明责任人和长效管理措施，请完善后重新提交。"]
SOURCE_PREFIX = {Source.HOTLINE: "市民来电反映：", Source.SUPERIOR: "省文明办测评反馈问题清单：",
                 Source.MEDIA: "《江城晚报》“曝光台”栏目报道：", Source.LEADER: "区领导督导时发现：",
                 Source.CENSUS: "问题普查摸排：", Source.GRID: "网格巡查发现：", Source.SELF_CHECK: "自查发现："}
SOURCE_WEIGHTS = {Source.INSPECTION: 25, Source.CITIZEN: 20, Source.HOTLINE: 15, Source.GRID: 15,
                  Source.SUPERIOR: 7, Source.SELF_CHECK: 7, Source.MEDIA: 2, Source.LEADER: 3, Source.CENSUS: 6}
ESTATE_SUFFIXES = ["小区", "花园", "佳苑", "家园", "新村"]
ESTATE_ENDINGS = ("花园", "新村", "家园", "佳苑", "苑", "园", "坊", "新城", "里", "湾")


@dataclass
class Place:
    """Where a problem is: its area (community or grid), the street address and coordinates."""

    area: Unit
    community: Unit
    street: Unit
    district: Unit
    roads: list[str]
    estate: str
    center: tuple[float, float]


def _fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def _place_values(rng: random.Random, place: Place) -> dict[str, str]:
    road, road2 = rng.sample(place.roads, 2)
    return {"road": road, "road2": road2, "no": str(rng.randint(1, 388)), "estate": place.estate,
            "bldg": str(rng.randint(1, 24)), "market": rng.choice(names.PLACE_WORDS),
            "park": rng.choice(names.PLACE_WORDS) + "公园", "community": place.community.name,
            "district": place.district.name}


def _coords(rng: random.Random, place: Place) -> tuple[Decimal, Decimal]:
    lat = place.center[0] + rng.uniform(-0.004, 0.004)
    lon = place.center[1] + rng.uniform(-0.004, 0.004)
    return Decimal(f"{lat:.6f}"), Decimal(f"{lon:.6f}")


def _category_codes() -> tuple[list[str], list[int]]:
    codes = list(CATALOG)
    return codes, [CATALOG[c][0] for c in codes]


class _Geography:
    """Roads, estates and coordinates for every community, from the seed."""

    def __init__(self, org: DemoOrg, seed: int):
        rng = random.Random(f"{seed}:geography")
        self.units = {u.pk: u for u in org.all_units}
        self.by_community: dict[int, Place] = {}
        base = (28.42, 115.98)  # the invented 江城市
        district_centers = {d.pk: (base[0] + rng.uniform(-0.12, 0.12), base[1] + rng.uniform(-0.15, 0.15))
                            for d in org.districts}
        for community in org.communities:
            street = self.units[community.parent_id]
            district = self.units[street.parent_id]
            dc = district_centers[district.pk]
            stem = community.name.removesuffix("社区").removesuffix("村")
            self.by_community[community.pk] = Place(
                area=community, community=community, street=street, district=district,
                roads=[names.road_name(rng) for _ in range(4)],
                estate=stem if stem.endswith(ESTATE_ENDINGS) else stem + rng.choice(ESTATE_SUFFIXES),
                center=(dc[0] + rng.uniform(-0.04, 0.04), dc[1] + rng.uniform(-0.05, 0.05)))

    def place(self, area: Unit) -> Place:
        community = area if area.kind == UnitKind.COMMUNITY else self.units[area.parent_id]
        base = self.by_community[community.pk]
        return Place(area=area, community=base.community, street=base.street, district=base.district,
                     roads=base.roads, estate=base.estate, center=base.center)


# --- photos --------------------------------------------------------------------------------------------------------

def demo_jpeg(rng: random.Random, *, before: bool, size: tuple[int, int] = (320, 240)) -> bytes:
    """A small text-free picture: a street scene of flat shapes, cluttered (整改前) or tidy (整改后)."""
    from PIL import Image, ImageDraw

    width, height = size
    sky = rng.choice([(196, 214, 230), (210, 218, 224), (186, 205, 226)])
    ground = rng.choice([(150, 150, 146), (170, 166, 156), (132, 140, 128)])
    image = Image.new("RGB", size, sky)
    draw = ImageDraw.Draw(image)
    horizon = int(height * rng.uniform(0.35, 0.5))
    draw.rectangle([0, horizon, width, height], fill=ground)
    # buildings on the horizon
    x = 0
    while x < width:
        w = rng.randint(30, 70)
        h = rng.randint(30, horizon - 10)
        tone = rng.randint(150, 215)
        draw.rectangle([x, horizon - h, x + w, horizon], fill=(tone, tone - 8, tone - 16))
        for wy in range(horizon - h + 8, horizon - 8, 14):
            for wx in range(x + 6, x + w - 8, 12):
                draw.rectangle([wx, wy, wx + 5, wy + 7], fill=(120, 140, 160))
        x += w + rng.randint(2, 10)
    # a curb line
    draw.line([0, horizon + 30, width, horizon + 18], fill=(220, 220, 214), width=4)
    if before:
        for _ in range(rng.randint(12, 24)):  # clutter
            cx, cy = rng.randint(20, width - 20), rng.randint(horizon + 20, height - 10)
            r = rng.randint(5, 22)
            colour = rng.choice([(92, 70, 48), (40, 40, 40), (230, 230, 225), (60, 110, 180), (200, 60, 50),
                                 (120, 100, 70), (170, 150, 60)])
            if rng.random() < 0.5:
                draw.ellipse([cx - r, cy - r // 2, cx + r, cy + r // 2], fill=colour)
            else:
                points = [(cx + rng.randint(-r, r), cy + rng.randint(-r, r)) for _ in range(5)]
                draw.polygon(points, fill=colour)
    else:
        for k in range(rng.randint(2, 4)):  # tidy: bins and shrubs in a row
            bx = 30 + k * rng.randint(60, 80)
            draw.rectangle([bx, height - 70, bx + 26, height - 30], fill=rng.choice([(40, 120, 60), (60, 90, 160)]))
            draw.ellipse([bx + 34, height - 80, bx + 74, height - 40], fill=(70, 140, 70))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=72)
    return buffer.getvalue()


# --- result --------------------------------------------------------------------------------------------------------

@dataclass
class CasesResult:
    scale: str
    problems: int
    events: int
    states: dict[str, int]
    notices: dict[str, int]
    pending_requests: dict[str, int]
    photos: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line in Chinese: the problem counts per state and the 督办 documents."""
        per_state = "，".join(f"{label} {self.states.get(value, 0)}" for value, label in State.choices)
        return (f"  问题：{self.problems} 个（{per_state}）；时间线记录 {self.events} 条；"
                f"督办单 {self.notices.get(NoticeKind.NOTICE, 0)} 份，督办函 {self.notices.get(NoticeKind.LETTER, 0)} 份"
                + (f"；照片 {self.photos} 张" if self.photos else ""))


def tally(scale: str, seconds: float = 0.0, photos: int = 0) -> CasesResult:
    """What the database holds now (all problems, not only this build's)."""
    from django.db.models import Count

    states = dict(Problem.objects.order_by().values_list("state").annotate(n=Count("id")))
    notices = dict(SupervisionNotice.objects.order_by().values_list("kind").annotate(n=Count("id")))
    pending = dict(ProblemRequest.objects.filter(status=RequestStatus.PENDING).order_by().values_list("kind")
                   .annotate(n=Count("id")))
    return CasesResult(scale=scale, problems=sum(states.values()), events=ProblemEvent.objects.count(),
                       states=states, notices=notices, pending_requests=pending, photos=photos, seconds=seconds)


def build_cases(org: DemoOrg, *, scale: str, seed: int, progress: Progress | None = None,
                count: int | None = None, now: datetime | None = None) -> CasesResult:
    """Fill the demo city with problems. ``count`` (city scale only) overrides the 1,000,000."""
    progress = progress or Progress()
    started = _time.perf_counter()
    if scale == "city":
        build_city_cases(org, count=CITY_PROBLEMS if count is None else count, seed=seed, progress=progress, now=now)
        return tally(scale, _time.perf_counter() - started)
    photos = _SmallDemo(org, seed=seed, progress=progress, end=now).build()
    return tally(scale, _time.perf_counter() - started, photos=photos)


# ===================================================================================================================
# small: through the services, on a simulated clock
# ===================================================================================================================

@contextmanager
def simulated_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Replace ``django.utils.timezone.now`` (which the services, the sweeper, auto_now fields and
    the notifications all call) by ``clock`` while the block runs."""
    original = timezone.now
    timezone.now = clock
    try:
        yield
    finally:
        timezone.now = original


class _Simulation:
    """Stories are generators that yield the moment of their next step; the simulation resumes
    them in time order and runs the sweeper every hour in between, like ``wenming sweep --loop``."""

    def __init__(self, start: datetime, end: datetime, on_done: Callable[[], None]):
        self.now = start
        self.end = end
        self.queue: list[tuple[datetime, int, Iterator[datetime]]] = []
        self.counter = 0
        self.on_done = on_done
        self.sweeps = 0

    def spawn(self, story: Iterator[datetime]) -> None:
        try:
            first = next(story)
        except StopIteration:
            self.on_done()
            return
        self._push(first, story)

    def _push(self, at: datetime, story) -> None:
        self.counter += 1
        heapq.heappush(self.queue, (at, self.counter, story))

    def run(self) -> None:
        tick = self.now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        while self.queue:
            at, _, story = heapq.heappop(self.queue)
            at = min(max(at, self.now), self.end)
            while tick <= at:
                self._sweep(tick)
                tick += timedelta(hours=1)
            self.now = at
            try:
                wanted = next(story)
            except StopIteration:
                self.on_done()
                continue
            self._push(wanted, story)
        while tick <= self.end:
            self._sweep(tick)
            tick += timedelta(hours=1)
        self.now = self.end

    def _sweep(self, tick: datetime) -> None:
        self.now = tick
        sweeper.sweep(now=tick)
        self.sweeps += 1


@dataclass
class _Case:
    """Everything a story needs to know about its problem before it happens."""

    rng: random.Random
    kind: str
    category: Category
    severity: str
    source: str
    reporter: User
    place: Place
    title: str
    description: str
    fix: str
    address: str
    latitude: Decimal
    longitude: Decimal
    target: Unit
    office: User
    reporter_name: str = ""
    reporter_phone: str = ""
    wrong_unit: Unit | None = None
    coordination_unit: Unit | None = None
    reject_reason: str = ""
    photo_before: bool = False


# (kind, how many, steps after the report, start: days before the end (lo, hi), working days?)
SMALL_PLAN: list[tuple[str, int, list[str], tuple[float, float], bool]] = [
    ("closed", 30, ["assign", "sign", "submit", "verify_pass"], (5, 40), False),
    ("closed_rework", 6, ["assign", "sign", "submit", "verify_fail", "submit", "verify_pass"], (8, 40), False),
    ("closed_late", 4, ["assign", "sign", "submit_late", "verify_pass"], (12, 40), False),
    ("closed_extension", 3, ["assign", "sign", "request_extension", "approve_extension", "submit", "verify_pass"],
     (10, 40), False),
    ("closed_extension_refused", 1, ["assign", "sign", "request_extension", "refuse_extension", "submit",
                                     "verify_pass"], (10, 40), False),
    ("closed_return", 3, ["assign_wrong", "request_return", "approve_return", "assign", "sign", "submit",
                          "verify_pass"], (10, 40), False),
    ("closed_return_refused", 1, ["assign", "request_return", "refuse_return", "sign", "submit", "verify_pass"],
     (10, 40), False),
    ("closed_reassigned", 2, ["assign", "sign", "request_coordination", "reassign", "sign", "submit",
                              "verify_pass"], (10, 40), False),
    ("closed_escalated", 1, ["assign", "sign", "request_coordination", "escalate", "sign", "submit",
                             "verify_pass"], (10, 40), False),
    ("closed_coordination_refused", 1, ["assign", "sign", "request_coordination", "refuse_coordination", "submit",
                                        "verify_pass"], (10, 40), False),
    ("reported", 8, [], (0, 1), False),
    ("pending_assignment", 6, ["accept"], (0, 2), False),
    ("assigned", 8, ["assign"], (0, 1.5), False),
    ("assigned_return_pending", 2, ["assign", "request_return"], (0, 2), False),
    ("rectifying", 10, ["assign", "sign"], (0, 2), False),
    ("rectifying_coordination_pending", 2, ["assign", "sign", "request_coordination"], (0, 2), False),
    ("rectifying_extension_pending", 2, ["assign", "sign", "request_extension"], (0, 2), False),
    ("overdue_notice", 3, ["assign", "sign"], (4, 5), True),
    ("overdue_letter", 2, ["assign", "sign"], (7, 8), True),
    ("overdue_bulletin", 1, ["assign"], (12, 13), True),
    ("submitted", 7, ["assign", "sign", "submit"], (0, 3), False),
    ("rejected", 6, ["reject"], (2, 40), False),
    ("merged", 5, ["merge"], (0.5, 30), False),  # each a duplicate of a problem of its own (below)
    ("recurrence_reported", 2, ["assign", "sign", "submit", "verify_pass", "rereport", "accept"], (26, 36), False),
    ("recurrence_recur", 2, ["assign", "sign", "submit", "verify_pass", "recur", "sign"], (26, 36), False),
]
# categories whose SLA is in days (the stories that ask for extensions or must be overdue by a
# known time use these; 暴露垃圾 has 4 working hours)
DAY_CATEGORIES = [c for c in CATALOG if c not in {"0101", "0502", "0401", "0105"}]


class _SmallDemo:
    def __init__(self, org: DemoOrg, *, seed: int, progress: Progress, end: datetime | None = None):
        self.org, self.seed, self.progress = org, seed, progress
        self.end = end or timezone.now()
        self.geo = _Geography(org, seed)
        self.categories = {c.code: c for c in Category.objects.filter(code__in=list(CATALOG))}
        self.users = {p.username: p.user for p in org.personas.values()}
        # staff of every unit: (role, user), personas first
        persona_ids = {p.user.pk for p in org.personas.values()}
        staff: dict[int, list[User]] = defaultdict(list)
        grid_workers: dict[int, User] = {}
        rows = (Membership.objects.filter(role__in=[Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR, Role.OFFICE])
                .select_related("user").order_by("id"))
        self.inspectors: list[User] = []
        for m in rows:
            user = self.users.get(m.user.username, m.user)  # one object per person: the scope is cached on it
            if m.role == Role.HANDLER:
                staff[m.unit_id].append(user)
            elif m.role == Role.GRID_WORKER:
                grid_workers[m.unit_id] = user
            elif m.role == Role.INSPECTOR:
                self.inspectors.append(user)
        for unit_id in staff:
            staff[unit_id].sort(key=lambda u: (u.pk not in persona_ids, u.pk))
        self.staff, self.grid_workers = staff, grid_workers
        self.inspectors.sort(key=lambda u: (u.username != "inspector", u.pk))
        self.district_office = {org.districts[0].pk: self.users["office_district_a"],
                                org.districts[1].pk: self.users["office_district_b"]}
        self.photos = 0
        self.schedule = sla.work_schedule()

    # -- who and where ---------------------------------------------------------------------------------------------

    def handler_for(self, unit: Unit) -> User:
        people = self.staff.get(unit.pk)
        if not people:
            raise RuntimeError(f"演示数据：{unit.name}没有经办人账号")
        return people[0]

    def _community(self, rng: random.Random, district_a: float = 0.7) -> Unit:
        org = self.org
        a = org.districts[0]
        street_a1 = org.personas["handler_street_a1"].unit
        if rng.random() < district_a:
            if rng.random() < 0.4:
                pool = [c for c in org.communities if c.parent_id == street_a1.pk]
            else:
                pool = [c for c in org.communities if self.geo.units[c.parent_id].parent_id == a.pk]
        else:
            pool = [c for c in org.communities if self.geo.units[c.parent_id].parent_id != a.pk]
        return rng.choice(pool)

    def _reporter(self, rng: random.Random, source: str) -> tuple[User, Unit, str, str]:
        """(reporter, area, reporter_name, reporter_phone) for a report from ``source``."""
        u = self.users
        if source == Source.GRID:
            grid_id = rng.choice(sorted(self.grid_workers))
            return self.grid_workers[grid_id], self.geo.units[grid_id], "", ""
        if source == Source.LEADER:
            return u["leader"], self._community(rng, district_a=1.0), "", ""
        community = self._community(rng)
        district = self.geo.place(community).district
        if source == Source.INSPECTION:
            reporter = self.inspectors[0] if rng.random() < 0.75 else rng.choice(self.inspectors)
            area = community
            grids = self.org.children.get(community.pk, [])
            if grids and rng.random() < 0.3:
                area = rng.choice(grids)
            return reporter, area, "", ""
        if source == Source.CITIZEN:
            citizen_a1 = self.org.personas["volunteer"].unit
            if community.pk == citizen_a1.pk and rng.random() < 0.5:
                return u["volunteer"], community, "", ""
            return u["citizen"], community, "", ""
        if source == Source.SELF_CHECK:
            return self.handler_for(community), community, "", ""
        if source in (Source.HOTLINE, Source.CENSUS):
            caller = names.person_name(rng) if source == Source.HOTLINE else ""
            phone = names.mobile_phone(rng) if source == Source.HOTLINE else ""
            return self.district_office[district.pk], community, caller, phone
        return u["office_city"], community, "", ""  # superior, media

    def _target(self, rng: random.Random, code: str, place: Place) -> Unit:
        org = self.org
        district_depts = {u.name: u for u in org.departments if u.parent_id == place.district.pk}
        r = rng.random()
        if code in {"0301", "0302", "0303", "0304"} and r < 0.35:
            return org.city_departments["jjzd"]
        if code in {"0202", "0203"}:
            if r < 0.5:
                return org.city_departments["scjgj"]
            return next((d for n, d in district_depts.items() if "市场监督" in n), place.community)
        if code in {"0108", "0401", "0104", "0501"} and r < 0.4:
            if r < 0.15:
                return org.city_departments["cgj"]
            return next((d for n, d in district_depts.items() if "城市管理" in n), place.street)
        if r < 0.22:
            return place.street
        return place.community

    def _office_for(self, target: Unit, place: Place) -> User:
        if target.parent_id == self.org.city.pk:
            return self.users["office_city"]  # a district office cannot assign to a city department
        return self.district_office[place.district.pk]

    def make_case(self, index: int, kind: str, *, category_pool: list[str] | None = None,
                  source: str | None = None, like: _Case | None = None) -> _Case:
        rng = random.Random(f"{self.seed}:case:{index}")
        if like is not None:  # a duplicate / repeat at the same place
            reporter, area, caller, phone = (self.users["citizen"], like.place.area, "", "")
            if source == Source.INSPECTION:
                reporter = self.inspectors[0]
            return _Case(rng=rng, kind=kind, category=like.category, severity=like.severity,
                         source=source or Source.CITIZEN, reporter=reporter, place=like.place,
                         title=like.title, description=like.description, fix=like.fix, address=like.address,
                         latitude=like.latitude, longitude=like.longitude, target=like.target, office=like.office,
                         reporter_name=caller, reporter_phone=phone, photo_before=True)
        if kind == "rejected":
            title_t, description, code, reason = rng.choice(REJECTS)
            source = Source.CITIZEN
        else:
            codes, weights = _category_codes()
            if category_pool:
                pairs = [(c, w) for c, w in zip(codes, weights, strict=True) if c in category_pool]
                codes, weights = [c for c, _ in pairs], [w for _, w in pairs]
            code = rng.choices(codes, weights)[0]
            reason = ""
        if source is None:
            sources = list(SOURCE_WEIGHTS)
            source = rng.choices(sources, [SOURCE_WEIGHTS[s] for s in sources])[0]
        reporter, area, caller, phone = self._reporter(rng, source)
        place = self.geo.place(area)
        values = _place_values(rng, place)
        if kind == "rejected":
            where = "{road}{no}号"
            title = _fill(title_t, values)
            description = _fill(description, values)
            fix = ""
        else:
            where, title_t, description, fix = rng.choice(CATALOG[code][1])
            title = _fill(title_t, values)
            description = SOURCE_PREFIX.get(source, "") + description
        address = f"{place.district.name}{place.street.name}{_fill(where, values)}"
        if place.community.name not in address and "{estate}" in where:
            address = f"{place.district.name}{place.street.name}{place.community.name}{_fill(where, values)}"
        lat, lon = _coords(rng, place)
        category = self.categories[code]
        severity = SEVERITY_OF.get(code, Severity.NORMAL)
        target = self._target(rng, code, place)
        case = _Case(rng=rng, kind=kind, category=category, severity=severity, source=source, reporter=reporter,
                     place=place, title=title[:100], description=description, fix=fix, address=address[:200],
                     latitude=lat, longitude=lon, target=target, office=self._office_for(target, place),
                     reporter_name=caller, reporter_phone=phone, reject_reason=reason,
                     photo_before=source in {Source.INSPECTION, Source.CITIZEN, Source.GRID} and rng.random() < 0.8)
        if kind.startswith("closed_return"):
            siblings = [c for c in self.org.communities if c.parent_id == place.street.pk
                        and c.pk != place.community.pk]
            case.target = place.community
            case.office = self._office_for(case.target, place)
            case.wrong_unit = rng.choice(siblings) if siblings else place.street
        if "reassigned" in kind or "escalated" in kind or "coordination" in kind:
            case.target = place.community
            case.office = self._office_for(case.target, place)
            district_depts = [u for u in self.org.departments if u.parent_id == place.district.pk]
            case.coordination_unit = next((d for d in district_depts if "城市管理" in d.name), place.street)
        return case

    # -- time ----------------------------------------------------------------------------------------------------

    def _office(self, start: datetime, rng: random.Random, low: float, high: float) -> datetime:
        return worktime.add_working_hours(start, round(rng.uniform(low, high), 2), self.schedule) + \
            timedelta(seconds=rng.randint(0, 59))

    def _within(self, now: datetime, deadline: datetime | None, rng: random.Random, low: float, high: float,
                floor: float = 0.1) -> datetime:
        """A moment ``low``–``high`` of the way through the office time left before the deadline."""
        left = worktime.working_hours_between(now, deadline, self.schedule) if deadline else 8.0
        hours = max(floor, left * rng.uniform(low, high))
        return worktime.add_working_hours(now, round(hours, 3), self.schedule) + timedelta(seconds=rng.randint(0, 59))

    def _start(self, rng: random.Random, lo: float, hi: float, working: bool, staff: bool) -> datetime:
        if working:
            day = timezone.localtime(self.end).date()
            back = rng.randint(int(lo), int(hi))
            while back > 0:
                day -= timedelta(days=1)
                if worktime.is_working_day(day, self.schedule):
                    back -= 1
            moment = datetime.combine(day, time(9, rng.randint(0, 59)), tzinfo=self.schedule.tz)
            return moment
        moment = self.end - timedelta(days=rng.uniform(lo, hi))
        local = timezone.localtime(moment)
        if staff:
            return worktime.next_office_moment(local, self.schedule) + timedelta(minutes=rng.randint(0, 50))
        if not 7 <= local.hour < 22:
            local = local.replace(hour=rng.randint(7, 21), minute=rng.randint(0, 59))
        return local

    # -- the story -----------------------------------------------------------------------------------------------

    def photo(self, rng: random.Random, actor: User, unit: Unit, *, before: bool):
        from wenming.core.services_photos import photo_create

        self.photos += 1
        return photo_create(actor=actor, data=demo_jpeg(rng, before=before), filename="demo.jpg", unit=unit)

    def report(self, case: _Case) -> Problem:
        intake = services.Intake(
            title=case.title, category=case.category, area=case.place.area, description=case.description,
            severity=case.severity, source=case.source, address=case.address, latitude=case.latitude,
            longitude=case.longitude, reporter_name=case.reporter_name, reporter_phone=case.reporter_phone)
        photos = [self.photo(case.rng, case.reporter, case.place.area, before=True)] if case.photo_before else []
        problem, _ = services.problem_report(actor=case.reporter, intake=intake, photos=photos)
        return problem

    def verifier_of(self, case: _Case, problem: Problem) -> User:
        if problem.verifier_id:
            for user in self.inspectors:
                if user.pk == problem.verifier_id:
                    return user
        return case.office

    def story(self, case: _Case, steps: list[str], start: datetime, holder: list | None = None):
        rng = case.rng
        yield start
        p = self.report(case)
        if holder is not None:
            holder.append(p)
        for step in steps:
            now = timezone.now()
            if step in {"sign"}:
                yield min(self._office(now, rng, 0.2, 1.5), self._within(now, p.deadline, rng, 0.05, 0.15))
            elif step.startswith("request_"):
                yield self._within(now, p.deadline, rng, 0.15, 0.35)
            elif step == "submit":
                yield self._within(now, p.deadline, rng, 0.4, 0.85, floor=0.2)
            elif step == "submit_late":
                stage = sla.stage_deadline(p) or p.deadline
                yield self._office(stage, rng, 3, 10)
            elif step in {"verify_pass", "verify_fail"}:
                yield self._office(now, rng, 0.5, 6)
            elif step in {"rereport", "recur"}:
                # the place fails again lately (so the new problem is fresh, not overdue for weeks)
                later = max(now + timedelta(days=2), self.end - timedelta(days=rng.uniform(1.5, 4)))
                yield worktime.next_office_moment(later, self.schedule) + timedelta(minutes=rng.randint(5, 200))
            else:  # the office's steps
                yield self._office(now, rng, 0.3, 3)
            p = self.step(case, p, step)

    def step(self, case: _Case, p: Problem, step: str) -> Problem:
        rng, office = case.rng, case.office
        perform = services.perform
        if step == "accept":
            return perform(actor=office, problem=p, action="accept", note="情况属实，予以受理。")
        if step == "assign":
            target = case.target
            actor = office if office.username == "office_city" or target.parent_id != self.org.city.pk \
                else self.users["office_city"]
            return perform(actor=actor, problem=p, action="assign", unit=target,
                           note=rng.choice(["请按期整改到位。", "请立即组织整改，按时限反馈。", "请落实责任人限期整改。"]))
        if step == "assign_wrong":
            return perform(actor=office, problem=p, action="assign", unit=case.wrong_unit, note="请按期整改到位。")
        if step == "reject":
            return perform(actor=office, problem=p, action="reject", reason=case.reject_reason)
        if step == "sign":
            return perform(actor=self.handler_for(p.unit), problem=p, action="sign")
        if step == "request_return":
            right = case.place.community.name
            reason = (f"经核实，该点位位于{right}辖区，不属于本单位职责范围，申请退回重新交办。"
                      if case.wrong_unit is not None else "该问题涉及供电线路改造，属供电部门职责，申请退回。")
            return perform(actor=self.handler_for(p.unit), problem=p, action="request_return", reason=reason)
        if step == "approve_return":
            return perform(actor=office, problem=p, action="approve_return", note="同意退回，重新交办。")
        if step == "refuse_return":
            return perform(actor=office, problem=p, action="refuse_return",
                           reason="经核实，该点位在你单位网格范围内，请按期整改。")
        if step == "request_coordination":
            return perform(actor=self.handler_for(p.unit), problem=p, action="request_coordination",
                           reason="涉及违法建设拆除和执法，超出社区职权范围，申请协调城管执法部门依法处置。")
        if step == "reassign":
            return perform(actor=office, problem=p, action="reassign", unit=case.coordination_unit,
                           note="同意协调，改派城管部门依法处置。")
        if step == "escalate":
            return perform(actor=office, problem=p, action="escalate", note="提级由街道统筹办理。")
        if step == "refuse_coordination":
            return perform(actor=office, problem=p, action="refuse_coordination",
                           reason="该问题社区可先行劝导整改，请社区牵头落实。")
        if step == "request_extension":
            deadline = worktime.add_working_days(p.deadline, rng.randint(3, 5), self.schedule)
            return perform(actor=self.handler_for(p.unit), problem=p, action="request_extension", deadline=deadline,
                           reason="需协调产权单位和施工队伍，申请延长整改期限。")
        if step == "approve_extension":
            return perform(actor=office, problem=p, action="approve_extension", note="同意延期，请按新期限整改到位。")
        if step == "refuse_extension":
            return perform(actor=office, problem=p, action="refuse_extension",
                           reason="该问题不属于难点问题，应在原期限内整改完毕。")
        if step in {"submit", "submit_late"}:
            handler = self.handler_for(p.unit)
            photos = [self.photo(rng, handler, p.unit, before=False)]
            note = case.fix if p.rework_count == 0 else "已按复核意见重新整改，" + case.fix
            return perform(actor=handler, problem=p, action="submit", note=note, photos=photos)
        if step == "verify_pass":
            return perform(actor=self.verifier_of(case, p), problem=p, action="verify_pass",
                           note=rng.choice(VERIFY_PASS_NOTES))
        if step == "verify_fail":
            deadline = worktime.add_working_days(timezone.now(), 2, self.schedule)
            return perform(actor=self.verifier_of(case, p), problem=p, action="verify_fail",
                           reason=rng.choice(VERIFY_FAIL_NOTES), deadline=deadline)
        if step == "rereport":
            again = self.make_case(10_000 + p.pk, "repeat", like=case)
            again.description = "该处问题整改后再次出现：" + case.description.split("：")[-1]
            again.office = case.office
            return self.report(again)
        if step == "recur":
            photos = [self.photo(rng, self.verifier_of(case, p), p.area, before=True)]
            return perform(actor=self.verifier_of(case, p), problem=p, action="recur",
                           note="复查发现该处问题反弹，重新立案交办。", photos=photos)
        raise ValueError(step)

    def duplicate(self, case: _Case, start: datetime, holder: list):
        """A second report of the same problem; the office merges it into the first."""
        yield start
        keep = holder[0]
        p = self.report(case)
        yield self._office(timezone.now(), case.rng, 0.3, 3)
        keep.refresh_from_db()
        services.perform(actor=case.office, problem=p, action="merge", keep=keep, note=f"与{keep.code}反映的是同一问题")

    # -- run ------------------------------------------------------------------------------------------------------

    def build(self) -> int:
        from django.test.utils import override_settings

        total = sum(n * (2 if kind == "merged" else 1) for kind, n, *_ in SMALL_PLAN)
        bar = self.progress.bar("问题", total)
        start = self.end - timedelta(days=SMALL_DAYS + 1)
        sim = _Simulation(start, self.end, on_done=lambda: bar.update(1))
        index = 0
        stories = []
        for kind, n, steps, (lo, hi), working in SMALL_PLAN:
            for _ in range(n):
                index += 1
                # requests and 督办 stories need days to play out (立行立改 and 4-hour rules would
                # go overdue while a request waits)
                timed = kind.startswith("overdue") or any(step.startswith("request_") for step in steps)
                pool = DAY_CATEGORIES if timed else None
                if kind == "merged":
                    primary = self.make_case(index, "merge_primary", category_pool=DAY_CATEGORIES,
                                             source=Source.INSPECTION)
                    rng = primary.rng
                    at = self._start(rng, lo, hi, working, staff=True)
                    holder: list = []
                    if self.end - at > timedelta(days=6):
                        primary_steps = rng.choice([["assign", "sign", "submit", "verify_pass"],
                                                    ["accept", "assign", "sign", "submit", "verify_pass"]])
                    else:
                        primary_steps = rng.choice([["assign", "sign"], ["accept", "assign"]])
                    stories.append((at, self.story(primary, primary_steps, at, holder)))
                    index += 1
                    dup = self.make_case(index, "merged", like=primary)
                    dup_at = at + timedelta(hours=rng.uniform(1, 6))
                    dup_at = max(dup_at, at + timedelta(minutes=30))
                    stories.append((dup_at, self.duplicate(dup, dup_at, holder)))
                    continue
                case = self.make_case(index, kind, category_pool=pool)
                staff = case.source not in {Source.CITIZEN}
                at = self._start(case.rng, lo, hi, working, staff=staff)
                stories.append((at, self.story(case, steps, at)))
        stories.sort(key=lambda pair: pair[0])
        with override_settings(OUTBOUND_BACKEND="record"), simulated_clock(lambda: sim.now):
            for _, story in stories:
                sim.spawn(story)
            sim.run()
        bar.close()
        return self.photos


# ===================================================================================================================
# city: 1,000,000 problems with bulk_create
# ===================================================================================================================

class WorkIndex:
    """``core.worktime`` precomputed over a range of days, for millions of lookups: the working
    minutes before each day, so that "working time between" is two lookups and "the moment N
    working hours later" a bisection. Equal to the worktime functions for aware datetimes
    (tests compare them)."""

    def __init__(self, schedule: worktime.Schedule, first: date, last: date):
        self.schedule, self.tz, self.first = schedule, schedule.tz, first
        self.periods = [(s.hour * 60 + s.minute, e.hour * 60 + e.minute) for s, e in schedule.periods]
        self.daily = sum(e - s for s, e in self.periods)
        n = (last - first).days + 1
        self.work = [worktime.is_working_day(first + timedelta(days=i), schedule) for i in range(n)]
        self.cum = [0] * (n + 1)
        for i in range(n):
            self.cum[i + 1] = self.cum[i] + (self.daily if self.work[i] else 0)
        self.workdays = [i for i in range(n) if self.work[i]]
        self.midnights = [datetime.combine(first + timedelta(days=i), time(0), tzinfo=self.tz) for i in range(n)]

    def _split(self, moment: datetime) -> tuple[int, float]:
        local = moment.astimezone(self.tz)
        i = (local.date() - self.first).days
        if not 0 <= i < len(self.work):
            raise ValueError(f"{local:%Y-%m-%d} 超出工作日历索引范围")
        minute = local.hour * 60 + local.minute + local.second / 60 + local.microsecond / 60_000_000
        return i, minute

    def offset(self, moment: datetime) -> float:
        """Working minutes from the first day's midnight to ``moment``."""
        i, minute = self._split(moment)
        if not self.work[i]:
            return self.cum[i]
        within = 0.0
        for s, e in self.periods:
            if minute > s:
                within += min(minute, e) - s
        return self.cum[i] + within

    def at(self, offset: float) -> datetime:
        """The moment ``offset`` working minutes after the first day's midnight (a moment at the
        end of a period is the start of the next one)."""
        j = bisect_right(self.cum, offset) - 1
        if j >= len(self.work):
            raise ValueError("超出工作日历索引范围")
        within = offset - self.cum[j]
        for s, e in self.periods:
            if within < e - s:
                return self.midnights[j] + timedelta(minutes=s + within)
            within -= e - s
        raise AssertionError("unreachable")

    def hours_between(self, a: datetime, b: datetime) -> float:
        return max(0.0, (self.offset(b) - self.offset(a)) / 60) if b > a else 0.0

    def add_hours(self, moment: datetime, hours: float) -> datetime:
        return self.at(self.offset(moment) + hours * 60)

    def end_of_day(self, i: int) -> datetime:
        return self.midnights[i] + timedelta(minutes=self.periods[-1][1])

    def add_days(self, moment: datetime, days: int) -> datetime:
        """As ``worktime.add_working_days``: the end of office hours of the ``days``-th working day
        after the start's day (``days == 0``: today if still open, else the next working day)."""
        i, minute = self._split(moment)
        k = bisect_right(self.workdays, i)  # working days up to and including i
        if days == 0:
            if self.work[i] and minute < self.periods[-1][1]:
                return self.end_of_day(i)
            return self.end_of_day(self.workdays[k])
        return self.end_of_day(self.workdays[k + days - 1])


@dataclass
class _Rules:
    limits: dict[tuple[int | None, str], tuple[int, str, int]]
    parents: dict[int, int | None]
    grace: dict[int, int]
    enabled: dict[int, bool]

    def rule(self, category_id: int, severity: str) -> tuple[int, str, int]:
        for key in (category_id, self.parents.get(category_id), None):
            if (key, severity) in self.limits:
                return self.limits[(key, severity)]
        limit, unit = sla.DEFAULT_LIMITS[severity]
        return limit, unit, sla.DEFAULT_WARN_HOURS


def _load_rules() -> _Rules:
    limits = {(r.category_id, r.severity): (r.limit, r.limit_unit, r.warn_hours) for r in SlaRule.objects.all()}
    parents = dict(Category.objects.values_list("id", "parent_id"))
    steps = {s.level: s for s in EscalationStep.objects.all()}
    grace = {level: (steps[level].grace_days if level in steps else sweeper.DEFAULT_GRACE_DAYS)
             for level in (Escalation.NOTICE, Escalation.LETTER, Escalation.BULLETIN)}
    enabled = {level: (steps[level].enabled if level in steps else True)
               for level in (Escalation.NOTICE, Escalation.LETTER, Escalation.BULLETIN)}
    return _Rules(limits=limits, parents=parents, grace=grace, enabled=enabled)


class _CityGenerator:
    """Lays out one problem's life on the working calendar and cuts it at ``now``."""

    def __init__(self, org: DemoOrg, *, seed: int, now: datetime, years: int):
        self.org, self.seed, self.now = org, seed, now
        self.schedule = sla.work_schedule()
        self.rules = _load_rules()
        today = timezone.localtime(now).date()
        self.span_start = now - timedelta(days=365 * years)
        self.index = WorkIndex(self.schedule, timezone.localtime(self.span_start).date() - timedelta(days=10),
                               today + timedelta(days=400))
        self.geo = _Geography(org, seed)
        self.categories = {c.code: c for c in Category.objects.filter(code__in=list(CATALOG))}
        self.units = self.geo.units
        codes, weights = _category_codes()
        self.cat_codes, self.cat_cum = codes, _cumulative(weights)
        self.sources = list(SOURCE_WEIGHTS)
        self.source_cum = _cumulative([SOURCE_WEIGHTS[s] for s in self.sources])
        # who works where
        staff: dict[int, list[int]] = defaultdict(list)
        grid_workers: dict[int, int] = {}
        offices: dict[int, list[int]] = defaultdict(list)
        inspectors: list[int] = []
        for user_id, unit_id, role in Membership.objects.filter(is_active=True).values_list("user_id", "unit_id",
                                                                                             "role").order_by("id"):
            if role == Role.HANDLER:
                staff[unit_id].append(user_id)
            elif role == Role.GRID_WORKER:
                grid_workers[unit_id] = user_id
            elif role == Role.OFFICE:
                offices[unit_id].append(user_id)
            elif role == Role.INSPECTOR:
                inspectors.append(user_id)
        self.staff, self.grid_workers, self.offices, self.inspectors = staff, grid_workers, offices, inspectors
        self.names = {uid: name for uid, name in User.objects.values_list("id", "full_name")}
        self.citizen = org.personas["citizen"].user.pk
        self.city_office_unit = org.city
        self.grids_with_workers = sorted(grid_workers)
        self.areas = [g for g in org.grids]
        self.district_depts = defaultdict(dict)
        for dept in org.departments:
            if dept.parent_id != org.city.pk:
                self.district_depts[dept.parent_id][dept.name] = dept
        self._issuer_cache: dict[int, Unit] = {}
        self._office_cache: dict[int, tuple[Unit, list[int]]] = {}

    # -- helpers --
    def office_of(self, unit: Unit) -> tuple[Unit, list[int]]:
        """The nearest unit at or above ``unit`` with office accounts, and those accounts."""
        cached = self._office_cache.get(unit.pk)
        if cached is None:
            ids = list(reversed(unit.ancestor_ids() + [unit.pk]))
            found = next((i for i in ids if self.offices.get(i)), self.org.city.pk)
            cached = (self.units[found], self.offices.get(found, []))
            self._office_cache[unit.pk] = cached
        return cached

    def issuer_of(self, unit: Unit) -> Unit:
        """As ``cases.notices.issuing_office``: an office above the unit first, else its own."""
        cached = self._issuer_cache.get(unit.pk)
        if cached is None:
            ids = list(reversed(unit.ancestor_ids() + [unit.pk]))
            found = next((i for i in ids[1:] + ids[:1] if self.offices.get(i)), ids[-1])
            cached = self._issuer_cache[unit.pk] = self.units[found]
        return cached

    def target(self, rng: random.Random, code: str, place: Place) -> Unit:
        r = rng.random()
        depts = self.district_depts.get(place.district.pk, {})
        city = self.org.city_departments
        if code in {"0301", "0302", "0303", "0304"} and r < 0.3:
            return city["jjzd"]
        if code in {"0202", "0203"} and r < 0.6:
            return next((d for n, d in depts.items() if "市场监督" in n), city["scjgj"])
        if code in {"0108", "0401", "0104", "0501"} and r < 0.4:
            return next((d for n, d in depts.items() if "城市管理" in n), city["cgj"])
        if r < 0.2:
            return place.street
        return place.community

    def deadline(self, category_id: int, severity: str, start: datetime) -> tuple[datetime, int]:
        limit, unit, warn = self.rules.rule(category_id, severity)
        if unit == SlaUnit.HOURS:
            return worktime.add_working_hours(start, limit, self.schedule), warn
        return self.index.add_days(start, limit), warn

    def ladder(self, assigned_at: datetime, deadline: datetime, warn_hours: int,
               running: list[tuple[datetime, datetime]], rng: random.Random) -> list[tuple]:
        """The sweeper's steps while the clock ran (``running``: intervals of 交办/整改中):
        warn → overdue + 督办单 → 督办函 → 通报批评; each at the first running moment at or after
        its threshold."""

        def effective(threshold: datetime) -> datetime | None:
            for start, end in running:
                if threshold < end:
                    moment = max(threshold, start)
                    late = moment + timedelta(seconds=rng.randint(5, 170))
                    return late if late < end else moment
            return None

        steps: list[tuple] = []
        ix = self.index
        total = ix.hours_between(assigned_at, deadline)
        if total > warn_hours:
            t = effective(ix.at(ix.offset(assigned_at) + (total - warn_hours) * 60))
            if t is not None and t < deadline:
                steps.append(("warn", t, None))
        t = effective(deadline)
        if t is None:
            return steps
        rules = self.rules
        if rules.enabled[Escalation.NOTICE]:
            stage = ix.add_days(t, rules.grace[Escalation.NOTICE])
            steps.append(("notice", t, stage))
        else:
            steps.append(("overdue", t, None))
            return steps
        t = effective(stage)
        if t is None or not rules.enabled[Escalation.LETTER]:
            return steps
        stage = ix.add_days(t, rules.grace[Escalation.LETTER])
        steps.append(("letter", t, stage))
        t = effective(stage)
        if t is None or not rules.enabled[Escalation.BULLETIN]:
            return steps
        steps.append(("bulletin", t, None))
        return steps


def _cumulative(weights: list[int]) -> list[float]:
    total, out = 0.0, []
    for w in weights:
        total += w
        out.append(total)
    return out


def _pick(rng: random.Random, items: list, cum: list[float]):
    return items[bisect_right(cum, rng.random() * cum[-1])]


@dataclass
class _Row:
    problem: Problem
    events: list[tuple]  # (action, at, actor_id, role, from, to, note, data)
    notices: list[tuple] = field(default_factory=list)  # (kind, issued_at, deadline, issuer, unit)
    followers: list[int] = field(default_factory=list)
    keep: "_Row | None" = None
    previous: "_Row | None" = None


def build_city_cases(org: DemoOrg, *, count: int = CITY_PROBLEMS, seed: int, progress: Progress | None = None,
                     now: datetime | None = None, batch_size: int = CITY_BATCH, years: int = CITY_YEARS) -> int:
    """Write ``count`` problems spread over the last ``years`` years, with their timelines and
    督办 documents, in batches of ``batch_size`` (each its own transaction). May be called again
    to add more (the codes continue). Returns the number written."""
    progress = progress or Progress()
    now = now or timezone.now()
    gen = _CityGenerator(org, seed=seed, now=now, years=years)
    bar = progress.bar("问题（城市规模）", count)
    batches = max(1, math.ceil(count / batch_size))
    span = now - gen.span_start
    counters: dict[tuple[int, str, int], int] = {
        (issuer, kind, year): last for issuer, kind, year, last in
        NoticeCounter.objects.values_list("issuer_id", "kind", "year", "last")}
    part = Problem.objects.count()  # a second call draws fresh random streams
    written = 0
    inserts = (FastInsert(Problem), FastInsert(ProblemEvent, with_pk=False))
    for b in range(batches):
        n = min(batch_size, count - written)
        if n <= 0:
            break
        rng = random.Random(f"{seed}:city:{part}:{b}")
        slice_start = gen.span_start + span * b / batches
        slice_end = gen.span_start + span * (b + 1) / batches
        with transaction.atomic():
            _city_batch(gen, rng, n, slice_start, slice_end, counters, inserts)
        written += n
        bar.update(n)
    bar.close()
    return written


def _city_batch(gen: _CityGenerator, rng: random.Random, n: int, slice_start: datetime, slice_end: datetime,
                counters: dict, inserts: tuple[FastInsert, FastInsert]) -> None:
    width = (slice_end - slice_start).total_seconds()
    times = sorted(slice_start + timedelta(seconds=rng.random() * width) for _ in range(n))
    rows: list[_Row] = []
    for created in times:
        rows.append(_city_row(gen, rng, created, rows))
    # codes: a per-year sequence, in the order the problems came in
    by_year: dict[int, list[_Row]] = defaultdict(list)
    for row in rows:
        by_year[timezone.localtime(row.problem.created_at).year].append(row)
    for year, year_rows in sorted(by_year.items()):
        for row, code in zip(year_rows, services.reserve_codes(year, len(year_rows)), strict=True):
            row.problem.code = code
    batch = None if connection.vendor == "sqlite" else 2000
    problem_insert, event_insert = inserts
    for row, pk in zip(rows, reserve_ids(Problem, len(rows)), strict=True):
        row.problem.pk = pk
    for r in rows:
        if r.keep is not None:
            r.problem.merged_into_id = r.keep.problem.pk
        if r.previous is not None:
            r.problem.recurrence_of_id = r.previous.problem.pk
    problem_insert.run([problem_insert.params(r.problem.__dict__) for r in rows])

    events, notices, follows = [], [], []
    params = event_insert.params
    for row in rows:
        pid = row.problem.pk
        for action, at, actor, role, before, after, note, data in row.events:
            events.append({"problem_id": pid, "action": action, "actor_id": actor, "actor_role": role,
                           "at": at, "from_state": before, "to_state": after,
                           "note": note() if callable(note) else note,
                           "data": data() if callable(data) else data})
        for kind, issued, deadline, issuer, unit in row.notices:
            notices.append((issued, kind, deadline, issuer, unit, row))
        follows.extend((pid, uid) for uid in row.followers)
    timeline.link_rows(events)  # the chain's numbers and hashes (cases.timeline)
    event_insert.run([params(values) for values in events])

    notice_rows = []
    for issued, kind, deadline, issuer, unit, row in sorted(notices, key=lambda x: x[0]):
        year = timezone.localtime(issued).year
        key = (issuer.pk, kind, year)
        counters[key] = counters.get(key, 0) + 1
        prefix = "督办" if kind == NoticeKind.NOTICE else "督办函"
        number = f"{prefix}〔{year}〕第{counters[key]}号"
        p = row.problem
        body = (f"{unit.name}：\n    经查，交由你单位整改的问题“{p.title}”（编号{p.code}，位于{p.address}）"
                f"已超过整改期限，至今未整改到位。请于{timezone.localtime(deadline):%Y年%m月%d日%H:%M}前整改完毕，"
                f"并将整改情况通过平台报送{issuer.name}创建办复核。")
        notice_rows.append(SupervisionNotice(problem_id=p.pk, kind=kind, issuer=issuer, year=year,
                                             seq=counters[key], number=number, unit=unit,
                                             addressees=unit.name[:200], deadline=deadline, issued_at=issued,
                                             body=body))
    SupervisionNotice.objects.bulk_create(notice_rows, batch_size=batch)
    if follows:
        through = Problem.followers.through
        through.objects.bulk_create([through(problem_id=p, user_id=u) for p, u in follows], batch_size=batch,
                                    ignore_conflicts=True)
    for issuer, kind, year in {(n.issuer.pk, n.kind, n.year) for n in notice_rows}:
        NoticeCounter.objects.update_or_create(issuer_id=issuer, kind=kind, year=year,
                                               defaults={"last": counters[(issuer, kind, year)]})


def _city_row(gen: _CityGenerator, rng: random.Random, created: datetime, rows: list[_Row]) -> _Row:
    """One problem and its timeline, cut at ``gen.now``."""
    now, ix = gen.now, gen.index
    age_days = (now - created).total_seconds() / 86400
    # what it becomes, if time allows: mostly 销号; a few stay open for long (挂账)
    r = rng.random()
    outcome = ("rejected" if r < 0.03 else "merged" if r < 0.05 else "stall_assigned" if r < 0.053
               else "stall_rectifying" if r < 0.065 else "stall_submitted" if r < 0.067 else "closed")
    keep = previous = None
    if outcome == "merged":
        candidates = [x for x in rows[-300:] if x.keep is None and x.previous is None
                      and x.problem.state not in (State.MERGED, State.REJECTED)]
        keep = rng.choice(candidates) if candidates else None
        if keep is None:
            outcome = "closed"
    elif rng.random() < 0.015:
        closed = [x for x in rows[-1500:] if x.problem.state == State.CLOSED]  # C-speed filter first
        candidates = [x for x in closed if x.keep is None and x.previous is None
                      and x.problem.closed_at < created and (created - x.problem.closed_at).days < 90]
        previous = rng.choice(candidates) if candidates else None

    # what and where
    source = _pick(rng, gen.sources, gen.source_cum)
    if previous is not None:
        base = previous.problem
        category_id, place_area = base.category_id, gen.units[base.area_id]
        place = gen.geo.place(place_area)
        title, description, address = base.title, "该处问题整改后再次出现。", base.address
        lat, lon, code = base.latitude, base.longitude, None
        source = Source.INSPECTION
    elif keep is not None:
        base = keep.problem
        category_id, place_area = base.category_id, gen.units[base.area_id]
        place = gen.geo.place(place_area)
        title, description, address = base.title, base.description, base.address
        lat, lon, code = base.latitude, base.longitude, None
        source = Source.CITIZEN if source in (Source.INSPECTION, Source.GRID) else source
    else:
        if source == Source.GRID and gen.grids_with_workers:
            area = gen.units[rng.choice(gen.grids_with_workers)]
        else:
            area = rng.choice(gen.areas)
            if rng.random() < 0.35:
                area = gen.units[area.parent_id]
        place = gen.geo.place(area)
        code = _pick(rng, gen.cat_codes, gen.cat_cum)
        category_id = gen.categories[code].pk
        values = _place_values(rng, place)
        where, title_t, description, _ = rng.choice(CATALOG[code][1])
        title = _fill(title_t, values)[:100]
        description = SOURCE_PREFIX.get(source, "") + description
        address = f"{place.district.name}{place.street.name}{_fill(where, values)}"[:200]
        lat, lon = _coords(rng, place)
    severity = SEVERITY_OF.get(code or "", Severity.NORMAL) if code else (keep or previous).problem.severity
    area = place.area

    # who reports
    reporter, role, reporter_name, reporter_phone = None, "", "", ""
    office_unit, office_users = gen.office_of(area)
    office = rng.choice(office_users) if office_users else None
    if source == Source.INSPECTION:
        reporter, role = rng.choice(gen.inspectors) if gen.inspectors else None, Role.INSPECTOR
    elif source == Source.GRID:
        reporter, role = gen.grid_workers.get(area.pk), Role.GRID_WORKER
    elif source == Source.CITIZEN:
        if rng.random() < 0.2:
            reporter, role = gen.citizen, Role.CITIZEN
        else:
            role = Role.CITIZEN
            reporter_name, reporter_phone = names.person_name(rng), names.mobile_phone(rng)
    elif source == Source.SELF_CHECK:
        people = gen.staff.get(place.community.pk) or gen.staff.get(place.street.pk) or []
        reporter, role = (rng.choice(people) if people else office), Role.HANDLER if people else Role.OFFICE
    else:  # hotline, superior, media, leader, census: the office records it
        reporter, role = office, Role.OFFICE
        if source == Source.HOTLINE:
            reporter_name, reporter_phone = names.person_name(rng), names.mobile_phone(rng)
    if source in (Source.INSPECTION, Source.GRID, Source.SELF_CHECK) and reporter is None:
        reporter, role = office, Role.OFFICE
    if not reporter_name and reporter:
        reporter_name = gen.names.get(reporter, "")
    if source != Source.CITIZEN:
        moved = ix.add_hours(created, 0)  # staff report in office hours
        if moved <= now:
            created = moved

    p = Problem(title=title, description=description, category_id=category_id, severity=severity, source=source,
                state=State.REPORTED, area_id=area.pk, area_path=area.path, address=address, latitude=lat,
                longitude=lon, reporter_id=reporter, reporter_name=reporter_name, reporter_phone=reporter_phone,
                created_by_id=reporter, created_at=created, updated_at=created)
    events: list[tuple] = [("report", created, reporter, role, "", State.REPORTED, description, {"source": source})]
    row = _Row(problem=p, events=events, keep=keep, previous=previous)
    if previous is not None:
        previous.events.append(("recurred", created, reporter, role, State.CLOSED, State.CLOSED,
                                lambda: f"同一处同类问题再次出现：{p.code}", lambda: {"recurrence": p.code}))

    def office_step(after: datetime, low: float, high: float) -> datetime:
        return ix.add_hours(after, rng.uniform(low, high)) + timedelta(seconds=rng.randint(0, 59))

    # the office looks at it
    t = office_step(created, 0.2, 4)
    if t > now:
        return row
    if outcome == "rejected":
        reason = rng.choice(REJECTS)[3]
        events.append(("reject", t, office, Role.OFFICE, State.REPORTED, State.REJECTED, reason, {}))
        p.state, p.updated_at = State.REJECTED, t
        return row
    if outcome == "merged":
        events.append(("merge", t, office, Role.OFFICE, State.REPORTED, State.MERGED,
                       lambda: f"与{keep.problem.code}重复", lambda: {"keep": keep.problem.code}))
        kept_state = _state_at(keep.events, t)
        keep.events.append(("merged_in", t, office, Role.OFFICE, kept_state, kept_state,
                            lambda: f"合并了重复问题 {p.code}", lambda: {"merged": p.code}))
        if reporter:
            row.followers.append(reporter)
        p.state, p.updated_at = State.MERGED, t
        return row
    state = State.REPORTED
    if source in (Source.CITIZEN, Source.HOTLINE) or rng.random() < 0.2:
        events.append(("accept", t, office, Role.OFFICE, state, State.PENDING_ASSIGNMENT, "情况属实，予以受理。", {}))
        state = p.state = State.PENDING_ASSIGNMENT
        p.updated_at = t
        t = office_step(t, 0.2, 3)
        if t > now:
            return row

    # 交办
    if previous is not None and previous.problem.unit_id:
        unit = gen.units[previous.problem.unit_id]
    else:
        unit = gen.target(rng, code or "9901", place)
    if unit.parent_id == gen.org.city.pk:  # a city department: the city office assigns
        city_office = gen.offices.get(gen.org.city.pk) or [office]
        office = rng.choice(city_office)
    deadline, warn = gen.deadline(category_id, severity, t)
    assigned_at = t
    p.unit_id, p.unit_path, p.assigned_at, p.deadline = unit.pk, unit.path, assigned_at, deadline
    if source == Source.INSPECTION and reporter:
        p.verifier_id = reporter
    verifier, verifier_role = (p.verifier_id, Role.INSPECTOR) if p.verifier_id else (office, Role.OFFICE)
    events.append(("assign", t, office, Role.OFFICE, state, State.ASSIGNED, "请按期整改到位。",
                   {"unit": unit.name, "unit_code": unit.code, "deadline": deadline.isoformat()}))
    state = p.state = State.ASSIGNED
    p.updated_at = t
    handlers = gen.staff.get(unit.pk) or [None]
    handler = rng.choice(handlers)
    window = max(ix.hours_between(t, deadline), 0.5)

    # the unit: 签收, 整改, 提交; the verifier: 复核
    plan: list[tuple[str, datetime]] = []
    sign_at = ix.add_hours(t, min(rng.uniform(0.1, 2), window * 0.2)) + timedelta(seconds=rng.randint(0, 59))
    plan.append(("sign", sign_at))
    late = outcome == "closed" and rng.random() < 0.05
    if late:  # mostly soon after the 督办单, now and then after the 督办函
        submit_at = ix.add_hours(deadline, rng.uniform(1, 12) if rng.random() < 0.8 else rng.uniform(15, 30))
    else:
        submit_at = ix.add_hours(sign_at, max(0.1, ix.hours_between(sign_at, deadline) * rng.uniform(0.3, 0.9)))
    submit_at += timedelta(seconds=rng.randint(0, 59))
    rework = outcome == "closed" and rng.random() < 0.06
    if outcome != "stall_assigned":
        if outcome != "stall_rectifying":
            plan.append(("submit", submit_at))
            if outcome == "closed":
                first_verify = office_step(submit_at, 0.5, 12)
                if rework:
                    plan.append(("verify_fail", first_verify))
                    resubmit = office_step(first_verify, 2, 16)
                    plan.append(("submit", resubmit))
                    plan.append(("verify_pass", office_step(resubmit, 0.5, 12)))
                else:
                    plan.append(("verify_pass", first_verify))
    else:
        plan = []

    # play the plan until now; note the intervals while the clock ran
    running_from = assigned_at
    running: list[tuple[datetime, datetime]] = []
    fix_note = "已按要求整改到位。"
    for action, at in plan:
        if at > now:
            break
        if action == "sign":
            events.append(("sign", at, handler, Role.HANDLER, state, State.RECTIFYING, "", {}))
            state = p.state = State.RECTIFYING
            p.signed_at = at
        elif action == "submit":
            events.append(("submit", at, handler, Role.HANDLER, state, State.SUBMITTED, fix_note, {}))
            state = p.state = State.SUBMITTED
            p.submitted_at = at
            running.append((running_from, at))
            running_from = None
        elif action == "verify_fail":
            p.deadline = ix.add_days(at, 2)  # the verifier gives two working days to redo it
            events.append(("verify_fail", at, verifier, verifier_role, state, State.RECTIFYING,
                           rng.choice(VERIFY_FAIL_NOTES), {"rework": 1, "deadline": p.deadline.isoformat()}))
            state = p.state = State.RECTIFYING
            p.rework_count, p.submitted_at = 1, None
            running_from = at
        elif action == "verify_pass":
            p.closed_at = at
            p.closed_on_time = bool(p.submitted_at <= p.deadline)
            p.handling_hours = ix.hours_between(assigned_at, p.submitted_at)
            events.append(("verify_pass", at, verifier, verifier_role, state, State.CLOSED,
                           rng.choice(VERIFY_PASS_NOTES),
                           {"on_time": p.closed_on_time, "handling_hours": round(p.handling_hours, 2)}))
            state = p.state = State.CLOSED
        p.updated_at = at
    if running_from is not None:
        running.append((running_from, now))

    # the sweeper's part
    deadline = p.deadline
    for action, at, stage in gen.ladder(assigned_at, deadline, warn, running, rng):
        if action == "warn":
            events.append(("warn", at, None, "system", _state_at(events, at), _state_at(events, at),
                           f"距整改期限不足{warn}个工作小时", {}))
            p.escalation = max(p.escalation, Escalation.WARNED)
            continue
        s = _state_at(events, at)
        p.is_overdue, p.overdue_at = True, deadline
        if action in ("notice", "overdue"):
            events.append(("overdue", at, None, "system", s, s, "已超过整改期限，逾期", {}))
        if action in ("notice", "letter"):
            kind = NoticeKind.NOTICE if action == "notice" else NoticeKind.LETTER
            p.escalation = Escalation.NOTICE if action == "notice" else Escalation.LETTER
            p.supervision_count += 1
            label = "督办单" if action == "notice" else "督办函"
            events.append((kind, at, None, "system", s, s,
                           f"下发{label}，限{timezone.localtime(stage):%m月%d日%H:%M}前整改",
                           {"deadline": stage.isoformat()}))
            row.notices.append((kind, at, stage, gen.issuer_of(unit), unit))
        elif action == "overdue":
            p.escalation = Escalation.NOTICE
        elif action == "bulletin":
            p.escalation, p.in_bulletin = Escalation.BULLETIN, True
            events.append(("bulletin", at, None, "system", s, s, "督办函期限已过仍未整改，列入下期通报批评名单", {}))
    events.sort(key=lambda e: e[1])

    # when the sweeper looks next (as sla.schedule)
    if p.state in (State.ASSIGNED, State.RECTIFYING):
        if p.escalation == Escalation.NONE:
            total = ix.hours_between(assigned_at, deadline)
            warn_at = ix.at(ix.offset(assigned_at) + (total - warn) * 60) if total > warn else None
            p.next_due_at = warn_at if warn_at and warn_at > now else deadline
        elif p.escalation == Escalation.WARNED:
            p.next_due_at = deadline
        elif p.escalation in (Escalation.NOTICE, Escalation.LETTER):
            p.next_due_at = row.notices[-1][2] if row.notices else None
    return row


def _state_at(events: list[tuple], at: datetime) -> str:
    state = ""
    for e in events:
        if e[1] <= at:
            state = e[5]
    return state
