"""Reads of 通报, scoped by bulletins.policy: the archive (with search) and one bulletin."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from wenming.core import access
from wenming.org.models import Unit
from wenming.scoring.models import Period, PeriodStatus
from wenming.scoring.selectors import schemes

from . import policy
from .models import Bulletin, BulletinTemplate


def bulletins(user, *, q: str = "", kind: str = "", status: str = "", year: int | None = None) -> QuerySet[Bulletin]:
    rows = Bulletin.objects.filter(pk__in=Bulletin.objects.filter(policy.bulletin_filter(user)).values("pk"))
    if q:
        rows = rows.filter(Q(title__icontains=q) | Q(number__icontains=q) | Q(requirements__icontains=q)
                           | Q(intro__icontains=q))
    if kind:
        rows = rows.filter(kind=kind)
    if status:
        rows = rows.filter(status=status)
    if year:
        rows = rows.filter(Q(year=year) | Q(year__isnull=True, created_at__year=year))
    return rows.select_related("issuer", "period", "created_by").order_by("-issued_at", "-created_at", "-id")


def bulletin_for(user, pk: int) -> Bulletin:
    bulletin = bulletins(user).filter(pk=pk).select_related("reviewed_by", "issued_by", "job", "template").first()
    if bulletin is None:
        access.refuse_not_found(user, "bulletins.bulletin", target=f"bulletin:{pk}")
    return bulletin


def periods_to_publish(user) -> QuerySet[Period]:
    """Closed periods of the schemes whose issuing office the user is."""
    return (Period.objects.filter(scheme__in=schemes(user), status=PeriodStatus.CLOSED)
            .select_related("scheme").order_by("-end", "kind")[:60])


def template_issuers(user) -> list[Unit]:
    """The units whose 版式 the user manages on the template page: those he is the office of."""
    return list(Unit.objects.filter(path__in=policy.office_paths(user)).order_by("path"))


def templates(user, issuer: Unit) -> QuerySet[BulletinTemplate]:
    """The issuer's templates, newest first (the active one among them)."""
    return (BulletinTemplate.objects.filter(policy.template_filter(user), issuer=issuer)
            .select_related("uploaded_by").order_by("-created_at", "-id"))


def template_for(user, pk: int) -> BulletinTemplate:
    found = BulletinTemplate.objects.filter(policy.template_filter(user), pk=pk).select_related("issuer").first()
    if found is None:
        access.refuse_not_found(user, "bulletins.template", target=f"bulletin_template:{pk}")
    return found


def active_template(issuer: Unit) -> BulletinTemplate | None:
    """The template the issuer's bulletins are made with now (None: the shipped one)."""
    return BulletinTemplate.objects.filter(issuer=issuer, is_active=True).first()
