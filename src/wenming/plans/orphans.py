"""Stored files no row refers to any more (part of ``wenming sweep``).

An uploaded document is written to storage inside the service's transaction, by its content's hash
(plans.models.stored_file_to). When that transaction rolls back — the sheet was refused after the
files were checked, the database went away — the file stays behind with no row. Nothing shows it and
nothing is wrong, but it takes disk space for ever; :func:`prune` deletes such files once they are
older than :data:`ORPHAN_AGE` (an upload still in its transaction is younger than that).

A file found again by a later upload of the same content is touched (:func:`keep_or_write`), so
its age starts again: the prune never deletes content an upload has just decided to reuse.
"""

from __future__ import annotations

import datetime
import logging
import os
from dataclasses import dataclass

from django.apps import apps
from django.core.files.base import ContentFile
from django.utils import timezone

from .models import StoredFile

logger = logging.getLogger(__name__)

ORPHAN_AGE = datetime.timedelta(hours=6)


@dataclass
class PruneResult:
    checked: int = 0
    deleted: int = 0


def stored_file_models() -> list[type[StoredFile]]:
    return [model for model in apps.get_models() if issubclass(model, StoredFile)]


def keep_or_write(stored: StoredFile, path: str, data: bytes) -> None:
    """Point ``stored.file`` at ``path``: refresh the time of the file already there, or write it."""
    storage = stored.file.storage
    try:
        os.utime(storage.path(path))
    except NotImplementedError:  # a storage without local paths: reuse what it has
        if storage.exists(path):
            stored.file.name = path
            return
    except FileNotFoundError:
        pass
    else:
        stored.file.name = path
        return
    stored.file.save(path, ContentFile(data), save=False)


def prune(now: datetime.datetime | None = None) -> PruneResult:
    """Delete the stored files under each upload folder that no row names and that are older than
    :data:`ORPHAN_AGE`."""
    now = now or timezone.now()
    result = PruneResult()
    folders: dict[str, list[type[StoredFile]]] = {}
    for model in stored_file_models():
        folders.setdefault(f"{model._meta.app_label}/{model.FOLDER}", []).append(model)
    for folder, models in sorted(folders.items()):
        storage = models[0]._meta.get_field("file").storage
        if not storage.exists(folder):
            continue
        referenced: set[str] = set()
        for model in models:
            referenced.update(model.objects.filter(file__startswith=f"{folder}/").values_list("file", flat=True))
        shards, _ = storage.listdir(folder)
        for shard in sorted(shards):
            _, names = storage.listdir(f"{folder}/{shard}")
            for name in sorted(names):
                path = f"{folder}/{shard}/{name}"
                result.checked += 1
                if path in referenced or any(m.objects.filter(file=path).exists() for m in models):
                    continue
                try:
                    if storage.get_modified_time(path) > now - ORPHAN_AGE:
                        continue
                    storage.delete(path)
                except OSError:
                    logger.exception("could not prune %s", path)
                    continue
                result.deleted += 1
    return result
