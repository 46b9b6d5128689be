"""Values, caches, constants and small helpers shared by the storage modules."""

from __future__ import annotations

import hashlib
import re
import shutil
import threading
import time
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from .. import names

ZERO_ID = "0" * 40
_HEX40 = re.compile(r"\A[0-9a-f]{40}\Z")
TREE_MODE = 0o040000
BLOB_MODE = 0o100644
MAX_CAS_ATTEMPTS = 50
MAX_RENAMES_FOLLOWED = 100
MAX_INCREMENTAL_WALK = 200  # commits walked back to extend a cached history instead of asking git
# A lock file older than this was left by a writer that died (git holds one for milliseconds).
STALE_LOCK_SECONDS = 5.0
# gitdb writes each loose object to ``objects/obj*`` first, then renames it into place.
STALE_TEMP_OBJECT_SECONDS = 3600.0
# How git reports a lock it could not take (moving main also locks HEAD, for HEAD's reflog).
_LOCKED_FILE = re.compile(r"Unable to create '([^']+\.lock)': File exists")
GROUP_TRAILER = "Stakeholder-Group"
USER_TRAILER = "Wiki-User"
# Pushed commits without a Stakeholder-Group trailer get the pusher's group in a note here
# (written by ``wiki.hooks`` after a push); history reads it when the trailer is missing.
NOTES_REF = "refs/notes/stakeholder-groups"
HOOK_NAMES = ("pre-receive", "post-receive")
# Pushes served by the wiki set WIKI_HOOK_PYTHON; a local push by someone with access to the
# repository's directory (who could move refs by hand anyway) is not checked.
HOOK_SCRIPT = """#!/bin/sh
# Installed and kept current by Living Wiki (wiki/store/). Pushes through the wiki's
# /content.git are checked (pre-receive) and attributed (post-receive) by the wiki.hooks module.
[ -n "$WIKI_HOOK_PYTHON" ] || exit 0
exec "$WIKI_HOOK_PYTHON" -m wiki.hooks {name}
"""

_K = TypeVar("_K")
_V = TypeVar("_V")


# --------------------------------------------------------------------------- value types


@dataclass(frozen=True)
class Author:
    """Who makes a commit, and on behalf of which stakeholder group."""

    name: str
    email: str
    username: str
    group: str


@dataclass(frozen=True)
class CommitInfo:
    """One commit as history, changes and diffs show it."""

    id: str
    author_name: str
    author_email: str
    timestamp: int
    subject: str
    group: str
    username: str
    parents: tuple[str, ...] = ()
    path: str = ""  # the file this commit touched, for page history across renames

    @property
    def short_id(self) -> str:
        return self.id[:10]


@dataclass(frozen=True)
class PageRevision:
    """A page's text as of one commit."""

    page: str
    text: str
    blob_id: str
    commit: str


@dataclass(frozen=True)
class Attachment:
    """A file attached to a page: its name, blob id and size in bytes."""

    name: str
    blob_id: str
    size: int


@dataclass(frozen=True)
class SaveResult:
    """What a save did: the new commit (``None`` when nothing changed) and whether it merged."""

    commit: str | None
    merged: bool = False


@dataclass
class _Tree:
    """A tree being rebuilt: its entries by name, ``(mode, hex id)``, and changed subtrees."""

    entries: dict[str, tuple[int, str]] = field(default_factory=dict)
    children: dict[str, _Tree] = field(default_factory=dict)


class _LRU(OrderedDict[_K, _V]):
    """A small thread-safe least-recently-used cache for immutable values keyed by object id."""

    def __init__(self, capacity: int) -> None:
        super().__init__()
        self.capacity = capacity
        self.lock = threading.Lock()

    def get_or_compute(self, key: _K, compute: Callable[[], _V],
                       keep: Callable[[_V], bool] | None = None) -> _V:
        """The cached value for ``key``, computing it if missing; values failing ``keep`` are not kept."""
        with self.lock:
            if key in self:
                self.move_to_end(key)
                return self[key]
        value = compute()
        if keep is not None and not keep(value):
            return value
        with self.lock:
            self[key] = value
            while len(self) > self.capacity:
                self.popitem(last=False)
        return value


class LRUCache(_LRU[_K, _V]):
    """The same cache for callers outside the store (views), with plain lookups and stores."""

    def lookup(self, key: _K) -> _V | None:
        """The cached value (now the most recently used), or ``None``."""
        with self.lock:
            if key not in self:
                return None
            self.move_to_end(key)
            return self[key]

    def put(self, key: _K, value: _V) -> None:
        self.get_or_compute(key, lambda: value)


class GitCommandError(RuntimeError):
    """A git command failed in a way the wiki did not expect (a bug or a broken repository)."""

    def __init__(self, command: Iterable[str], returncode: int, stderr: str) -> None:
        super().__init__(f"{' '.join(command)} exited {returncode}: {stderr.strip()}")


class _RefMoved(Exception):
    """The compare-and-swap lost: the branch is no longer where this commit was built on."""


def _attributed(commit: CommitInfo) -> bool:
    """Whether ``commit`` shows a group; a pushed commit may miss it until its note is written."""
    return bool(commit.group)


def _note_value(note: str, key: str) -> str:
    """The value of the ``key: value`` line in a push note, or ``""``."""
    for line in note.splitlines():
        name, _, value = line.partition(":")
        if name.strip() == key:
            return value.strip()
    return ""


def _blob_id(data: bytes) -> str:
    """The id git gives a blob holding ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _one_line(value: str) -> str:
    """``value`` on one line, without control characters (a NUL fails `git fsck --strict`) or
    bidirectional overrides (they make `git log` display something else than what is stored)."""
    text = " ".join(str(value).split())
    return "".join(char for char in text if char not in names.BIDI_CONTROLS
                   and unicodedata.category(char) != "Cc")


def _ident(name: str, email: str) -> str:
    clean_name = _one_line(name).replace("<", "").replace(">", "") or "Unknown"
    clean_email = _one_line(email).replace("<", "").replace(">", "").replace(" ", "")
    return f"{clean_name} <{clean_email}>"


def _age(path: Path) -> float:
    """Seconds since ``path`` was last modified; -1 when it does not exist."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return -1.0


def _remove_tree(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
