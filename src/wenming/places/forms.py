from django import forms

from wenming.org.forms import PersonField, ScopedForm, UnitCodeField
from wenming.org.models import Role
from wenming.standards.models import PointType


class PointTypeField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.name


class PointForm(ScopedForm):
    code = forms.CharField(label="点位编码", max_length=30,
                           help_text="字母、数字、“-”或“_”，如 DW-0001；打印的二维码不含编码，改编码不影响二维码")
    name = forms.CharField(label="名称", max_length=100)
    point_type = PointTypeField(label="点位类型", queryset=PointType.objects.order_by("sort", "code"),
                                empty_label="请选择")
    unit = UnitCodeField(label="责任单位", help_text="社区、街道，或市场监管、卫健等职能部门")
    area = UnitCodeField(label="所在区域", help_text="点位所在的网格（或社区、街道）")
    patron = PersonField(label="包保领导", role=Role.LEADER, above=True, required=False, help_text="可留空")
    address = forms.CharField(label="地址", max_length=200, required=False)
    latitude = forms.DecimalField(label="纬度", max_digits=12, decimal_places=9, required=False,
                                  help_text="十进制度数，如 28.682892")
    longitude = forms.DecimalField(label="经度", max_digits=12, decimal_places=9, required=False,
                                   help_text="十进制度数，如 115.857972")


class PhotoForm(forms.Form):
    photo = forms.FileField(label="点位照片", help_text="JPEG 或 PNG")


class ImportForm(forms.Form):
    file = forms.FileField(label="点位表（.xlsx 或 .csv）")
