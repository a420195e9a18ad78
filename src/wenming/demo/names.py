"""Pools of believable Chinese names for the demo city: people, places, roads, units.

Everything here is invented. Functions take a ``random.Random`` so a seed reproduces the city.
"""

from __future__ import annotations

import random

# --- people ----------------------------------------------------------------------------------------

# the common surnames, most frequent first; weights follow their rough share of the population
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴"
    "莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪"
)
SURNAME_WEIGHTS = [max(1.0, 40.0 - i * 0.6) for i in range(len(SURNAMES))]

GIVEN_MALE = (
    "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富"
    "顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河"
    "哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧"
    "冠策腾楠榕风航弘"
)
GIVEN_FEMALE = (
    "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡"
    "佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦"
    "岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒"
    "影荔枝思丽"
)

# names of living national figures are never produced, so a demo never seats one as 市委书记
_AVOID = {"习近平", "李强", "赵乐际", "王沪宁", "蔡奇", "丁薛祥", "李希", "李克强", "胡锦涛", "江泽民", "温家宝",
          "毛泽东", "邓小平", "周恩来", "朱镕基", "刘少奇", "韩正", "王岐山", "张德江", "俞正声", "刘云山",
          "张高丽", "汪洋", "栗战书"}


def person_name(rng: random.Random, *, female: bool | None = None) -> str:
    """A full name: surname plus one or two given characters (two in three names)."""
    while True:
        surname = rng.choices(SURNAMES, weights=SURNAME_WEIGHTS)[0]
        is_female = rng.random() < 0.45 if female is None else female
        pool = GIVEN_FEMALE if is_female else GIVEN_MALE
        given = rng.choice(pool)
        if rng.random() < 0.68:
            given += rng.choice(pool)
        name = surname + given
        if name not in _AVOID and given[0] != surname:
            return name


def mobile_phone(rng: random.Random) -> str:
    prefix = rng.choice(["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
                         "153", "155", "156", "157", "158", "159", "177", "180", "181", "182", "183", "185",
                         "186", "187", "188", "189", "199"])
    return prefix + "".join(rng.choice("0123456789") for _ in range(8))


CITY_AREA_CODE = "0799"


def office_phone(rng: random.Random, area_code: str = CITY_AREA_CODE) -> str:
    return f"{area_code}-{rng.choice('2368')}{''.join(rng.choice('0123456789') for _ in range(7))}"


# --- places ----------------------------------------------------------------------------------------

DISTRICT_NAMES = [
    "东湖区", "西江区", "江北区", "南岸区", "北山区", "临江区", "青山区", "沙湖区", "龙泉区", "凤凰区", "滨湖区",
    "新港区", "云溪区", "白鹭区", "金沙区", "桂园区",
]

# two- or three-character place names used for streets (街道/镇) and roads
PLACE_WORDS = [
    "中山", "解放", "人民", "建设", "胜利", "和平", "友谊", "团结", "新华", "民主", "光明", "长江", "江滨", "江汉",
    "滨江", "湖滨", "东亭", "西塘", "南湖", "北湖", "青龙", "白沙", "黄鹤", "紫阳", "桃源", "翠柳", "桂花", "梅岭",
    "兰亭", "竹林", "松柏", "杨园", "柳湾", "荷塘", "莲花", "芙蓉", "凤山", "龙湾", "龙岭", "虎泉", "狮山", "鹤鸣",
    "雁塔", "鹭洲", "金桥", "银湖", "玉泉", "珠山", "宝塔", "锦绣", "文昌", "武胜", "崇文", "尚德", "育才", "兴业",
    "振兴", "复兴", "永安", "长安", "太平", "安居", "康宁", "福星", "吉祥", "丰收", "清河", "清水", "石桥", "石门",
    "铁桥", "铜山", "新河", "沙洲", "洪山", "关山", "卓刀", "洛阳", "汉江", "汉正", "前进", "红旗", "朝阳", "向阳",
    "东风", "五一", "新村", "花园", "公园", "车站", "码头", "古城", "新城", "老街", "府前", "书院", "学府", "迎春",
    "春晖", "秋实", "晓月", "星河", "天河", "海棠", "丁香", "杏林", "梨园", "枫林", "樟树", "柏林", "槐荫", "双墩",
    "三里", "五里", "七星", "八一", "十里", "百花", "千禧", "万松", "水果湖", "珞南", "卓尔", "仁和", "广福", "同心",
    "惠民", "利民", "富强", "昌盛", "和顺", "高桥", "双龙", "黄金", "青年", "工农", "钢城", "纺织", "电厂", "造纸",
    "机场", "高铁", "大桥", "渡口", "湖心", "半岛", "岭南", "山前", "水南", "河西", "城东", "城南", "城西", "城北",
]

COMMUNITY_SUFFIXES = ["", "", "", "花园", "新村", "苑", "里", "一", "二", "东", "西", "南", "北", "路", "湾", "园",
                      "坊", "家园", "新城", "佳苑"]
VILLAGE_SUFFIXES = ["", "", "湾", "岗", "冲", "畈", "坪", "桥", "寨", "铺", "店", "庙", "坝", "垸"]

ROAD_SUFFIXES = ["路", "路", "路", "大道", "街", "大街", "巷", "东路", "西路", "南路", "北路", "一路", "二路"]

CHINESE_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 12 → 十二, 20 → 二十, 35 → 三十五 (enough for grid and item numbers)."""
    if n < 10:
        return CHINESE_DIGITS[n]
    tens, ones = divmod(n, 10)
    if n < 100:
        return ("" if tens == 1 else CHINESE_DIGITS[tens]) + "十" + (CHINESE_DIGITS[ones] if ones else "")
    return str(n)


class NamePool:
    """Hands out names that are unique across the city (a street and a community never share
    a name, so every unit is recognisable in a list)."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: set[str] = set()

    def _take(self, stem, suffix: str, attempts: int = 200) -> str:
        for _ in range(attempts):
            name = stem() + suffix
            if name not in self.used:
                self.used.add(name)
                return name
        # the pools are large; should they run dry, number the names rather than loop for ever
        base, n = stem(), 2
        while f"{base}{chinese_number(n)}{suffix}" in self.used:
            n += 1
        name = f"{base}{chinese_number(n)}{suffix}"
        self.used.add(name)
        return name

    def street(self, *, town: bool = False) -> str:
        return self._take(lambda: self.rng.choice(PLACE_WORDS), "镇" if town else "街道")

    def community(self, *, village: bool = False) -> str:
        if village:
            return self._take(lambda: self.rng.choice(PLACE_WORDS) + self.rng.choice(VILLAGE_SUFFIXES), "村")
        return self._take(lambda: self.rng.choice(PLACE_WORDS) + self.rng.choice(COMMUNITY_SUFFIXES), "社区")

    def road(self) -> str:
        return self._take(lambda: self.rng.choice(PLACE_WORDS), self.rng.choice(ROAD_SUFFIXES))


def road_name(rng: random.Random) -> str:
    """A road name (not checked for uniqueness; use ``NamePool.road`` for that)."""
    return rng.choice(PLACE_WORDS) + rng.choice(ROAD_SUFFIXES)


def grid_name(community_name: str, number: int) -> str:
    return f"{community_name}第{chinese_number(number)}网格"


# --- units that are not administrative --------------------------------------------------------------

# (short name, full name without the city prefix, slug for usernames, head's post, kind of organ)
# kind: "11" 机关, "13" 群团 (registered with the staffing office) — the 2nd character of the
# unified social credit code
CITY_DEPARTMENTS = [
    ("市委宣传部", "中共{city}委员会宣传部", "xcb", "部长", "11"),
    ("市文明办", "{city}精神文明建设委员会办公室", "wmb", "主任", "11"),
    ("市城管局", "{city}城市管理局", "cgj", "局长", "11"),
    ("市市场监管局", "{city}市场监督管理局", "scjgj", "局长", "11"),
    ("市公安局交警支队", "{city}公安局交通警察支队", "jjzd", "支队长", "11"),
    ("市住建局", "{city}住房和城乡建设局", "zjj", "局长", "11"),
    ("市卫健委", "{city}卫生健康委员会", "wjw", "主任", "11"),
    ("市教育局", "{city}教育局", "jyj", "局长", "11"),
    ("市交通运输局", "{city}交通运输局", "jtysj", "局长", "11"),
    ("市生态环境局", "{city}生态环境局", "sthjj", "局长", "11"),
    ("市文旅局", "{city}文化广电旅游局", "wlj", "局长", "11"),
    ("市民政局", "{city}民政局", "mzj", "局长", "11"),
    ("市司法局", "{city}司法局", "sfj", "局长", "11"),
    ("市委政法委", "中共{city}委员会政法委员会", "zfw", "常务副书记", "11"),
    ("市公安局", "{city}公安局", "gaj", "局长", "11"),
    ("市商务局", "{city}商务局", "swj", "局长", "11"),
    ("市自然资源和规划局", "{city}自然资源和规划局", "zrzyj", "局长", "11"),
    ("市园林局", "{city}园林和林业局", "ylj", "局长", "11"),
    ("市水务局", "{city}水务局", "swuj", "局长", "11"),
    ("市财政局", "{city}财政局", "czj", "局长", "11"),
    ("市统计局", "{city}统计局", "tjj", "局长", "11"),
    ("市政务服务数据管理局", "{city}政务服务和大数据管理局", "zwfwj", "局长", "11"),
    ("团市委", "共青团{city}委员会", "tsw", "书记", "13"),
    ("市妇联", "{city}妇女联合会", "fl", "主席", "13"),
    ("市总工会", "{city}总工会", "zgh", "主席", "13"),
    ("市科协", "{city}科学技术协会", "kx", "主席", "13"),
]

# departments every district has (the first ``district_departments`` of these are built)
DISTRICT_DEPARTMENTS = [
    ("区委宣传部", "中共{district}委员会宣传部", "xcb", "部长", "11"),
    ("区城管局", "{district}城市管理局", "cgj", "局长", "11"),
    ("区市场监管局", "{district}市场监督管理局", "scjgj", "局长", "11"),
    ("区住建局", "{district}住房和城乡建设局", "zjj", "局长", "11"),
    ("区教育局", "{district}教育局", "jyj", "局长", "11"),
    ("区卫健局", "{district}卫生健康局", "wjj", "局长", "11"),
    ("区民政局", "{district}民政局", "mzj", "局长", "11"),
    ("区交通运输局", "{district}交通运输局", "jtysj", "局长", "11"),
    ("区生态环境分局", "{city}生态环境局{district}分局", "sthj", "局长", "11"),
    ("区文旅局", "{district}文化和旅游局", "wlj", "局长", "11"),
]

SCHOOL_PATTERNS = [
    "{city}第{n}中学", "{city}实验中学", "{district}实验小学", "{district}第{n}小学", "{place}小学", "{place}中学",
    "{district}第{n}幼儿园", "{city}职业技术学校", "{place}九年一贯制学校",
]
ENTERPRISE_PATTERNS = [
    "{city_short}公交集团有限公司", "{city_short}水务集团有限公司", "{city_short}城市环境卫生服务有限公司",
    "{city_short}{place}农贸市场管理有限公司", "{place}物业服务有限公司", "{city_short}{place}商业广场有限公司",
    "{city_short}燃气有限公司", "{place}建筑工程有限公司", "{city_short}{place}大酒店有限公司",
    "{city_short}长途汽车客运站有限公司", "{place}超市连锁有限公司", "{city_short}市政工程有限公司",
]

# city leaders who chair the campaign (post, is the 组长)
CITY_LEADER_POSTS = [
    ("市委书记", "leader"),
    ("市委副书记、市长", "deputy"),
    ("市委副书记", "deputy"),
    ("市委常委、宣传部部长", "deputy"),
    ("市委常委、常务副市长", "deputy"),
    ("副市长、市公安局局长", "deputy"),
    ("副市长", "deputy"),
]

DISTRICT_LEADER_POSTS = ["区委书记", "区委副书记、区长", "区委副书记", "区委常委、宣传部部长", "区委常委、常务副区长",
                         "副区长", "副区长", "区人大常委会副主任", "区政协副主席"]
