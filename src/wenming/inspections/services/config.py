"""The inspection rules the city office sets for every round (测评设置): today the minimum sample a
unit needs to be ranked (同类同项). A round copies them when it is planned."""

from __future__ import annotations

from django.db import transaction

from wenming.core import access, audit

from .. import policy
from ..models import InspectionSettings
from .rounds import _check_min_sample


def inspection_settings_save(*, actor, min_sample: int | None) -> InspectionSettings:
    """Set the minimum sample new rounds start from; rounds already planned keep theirs."""
    if not policy.may_configure(actor):
        access.refuse_forbidden(actor, "inspections.configure")
    _check_min_sample(min_sample)
    with transaction.atomic():
        row = InspectionSettings.objects.select_for_update().order_by("pk").first() or InspectionSettings()
        previous = row.min_sample if row.pk else None
        row.min_sample, row.updated_by = min_sample, actor
        row.save()
        audit.record("inspections.settings_save", actor=actor, target="inspections.configure",
                     detail={"min_sample": min_sample, "from": previous})
    return row
