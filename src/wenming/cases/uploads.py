"""Photos sent with a page or API request (报告问题, 整改提交): checked and processed before the
transaction, stored inside it, their files removed again if it fails. Shared by the intake and
workflow pages and the API."""

from __future__ import annotations

from contextlib import contextmanager

from django.db import transaction

from wenming.core.errors import ServiceError
from wenming.core.photos import process_photo, read_upload
from wenming.core.services_photos import files_removed_on_failure, photo_create

MAX_PHOTOS = 9


def processed_photos(request, field: str) -> list:
    """Validate and process every uploaded photo (ServiceError / PhotoError, Chinese messages) —
    the image work done once and before the transaction, so no lock is held during it."""
    files = request.FILES.getlist(field)
    if len(files) > MAX_PHOTOS:
        raise ServiceError(f"一次最多上传{MAX_PHOTOS}张照片")
    return [process_photo(read_upload(upload), filename=upload.name) for upload in files]


@contextmanager
def photo_transaction():
    """One transaction for the photos and the rows that use them; yields the list that
    :func:`store_photos` fills, whose files are deleted if the transaction fails."""
    with files_removed_on_failure() as stored, transaction.atomic():
        yield stored


def store_photos(request, processed: list, unit, stored: list) -> list:
    """Store processed photos inside :func:`photo_transaction` (``stored`` is what it yielded)."""
    photos = [photo_create(actor=request.user, processed=photo, unit=unit) for photo in processed]
    stored.extend(photos)
    return photos
