"""Pages of 问卷调查: questionnaires (built-in, imported, exported, published), campaigns (set up, opened,
closed, their communities' quotas, links and QR codes), results (rates with intervals and warnings, the
cross-tab of a question, a chart, Excel), the review of flagged responses, and the phone pages that collect
answers — a collector's 入户 page and the public self-fill page of a community's link — both keeping answers
on the phone until they are sent."""

from __future__ import annotations

import hashlib
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit
from wenming.core.errors import ServiceError, WenmingError, show_on_form
from wenming.core.parsing import parse_id
from wenming.core.sheets import SheetError, workbook_bytes, xlsx_response
from wenming.org.models import Unit, UnitKind
from wenming.places.qr import svg as qr_svg

from . import definition, policy, selectors, services
from .forms import CampaignForm, QuestionnaireImportForm, ReviewForm
from .models import CampaignMode, CampaignStatus, QuestionnaireStatus, Rate, Response

MAX_BODY = 64 * 1024
RESULT_ROWS = 100   # units per page of the results (the totals and the Excel export cover them all)


def _office(user) -> Unit | None:
    return access.nearest_office_unit(user)


@login_required
@require_GET
def home(request):
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "surveys.view")
    office = _office(request.user)
    return render(request, "surveys/home.html", {
        "campaigns": selectors.campaigns(request.user)[:200],
        "collect": list(selectors.collect_units(request.user)[:200]),
        "oversees": policy.may_oversee(request.user),
        "manages": office is not None and policy.may_manage_campaigns(request.user, office)})


# --- questionnaires -------------------------------------------------------------------------------------

@login_required
@require_GET
def questionnaires(request):
    if not policy.may_oversee(request.user):
        access.refuse_forbidden(request.user, "surveys.view")
    office = _office(request.user)
    return render(request, "surveys/questionnaires.html", {
        "questionnaires": selectors.questionnaires(request.user),
        "manages": office is not None and policy.may_manage_questionnaires(request.user, office)})


@login_required
@require_POST
def builtin(request):
    office = _office(request.user)
    if office is None or not policy.may_manage_questionnaires(request.user, office):
        access.refuse_forbidden(request.user, "surveys.questionnaire_import")
    try:
        q = services.builtin_install(actor=request.user, owner=office)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("surveys:questionnaires")
    messages.success(request, f"已建立内置问卷“{q.title}”第{q.version}版（草稿），核对后请发布。")
    return redirect("surveys:questionnaire", pk=q.pk)


@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_import(request):
    office = _office(request.user)
    if office is None or not policy.may_manage_questionnaires(request.user, office):
        access.refuse_forbidden(request.user, "surveys.questionnaire_import")
    form = QuestionnaireImportForm(request.POST or None, request.FILES or None)
    errors = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            if upload.name.lower().endswith((".yaml", ".yml")):
                survey, errors = definition.read_yaml(data)
            else:
                survey, errors = definition.read_sheet(data, upload.name, code=form.cleaned_data["code"].strip(),
                                                       title=form.cleaned_data["title"].strip(),
                                                       intro=form.cleaned_data["intro"])
        except SheetError as error:
            form.add_error("file", str(error))
        else:
            if not errors:
                try:
                    q = services.questionnaire_import(actor=request.user, owner=office, data=survey)
                except ServiceError as error:
                    form.add_error(None, error.message)
                else:
                    messages.success(request, f"已导入“{q.title}”第{q.version}版（草稿），核对后请发布。")
                    return redirect("surveys:questionnaire", pk=q.pk)
    return render(request, "surveys/questionnaire_import.html", {"form": form, "errors": errors,
                                                                 "columns": definition.COLUMNS})


@login_required
@require_GET
def questionnaire_detail(request, pk: int):
    q = selectors.questionnaire_for(request.user, pk)
    return render(request, "surveys/questionnaire.html", {
        "q": q, "questions": list(q.questions.all()), "edits": policy.may_edit_questionnaire(request.user, q),
        "draft": q.status == QuestionnaireStatus.DRAFT})


@login_required
@require_POST
def questionnaire_publish(request, pk: int):
    q = selectors.questionnaire_for(request.user, pk)
    try:
        services.questionnaire_publish(actor=request.user, questionnaire=q)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已发布“{q.title}”第{q.version}版，可用于新的调查。")
    return redirect("surveys:questionnaire", pk=q.pk)


@login_required
@require_POST
def questionnaire_delete(request, pk: int):
    q = selectors.questionnaire_for(request.user, pk)
    try:
        services.questionnaire_delete(actor=request.user, questionnaire=q)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("surveys:questionnaire", pk=q.pk)
    messages.success(request, "已删除问卷草稿。")
    return redirect("surveys:questionnaires")


@login_required
@require_GET
def questionnaire_export(request, pk: int, fmt: str):
    q = selectors.questionnaire_for(request.user, pk)
    name = f"{q.title}-第{q.version}版"
    if fmt == "yaml":
        audit.download(actor=request.user, what="问卷", rows=q.questions.count(), target=q, format="yaml")
        response = HttpResponse(definition.to_yaml(q), content_type="application/x-yaml; charset=utf-8")
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(name)}.yaml"
        return response
    if fmt == "xlsx":
        audit.download(actor=request.user, what="问卷", rows=q.questions.count(), target=q, format="xlsx")
        return xlsx_response(definition.to_sheet(q), f"{name}.xlsx")
    messages.error(request, "只能导出为 YAML 或 Excel")
    return redirect("surveys:questionnaire", pk=q.pk)


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


# --- campaigns ------------------------------------------------------------------------------------------

@login_required
@require_http_methods(["GET", "POST"])
def campaign_new(request):
    office = _office(request.user)
    if office is None or not policy.may_manage_campaigns(request.user, office):
        access.refuse_forbidden(request.user, "surveys.campaign_create")
    scopes = [office, *Unit.objects.filter(path__startswith=office.path, is_active=True,
                                           kind__in=[UnitKind.DISTRICT, UnitKind.STREET]).exclude(pk=office.pk)
              .order_by("path")]
    usable = selectors.questionnaires(request.user).filter(status=QuestionnaireStatus.ACTIVE)
    form = CampaignForm(request.POST or None, scopes=scopes, questionnaires=usable)
    if request.method == "POST" and form.is_valid():
        c = form.cleaned_data
        item = services.CampaignInput(title=c["title"], scope=c["scope"], questionnaire=c["questionnaire"],
                                      mode=c["mode"], starts_on=c["starts_on"], ends_on=c["ends_on"],
                                      quota_rule=c["quota_rule"], quota_value=c["quota_value"],
                                      min_seconds=c["min_seconds"])
        try:
            campaign = services.campaign_create(actor=request.user, owner=office, item=item)
        except ServiceError as error:
            show_on_form(form, error)
        else:
            messages.success(request, f"已建立“{campaign.title}”，共{campaign.units.count()}个社区。核对配额后点“开始调查”。")
            return redirect("surveys:campaign", pk=campaign.pk)
    return render(request, "surveys/campaign_form.html", {"form": form, "office": office,
                                                          "no_questionnaire": not usable.exists()})


@login_required
@require_GET
def campaign_detail(request, pk: int):
    campaign = selectors.campaign_for(request.user, pk)
    manages = policy.may_manage_campaign(request.user, campaign)
    sees = policy.may_see_results(request.user, campaign)
    units = list(selectors.campaign_units(request.user, campaign)) if sees else []
    counts = selectors.results(request.user, campaign) if sees else None
    done = {row.unit.pk: row for row in counts.rows} if counts else {}
    rows = [(cu, done.get(cu.unit_id)) for cu in units]
    links = {}
    if manages and campaign.mode != CampaignMode.INTERVIEW:
        links = {cu.pk: request.build_absolute_uri(reverse("public_survey", args=[cu.token])) for cu in units}
    return render(request, "surveys/campaign.html", {
        "campaign": campaign, "manages": manages, "sees": sees, "rows": rows, "links": links, "total": counts,
        "flagged": counts.total.flagged if counts else 0,
        "collects": any(policy.may_collect(request.user, cu) for cu in units[:1]) if units else False})


@login_required
@require_POST
def campaign_action(request, pk: int, action: str):
    campaign = selectors.campaign_for(request.user, pk)
    if action not in ("open", "close", "check"):
        access.refuse_not_found(request.user, "surveys.campaign", target=campaign)
    try:
        if action == "open":
            services.campaign_open(actor=request.user, campaign=campaign)
            messages.success(request, "调查已开始，调查员和扫码链接现在可以提交答卷。")
        elif action == "close":
            services.campaign_close(actor=request.user, campaign=campaign)
            messages.success(request, "调查已结束，不再接收答卷。")
        elif action == "check":
            found = services.surveyors_check(actor=request.user, campaign=campaign)
            if found:
                messages.warning(request, f"{len(found)}名调查员的结果明显偏离其他调查员，其答卷已转为待复核。")
            else:
                messages.success(request, "未发现结果明显偏离的调查员。")
    except ServiceError as error:
        messages.error(request, error.message)
    return redirect("surveys:campaign", pk=campaign.pk)


@login_required
@require_GET
def qr_code(request, pk: int, unit_pk: int):
    campaign = selectors.campaign_for(request.user, pk)
    if not policy.may_manage_campaign(request.user, campaign):
        access.refuse_forbidden(request.user, "surveys.campaign", target=campaign)
    cu = campaign.units.filter(pk=unit_pk).first()
    if cu is None:
        access.refuse_not_found(request.user, "surveys.campaign", target=campaign)
    url = request.build_absolute_uri(reverse("public_survey", args=[cu.token]))
    return HttpResponse(qr_svg(url), content_type="image/svg+xml")


# --- results --------------------------------------------------------------------------------------------

def _level(request) -> str:
    level = request.GET.get("level") or "community"
    return level if level in selectors.LEVELS else "community"


@login_required
@require_GET
def results(request, pk: int):
    campaign = selectors.campaign_for(request.user, pk)
    if not policy.may_see_results(request.user, campaign):
        access.refuse_forbidden(request.user, "surveys.results", target=campaign)
    level = _level(request)
    found = selectors.results(request.user, campaign, level)
    questions = [q for q in campaign.questionnaire.questions.all() if q.kind != "text"]
    seq = parse_id(request.GET.get("q"))
    table = selectors.crosstab(request.user, campaign, seq, level) if seq else None
    page = Paginator(found.rows, RESULT_ROWS).get_page(request.GET.get("page"))
    chart = {"units": [r.unit.name for r in page.object_list],
             "series": [{"name": label, "data": [r.figures[rate].percent for r in page.object_list]}
                        for rate, label in found.rates]}
    if table is not None and page.object_list:   # the same units as the rates table (both in unit order)
        table.rows = table.rows[page.start_index() - 1:page.end_index()]
    params = {k: v for k, v in request.GET.items() if k in ("level", "q")}
    return render(request, "surveys/results.html", {
        "campaign": campaign, "found": found, "page": page, "rows": page.object_list, "params": params,
        "level": level, "levels": selectors.LEVEL_LABELS.items(), "questions": questions, "table": table, "seq": seq,
        "chart": chart})


@login_required
@require_GET
def results_export(request, pk: int):
    campaign = selectors.campaign_for(request.user, pk)
    if not policy.may_see_results(request.user, campaign):
        access.refuse_forbidden(request.user, "surveys.results", target=campaign)
    level = _level(request)
    found = selectors.results(request.user, campaign, level)
    header = ["单位", "样本配额", "有效样本", "待复核"]
    for _, label in found.rates:
        header += [f"{label}（%）", f"{label}95%置信区间", f"{label}样本"]
    header.append("提示")
    rows = []
    for row in [*found.rows, found.total]:
        line = [row.unit.name if row is not found.total else f"合计（{campaign.scope.name}）", row.quota,
                row.responses, row.flagged]
        for rate, _ in found.rates:
            fig = row.figures[rate]
            line += [fig.percent if fig.percent is not None else "", fig.interval_text, fig.n]
        line.append("；".join(row.notes))
        rows.append(line)
    audit.download(actor=request.user, what="问卷调查结果", rows=len(rows), target=campaign, format="xlsx")
    title = f"{campaign.title}{'（模拟调查）' if campaign.is_mock else ''}-结果"
    return xlsx_response(workbook_bytes("调查结果", header, rows), f"{title}.xlsx")


# --- review ---------------------------------------------------------------------------------------------

@login_required
@require_GET
def review_list(request, pk: int):
    campaign = selectors.campaign_for(request.user, pk)
    if not policy.may_review(request.user, campaign):
        access.refuse_forbidden(request.user, "surveys.response_review", target=campaign)
    rows = list(selectors.flagged(request.user, campaign)[:500])
    return render(request, "surveys/review.html", {"campaign": campaign, "rows": rows, "form": ReviewForm()})


@login_required
@require_POST
def response_review(request, pk: int):
    response = Response.objects.select_related("campaign", "unit").filter(
        policy.unit_filter(request.user), pk=pk).first()
    if response is None:
        access.refuse_not_found(request.user, "surveys.response")
    if not policy.may_review(request.user, response.campaign):
        access.refuse_forbidden(request.user, "surveys.response_review", target=response, unit=response.unit)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择复核结果")
    else:
        try:
            services.response_review(actor=request.user, response=response,
                                     count=form.cleaned_data["decision"] == "count", note=form.cleaned_data["note"])
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, "已复核。")
    return redirect("surveys:review", pk=response.campaign_id)


# --- collecting -----------------------------------------------------------------------------------------

@login_required
@require_GET
def collect_list(request):
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "surveys.collect")
    return render(request, "surveys/collect_list.html", {"units": selectors.collect_units(request.user)})


def _form_context(cu, submit_url: str, *, surveyor: bool) -> dict:
    campaign = cu.campaign
    questions = list(campaign.questionnaire.questions.all())
    return {"cu": cu, "campaign": campaign, "questions": questions, "submit_url": submit_url, "surveyor": surveyor,
            "open": campaign.status == CampaignStatus.OPEN, "rates": dict(Rate.choices)}


@login_required
@require_GET
def collect(request, pk: int):
    cu = selectors.collect_unit_for(request.user, pk)
    if cu.campaign.mode == CampaignMode.SELF:
        messages.info(request, "本次调查为扫码自填，请把社区的问卷链接或二维码发给居民。")
        return redirect("surveys:collect_list")
    households = services.drawn_households(cu)
    context = _form_context(cu, reverse("surveys:collect_submit", args=[cu.pk]), surveyor=True)
    context["households"] = households
    return render(request, "surveys/collect.html", context)


def _read_json(request) -> dict:
    if len(request.body) > MAX_BODY:
        raise _Bad("提交的内容过大")
    try:
        payload = json.loads(request.body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise _Bad("提交的内容格式不正确") from None
    if not isinstance(payload, dict):
        raise _Bad("提交的内容格式不正确")
    return payload


class _Bad(Exception):
    pass


def _digest(value) -> str:
    if not isinstance(value, str) or not value:
        return ""
    return hashlib.sha256(value[:200].encode("utf-8", "replace")).hexdigest()


def _submit(request, cu, *, surveyor):
    try:
        payload = _read_json(request)
    except _Bad as error:
        return JsonResponse({"code": "malformed_request", "message": str(error), "errors": {}}, status=400)
    household = payload.get("household")
    try:
        done = services.response_submit(
            campaign_unit=cu, client_key=payload.get("client_key") if isinstance(payload.get("client_key"), str) else "",
            answers=payload.get("answers"), started_at=payload.get("started_at"),
            submitted_at=payload.get("submitted_at"), surveyor=surveyor, device=_digest(payload.get("device")),
            respondent=_digest(payload.get("respondent")),
            household_id=household if isinstance(household, int) and not isinstance(household, bool) else
            (None if household in (None, "") else -1))
    except WenmingError as error:
        return JsonResponse(error.as_json(), status=error.status)
    return JsonResponse({"ok": True, "created": done.created,
                         "message": "已提交，谢谢！" if done.created else "该答卷已提交过，未重复计入。"},
                        status=201 if done.created else 200)


@login_required
@require_POST
def collect_submit(request, pk: int):
    cu = selectors.collect_unit_for(request.user, pk)
    return _submit(request, cu, surveyor=request.user)


# --- the public self-fill page (a community's link or QR code; no account) -----------------------------

@require_GET
def self_fill(request, token: str):
    cu = services.campaign_unit_for_token(token)
    if cu.campaign.mode == CampaignMode.INTERVIEW:
        return render(request, "surveys/self_fill_closed.html", {"cu": cu, "reason": "本次调查为入户调查，不接受扫码填写。"},
                      status=404)
    context = _form_context(cu, reverse("public_survey_submit", args=[token]), surveyor=False)
    return render(request, "surveys/self_fill.html", context)


@require_POST
def self_fill_submit(request, token: str):
    try:
        cu = services.campaign_unit_for_token(token)
    except WenmingError as error:
        return JsonResponse(error.as_json(), status=error.status)
    return _submit(request, cu, surveyor=None)

