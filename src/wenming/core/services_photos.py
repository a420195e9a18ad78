"""Storing photos. Building blocks for the services of problems, inspections and citizen
reports: they check who may attach a photo to what (and audit that action); these functions
only store and publish."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.core.files.base import ContentFile
from django.db import transaction

from .models import Photo
from .photos import ProcessedPhoto, process_photo


def photo_create(*, actor, data: bytes | None = None, filename: str = "", unit=None,
                 processed: ProcessedPhoto | None = None) -> Photo:
    """Validate, clean and store one photo. Raises ``photos.PhotoError`` (a Chinese message)
    and stores nothing when the upload is not an acceptable JPEG/PNG.

    ``unit`` is the unit whose scope may see the photo (besides the uploader); ``actor`` may be
    None (an anonymous citizen report). The uploader's ``filename`` is not kept.

    A caller that has already run :func:`~wenming.core.photos.process_photo` on the upload (to
    refuse a bad file before any write, or to do the image work before taking a lock) passes its
    result as ``processed`` instead of ``data``: the photo is then stored as it is, not
    processed a second time."""
    if processed is None:
        processed = process_photo(data, filename=filename)  # CPU work before any lock or file
    uploaded_by = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    photo = Photo(
        width=processed.width, height=processed.height, taken_at=processed.taken_at,
        latitude=processed.latitude, longitude=processed.longitude, sha256=processed.sha256,
        uploaded_by=uploaded_by, unit=unit,
    )
    stored: list = []
    try:
        with transaction.atomic():
            # upload_to gives each file a random name; the names passed here are ignored
            photo.image.save("photo.jpg", ContentFile(processed.image), save=False)
            stored.append(photo.image)
            photo.thumbnail.save("thumb.jpg", ContentFile(processed.thumb), save=False)
            stored.append(photo.thumbnail)
            photo.save()
    except BaseException:
        for field_file in stored:
            field_file.storage.delete(field_file.name)
        raise
    return photo


@contextmanager
def files_removed_on_failure() -> Iterator[list[Photo]]:
    """For photos stored together with other writes in one transaction: yields a list to which
    the caller adds the photos it stores inside the block; when the block raises, their files
    are deleted. Enter it outside the ``transaction.atomic()`` that writes the rows, so the rows
    are gone (rolled back) by the time their files are — ``photo_create`` alone only cleans up
    after a failure of its own save, not after a rollback of an enclosing transaction. (Inside a
    transaction that is not the outermost, a later rollback further out is not seen.)"""
    photos: list[Photo] = []
    try:
        yield photos
    except BaseException:
        delete_files(photos)
        raise


def delete_files(photos: Iterable[Photo]) -> None:
    """Delete the stored files of photos whose rows were rolled back (or are about to be)."""
    for photo in photos:
        for field_file in (photo.image, photo.thumbnail):
            if field_file.name:
                field_file.storage.delete(field_file.name)


def photos_publish(*, photos: Iterable[Photo]) -> None:
    """Make photos visible to everyone (a problem published as closed, 结单公示)."""
    photos = list(photos)
    if not photos:
        return
    Photo.objects.filter(pk__in=[photo.pk for photo in photos], is_public=False).update(is_public=True)
    for photo in photos:
        photo.is_public = True
