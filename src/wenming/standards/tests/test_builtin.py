"""The built-in template: it loads, and holds the seeds' standards item by item."""

import pytest
from django.core.exceptions import PermissionDenied

from wenming.core.models import AuditEvent
from wenming.standards import services
from wenming.standards.models import CheckItem, SystemStatus


@pytest.mark.django_db
def test_builtin_template_loads_with_the_seed_standards():
    system = services.load_builtin()
    assert system.status == SystemStatus.ACTIVE
    assert services.load_builtin().pk == system.pk            # once only

    def count(type_code):
        return system.items.filter(point_types__code=type_code).count()

    items = system.items
    assert items.filter(code__regex=r"^JD\d\d$").count() == 12            # 街道办事处创建标准
    assert items.filter(code__regex=r"^WHZ0\d$").count() == 7              # 综合文化站
    assert items.filter(code__startswith="SQ12").count() == 7              # 未成年人思想道德建设 ①–⑦
    assert items.filter(code__startswith="WHZX").count() == 5              # 社区综合文化服务中心
    assert items.filter(code__startswith="DD").count() == 11               # 社区环境督导重点
    assert items.filter(code__regex=r"^NM0[1-6]$").count() == 6            # 集贸市场
    assert items.filter(code__regex=r"^HG0[1-6]$").count() == 6            # 户外广告
    assert items.filter(code__regex=r"^CK0[1-5]$").count() == 5            # 窗口规范化服务
    assert count("YY") >= 6                                                # 医院
    # each kind of rule is used, and every item has its judgement rule and a short name (简称)
    kinds = set(items.values_list("rule_kind", flat=True))
    assert kinds == {"verdict", "grade", "deduction", "threshold"}
    assert not items.filter(rule_text="").exists()
    assert not items.filter(short_name="").exists()
    assert all(len(name) <= 20 for name in items.values_list("short_name", flat=True))
    # the seeds' count thresholds (SOURCES.md): 不少于三项 (WHZ06), 每小时巡查不少于2次 (YY07)
    assert {code: (params["min"], params["per_short"], params["unit"]) for code, params in
            items.filter(rule_kind="threshold").values_list("code", "params")} == {
        "WHZ06": (3, 15, "项"), "YY07": (2, 5, "次")}
    # no seed names a veto or caps a deduction (SOURCES.md), so the template has none
    assert not [params for params in items.values_list("params", flat=True) if "veto" in params or "max" in params]
    smoking = items.get(code="WHZ05")
    assert "烟头" in smoking.rule_text and smoking.rule_kind == "verdict"
    assert all(count(code) for code in ("JD", "SQ", "WHZ", "WHZX", "NM", "ZGD", "SYJ", "GD", "YY", "CK", "ZW"))
    assert CheckItem.objects.filter(system=system, code="GG01").get().rule_kind in {"grade", "deduction"}


@pytest.mark.django_db
def test_the_city_office_loads_the_builtin_template_as_a_draft_once(personas):
    for name in ("office_district_a", "handler_street_a1", "inspector", "leader", "admin", "citizen", "outsider"):
        with pytest.raises(PermissionDenied):
            services.builtin_load(actor=personas[name])
    assert not CheckItem.objects.exists()
    system, created = services.builtin_load(actor=personas["office_city"])
    assert created and system.status == SystemStatus.DRAFT and system.items.count() == 126
    event = AuditEvent.objects.get(action="standards.builtin")
    assert (event.actor_username, event.detail["items"]) == ("office_city", 126)
    again, created = services.builtin_load(actor=personas["office_city"])
    assert (again.pk, created) == (system.pk, False)
    assert AuditEvent.objects.filter(action="standards.builtin").count() == 1
    # checked, then used like any imported system
    services.system_set_status(actor=personas["office_city"], system=system, status=SystemStatus.ACTIVE)
    assert services.load_builtin().pk == system.pk           # the demo's loader finds it too
