"""Requirements read from a 材料审核 item's words: the kinds of material, counts and years."""

from wenming.archives.derive import derive, number


def kinds(drafts):
    return [(d.material_type, d.min_count, d.years) for d in drafts]


def test_counts_and_years_are_read_from_the_text():
    drafts = derive("SQ12G", "心理咨询室", "城市文明社区设立心理咨询室，有具体的工作制度和责任制度。其活动记录显示前两年度开展心理健康教育和辅导活动不少于8次。")
    assert kinds(drafts) == [("document", 1, 0), ("record", 8, 2)]
    assert drafts[0].code == "SQ12G-1" and drafts[0].title == "心理咨询室：工作制度、责任制度"
    assert drafts[1].title == "心理咨询室：活动记录" and "不少于8次" in drafts[1].description


def test_three_kinds_or_more_means_three_records_of_the_year():
    drafts = derive("WHZX03", "文化活动开展", "积极利用文化活动场所开展形式多样（三种及以上）的文化活动，有文化活动记录等材料。")
    assert kinds(drafts) == [("record", 3, 1)]
    assert drafts[0].auto_sources == ["report", "inspection"]


def test_a_rate_is_not_a_count_and_regulations_stand():
    drafts = derive("YY07", "控烟巡查次数", "完善控烟巡查制度和巡查记录，控烟巡查员对责任区域每小时巡查不少于2次。",
                    "有当年的巡查记录。")
    assert kinds(drafts) == [("document", 1, 0), ("record", 1, 1)]


def test_each_material_named_once_and_a_plain_item_asks_for_a_statement():
    drafts = derive("JD09", "纠纷调解", "有调解委员会的成立文件，有组织网络、成员名册和工作制度；设有明显标志；有当年纠纷调解的原始记录。")
    assert [d.material_type for d in drafts] == ["document", "record", "table", "photo"]
    assert drafts[0].title == "纠纷调解：成立文件、工作制度" and drafts[0].years == 0
    assert derive("NM06", "长效措施", "研究长效工作措施。")[0].material_type == "statement"


def test_chinese_numerals():
    assert [number(t) for t in ("8", "两", "三", "十", "十二", "二十")] == [8, 2, 3, 10, 12, 20]
