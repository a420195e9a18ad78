"""What the demo's problems look like: the categories with their titles, places and fixes
(``CATALOG``), the reports that are refused, the notes, the sources, the geography of the invented
江城市 (roads and estates per community; coordinates inside each area's boundary, demo/geo.py),
the photos, and the small demo's story plan (``SMALL_PLAN``). Both generators draw from here: the
small demo (``demo/small.py``) and the city generator (``demo/city.py``); so do the demo's points
(``demo/places.py``)."""

from __future__ import annotations

import io
import random
from dataclasses import dataclass
from decimal import Decimal

from wenming.cases.models import Severity, Source
from wenming.org.models import Unit, UnitKind

from . import geo, names
from .org import DemoOrg

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
    bounds: geo.Rect  # the area's rectangle on the demo's map (demo/geo.py)


def fill(template: str, values: dict[str, str]) -> str:
    return template.format(**values)


def place_values(rng: random.Random, place: Place) -> dict[str, str]:
    road, road2 = rng.sample(place.roads, 2)
    return {"road": road, "road2": road2, "no": str(rng.randint(1, 388)), "estate": place.estate,
            "bldg": str(rng.randint(1, 24)), "market": rng.choice(names.PLACE_WORDS),
            "park": rng.choice(names.PLACE_WORDS) + "公园", "community": place.community.name,
            "district": place.district.name}


def coords(rng: random.Random, place: Place) -> tuple[Decimal, Decimal]:
    """(latitude, longitude) somewhere inside the place's area (its grid or community)."""
    return geo.random_point(rng, place.bounds)


def category_codes() -> tuple[list[str], list[int]]:
    codes = list(CATALOG)
    return codes, [CATALOG[c][0] for c in codes]


class Geography:
    """Roads and estates for every community, from the seed; the areas' rectangles from the
    organisation's map (``org.bounds``, demo/geo.py)."""

    def __init__(self, org: DemoOrg, seed: int):
        rng = random.Random(f"{seed}:geography")
        self.units = {u.pk: u for u in org.all_units}
        self.bounds = org.bounds
        self.by_community: dict[int, Place] = {}
        for community in org.communities:
            street = self.units[community.parent_id]
            district = self.units[street.parent_id]
            stem = community.name.removesuffix("社区").removesuffix("村")
            self.by_community[community.pk] = Place(
                area=community, community=community, street=street, district=district,
                roads=[names.road_name(rng) for _ in range(4)],
                estate=stem if stem.endswith(ESTATE_ENDINGS) else stem + rng.choice(ESTATE_SUFFIXES),
                bounds=self.bounds[community.pk])

    def place(self, area: Unit) -> Place:
        """The place of a community or a grid: its community's roads and estate, its own rectangle."""
        community = area if area.kind == UnitKind.COMMUNITY else self.units[area.parent_id]
        base = self.by_community[community.pk]
        return Place(area=area, community=base.community, street=base.street, district=base.district,
                     roads=base.roads, estate=base.estate, bounds=self.bounds[area.pk])


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


# --- the small demo's stories -----------------------------------------------------------------------------------------

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
