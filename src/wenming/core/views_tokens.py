"""Pages of the API tokens (core/tokens.py): the city office lists, creates and revokes them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from wenming.org.models import Unit
from wenming.org.widgets import UnitPicker

from . import access, services_tokens, tokens
from .errors import ServiceError
from .models_tokens import TOKEN_ROLES, ApiToken


class TokenForm(forms.Form):
    name = forms.CharField(label="名称", max_length=100, help_text="对接的系统，如“12345热线”")
    unit = forms.CharField(label="单位范围", max_length=18, widget=UnitPicker,
                           help_text="令牌只能看到、办理这个单位（按所选身份）范围内的问题")
    role = forms.ChoiceField(label="身份", choices=[(r.value, r.label) for r in TOKEN_ROLES],
                             help_text="令牌的服务账号以这个身份在该单位任职：创建办看到本单位及下级，"
                                       "经办人、网格员、督查员只看到本单位")
    permissions = forms.MultipleChoiceField(label="允许的操作", widget=forms.CheckboxSelectMultiple)
    days = forms.IntegerField(label="有效期（天）", required=False, min_value=1, max_value=services_tokens.MAX_DAYS,
                              initial=365, help_text="留空为长期有效（不建议）")

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["permissions"].choices = list(tokens.PERMISSIONS.items())
        self.fields["unit"].widget.scope_user = user


def _require_manager(request) -> None:
    if not tokens.may_manage(request.user):
        access.refuse_forbidden(request.user, "core.api_tokens")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    """The list, and the form that creates a token; a created token's secret is shown on the
    answer to that POST only (never stored, never redirected through the session)."""
    _require_manager(request)
    form = TokenForm(request.POST or None, user=request.user)
    created = secret = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        unit = Unit.objects.filter(code=data["unit"].strip()).first()
        try:
            created, secret = services_tokens.token_create(
                actor=request.user, name=data["name"], unit=unit, role=data["role"],
                permissions=data["permissions"], days=data["days"])
        except ServiceError as error:
            for field, errors in error.errors.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
            if not error.errors:
                form.add_error(None, error.message)
        else:
            form = TokenForm(user=request.user)
    listed = ApiToken.objects.select_related("unit", "user", "created_by", "revoked_by").order_by("-id")
    return render(request, "core/api_tokens.html", {
        "form": form, "tokens": listed, "created": created, "secret": secret,
        "permission_labels": tokens.PERMISSIONS})


@login_required
@require_POST
def token_revoke(request, pk: int):
    _require_manager(request)
    token = get_object_or_404(ApiToken, pk=pk)
    services_tokens.token_revoke(actor=request.user, token=token)
    messages.success(request, f"接口令牌“{token.name}”已吊销，使用它的请求将被拒绝")
    return redirect("api_tokens")
