"""A task's measurable target read from what offices write."""

from decimal import Decimal

import pytest

from wenming.plans.models import Comparator
from wenming.plans.targets import Target, TargetInvalid, parse_target


@pytest.mark.parametrize("text, target", [
    ("注册志愿者占比≥10%", Target("注册志愿者占比", Comparator.GE, Decimal(10), "%")),
    ("主干道亮灯率=100%", Target("主干道亮灯率", Comparator.EQ, Decimal(100), "%")),
    ("社区办公用房不少于300㎡", Target("社区办公用房", Comparator.GE, Decimal(300), "㎡")),
    ("工地围挡公益广告 >= 30 %", Target("工地围挡公益广告", Comparator.GE, Decimal(30), "%")),
    ("投诉办结时长≤ 2.5 天", Target("投诉办结时长", Comparator.LE, Decimal("2.5"), "天")),
    ("公益广告占比不低于20%", Target("公益广告占比", Comparator.GE, Decimal(20), "%")),
    ("群众满意度大于90", Target("群众满意度", Comparator.GT, Decimal(90), "")),
    ("每年培训人数达到1,200人", Target("每年培训人数", Comparator.GE, Decimal(1200), "人")),
])
def test_targets_as_offices_write_them(text, target):
    assert parse_target(text) == target


@pytest.mark.parametrize("text, message", [
    ("注册志愿者占比10%", "中没有比较符"),
    ("≥10%", "缺少指标名称"),
    ("亮灯率=全部", "比较符后面应是数值"),
    ("亮灯率=100" + "米" * 11, "单位“" + "米" * 11 + "”过长"),
    ("亮灯率=12345678901", "超出范围"),
])
def test_what_is_not_a_target_is_said(text, message):
    with pytest.raises(TargetInvalid) as refused:
        parse_target(text)
    assert message in str(refused.value)


def test_a_blank_target_is_none():
    assert parse_target("  ") is None
