"""The category tree, SLA table and 督办 ladder a new city starts with (drawn from the seed
documents); the office edits them afterwards."""

CATEGORIES = [
    ("01", "市容环境", [
        ("0101", "暴露垃圾"), ("0102", "卫生死角"), ("0103", "乱张贴/小广告"), ("0104", "户外广告不规范"),
        ("0105", "黑臭水体"), ("0106", "绿化带被占/种菜"), ("0107", "饲养家禽"), ("0108", "扬尘渣土"),
        ("0109", "乱堆乱放"), ("0110", "乱拉乱挂"),
    ]),
    ("02", "市场秩序", [("0201", "占道经营"), ("0202", "食品安全"), ("0203", "农贸市场环境秩序")]),
    ("03", "交通秩序", [("0301", "乱停乱放"), ("0302", "消防通道被占"), ("0303", "无障碍设施被占"),
                        ("0304", "交通设施破损")]),
    ("04", "违法建设", [("0401", "乱搭乱建/违章建筑")]),
    ("05", "公共设施", [("0501", "路灯损坏"), ("0502", "井盖缺损"), ("0503", "健身器材损坏"),
                        ("0504", "宣传栏破损"), ("0505", "道路破损")]),
    ("06", "宣传氛围", [("0601", "公益广告缺失或破损"), ("0602", "创建宣传不到位")]),
    ("07", "文明行为", [("0701", "吸烟/烟头"), ("0702", "不文明行为")]),
    ("08", "窗口服务", [("0801", "窗口服务不规范")]),
    ("99", "其他", [("9901", "其他")]),
]

# (category code or None, severity, limit, unit, warn hours)
SLA = [
    (None, "urgent", 0, "days", 2),
    (None, "normal", 3, "days", 4),
    (None, "difficult", 15, "days", 14),
    (None, "long_term", 60, "days", 35),
    ("0101", "normal", 4, "hours", 1),  # 暴露垃圾：4个工作小时
    ("0103", "normal", 1, "days", 2),
]

# (level, grace working days)
LADDER = [(2, 2), (3, 2), (4, 0)]


def load(apps=None) -> None:
    """Create what is missing; existing rows are the office's and stay as they are."""
    if apps is None:
        from django.apps import apps as django_apps

        apps = django_apps
    Category = apps.get_model("cases", "Category")
    SlaRule = apps.get_model("cases", "SlaRule")
    EscalationStep = apps.get_model("cases", "EscalationStep")
    for sort, (code, name, children) in enumerate(CATEGORIES):
        parent, _ = Category.objects.get_or_create(code=code, defaults={"name": name, "sort": sort})
        for child_sort, (child_code, child_name) in enumerate(children):
            Category.objects.get_or_create(code=child_code, defaults={"name": child_name, "parent": parent,
                                                                      "sort": child_sort})
    for code, severity, limit, unit, warn in SLA:
        category = Category.objects.get(code=code) if code else None
        SlaRule.objects.get_or_create(category=category, severity=severity,
                                      defaults={"limit": limit, "limit_unit": unit, "warn_hours": warn})
    for level, grace in LADDER:
        EscalationStep.objects.get_or_create(level=level, defaults={"grace_days": grace})
