"""Pages of the evaluation system: the list of versions, one system's indicator tree, import and
export (Excel, YAML), copying into a new version, status changes, point types."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.sheets import MAX_IMPORT_BYTES, SheetError

from . import formats, policy, selectors, services
from .forms import CopyForm, PointTypeForm, ReplaceImportForm, SystemImportForm
from .models import PointType, SystemStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _require_view(request) -> None:
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "standards.view")


def _require_manage(request, what: str) -> None:
    if not policy.may_manage(request.user):
        access.refuse_forbidden(request.user, what)


def _download(data: bytes | str, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response


@login_required
@require_GET
def system_list(request):
    _require_view(request)
    return render(request, "standards/list.html", {
        "systems": selectors.systems(request.user), "may_manage": policy.may_manage(request.user),
    })


@login_required
@require_GET
def system_detail(request, pk: int):
    _require_view(request)
    system = selectors.system_for(request.user, pk)
    point_type = None
    if request.GET.get("type"):
        point_type = PointType.objects.filter(code=request.GET["type"]).first()
        if point_type is None:
            messages.error(request, "点位类型筛选无效，已显示全部检查项")
    return render(request, "standards/detail.html", {
        "system": system, "tree": selectors.system_tree(system, point_type), "point_type": point_type,
        "point_types": selectors.point_types(), "may_manage": policy.may_manage(request.user),
        "copy_form": CopyForm(initial={"name": system.name}), "statuses": SystemStatus,
    })


@login_required
@require_GET
def system_export(request, pk: int, fmt: str):
    _require_view(request)
    system = selectors.system_for(request.user, pk)
    audit.download(actor=request.user, what="测评体系", rows=system.items.count(), target=system, format=fmt)
    stem = f"{system.name}（{system.version}）"
    if fmt == "yaml":
        return _download(formats.to_yaml(system), f"{stem}.yaml", "application/yaml; charset=utf-8")
    types = list(PointType.objects.order_by("sort", "code").values_list("code", "name"))
    return _download(formats.workbook(formats.sheet_rows(system), types), f"{stem}.xlsx", XLSX)


# the example rows of the import template: one of each rule, a 简称 on each, one 一票否决
TEMPLATE_EXAMPLES = [
    {"一级指标编码": "01", "一级指标名称": "街道创建", "二级指标编码": "0101", "二级指标名称": "综合文化站",
     "检查项编码": "WHZ05", "简称": "禁烟标识与吸烟现象", "检查内容": "有明显禁烟标示，无烟区没有吸烟现象。",
     "判定规则": "有禁烟标识且无吸烟现象为符合，否则为不符合。注：没发现吸烟现象，但发现烟头也不符合。",
     "测评方法": "实地考察", "适用点位类型": "综合文化站", "分值": 2, "计分方式": "判定",
     "计分参数": "符合=100%；不符合=0%", "问题类别编码": "0701"},
    {"一级指标编码": "01", "一级指标名称": "街道创建", "二级指标编码": "0101", "二级指标名称": "综合文化站",
     "检查项编码": "WHZ01", "简称": "核心价值观宣传", "检查内容": "运用多种形式宣传展示核心价值观。",
     "判定规则": "有2种及以上形式宣传，3处为符合；1—2处或1种形式为基本符合；无宣传为不符合。", "测评方法": "实地考察",
     "适用点位类型": "综合文化站", "分值": 2, "计分方式": "判定", "计分参数": "符合=100%；基本符合=50%；不符合=0%",
     "问题类别编码": "0601"},
    {"一级指标编码": "01", "一级指标名称": "街道创建", "二级指标编码": "0101", "二级指标名称": "综合文化站",
     "检查项编码": "WHZ03", "简称": "文化站被挪用或侵占", "检查内容": "综合文化站无被挪用或侵占现象。",
     "判定规则": "无被挪用或侵占为符合，否则为不符合。注：堆放杂物记为不符合。", "测评方法": "实地考察",
     "适用点位类型": "综合文化站", "分值": 2, "计分方式": "判定", "计分参数": "符合=100%；不符合=0%",
     "一票否决": "是，封顶60分", "问题类别编码": "0602"},
    {"一级指标编码": "02", "一级指标名称": "市容环境", "二级指标编码": "0201", "二级指标名称": "主次干道",
     "检查项编码": "ZGD01", "简称": "道路暴露垃圾", "检查内容": "道路两侧无暴露垃圾。",
     "判定规则": "每发现一处暴露垃圾扣0.5分。", "测评方法": "实地考察", "适用点位类型": "主次干道、背街小巷", "分值": 5,
     "计分方式": "扣分", "计分参数": "每处扣0.5分", "问题类别编码": "0101"},
    {"一级指标编码": "02", "一级指标名称": "市容环境", "二级指标编码": "0201", "二级指标名称": "主次干道",
     "检查项编码": "ZGD03", "简称": "非法小广告", "检查内容": "无乱张贴、乱涂写等非法小广告。",
     "判定规则": "每发现一处扣1分，最多扣5分。", "测评方法": "实地考察", "适用点位类型": "主次干道、背街小巷", "分值": 10,
     "计分方式": "扣分", "计分参数": "每处扣1分，最多扣5分", "问题类别编码": "0101"},
    {"一级指标编码": "02", "一级指标名称": "市容环境", "二级指标编码": "0201", "二级指标名称": "主次干道",
     "检查项编码": "ZGD11", "简称": "沿街公益广告数量", "检查内容": "主次干道沿线公益广告不少于5处。",
     "判定规则": "清点沿线公益广告，每少一处扣2分。", "测评方法": "实地考察", "适用点位类型": "主次干道", "分值": 10,
     "计分方式": "不少于", "计分参数": "不少于5处，每少一处扣2分", "问题类别编码": "0601"},
    {"一级指标编码": "03", "一级指标名称": "未成年人思想道德建设", "二级指标编码": "0301", "二级指标名称": "社区",
     "检查项编码": "SQ12", "简称": "未成年人活动场所", "检查内容": "社区文化活动中心开辟未成年人活动场所。",
     "判定规则": "按满足条件数评等级。", "测评方法": "材料审核", "适用点位类型": "社区", "分值": 4, "计分方式": "等级",
     "计分参数": "依据=条件；A=100%≥3；B=80%≥2；C=60%≥1；C#=0%≥0；合格=C",
     "等级条件": "有专人负责\n有管理制度\n有活动文字图片资料"},
]


@login_required
@require_GET
def template(request):
    _require_manage(request, "standards.import")
    types = list(PointType.objects.order_by("sort", "code").values_list("code", "name"))
    examples = [[example.get(column, "") for column in formats.COLUMNS] for example in TEMPLATE_EXAMPLES]
    audit.download(actor=request.user, what="测评体系导入模板", rows=len(examples))
    return _download(formats.workbook(examples, types), "测评体系导入模板.xlsx", XLSX)


def _upload(form, request):
    upload = form.cleaned_data["file"]
    if upload.size > MAX_IMPORT_BYTES:
        form.add_error("file", "文件超过20MB，请拆分后分批导入")
        return None, None
    return upload.read(), upload.name


@login_required
@require_http_methods(["GET", "POST"])
def system_import(request):
    _require_manage(request, "standards.import")
    form = SystemImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        data, filename = _upload(form, request)
        if data is not None:
            try:
                report, system = services.system_import(actor=request.user, data=data, filename=filename,
                                                        name=form.cleaned_data["name"],
                                                        version=form.cleaned_data["version"])
            except SheetError as error:
                form.add_error("file", str(error))
            else:
                if report.ok:
                    messages.success(request, f"导入成功：{system}，共 {report.created} 个检查项（草稿，检查无误后请启用）")
                    return redirect("standards:system", pk=system.pk)
    return render(request, "standards/import.html", {"form": form, "report": report, "into": None})


@login_required
@require_http_methods(["GET", "POST"])
def system_replace(request, pk: int):
    _require_manage(request, "standards.import")
    system = selectors.system_for(request.user, pk)
    form = ReplaceImportForm(request.POST or None, request.FILES or None)
    report = None
    if not system.editable:
        messages.error(request, "只有草稿状态的测评体系可以修改；请先复制为新版本")
        return redirect("standards:system", pk=system.pk)
    if request.method == "POST" and form.is_valid():
        data, filename = _upload(form, request)
        if data is not None:
            try:
                report, _ = services.system_import(actor=request.user, data=data, filename=filename, into=system)
            except SheetError as error:
                form.add_error("file", str(error))
            except services.StandardsError as error:
                form.add_error(None, str(error))
            else:
                if report.ok:
                    messages.success(request, f"已用文件替换全部内容：共 {report.created} 个检查项")
                    return redirect("standards:system", pk=system.pk)
    return render(request, "standards/import.html", {"form": form, "report": report, "into": system})


@login_required
@require_POST
def builtin_load(request):
    _require_manage(request, "standards.builtin")
    try:
        system, created = services.builtin_load(actor=request.user)
    except services.StandardsError as error:
        messages.error(request, str(error))
        return redirect("standards:list")
    if created:
        messages.success(request, f"已载入内置模板：{system}（草稿，共 {system.items.count()} 个检查项）。"
                                  "核对无误后请启用；也可导出后按本地细则修改，再“用文件替换内容”。")
        return redirect("standards:system", pk=system.pk)
    messages.info(request, format_html("内置模板已存在：<a href=\"{}\">{}</a>（{}），未重复载入。",
                                       reverse("standards:system", args=[system.pk]), system,
                                       system.get_status_display()))
    return redirect("standards:list")


@login_required
@require_POST
def system_copy(request, pk: int):
    _require_manage(request, "standards.copy")
    system = selectors.system_for(request.user, pk)
    form = CopyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写名称和新版本号")
        return redirect("standards:system", pk=system.pk)
    try:
        copy = services.system_copy(actor=request.user, system=system, **form.cleaned_data)
    except services.StandardsError as error:
        messages.error(request, str(error))
        return redirect("standards:system", pk=system.pk)
    messages.success(request, f"已复制为新版本：{copy}（草稿）")
    return redirect("standards:system", pk=copy.pk)


@login_required
@require_POST
def system_status(request, pk: int):
    _require_manage(request, "standards.status")
    system = selectors.system_for(request.user, pk)
    status = request.POST.get("status", "")
    if status not in SystemStatus.values:
        messages.error(request, "状态无效")
        return redirect("standards:system", pk=system.pk)
    try:
        system = services.system_set_status(actor=request.user, system=system, status=status)
    except services.StandardsError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, f"{system} 已改为“{system.get_status_display()}”")
    return redirect("standards:system", pk=system.pk)


@login_required
@require_http_methods(["GET", "POST"])
def point_types(request):
    _require_view(request)
    may_manage = policy.may_manage(request.user)
    form = PointTypeForm(request.POST or None)
    if request.method == "POST":
        _require_manage(request, "standards.point_types")
        if form.is_valid():
            try:
                point_type = services.point_type_create(actor=request.user, **form.cleaned_data)
            except services.StandardsError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, f"已添加点位类型：{point_type}")
                return redirect("standards:point_types")
    return render(request, "standards/point_types.html", {
        "point_types": selectors.point_types(), "form": form, "may_manage": may_manage,
    })
