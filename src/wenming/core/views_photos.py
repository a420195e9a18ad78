"""Serving stored photos. Photos are never served straight from MEDIA_ROOT: every request
passes the access check here, and the answer is always a JPEG with headers that keep a
browser from treating it as anything else (DESIGN.md §11)."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from . import access, extensions
from .models import Photo

VARIANTS = {"full": "image", "thumb": "thumbnail"}


def can_see_photo(user, photo: Photo) -> bool:
    """Public photos: everyone. Otherwise the uploader, or a user whose scope sees the unit."""
    if photo.is_public:
        return True
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if photo.uploaded_by_id is not None and photo.uploaded_by_id == user.pk:
        return True
    if photo.unit is not None and access.scope_for(user).sees_unit(photo.unit):
        return True
    # a photo of something the user sees (a problem, a point …): asked of the apps that own them
    return any(check(user, photo) for check in extensions.photo_viewers)


@require_safe
def photo(request, pk: int, variant: str = "full"):
    field_name = VARIANTS.get(variant)
    if field_name is None:
        raise Http404("未找到该照片。")
    found = Photo.objects.select_related("unit").filter(pk=pk).first()
    if found is None or not can_see_photo(request.user, found):
        if request.user.is_authenticated:
            access.refuse_not_found(request.user, "photo", target=found if found is not None else f"core.photo:{pk}")
        raise Http404("未找到该照片。")

    field_file = getattr(found, field_name)
    try:
        handle = field_file.storage.open(field_file.name, "rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404("照片文件不存在。") from exc
    response = FileResponse(handle, content_type="image/jpeg")
    response["Content-Disposition"] = f'inline; filename="photo-{found.pk}.jpg"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "public, max-age=3600" if found.is_public else "private, max-age=3600"
    return response
