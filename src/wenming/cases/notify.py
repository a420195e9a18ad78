"""Who hears about what: in-app notifications (the inbox) and the outbound channel (SMS/email)."""

from __future__ import annotations

from django.urls import reverse

from wenming.core import outbound
from wenming.core.dates import chinese_datetime
from wenming.org.models import Membership, Patronage, Role, Unit

from .intake import sql as intake_sql
from .models import Notification, Problem


def _url(problem: Problem) -> str:
    return reverse("cases:detail", args=[problem.code])


def unit_staff(unit: Unit | None):
    if unit is None:
        return []
    return list(Membership.objects.filter(unit=unit, role__in=[Role.HANDLER, Role.GRID_WORKER], is_active=True,
                                          user__is_active=True).select_related("user").values_list("user", flat=True))


def nearest_office_users(unit: Unit | None) -> list[int]:
    """Office users of the nearest unit at or above ``unit`` that has any."""
    if unit is None:
        return []
    ids = list(reversed(unit.ancestor_ids() + [unit.pk]))
    offices = {}
    for user_id, unit_id in intake_sql.office_memberships(ids):  # plain SQL: this runs on every intake
        offices.setdefault(unit_id, []).append(user_id)
    for unit_id in ids:
        if unit_id in offices:
            return offices[unit_id]
    return []


def patron_leaders(unit: Unit | None) -> list[int]:
    if unit is None:
        return []
    ids = unit.ancestor_ids() + [unit.pk]
    return list(Patronage.objects.filter(target_unit_id__in=ids, is_active=True, patron_user__isnull=False)
                .values_list("patron_user_id", flat=True))


def send(user_ids, problem: Problem, title: str, body: str = "", sms: bool = False) -> None:
    user_ids = sorted({uid for uid in user_ids if uid})
    url = _url(problem)
    limit = Notification._meta.get_field("title").max_length
    if len(title) > limit:  # a long problem title: the inbox shows the start, the problem the rest
        title = title[:limit - 1] + "…"
    intake_sql.insert_many([Notification(user_id=uid, problem=problem, title=title, body=body, url=url)
                            for uid in user_ids])
    if sms:
        from wenming.org.models import User

        for phone in User.objects.filter(pk__in=user_ids).exclude(phone="").values_list("phone", flat=True):
            outbound.send_sms(phone, f"【创城办】{title}。{body}"[:300])


def problem_reported(problem: Problem, recipients: list[int] | None = None) -> None:
    """``recipients``: the office users of the problem's area when the caller has them already."""
    if recipients is None:
        recipients = nearest_office_users(problem.area)
    send(recipients, problem, f"新问题待受理：{problem.code} {problem.title}",
         f"{problem.get_source_display()}，{problem.area.name}")
    if problem.reporter_phone:  # the reporter's receipt, with the code he can look it up by
        outbound.send_sms(problem.reporter_phone,
                          f"【创城办】您反映的问题已登记，编号{problem.code}，查询码{problem.tracking_display}。"
                          f"可凭查询码在“问题查询”页查看办理进度。")


def _tell_reporter(problem: Problem, text: str) -> None:
    """A text to the phone the reporter left (a citizen without an account, or one who asked for it)."""
    if problem.reporter_phone:
        outbound.send_sms(problem.reporter_phone, f"【创城办】您反映的问题{problem.code}{text}")


def after_action(problem: Problem, action: str, *, actor, note: str, data: dict) -> None:
    code, title = problem.code, problem.title
    if action in {"assign", "reassign", "escalate"}:
        deadline = chinese_datetime(problem.deadline, year=False) if problem.deadline else ""
        send(unit_staff(problem.unit), problem, f"交办：{code} {title}", f"请于{deadline}前整改完毕", sms=True)
    elif action in {"request_return", "request_coordination", "request_extension"}:
        labels = {"request_return": "申请退回", "request_coordination": "申请协调", "request_extension": "申请延期"}
        send(nearest_office_users(problem.unit or problem.area), problem, f"{labels[action]}待审核：{code}", note)
    elif action in {"approve_return", "refuse_return", "refuse_coordination", "approve_extension",
                    "refuse_extension"}:
        labels = {"approve_return": "同意退回", "refuse_return": "不同意退回", "refuse_coordination": "不同意协调",
                  "approve_extension": "同意延期", "refuse_extension": "不同意延期"}
        requester = problem.requests.order_by("-requested_at").values_list("requested_by", flat=True).first()
        send([requester], problem, f"{labels[action]}：{code}", note)
        if action == "approve_return":
            send(nearest_office_users(problem.area), problem, f"待重新交办：{code} {title}", note)
    elif action == "submit":
        verifiers = [problem.verifier_id] if problem.verifier_id else nearest_office_users(problem.unit)
        send(verifiers, problem, f"待复核：{code} {title}", note)
    elif action in {"verify_pass", "verify_fail"}:
        label = "复核通过，已销号" if action == "verify_pass" else "复核不通过，请重新整改"
        send(unit_staff(problem.unit), problem, f"{label}：{code}", note, sms=action == "verify_fail")
        if action == "verify_pass":
            followers = list(problem.followers.values_list("pk", flat=True))
            send([problem.reporter_id, *followers], problem, f"您反映的问题已整改销号：{code}", title)
            _tell_reporter(problem, "已整改完毕并销号，感谢您的参与。")
    elif action in {"reject", "merge"}:
        label = "不予受理" if action == "reject" else "已与其他问题合并"
        send([problem.reporter_id], problem, f"您反映的问题{label}：{code}", note)
        _tell_reporter(problem, f"{label}。{note}"[:200])


def warned(problem: Problem) -> None:
    deadline = chinese_datetime(problem.deadline, year=False)
    send(unit_staff(problem.unit), problem, f"即将到期：{problem.code} {problem.title}", f"整改期限{deadline}",
         sms=True)


def escalated(problem: Problem, notice) -> None:
    recipients = unit_staff(problem.unit)
    if notice.kind == "letter":
        recipients += patron_leaders(problem.unit)
    send(recipients + nearest_office_users(problem.unit), problem, f"{notice.get_kind_display()} {notice.number}：{problem.code}",
         f"已逾期，请于{chinese_datetime(notice.deadline, year=False)}前整改完毕", sms=True)


def bulletined(problem: Problem) -> None:
    send(unit_staff(problem.unit) + patron_leaders(problem.unit) + nearest_office_users(problem.unit), problem,
         f"列入通报批评：{problem.code} {problem.title}", "督办函期限已过仍未整改", sms=True)
