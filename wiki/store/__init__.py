"""The content repository: the only package that talks to Git.

Pages are blobs in a **bare** repository. A write builds blobs, trees and a commit object
directly in the object database (no working tree, no index) and lands only by compare-and-swap
of the branch ref (``git update-ref refs/heads/main NEW OLD``). When the swap loses, the write is
rebuilt on the new tip, merging three-way when the same page changed, so no edit is ever lost
across threads, processes or machines.

Every read is keyed by an object id (commit, tree or blob), which never changes meaning, so the
caches here are never stale and commits made by others (a push, a script) show on the next read.
No Flask import: the author and group are passed in by the caller.

One module per concern: ``base`` (repository, objects, refs), ``pages`` (pages and the one commit
path), ``history``, ``attachments`` and ``maintenance``; ``_common`` holds the shared values.
"""

from __future__ import annotations

from ._common import (
    _LRU,
    GROUP_TRAILER,
    MAX_CAS_ATTEMPTS,
    NOTES_REF,
    TREE_MODE,
    USER_TRAILER,
    ZERO_ID,
    Attachment,
    Author,
    CommitInfo,
    GitCommandError,
    LRUCache,
    PageRevision,
    SaveResult,
    _ident,
    _note_value,
    _one_line,
    _RefMoved,
    _Tree,
)
from .attachments import AttachmentsMixin
from .base import StoreBase
from .history import HistoryMixin
from .maintenance import MaintenanceMixin
from .pages import PagesMixin

__all__ = [
    "GROUP_TRAILER", "MAX_CAS_ATTEMPTS", "NOTES_REF", "TREE_MODE", "USER_TRAILER", "ZERO_ID", "Attachment", "Author",
    "CommitInfo", "GitCommandError", "LRUCache", "PageRevision", "SaveResult", "Store", "_LRU", "_RefMoved", "_Tree",
    "_ident", "_note_value", "_one_line",
]


class Store(PagesMixin, HistoryMixin, AttachmentsMixin, MaintenanceMixin, StoreBase):
    """A bare content repository with one branch that the wiki commits to."""
