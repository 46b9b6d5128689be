"""Attachments: files stored beside their page, in ``<page>.files/<name>``, each change one commit."""

from __future__ import annotations

import hashlib

from .. import attachments, names
from ..errors import N_, AttachmentExists, PageNotFound
from .committer import Committer, Plan
from .history import History
from .pages import Pages
from .reader import Reader
from .types import Attachment, Author, CommitInfo


def attachment_path(page: str, name: str) -> str:
    return f"{names.attachments_folder(page)}/{attachments.check_name(name)}"


class Attachments:
    """List, read, save and delete a page's attachments."""

    def __init__(self, reader: Reader, committer: Committer, pages: Pages, history: History, *,
                 branch_ref: str) -> None:
        self.reader = reader
        self.committer = committer
        self.pages = pages
        self.history = history
        self.branch_ref = branch_ref

    def list_attachments(self, page: str, commit: str) -> tuple[Attachment, ...]:
        """The files attached to ``page`` at ``commit``, sorted by name (sizes without reading them)."""
        found = [Attachment(name=path.rpartition("/")[2], blob_id=blob, size=self.reader.object_size(blob))
                 for path, blob in self.pages.attachment_files(page, commit).items()]
        return tuple(sorted(found, key=lambda item: (item.name.casefold(), item.name)))

    def read_attachment(self, page: str, name: str, commit: str, *, old: bool = True,
                        ) -> tuple[Attachment, bytes, str]:
        """``(attachment, its bytes, commit)``; raise PageNotFound when it is not there.

        Read past the blob cache: attachments can be megabytes and are not worth keeping in memory.
        """
        blob = self.reader.blob_at(commit, attachment_path(page, name))
        if blob is None:
            raise PageNotFound(N_("%(page)s has no attachment %(name)s in that revision.") if old
                               else N_("%(page)s has no attachment %(name)s."), page=repr(page), name=repr(name))
        _, data = self.reader.read_object(blob)
        return Attachment(name=name, blob_id=blob, size=len(data)), data, commit

    def attachment_history(self, page: str, name: str, commit: str) -> tuple[CommitInfo, ...]:
        """The commits that added, replaced or deleted the attachment, newest first."""
        return self.history.file_history(attachment_path(page, name), commit)

    def save_attachment(self, page: str, name: str, data: bytes, *, author: Author, summary: str = "",
                        replace: bool = False) -> str | None:
        """Attach ``data`` to ``page`` as ``name`` in one commit; ``None`` when the file is unchanged.

        A new name must not exist yet, even in another case (clones on Windows and macOS would
        collide); ``replace=True`` requires it to exist.
        """
        path = attachment_path(page, name)
        blob_id = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()  # the id git gives it

        def prepare(head: str | None) -> Plan | None:
            if head is None or self.reader.blob_at(head, names.page_file(page)) is None:
                raise PageNotFound(N_("There is no page %(page)s to attach files to."), page=repr(page))
            existing = {file.rpartition("/")[2]: blob for file, blob in self.pages.attachment_files(page, head).items()}
            if replace:
                if name not in existing:
                    raise PageNotFound(N_("%(page)s has no attachment %(name)s to replace."),
                                       page=repr(page), name=repr(name))
                if existing[name] == blob_id:
                    return None
            else:
                twin = next((other for other in existing if other.casefold() == name.casefold()), None)
                if twin is not None:
                    raise AttachmentExists(N_("%(page)s already has an attachment named %(twin)s. Replace it from the "
                                              "attachment list, or choose another name."),
                                           page=repr(page), twin=repr(twin))
            return Plan({path: data}, summary or f"{'Replace' if replace else 'Attach'} {name} on {page}")

        return self.committer.commit_to_ref(self.branch_ref, prepare, author=author)

    def delete_attachment(self, page: str, name: str, *, author: Author, summary: str = "") -> str:
        """Remove the attachment in one commit; its history keeps every earlier version."""
        path = attachment_path(page, name)

        def prepare(head: str | None) -> Plan:
            if head is None or self.reader.blob_at(head, path) is None:
                raise PageNotFound(N_("%(page)s has no attachment %(name)s."), page=repr(page), name=repr(name))
            return Plan({path: None}, summary or f"Delete {name} from {page}")

        return self.committer.commit_to_ref(self.branch_ref, prepare, author=author)  # type: ignore[return-value]
