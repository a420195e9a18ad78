"""A city plan over the persona organisation (conftest.build_org): 测试市 with 甲区 (甲一街道, 甲二街道,
甲一社区), 乙区 (乙一街道) and 市城管局."""

import datetime

import pytest

from wenming.core.sheets import workbook_bytes
from wenming.plans import services, transfer
from wenming.standards.services import load_builtin


@pytest.fixture
def system(db):
    from wenming.cases.settings.defaults import load

    load()  # the problem categories the template's items name (a transactional test starts with none)
    return load_builtin()


@pytest.fixture
def plan(personas, org, system):
    plan = services.plan_create(actor=personas["office_city"], owner=org["city"], title="2026年创建全国文明城市工作方案",
                                year=2026, doc_number="测创文办发〔2026〕1号", system=system)
    services.stage_save(actor=personas["office_city"], plan=plan, name="整改提高", start=datetime.date(2026, 3, 1),
                        end=datetime.date(2026, 8, 31))
    return plan


def sheet(*rows, header=None) -> bytes:
    return workbook_bytes("任务分解表", header or transfer.COLUMNS, [list(r) for r in rows])


# 序号, 阶段, 测评项目/指标, 任务内容, 工作标准, 牵头单位, 责任单位, 责任人, 完成时限, 目标值, 权重
GOOD = [
    (1, "整改提高", "", "注册志愿者人数占常住人口比例达到10%以上", "建立注册登记制度，按月统计", "市城管局", "各区", "张三",
     "2026-06-30", "注册志愿者占比≥10%", 2),
    (2, "", "", "主次干道路灯完好，夜间全部亮灯", "每周巡查一次", "", "市城管局、甲一街道", "李四", "2026年5月31日",
     "主干道亮灯率=100%", ""),
    (3, "", "", "社区综合服务设施达标", "", "", "330102001001", "", "", "", ""),   # lacks 标准, 时限, 责任人, 目标
]
