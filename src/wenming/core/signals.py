"""Login successes, failures and lockouts go to the audit log; a login also marks the session
for SessionIdleMiddleware (saved with the login, so the next request need not save it)."""

from axes.signals import user_locked_out
from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from . import audit
from .models import AuditResult


@receiver(user_logged_in)
def on_login(sender, request, user, **kwargs):
    audit.record("auth.login", actor=user, target=user, unit=audit.home_unit(user))
    if request is not None and hasattr(request, "session"):
        from .middleware import SessionIdleMiddleware

        SessionIdleMiddleware.mark(request.session)
        from .middleware import ScreenAccountMiddleware

        ScreenAccountMiddleware.mark(request, user)


@receiver(user_logged_out)
def on_logout(sender, request, user, **kwargs):
    if user is not None:
        audit.record("auth.logout", actor=user, target=user, unit=audit.home_unit(user))


@receiver(user_login_failed)
def on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))[:150]
    account = get_user_model().objects.filter(username=username).first()
    audit.record("auth.login", result=AuditResult.FAILURE, username=username, detail={"username": username},
                 target=account, unit=audit.home_unit(account) if account else None)


@receiver(user_locked_out)
def on_locked_out(sender, request, username=None, ip_address=None, **kwargs):
    account = get_user_model().objects.filter(username=username or "").first()
    audit.record("auth.lockout", result=AuditResult.DENIED, username=username or "", target=account,
                 unit=audit.home_unit(account) if account else None, detail={"username": username or ""})
