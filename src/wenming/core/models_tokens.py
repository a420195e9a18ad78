"""API tokens for other systems (a 12345 hotline, a grid platform …): see core/tokens.py.
Imported by core/models.py, so that Django finds the model in the ``core`` app."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from wenming.org.models import Role

# what a token may act as: the roles whose work an integration does through the API
TOKEN_ROLES = [Role.OFFICE, Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR]


class ApiToken(models.Model):
    """One integration's key to the API. Only the SHA-256 of the secret is kept (the secret is
    shown once, when the token is created). The token acts as its own service account
    (``user``), whose one membership — ``role`` at ``unit`` — is all the access scope
    (core.access) gives it: it never sees beyond that unit. ``permissions`` narrows further
    what it may do (the names registered in core/tokens.py: read, report, each workflow action)."""

    name = models.CharField("名称", max_length=100)
    prefix = models.CharField("令牌开头", max_length=16)
    token_hash = models.CharField(max_length=64, unique=True)
    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name="服务账号", on_delete=models.PROTECT,
                                related_name="api_token")
    unit = models.ForeignKey("org.Unit", verbose_name="单位范围", on_delete=models.PROTECT, related_name="api_tokens")
    role = models.CharField("身份", max_length=16, choices=[(r.value, r.label) for r in TOKEN_ROLES])
    permissions = models.JSONField("允许的操作", default=list)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="创建人", on_delete=models.PROTECT,
                                   related_name="api_tokens_created")
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    expires_at = models.DateTimeField("到期时间", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name="吊销人", null=True, blank=True,
                                   on_delete=models.PROTECT, related_name="api_tokens_revoked")
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)

    class Meta:
        verbose_name = "接口令牌"
        verbose_name_plural = "接口令牌"
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.name}（{self.prefix}…）"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    @property
    def status_label(self) -> str:
        if self.revoked_at is not None:
            return "已吊销"
        return "已过期" if self.is_expired else "有效"
