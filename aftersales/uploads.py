"""Keeping accepted evidence files across a form that comes back with errors."""

from collections.abc import Iterable, Sequence

from django.core.files.base import ContentFile
from django.db import transaction

from .evidence import PreparedFile
from .models import PendingUpload


def keep(owner, files: Sequence[PreparedFile]) -> list[PendingUpload]:
    kept = []
    for prepared in files:
        pending = PendingUpload(
            owner=owner,
            media_type=prepared.media_type,
            original_name=prepared.original_name,
            content_type=prepared.content_type,
            size=prepared.size,
        )
        pending.file.save(prepared.content.name, prepared.content, save=False)
        if prepared.thumbnail is not None:
            pending.thumbnail.save(prepared.thumbnail.name, prepared.thumbnail, save=False)
        pending.save()
        kept.append(pending)
    return kept


def kept_for(owner, ids: Iterable[str]) -> list[PendingUpload]:
    """The owner's kept files among ``ids``; anyone else's ids are ignored."""
    clean_ids = [int(i) for i in ids if str(i).isdigit()]
    if not clean_ids or not owner.is_authenticated:
        return []
    return list(PendingUpload.objects.filter(owner=owner, pk__in=clean_ids))


def as_prepared(pending: PendingUpload) -> PreparedFile:
    def read(field) -> ContentFile:
        with field.open("rb") as handle:
            return ContentFile(handle.read(), name=field.name.rsplit("/", 1)[-1])

    return PreparedFile(
        media_type=pending.media_type,
        content=read(pending.file),
        thumbnail=read(pending.thumbnail) if pending.thumbnail else None,
        original_name=pending.original_name,
        content_type=pending.content_type,
        size=pending.size,
    )


def discard(pending: Iterable[PendingUpload]) -> None:
    """Delete kept files once they became evidence (after the transaction commits)."""
    for upload in pending:
        upload.delete()
        transaction.on_commit(_delete_files(upload))


def _delete_files(upload: PendingUpload):
    def delete() -> None:
        upload.file.delete(save=False)
        if upload.thumbnail:
            upload.thumbnail.delete(save=False)

    return delete
