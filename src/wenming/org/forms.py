from django import forms

from wenming.core import access

from .models import PatronageKind, Role, TeamKind, TeamPost, Unit, UnitKind
from .widgets import PersonPicker, UnitPicker


class UnitCodeField(forms.CharField):
    """A unit, chosen by name in a picker (org/widgets.py) that sends its code. A unit outside the
    user's scope gets the same answer as a code that does not exist, so the form reveals nothing
    (services check the scope again)."""

    scope_user = None

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 18)
        kwargs.setdefault("label", "单位")
        kwargs.setdefault("widget", UnitPicker)
        super().__init__(**kwargs)

    def clean(self, value):
        code = super().clean(value)
        if not code:
            return None
        unit = Unit.objects.filter(code=code.strip()).first()
        if unit is None or (self.scope_user is not None and not access.scope_for(self.scope_user).sees_unit(unit)):
            raise forms.ValidationError(f"找不到编码为{code}的单位，或该单位不在您的范围内")
        return unit


class PersonField(forms.CharField):
    """A person's account, chosen by name in a picker (org/widgets.py) that sends the username;
    ``role`` narrows the picker's matches (e.g. leaders for a 包保领导). Whether the account may be
    named is checked by the view or service that uses it, with one message whether it exists or not;
    ``above`` offers also the leaders of the units above the user's, where the service accepts them."""

    def __init__(self, *, role: str = "", above: bool = False, **kwargs):
        params = {"role": role} if role else {}
        if above:
            params["above"] = "1"   # also the leaders of the units above the user's (a point's 包保领导)
        kwargs.setdefault("max_length", 150)
        kwargs.setdefault("widget", PersonPicker(search_params=params))
        super().__init__(**kwargs)


class ScopedForm(forms.Form):
    """A form whose unit fields only accept units the user sees, and whose pickers show only names
    the user may see."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, UnitCodeField):
                field.scope_user = user
            if isinstance(field.widget, (UnitPicker, PersonPicker)):
                field.widget.scope_user = user


class UnitForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=UnitKind.choices)
    code = forms.CharField(label="编码", max_length=18,
                           help_text="行政单位用区划编码（街道9位、社区12位、网格15位）；部门、企业、学校用18位统一社会信用代码")
    population = forms.IntegerField(label="常住人口", min_value=0, initial=0)
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    head_name = forms.CharField(label="主要负责人", max_length=50, required=False)


class UnitEditForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100)
    population = forms.IntegerField(label="常住人口", min_value=0)
    contact_name = forms.CharField(label="联系人", max_length=50, required=False)
    contact_phone = forms.CharField(label="联系电话", max_length=20, required=False)
    head_name = forms.CharField(label="主要负责人", max_length=50, required=False)
    # checked by the service (org.doccodes), which gives the Chinese reason
    doc_code = forms.CharField(label="机关代字", required=False, strip=True,
                               help_text="督办文书文号开头的机关代字，1至8个汉字，各单位不能重复，"
                                         "如“江创城”（文号：江创城督〔2026〕3号）；留空则由名称生成")
    is_active = forms.BooleanField(label="启用", required=False)

    def __init__(self, *args, doc_code: bool = False, **kwargs):
        """``doc_code``: whether the 机关代字 field is shown (only the city office sets it)."""
        super().__init__(*args, **kwargs)
        if not doc_code:
            del self.fields["doc_code"]


class ImportForm(forms.Form):
    file = forms.FileField(label="单位表（.xlsx 或 .csv）")


class BoundaryImportForm(forms.Form):
    file = forms.FileField(label="边界文件（GeoJSON，.geojson 或 .json）")


class AccountForm(ScopedForm):
    username = forms.RegexField(label="用户名", max_length=150, regex=r"^[A-Za-z0-9_.@-]+$",
                                error_messages={"invalid": "用户名只能包含字母、数字和 _ . @ -"})
    full_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    post = forms.CharField(label="职务", max_length=100, required=False)
    unit = UnitCodeField()
    role = forms.ChoiceField(label="角色", choices=[c for c in Role.choices if c[0] != Role.CITIZEN])


class AccountEditForm(forms.Form):
    full_name = forms.CharField(label="姓名", max_length=50)
    phone = forms.CharField(label="手机号", max_length=20, required=False)
    post = forms.CharField(label="职务", max_length=100, required=False)


class GrantForm(ScopedForm):
    unit = UnitCodeField()
    role = forms.ChoiceField(label="角色", choices=[c for c in Role.choices if c[0] != Role.CITIZEN])


class TeamForm(ScopedForm):
    name = forms.CharField(label="名称", max_length=100)
    kind = forms.ChoiceField(label="类型", choices=TeamKind.choices)
    unit = UnitCodeField(label="所属单位")
    duties = forms.CharField(label="工作职责", widget=forms.Textarea(attrs={"rows": 4}), required=False)


class TeamMemberForm(ScopedForm):
    person_name = forms.CharField(label="姓名", max_length=50)
    team_post = forms.ChoiceField(label="组内职务", choices=TeamPost.choices)
    post = forms.CharField(label="职务", max_length=100, required=False)
    username = PersonField(label="关联账号（可选）", required=False,
                           help_text="输入姓名查找，选中后关联其账号；督查组成员关联账号后才能测评本组的点位")


class TeamUnitForm(ScopedForm):
    unit = UnitCodeField(label="责任单位")
    is_lead = forms.BooleanField(label="牵头单位", required=False)


class PatronageForm(ScopedForm):
    kind = forms.ChoiceField(label="类型", choices=PatronageKind.choices)
    patron_username = PersonField(label="包保领导", role=Role.LEADER, required=False)
    patron_unit = UnitCodeField(label="包保单位", required=False)
    note = forms.CharField(label="说明", max_length=200, required=False)

    def clean(self):
        data = super().clean()
        if not data.get("patron_username") and not data.get("patron_unit"):
            raise forms.ValidationError("请选择包保领导或包保单位（至少一项）")
        return data
