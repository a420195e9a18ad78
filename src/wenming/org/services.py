"""Writes to the organisation: each function is one business action, runs in one transaction,
checks permission through core.access and writes an audit event."""

from __future__ import annotations

import secrets
import string

from django.db import IntegrityError, transaction

from wenming.core import access, audit
from wenming.core.errors import ServiceError
from wenming.core.masking import mask_phone

from .codes import code_error
from .doccodes import doc_code_error, normalize_doc_code
from .models import (
    ALLOWED_PARENTS,
    Membership,
    Patronage,
    PatronageKind,
    Role,
    Team,
    TeamKind,
    TeamMember,
    TeamUnit,
    Unit,
    UnitKind,
    User,
)

# --- units -----------------------------------------------------------------------------------------

def place_unit(unit: Unit) -> None:
    """Set ``path`` and ``depth`` from the (already saved) parent. Used by services and the demo."""
    if unit.parent_id:
        parent = unit.parent
        unit.path = f"{parent.path}{unit.pk}/"
        unit.depth = parent.depth + 1
    else:
        unit.path = f"/{unit.pk}/"
        unit.depth = 0
    Unit.objects.filter(pk=unit.pk).update(path=unit.path, depth=unit.depth)


MAX_POPULATION = 50_000_000


def validate_unit_fields(*, name: str, kind: str, code: str, parent: Unit | None, population: int | None,
                         contact_name: str = "", contact_phone: str = "", head_name: str = "",
                         exclude_pk: int | None = None, check_parent: bool = True,
                         check_unique: bool = True) -> dict[str, str]:
    """Field -> Chinese message for everything wrong; shared by the forms and the importer."""
    errors: dict[str, str] = {}
    if not name or not name.strip():
        errors["name"] = "名称不能为空"
    elif len(name) > 100:
        errors["name"] = "名称不能超过100个字"
    if kind not in UnitKind.values:
        errors["kind"] = f"类型“{kind}”无效，应为：{'、'.join(UnitKind.labels)}"
    else:
        parent_kind = parent.kind if parent else None
        if check_parent and parent_kind not in ALLOWED_PARENTS[kind]:
            if parent is None:
                errors["parent"] = f"{UnitKind(kind).label}必须有上级单位"
            else:
                errors["parent"] = f"{UnitKind(kind).label}不能隶属于{UnitKind(parent_kind).label}"
        message = code_error(code, kind, parent.code if parent else None, parent_kind)
        if message:
            errors["code"] = message
        elif check_unique and Unit.objects.filter(code=code).exclude(pk=exclude_pk).exists():
            errors["code"] = f"编码{code}已被其他单位使用"
    if population is not None and not 0 <= population <= MAX_POPULATION:
        errors["population"] = "常住人口应在0到5000万之间"
    if len(contact_name or "") > 50:
        errors["contact_name"] = "联系人不能超过50个字"
    if len(head_name or "") > 50:
        errors["head_name"] = "主要负责人不能超过50个字"
    if contact_phone and (len(contact_phone) > 20 or not _phone_ok(contact_phone)):
        errors["contact_phone"] = "联系电话格式不正确（手机号11位，或区号-号码）"
    return errors


def _phone_ok(phone: str) -> bool:
    digits = phone.replace("-", "").replace(" ", "")
    return digits.isdigit() and 7 <= len(digits) <= 13


def unit_create(*, actor: User, parent: Unit, name: str, kind: str, code: str, population: int = 0,
                contact_name: str = "", contact_phone: str = "", head_name: str = "") -> Unit:
    access.require(actor, "org.edit_units", parent)
    errors = validate_unit_fields(name=name, kind=kind, code=code, parent=parent, population=population,
                                  contact_name=contact_name, contact_phone=contact_phone, head_name=head_name)
    if errors:
        raise ServiceError("；".join(errors.values()), field=next(iter(errors)))
    try:
        with transaction.atomic():
            unit = Unit.objects.create(parent=parent, name=name.strip(), kind=kind, code=code,
                                       population=population, contact_name=contact_name,
                                       contact_phone=contact_phone, head_name=head_name)
            place_unit(unit)
            audit.record("org.unit_create", actor=actor, target=unit, unit=unit,
                         detail={"code": code, "kind": kind, "parent": parent.code, "name": unit.name})
    except IntegrityError as error:  # the same code submitted by someone else a moment ago
        raise ServiceError(f"编码{code}已被其他单位使用", field="code") from error
    return unit


def may_set_doc_code(user) -> bool:
    """Whether the user may set offices' 机关代字: the city office (the codes are unique city-wide)."""
    return access.scope_for(user).has_at_root("org.set_doc_code")


def unit_update(*, actor: User, unit: Unit, name: str, population: int, contact_name: str,
                contact_phone: str, head_name: str, is_active: bool, doc_code: str | None = None) -> Unit:
    """Save the unit's details. ``doc_code`` (机关代字): None leaves it as it is; "" clears it; a
    change needs ``org.set_doc_code`` at the city."""
    access.require(actor, "org.edit_units", unit)
    if doc_code is not None:
        doc_code = normalize_doc_code(doc_code)
        if doc_code == unit.doc_code:
            doc_code = None
        elif not may_set_doc_code(actor):
            access.refuse_forbidden(actor, "org.set_doc_code", unit, unit)
    errors = validate_unit_fields(name=name, kind=unit.kind, code=unit.code, parent=unit.parent,
                                  population=population, contact_name=contact_name, contact_phone=contact_phone,
                                  head_name=head_name, exclude_pk=unit.pk, check_parent=False)
    if doc_code:
        message = doc_code_error(doc_code, unit=unit, viewer_sees=access.scope_for(actor).sees_unit)
        if message:
            errors["doc_code"] = message
    if errors:
        raise ServiceError("；".join(errors.values()), field=next(iter(errors)))
    if not is_active and access.scope_for(actor).subtree_paths and unit.path in access.scope_for(actor).subtree_paths:
        raise ServiceError("不能停用本人所在的单位")
    try:
        with transaction.atomic():
            locked = Unit.objects.select_for_update().get(pk=unit.pk)
            fields = ["name", "population", "contact_name", "contact_phone", "head_name", "is_active", "doc_code"]
            before = {field: getattr(locked, field) for field in fields}
            locked.name, locked.population = name.strip(), population
            locked.contact_name, locked.contact_phone, locked.head_name = contact_name, contact_phone, head_name
            locked.is_active = is_active
            if doc_code is not None:
                locked.doc_code = doc_code
            locked.save()
            after = {field: getattr(locked, field) for field in fields}
            changed = {field: [before[field], after[field]] for field in fields if before[field] != after[field]}
            if "contact_phone" in changed:  # the audit log is kept for good: no phone in clear
                changed["contact_phone"] = [mask_phone(value) for value in changed["contact_phone"]]
            audit.record("org.unit_update", actor=actor, target=locked, unit=locked, detail={"changed": changed})
    except IntegrityError as error:  # the same code set on another unit a moment ago
        raise ServiceError(f"机关代字“{doc_code}”已被其他单位使用，请换一个", field="doc_code") from error
    return locked


# --- accounts --------------------------------------------------------------------------------------

def generate_password() -> str:
    """A temporary password that passes the validators: letters and digits, 12 characters."""
    alphabet = string.ascii_letters + string.digits
    while True:
        candidate = "".join(secrets.choice(alphabet) for _ in range(12))
        if any(c.isdigit() for c in candidate) and any(c.isalpha() for c in candidate):
            return candidate


def _check_grant(actor: User, unit: Unit, role: str) -> None:
    access.require(actor, "org.manage_accounts", unit)
    if role not in Role.values:
        raise ServiceError(f"角色“{role}”无效", field="role")
    if role == Role.ADMIN and not access.scope_for(actor).is_root_office:
        access.refuse_forbidden(actor, "org.grant_admin", unit, unit)


def _check_screen_alone(user: User, role: str) -> None:
    """A 大屏展示账号 holds its screen role alone: its session never times out, so it must not
    carry any other power (and a working account must not become one)."""
    others = Membership.objects.filter(user=user, is_active=True)
    if role == Role.SCREEN and others.exclude(role=Role.SCREEN).exists():
        raise ServiceError("大屏展示账号只能单独使用：该账号已有其他角色，请另建一个账号用于大屏展示", field="role")
    if role != Role.SCREEN and others.filter(role=Role.SCREEN).exists():
        raise ServiceError("这是大屏展示账号，只能查看领导驾驶舱，不能再授予其他角色", field="role")


def account_create(*, actor: User, username: str, full_name: str, phone: str, post: str, unit: Unit,
                   role: str) -> tuple[User, str]:
    """Create an account with one membership; returns it with a temporary password that must be
    changed at first login."""
    _check_grant(actor, unit, role)
    username = (username or "").strip()
    if not username:
        raise ServiceError("用户名不能为空", field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise ServiceError(f"用户名“{username}”已被使用", field="username")
    if phone and not _phone_ok(phone):
        raise ServiceError("手机号格式不正确", field="phone")
    password = generate_password()
    with transaction.atomic():
        user = User(username=username, full_name=full_name.strip(), phone=phone, post=post,
                    must_change_password=True)
        user.set_password(password)
        user.save()
        Membership.objects.create(user=user, unit=unit, role=role)
        audit.record("org.account_create", actor=actor, target=user, unit=unit,
                     detail={"username": username, "role": role, "unit": unit.code})
    return user, password


def manageable_users(actor: User):
    """Accounts the actor may manage: every active membership lies in his office subtree.
    (An account that also works elsewhere is managed by the office above both.)"""
    from .selectors import users_manageable_by

    return users_manageable_by(actor)


def _require_manageable(actor: User, user: User) -> None:
    if not manageable_users(actor).filter(pk=user.pk).exists():
        access.refuse_not_found(actor, "account", user)
    if user.pk == actor.pk:
        raise ServiceError("不能在账号管理中修改自己的账号，请在个人页面修改密码")


def account_set_active(*, actor: User, user: User, active: bool) -> User:
    access.require(actor, "org.manage_accounts")
    _require_manageable(actor, user)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.is_active = active
        locked.save(update_fields=["is_active"])
        audit.record("org.account_enable" if active else "org.account_disable", actor=actor, target=locked,
                     unit=_first_unit(locked))
    # a disabled account's sessions end at its next request: ModelBackend.get_user refuses
    # inactive users, so the session no longer authenticates.
    return locked


def account_reset_password(*, actor: User, user: User) -> str:
    access.require(actor, "org.manage_accounts")
    _require_manageable(actor, user)
    password = generate_password()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.set_password(password)  # changes the session hash: existing sessions end
        locked.must_change_password = True
        locked.save(update_fields=["password", "must_change_password"])
        audit.record("org.account_reset_password", actor=actor, target=locked, unit=_first_unit(locked))
    from axes.utils import reset as axes_reset

    axes_reset(username=locked.username)  # a reset also lifts a lockout
    return password


def account_update(*, actor: User, user: User, full_name: str, phone: str, post: str) -> User:
    access.require(actor, "org.manage_accounts")
    _require_manageable(actor, user)
    if phone and not _phone_ok(phone):
        raise ServiceError("手机号格式不正确", field="phone")
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {"full_name": locked.full_name, "phone": locked.phone, "post": locked.post}
        locked.full_name, locked.phone, locked.post = full_name.strip(), phone, post
        locked.save(update_fields=["full_name", "phone", "post"])
        changed = {k: [v, getattr(locked, k)] for k, v in before.items() if v != getattr(locked, k)}
        if "phone" in changed:  # the audit log is kept for good: no phone in clear
            changed["phone"] = [mask_phone(value) for value in changed["phone"]]
        audit.record("org.account_update", actor=actor, target=locked, unit=_first_unit(locked),
                     detail={"changed": changed})
    return locked


def membership_grant(*, actor: User, user: User, unit: Unit, role: str) -> Membership:
    _check_grant(actor, unit, role)
    _require_manageable(actor, user)
    _check_screen_alone(user, role)
    with transaction.atomic():
        membership, created = Membership.objects.select_for_update().get_or_create(
            user=user, unit=unit, role=role, defaults={"is_active": True})
        if not created and membership.is_active:
            raise ServiceError(f"该账号已在{unit.name}担任{Role(role).label}")
        membership.is_active = True
        membership.save()
        audit.record("org.role_grant", actor=actor, target=user, unit=unit, detail={"role": role, "unit": unit.code})
    return membership


def membership_revoke(*, actor: User, membership: Membership) -> None:
    access.require(actor, "org.manage_accounts", membership.unit)
    _require_manageable(actor, membership.user)
    with transaction.atomic():
        locked = Membership.objects.select_for_update().get(pk=membership.pk)
        if not locked.is_active:
            raise ServiceError("该角色已撤销")
        if Membership.objects.filter(user_id=locked.user_id, is_active=True).count() == 1:
            raise ServiceError("这是该账号唯一的角色；如不再使用请停用账号")
        locked.is_active = False
        locked.save(update_fields=["is_active", "updated_at"])
        audit.record("org.role_revoke", actor=actor, target=locked.user, unit=locked.unit,
                     detail={"role": locked.role, "unit": locked.unit.code})


def password_changed(*, user: User) -> None:
    """Called after the user changed his own password."""
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(must_change_password=False)
        user.must_change_password = False
        audit.record("auth.password_change", actor=user, target=user, unit=_first_unit(user))


def _first_unit(user: User) -> Unit | None:
    membership = user.memberships.select_related("unit").order_by("id").first()
    return membership.unit if membership else None


# --- teams and patronage ---------------------------------------------------------------------------

def team_create(*, actor: User, unit: Unit, name: str, kind: str, duties: str = "",
                parent: Team | None = None) -> Team:
    access.require(actor, "org.manage_teams", unit)
    if not name.strip():
        raise ServiceError("机构名称不能为空", field="name")
    if kind not in TeamKind.values:
        raise ServiceError("机构类型无效", field="kind")
    if parent is not None and parent.unit_id != unit.pk:
        raise ServiceError("上级机构必须属于同一单位", field="parent")
    with transaction.atomic():
        team = Team.objects.create(unit=unit, name=name.strip(), kind=kind, duties=duties, parent=parent,
                                   sort=Team.objects.filter(unit=unit).count())
        audit.record("org.team_create", actor=actor, target=team, unit=unit, detail={"kind": kind})
    return team


def team_member_add(*, actor: User, team: Team, person_name: str, team_post: str, post: str = "",
                    user: User | None = None) -> TeamMember:
    access.require_permission(actor, "org.manage_teams", team.unit)
    if not person_name.strip():
        raise ServiceError("姓名不能为空", field="person_name")
    with transaction.atomic():
        member = TeamMember.objects.create(team=team, person_name=person_name.strip(), team_post=team_post,
                                           post=post, user=user, sort=team.members.count())
        audit.record("org.team_member_add", actor=actor, target=team, unit=team.unit,
                     detail={"person": person_name, "team_post": team_post})
    return member


def team_member_remove(*, actor: User, member: TeamMember) -> None:
    access.require_permission(actor, "org.manage_teams", member.team.unit)
    with transaction.atomic():
        audit.record("org.team_member_remove", actor=actor, target=member.team, unit=member.team.unit,
                     detail={"person": member.person_name})
        member.delete()


def team_unit_add(*, actor: User, team: Team, unit: Unit, is_lead: bool = False) -> TeamUnit:
    access.require_permission(actor, "org.manage_teams", team.unit)
    access.require_visible(actor, unit)
    if TeamUnit.objects.filter(team=team, unit=unit).exists():
        raise ServiceError(f"{unit.name}已是该工作组的责任单位")
    with transaction.atomic():
        link = TeamUnit.objects.create(team=team, unit=unit, is_lead=is_lead)
        audit.record("org.team_unit_add", actor=actor, target=team, unit=team.unit,
                     detail={"unit": unit.code, "is_lead": is_lead})
    return link


def patronage_create(*, actor: User, target_unit: Unit, patron_user: User | None = None,
                     patron_unit: Unit | None = None, kind: str = PatronageKind.BAOBAO, note: str = "") -> Patronage:
    access.require(actor, "org.manage_patronage", target_unit)
    if patron_user is None and patron_unit is None:
        raise ServiceError("请选择包保领导或包保单位")
    if patron_unit is not None:
        access.require_visible(actor, patron_unit)
    if patron_user is not None and not Membership.objects.filter(
            access.scope_for(actor).unit_filter("unit__"), user=patron_user, role=Role.LEADER,
            is_active=True).exists():
        # a patron gains sight of the target: only leaders of the actor's own scope may be named
        raise ServiceError("包保领导必须是您范围内具有“领导”角色的账号", field="patron_user")
    with transaction.atomic():
        patronage = Patronage.objects.create(kind=kind, patron_user=patron_user, patron_unit=patron_unit,
                                             target_unit=target_unit, note=note)
        audit.record("org.patronage_create", actor=actor, target=target_unit, unit=target_unit,
                     detail={"patron_user": getattr(patron_user, "username", None),
                             "patron_unit": getattr(patron_unit, "code", None), "kind": kind})
    return patronage


def patronage_end(*, actor: User, patronage: Patronage) -> None:
    access.require(actor, "org.manage_patronage", patronage.target_unit)
    with transaction.atomic():
        Patronage.objects.filter(pk=patronage.pk).update(is_active=False)
        audit.record("org.patronage_end", actor=actor, target=patronage.target_unit, unit=patronage.target_unit,
                     detail={"patronage": patronage.pk})
