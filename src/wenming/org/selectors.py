"""Reads of the organisation, always scoped to the acting user."""

from __future__ import annotations

from django.db.models import (
    Case,
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from wenming.core import access

from .models import Membership, Patronage, Role, Team, TeamMember, TeamUnit, Unit, UnitKind, User


def units_visible_to(user) -> QuerySet[Unit]:
    return Unit.objects.filter(access.scope_for(user).unit_filter())


def unit_roots_for(user) -> QuerySet[Unit]:
    """The top of each branch the user sees — where his tree browser starts."""
    scope = access.scope_for(user)
    paths = scope.subtree_paths
    ids = {int(path.strip("/").split("/")[-1]) for path in paths}
    for unit_id, path in Unit.objects.filter(id__in=scope.own_unit_ids).values_list("id", "path"):
        if not any(path.startswith(p) for p in paths):
            ids.add(unit_id)
    return Unit.objects.filter(id__in=ids).annotate(child_count=Count("children")).order_by("path")


def unit_get(user, pk: int) -> Unit:
    unit = Unit.objects.select_related("parent").filter(pk=pk).first()
    access.require_visible(user, unit, target=f"org.unit:{pk}")
    return unit


KIND_ORDER = Case(*[When(kind=kind, then=Value(index)) for index, kind in enumerate(UnitKind.values)],
                  output_field=IntegerField())


def unit_children(user, unit: Unit) -> QuerySet[Unit]:
    """Administrative children first (streets, communities…), then departments, schools, enterprises."""
    return (units_visible_to(user).filter(parent=unit)
            .annotate(child_count=Count("children"), kind_order=KIND_ORDER).order_by("kind_order", "code"))


def unit_search(user, text: str, limit: int = 50) -> QuerySet[Unit]:
    text = text.strip()
    qs = units_visible_to(user).select_related("parent")
    if text:
        qs = qs.filter(Q(name__icontains=text) | Q(code__startswith=text))
    return qs.order_by("depth", "path")[:limit]


def unit_breadcrumbs(user, unit: Unit) -> list[Unit]:
    ids = unit.ancestor_ids()
    by_id = {u.pk: u for u in units_visible_to(user).filter(id__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


def unit_members(unit: Unit) -> QuerySet[Membership]:
    return (Membership.objects.filter(unit=unit, is_active=True, user__is_active=True)
            .select_related("user").order_by("role", "user__full_name"))


def unit_teams(unit: Unit) -> QuerySet[Team]:
    """Teams the unit owns and the working groups it is responsible in."""
    return (Team.objects.filter(Q(unit=unit) | Q(responsible_units__unit=unit)).distinct()
            .select_related("unit").order_by("unit__path", "sort"))


def unit_patrons(unit: Unit) -> QuerySet[Patronage]:
    """Patrons of the unit itself and of the units above it (a district leader's 包保 of a
    street covers its communities)."""
    ids = unit.ancestor_ids() + [unit.pk]
    return (Patronage.objects.filter(target_unit_id__in=ids, is_active=True)
            .select_related("patron_user", "patron_unit", "target_unit").order_by("-target_unit__depth"))


def unit_patronages_given(unit: Unit) -> QuerySet[Patronage]:
    return Patronage.objects.filter(patron_unit=unit, is_active=True).select_related("target_unit")


def _team_filter(user) -> Q:
    """Teams of units in scope, and the teams above the user's own units (a street handler
    sees his district's and the city's leading group and working groups)."""
    scope = access.scope_for(user)
    if not scope.has("org.view"):
        return Q(pk__in=[])
    staff = access.PERMISSIONS["org.view"]
    above = {int(part) for path, _, role in scope.grants if role in staff for part in path.strip("/").split("/")}
    return scope.unit_filter("unit__") | Q(unit_id__in=above)


def teams_visible_to(user) -> QuerySet[Team]:
    return (Team.objects.filter(_team_filter(user)).select_related("unit", "parent")
            .annotate(member_count=Count("members", distinct=True))
            .order_by("unit__path", "sort", "id"))


def team_ids_visible_to(user, teams) -> set[int]:
    """Which of ``teams`` the user may open (one query, none for no teams)."""
    ids = {team.pk for team in teams}
    return set(Team.objects.filter(_team_filter(user), pk__in=ids).values_list("pk", flat=True)) if ids else set()


def team_get(user, pk: int) -> Team:
    team = Team.objects.select_related("unit", "parent").filter(_team_filter(user), pk=pk).first()
    if team is None:
        access.refuse_not_found(user, "team", f"org.team:{pk}")
    return team


def team_detail(team: Team) -> dict:
    return {
        "members": TeamMember.objects.filter(team=team).select_related("user"),
        "units": TeamUnit.objects.filter(team=team).select_related("unit"),
        "subteams": team.subteams.annotate(member_count=Count("members")).order_by("sort", "id"),
    }


def users_visible_to(user) -> QuerySet[User]:
    """Accounts holding an active role at a unit the user sees (for picking people in forms)."""
    scope = access.scope_for(user)
    return User.objects.filter(Exists(Membership.objects.filter(
        scope.unit_filter("unit__"), user=OuterRef("pk"), is_active=True)))


PRIVILEGED_ROLES = [Role.OFFICE, Role.LEADER, Role.ADMIN]


def users_manageable_by(actor) -> QuerySet[User]:
    """Accounts an office may manage:

    * every active membership lies inside one of the actor's office subtrees;
    * below the city, an account holding an office, leader or admin role at the office's own unit
      is a peer or a superior and is managed by the office above — so is a leader whose 包保
      reaches outside the subtree (resetting his password would open that scope);
    * accounts with no active membership are managed by the city (root) office only.
    """
    scope = access.scope_for(actor)
    office_grants = [(path, unit_id) for path, unit_id, role in scope.grants if role == Role.OFFICE]
    office_paths = access._minimal([path for path, _ in office_grants])
    if not office_paths:
        return User.objects.none()
    inside = Q(*[Q(unit__path__startswith=p) for p in office_paths], _connector=Q.OR)
    outside_membership = Membership.objects.filter(user=OuterRef("pk"), is_active=True).exclude(inside)
    any_membership = Membership.objects.filter(user=OuterRef("pk"), is_active=True)
    # an API token's service account is managed on the token page only (core/tokens.py): granting
    # it roles or a password would widen what the integration may do, or let someone log in as it
    qs = (User.objects.filter(api_token__isnull=True)
          .annotate(_outside=Exists(outside_membership), _any=Exists(any_membership)))
    if scope.is_root_office:
        return qs.filter(_outside=False)
    office_unit_ids = [unit_id for path, unit_id in office_grants if path in office_paths]
    peer = Membership.objects.filter(user=OuterRef("pk"), is_active=True, role__in=PRIVILEGED_ROLES,
                                     unit_id__in=office_unit_ids)
    inside_target = Q(*[Q(target_unit__path__startswith=p) for p in office_paths], _connector=Q.OR)
    patron_outside = Patronage.objects.filter(patron_user=OuterRef("pk"), is_active=True).exclude(inside_target)
    return qs.filter(_outside=False, _any=True).exclude(Exists(peer)).exclude(Exists(patron_outside))


def account_list(actor, *, text: str = "", role: str = "", unit: Unit | None = None,
                 active: str = "") -> QuerySet[User]:
    qs = users_manageable_by(actor)
    if text:
        qs = qs.filter(Q(username__icontains=text) | Q(full_name__icontains=text) | Q(phone__endswith=text))
    if role:
        qs = qs.filter(memberships__role=role, memberships__is_active=True)
    if unit is not None:
        qs = qs.filter(memberships__unit__path__startswith=unit.path, memberships__is_active=True)
    if active in {"1", "0"}:
        qs = qs.filter(is_active=active == "1")
    active_memberships = Membership.objects.filter(is_active=True).select_related("unit").order_by("id")
    return (qs.distinct().order_by("username")
            .prefetch_related(Prefetch("memberships", queryset=active_memberships, to_attr="active_memberships")))


def account_get(actor, pk: int) -> User:
    access.require(actor, "org.manage_accounts")
    user = users_manageable_by(actor).filter(pk=pk).first()
    if user is None:
        access.refuse_not_found(actor, "account", f"org.user:{pk}")
    return user


def account_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("unit").order_by("-is_active", "id")


def units_by_name(user, text: str, limit: int = 20) -> list[Unit]:
    """The name-search pickers (交办 unit, the ledger's and the metrics' unit filter): active units
    the user sees whose name, or whose parent's name, contains ``text`` — higher units first."""
    text = (text or "").replace("\x00", "").strip()[:50]
    if not text:
        return []
    return list(units_visible_to(user).filter(is_active=True)
                .filter(Q(name__icontains=text) | Q(parent__name__icontains=text))
                .select_related("parent").order_by("depth", "path")[:limit])


def person_label(user: User, viewer=None) -> str:
    """How a person is named in a picker: name, post and unit, so two 张伟 can be told apart. The
    unit named is one the viewer sees (his first such role), else none."""
    unit_name = getattr(user, "first_unit_name", None)
    if unit_name is None and viewer is not None:
        unit_name = (Membership.objects.filter(access.scope_for(viewer).unit_filter("unit__"), user=user, is_active=True)
                     .order_by("unit__depth", "id").values_list("unit__name", flat=True).first())
    parts = [part for part in (user.post, unit_name) if part]
    return f"{user.display_name}（{'，'.join(parts)}）" if parts else user.display_name


PICKABLE_ROLES = [Role.OFFICE, Role.LEADER, Role.ADMIN, Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR]


def people_pickable(user, role: str = "", above: bool = False) -> QuerySet[User]:
    """Active accounts a person picker offers: staff (not citizens or volunteers) holding an active
    role at a unit the user sees; with ``role``, holding that role there. ``above`` (a point's
    包保领导 only — places.services.patron_fits accepts them) adds the leaders of the units above
    the user's own."""
    scope = access.scope_for(user)
    roles = [role] if role in PICKABLE_ROLES else PICKABLE_ROLES
    where = scope.unit_filter("unit__")
    if above and role == Role.LEADER:
        ancestors = {int(part) for path, _, _ in scope.grants for part in path.strip("/").split("/") if part}
        where |= Q(unit_id__in=ancestors)
    return User.objects.filter(is_active=True, pk__in=Membership.objects.filter(
        where, role__in=roles, is_active=True, unit__is_active=True).values("user_id"))


def people_by_name(user, text: str, role: str = "", above: bool = False, limit: int = 20) -> list[User]:
    """The person pickers (团队成员关联账号, 包保领导): :func:`people_pickable` whose name or
    username contains ``text``. Each carries ``label`` (person_label, naming a unit the user sees)."""
    text = (text or "").replace("\x00", "").strip()[:50]
    if not text:
        return []
    qs = people_pickable(user, role, above).filter(Q(full_name__icontains=text) | Q(username__icontains=text))
    first_unit = (Membership.objects.filter(access.scope_for(user).unit_filter("unit__"), user=OuterRef("pk"),
                                            is_active=True).order_by("unit__depth", "id").values("unit__name")[:1])
    people = list(qs.annotate(first_unit_name=Subquery(first_unit)).order_by("full_name", "username")[:limit])
    for person in people:
        person.label = person_label(person)
    return people
