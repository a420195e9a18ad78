from django import forms


class SystemImportForm(forms.Form):
    name = forms.CharField(label="体系名称", max_length=100, required=False,
                           help_text="导入 YAML 时可不填，取文件中的名称")
    version = forms.CharField(label="版本", max_length=30, required=False, help_text="如“2026版”")
    file = forms.FileField(label="文件（.xlsx、.csv 或 .yaml）")


class ReplaceImportForm(forms.Form):
    file = forms.FileField(label="文件（.xlsx、.csv 或 .yaml）")


class CopyForm(forms.Form):
    name = forms.CharField(label="体系名称", max_length=100)
    version = forms.CharField(label="新版本", max_length=30)


class PointTypeForm(forms.Form):
    code = forms.CharField(label="编码", max_length=10, help_text="字母、数字、点、横线或下划线，以字母或数字开头，如 YY")
    name = forms.CharField(label="名称", max_length=40)
