"""Attachments: files stored beside their page, in ``<page>.files/<name>``."""

from __future__ import annotations

from .. import attachments, names
from ..errors import (
    AttachmentExists,
    PageNotFound,
)
from ._common import (
    TREE_MODE,
    Attachment,
    Author,
    CommitInfo,
    _blob_id,
)


class AttachmentsMixin:
    """Attachments: list, read, save and delete, each change one commit."""

    def list_attachments(self, page: str, rev: str | None = None) -> tuple[Attachment, ...]:
        """The files attached to ``page`` at ``rev``, sorted by name (sizes without reading the files)."""
        try:
            commit = self.resolve(rev)
        except PageNotFound:
            return ()
        entry = self._lookup(self._commit_tree(commit), names.attachments_folder(page))
        if entry is None or entry[0] != TREE_MODE:
            return ()
        found = []
        for name, (mode, blob_id) in self._tree_entries(entry[1]).items():
            if mode != TREE_MODE:
                size = self._repo.odb.info(bytes.fromhex(blob_id)).size
                found.append(Attachment(name=name, blob_id=blob_id, size=size))
        return tuple(sorted(found, key=lambda item: (item.name.casefold(), item.name)))

    def read_attachment(self, page: str, name: str, rev: str | None = None) -> tuple[Attachment, bytes, str]:
        """``(attachment, its bytes, commit)`` at ``rev``; raise PageNotFound when it is not there.

        Read past the blob cache: attachments can be megabytes and are not worth keeping in memory.
        """
        commit = self.resolve(rev)
        entry = self._lookup(self._commit_tree(commit), self._attachment_path(page, name))
        if entry is None or entry[0] == TREE_MODE:
            raise PageNotFound(f"{page!r} has no attachment {name!r}" + (" in that revision." if rev else "."))
        kind, data = self._read_object(entry[1])
        return Attachment(name=name, blob_id=entry[1], size=len(data)), data, commit

    def attachment_history(self, page: str, name: str, rev: str | None = None) -> tuple[CommitInfo, ...]:
        """The commits that added, replaced or deleted the attachment, newest first."""
        path = self._attachment_path(page, name)
        return tuple(self._log([self.resolve(rev), "--", path], path=path))

    def save_attachment(self, page: str, name: str, data: bytes, *, author: Author, summary: str = "",
                        replace: bool = False) -> str | None:
        """Attach ``data`` to ``page`` as ``name`` in one commit; ``None`` when the file is unchanged.

        A new name must not exist yet, even in another case (clones on Windows and macOS would
        collide); ``replace=True`` requires it to exist.
        """
        path = self._attachment_path(page, name)
        blob_id = _blob_id(data)

        def prepare(head: str | None) -> tuple[dict[str, bytes | None], str] | None:
            if head is None or not self.page_exists(page, head):
                raise PageNotFound(f"There is no page {page!r} to attach files to.")
            existing = {item.name: item for item in self.list_attachments(page, head)}
            if replace:
                if name not in existing:
                    raise PageNotFound(f"{page!r} has no attachment {name!r} to replace.")
                if existing[name].blob_id == blob_id:
                    return None
            else:
                twin = next((other for other in existing if other.casefold() == name.casefold()), None)
                if twin is not None:
                    raise AttachmentExists(f"{page!r} already has an attachment named {twin!r}. "
                                           "Replace it from the attachment list, or choose another name.")
            return {path: data}, summary or f"{'Replace' if replace else 'Attach'} {name} on {page}"

        return self._commit_on_tip(prepare, author=author)

    def delete_attachment(self, page: str, name: str, *, author: Author, summary: str = "") -> str:
        """Remove the attachment in one commit; its history keeps every earlier version."""
        path = self._attachment_path(page, name)

        def prepare(head: str | None) -> tuple[dict[str, bytes | None], str]:
            entry = self._lookup(self._commit_tree(head), path) if head else None
            if entry is None or entry[0] == TREE_MODE:
                raise PageNotFound(f"{page!r} has no attachment {name!r}.")
            return {path: None}, summary or f"Delete {name} from {page}"

        return self._commit_on_tip(prepare, author=author)  # type: ignore[return-value]  # never None

    def _attachment_files(self, page: str, commit: str) -> dict[str, str]:
        """``{path: blob id}`` of the attachments of ``page`` at ``commit``."""
        folder = names.attachments_folder(page)
        return {f"{folder}/{item.name}": item.blob_id for item in self.list_attachments(page, commit)}

    @staticmethod
    def _attachment_path(page: str, name: str) -> str:
        return f"{names.attachments_folder(page)}/{attachments.check_name(name)}"
