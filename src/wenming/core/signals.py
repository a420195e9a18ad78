"""Login successes, failures and lockouts go to the audit log."""

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .models import AuditResult


def _home_unit(user):
    membership = user.memberships.filter(is_active=True).select_related("unit").first()
    return membership.unit if membership else None


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record("auth.login", actor=user, target=user, unit=_home_unit(user))


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", actor=user, target=user, unit=_home_unit(user))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    audit.record("auth.login", result=AuditResult.FAILURE, username=username, detail={"username": username})


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    audit.record("auth.lockout", result=AuditResult.DENIED, username=username or "",
                 detail={"username": username or ""})
