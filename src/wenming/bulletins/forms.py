"""Forms of the 通报 pages; the services check the rules."""

from __future__ import annotations

from django import forms

from .models import BulletinKind

TEXTAREA = forms.Textarea(attrs={"rows": 5})


class BulletinTextForm(forms.Form):
    title = forms.CharField(label="标题", max_length=200)
    addressees = forms.CharField(label="主送", max_length=300, required=False,
                                 help_text="如：各区创建办，市直各有关单位")
    intro = forms.CharField(label="导语", max_length=5000, required=False, widget=TEXTAREA)
    requirements = forms.CharField(label="下步工作要求", max_length=5000, required=False, widget=TEXTAREA,
                                   help_text="每段一行")
    cc = forms.CharField(label="抄送", max_length=300, required=False)
    signature = forms.CharField(label="落款（发文机关）", max_length=100)


class BulletinNewForm(forms.Form):
    kind = forms.ChoiceField(label="类别", choices=BulletinKind.choices)
    period = forms.ChoiceField(label="考核期", required=False)
    addressees = forms.CharField(label="主送", max_length=300, required=False, initial="各区创建办，市直各有关单位")
    requirements = forms.CharField(label="下步工作要求", max_length=5000, required=False, widget=TEXTAREA,
                                   help_text="每段一行；印发前可修改")

    def __init__(self, *args, periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.periods = {str(p.pk): p for p in periods}
        self.fields["period"].choices = [("", "（不选）")] + [
            (str(p.pk), f"{p.scheme.name} · {p.label}") for p in periods]


class TemplateUploadForm(forms.Form):
    issuer = forms.ChoiceField(label="发文单位")
    file = forms.FileField(label="Word模板（.docx）", help_text="在默认模板的基础上修改版头、字体、页边距等；最大10MB")
    note = forms.CharField(label="说明", max_length=200, required=False, help_text="如：2027年新版版头")

    def __init__(self, *args, issuers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.issuers = {str(unit.pk): unit for unit in issuers}
        self.fields["issuer"].choices = [(str(unit.pk), unit.name) for unit in issuers]
        if len(self.issuers) == 1:  # the office of one unit: nothing to choose
            self.fields["issuer"].widget = forms.HiddenInput()
            self.fields["issuer"].initial = next(iter(self.issuers))
            self.fields["issuer"].required = False

    def clean_issuer(self):
        value = self.cleaned_data.get("issuer") or ""
        if not value and len(self.issuers) == 1:
            value = next(iter(self.issuers))
        if value not in self.issuers:
            raise forms.ValidationError("请选择发文单位")
        return self.issuers[value]
