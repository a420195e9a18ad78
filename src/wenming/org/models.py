"""Organisation: units in a tree, people and their roles, teams, patronage (包保)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from wenming.core.models import TimeStampedModel


class UnitKind(models.TextChoices):
    CITY = "city", "市"
    DISTRICT = "district", "区县"
    STREET = "street", "街道/镇"
    COMMUNITY = "community", "社区/村"
    GRID = "grid", "网格"
    DEPARTMENT = "department", "职能部门"
    ENTERPRISE = "enterprise", "企业"
    SCHOOL = "school", "学校"


# administrative units and the length of their division code (6-digit county + 3 + 3 + 3)
ADMIN_CODE_LENGTH = {
    UnitKind.CITY: 6,
    UnitKind.DISTRICT: 6,
    UnitKind.STREET: 9,
    UnitKind.COMMUNITY: 12,
    UnitKind.GRID: 15,
}
# which kinds may hang under which
ALLOWED_PARENTS = {
    UnitKind.CITY: {None},
    UnitKind.DISTRICT: {UnitKind.CITY},
    UnitKind.STREET: {UnitKind.DISTRICT, UnitKind.CITY},
    UnitKind.COMMUNITY: {UnitKind.STREET},
    UnitKind.GRID: {UnitKind.COMMUNITY},
    UnitKind.DEPARTMENT: {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET},
    UnitKind.ENTERPRISE: {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT},
    UnitKind.SCHOOL: {UnitKind.CITY, UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.DEPARTMENT},
}


class Unit(TimeStampedModel):
    """A node of the organisation tree. ``path`` is the materialised chain of ids ("/1/7/42/"),
    so a subtree is one indexed prefix query whatever its depth."""

    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=16, choices=UnitKind.choices)
    code = models.CharField("编码", max_length=18, unique=True)
    parent = models.ForeignKey("self", verbose_name="上级单位", null=True, blank=True,
                               on_delete=models.PROTECT, related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    population = models.PositiveIntegerField("常住人口", default=0)
    contact_name = models.CharField("联系人", max_length=50, blank=True)
    contact_phone = models.CharField("联系电话", max_length=20, blank=True)
    head_name = models.CharField("主要负责人", max_length=50, blank=True)
    # 机关代字: the office's abbreviation at the head of its documents' numbers (江创城督〔2026〕3号),
    # 1-8 Chinese characters, set by the city office (org.doccodes); blank: a derived one is used
    doc_code = models.CharField("机关代字", max_length=8, blank=True, default="")
    is_active = models.BooleanField("启用", default=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        indexes = [models.Index(fields=["parent", "kind"])]
        constraints = [models.UniqueConstraint(fields=["doc_code"], condition=~Q(doc_code=""),
                                               name="unit_doc_code_unique")]

    def __str__(self) -> str:
        return self.name

    @property
    def is_administrative(self) -> bool:
        return self.kind in ADMIN_CODE_LENGTH

    def ancestor_ids(self) -> list[int]:
        return [int(part) for part in self.path.strip("/").split("/") if part][:-1]


class UnitBoundary(models.Model):
    """A unit's area on the map, as the city's grid system draws it: a GeoJSON ``Polygon`` or
    ``MultiPolygon`` in WGS-84 longitude/latitude (org.boundaries imports, checks and exports
    it), with its bounding box so that finding the units at a point looks at a handful of rows."""

    unit = models.OneToOneField(Unit, on_delete=models.CASCADE, primary_key=True, related_name="boundary",
                                verbose_name="单位")
    geometry = models.JSONField("边界（GeoJSON）")
    min_lat = models.DecimalField(max_digits=9, decimal_places=6)
    max_lat = models.DecimalField(max_digits=9, decimal_places=6)
    min_lon = models.DecimalField(max_digits=9, decimal_places=6)
    max_lon = models.DecimalField(max_digits=9, decimal_places=6)
    vertices = models.PositiveIntegerField("顶点数", default=0)
    source = models.CharField("来源文件", max_length=200, blank=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "单位边界"
        verbose_name_plural = "单位边界"
        indexes = [models.Index(fields=["min_lat", "max_lat"], name="boundary_lat_range")]

    def __str__(self) -> str:
        return f"{self.unit}的边界"


class DocCodeClaim(models.Model):
    """A 机关代字 that a unit has put on an issued document. A code belongs to one unit for good
    once used (the unique ``code``), so two offices never write the same document number, even
    after one of them changes its code (org.doccodes)."""

    code = models.CharField("机关代字", max_length=40, unique=True)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="doc_code_claims", verbose_name="单位")
    claimed_at = models.DateTimeField("首次使用时间", auto_now_add=True)

    class Meta:
        verbose_name = "机关代字使用记录"
        verbose_name_plural = "机关代字使用记录"

    def __str__(self) -> str:
        return f"{self.code}（{self.unit}）"


class Role(models.TextChoices):
    OFFICE = "office", "创建办"
    LEADER = "leader", "领导"
    INSPECTOR = "inspector", "督查员"
    HANDLER = "handler", "责任单位经办人"
    GRID_WORKER = "grid_worker", "网格员"
    VOLUNTEER = "volunteer", "志愿者"
    CITIZEN = "citizen", "市民"
    ADMIN = "admin", "系统管理员"
    # a big-screen display account (大屏展示账号): reads the 领导驾驶舱 of its unit and nothing else;
    # its session does not time out (core.middleware.ScreenAccountMiddleware). Held alone (org.services).
    SCREEN = "screen", "大屏展示账号"


# roles that see the whole subtree of their unit; the others see their own unit only
SUBTREE_ROLES = {Role.OFFICE, Role.LEADER, Role.ADMIN}
STAFF_ROLES = {Role.OFFICE, Role.LEADER, Role.INSPECTOR, Role.HANDLER, Role.GRID_WORKER, Role.ADMIN}


class WenmingUserManager(UserManager):
    pass


class User(AbstractUser):
    """A person who logs in. What he may see and do comes from his memberships."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("手机号", max_length=20, blank=True)
    post = models.CharField("职务", max_length=100, blank=True)
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)

    objects = WenmingUserManager()

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class Membership(TimeStampedModel):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("角色", max_length=16, choices=Role.choices)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        constraints = [models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique")]
        indexes = [models.Index(fields=["unit", "role"])]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit} · {self.get_role_display()}"


class TeamKind(models.TextChoices):
    LEADING_GROUP = "leading_group", "领导小组"
    OFFICE = "office", "领导小组办公室（创建办）"
    WORKING_GROUP = "working_group", "工作组"
    INSPECTION_GROUP = "inspection_group", "督查组"


class Team(TimeStampedModel):
    name = models.CharField("名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=TeamKind.choices)
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="teams")
    parent = models.ForeignKey("self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="subteams")
    duties = models.TextField("工作职责", blank=True)
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "机构"
        verbose_name_plural = "机构"
        ordering = ["unit_id", "sort", "id"]

    def __str__(self) -> str:
        return self.name


class TeamPost(models.TextChoices):
    LEADER = "leader", "组长"
    DEPUTY = "deputy", "副组长"
    MEMBER = "member", "成员"
    DIRECTOR = "director", "主任"
    DEPUTY_DIRECTOR = "deputy_director", "副主任"
    STAFF = "staff", "工作人员"


class TeamMember(models.Model):
    """A person on a team. Leading-group members are often leaders without an account,
    so the name and post are kept here and the account is optional."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="members")
    team_post = models.CharField("组内职务", max_length=20, choices=TeamPost.choices)
    person_name = models.CharField("姓名", max_length=50)
    post = models.CharField("职务", max_length=100, blank=True)
    user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="team_posts")
    sort = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = "机构成员"
        verbose_name_plural = "机构成员"
        ordering = ["team_id", "sort", "id"]


class TeamUnit(models.Model):
    """A unit responsible within a working group; ``is_lead`` marks the 牵头单位."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="responsible_units")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="team_duties")
    is_lead = models.BooleanField("牵头", default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "unit"], name="teamunit_unique")]
        ordering = ["-is_lead", "id"]


class PatronageKind(models.TextChoices):
    BAOBAO = "baobao", "包保"
    BAOLIAN = "baolian", "包联"


class Patronage(TimeStampedModel):
    """A leader (or a unit) assigned to look after a unit: "区领导分包社区、街路责任制".
    Roads and points get their own target columns when those apps arrive."""

    kind = models.CharField("类型", max_length=10, choices=PatronageKind.choices, default=PatronageKind.BAOBAO)
    patron_user = models.ForeignKey(User, verbose_name="包保领导", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="patronages")
    patron_unit = models.ForeignKey(Unit, verbose_name="包保单位", null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="patronages_given")
    target_unit = models.ForeignKey(Unit, verbose_name="包保对象", on_delete=models.PROTECT,
                                    related_name="patrons")
    note = models.CharField("说明", max_length=200, blank=True)
    is_active = models.BooleanField("有效", default=True)

    class Meta:
        verbose_name = "包保关系"
        verbose_name_plural = "包保关系"
        constraints = [
            models.CheckConstraint(
                condition=Q(patron_user__isnull=False) | Q(patron_unit__isnull=False),
                name="patronage_has_patron",
            )
        ]

    @property
    def patron_label(self) -> str:
        if self.patron_user_id:
            user = self.patron_user
            return f"{user.display_name}（{user.post}）" if user.post else user.display_name
        return self.patron_unit.name
