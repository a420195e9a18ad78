"""The form behind every action button on a problem's page."""

from datetime import date, datetime

from django import forms


class DeadlineField(forms.DateTimeField):
    """A date and time, or a date alone (``2026-12-01``), which stays a ``date``: a deadline given
    as a date means the end of that office day (``sla.user_deadline``), not its midnight."""

    def to_python(self, value):
        if isinstance(value, str):
            try:
                return datetime.strptime(value.strip(), "%Y-%m-%d").date()
            except ValueError:
                pass
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        return super().to_python(value)


class ActionForm(forms.Form):
    """Inputs of any workflow action; each action uses the fields its transition names."""

    note = forms.CharField(label="说明", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    reason = forms.CharField(label="理由", widget=forms.Textarea(attrs={"rows": 2}), required=False)
    unit = forms.CharField(label="责任单位编码", max_length=18, required=False)
    deadline = DeadlineField(label="期限", required=False,
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
                             input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"])
    keep = forms.CharField(label="保留的问题编号", max_length=20, required=False)
    verifier = forms.CharField(label="复核人账号", max_length=150, required=False)
