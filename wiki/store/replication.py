"""A read replica's content repository: a mirror of the primary's ``/content.git``.

The mirror's refs move only by ``git fetch`` from the primary (every ref, pruned), which git does
atomically per ref; the replica never writes to it otherwise. Every cache is keyed by object ids
and ref tips, so a fetch is all it takes for the replica to show what the primary has.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import N_, InvalidContent
from . import repository
from .committer import remove_if_stale
from .reader import Reader

_URL = re.compile(r"\Ahttps?://[^\s/?#]+(?:/[^\s?#]*)?\Z")


def content_url(primary: str) -> str:
    """The primary's ``/content.git`` for a wiki at ``primary`` (``http(s)://host[/prefix]``)."""
    if not _URL.match(primary):
        raise InvalidContent(N_("The primary must be an http:// or https:// address, not %(url)s."), url=repr(primary))
    return primary.rstrip("/") + "/content.git"


def mirror(reader: Reader, primary: str, branch: str) -> None:
    """Make ``reader``'s repository a mirror of the primary's (created if missing), then fetch."""
    if not repository.exists(reader):
        repository.create(reader, branch)
    reader.run("config", "remote.primary.url", content_url(primary))
    reader.run("config", "remote.primary.fetch", "+refs/*:refs/*")
    reader.run("config", "remote.primary.mirror", "true")
    fetch(reader)


def fetch(reader: Reader, timeout: float = 20.0) -> bool:
    """Bring every ref to the primary's state; whether it worked (a primary that is down is not an
    error: the replica keeps serving what it has)."""
    lock = Path(reader.path) / "replica-fetch.lock"
    remove_if_stale(lock, 2 * timeout + 10)  # left by a worker killed while fetching
    try:
        lock.touch(exist_ok=False)  # one fetch at a time across the replica's workers
    except FileExistsError:
        return True
    try:
        result = reader.run("-c", f"http.lowSpeedTime={int(timeout)}", "-c", "http.lowSpeedLimit=1",
                            "fetch", "--quiet", "--prune", "--no-write-fetch-head", "primary", check=False)
        return result.returncode == 0
    finally:
        lock.unlink(missing_ok=True)
