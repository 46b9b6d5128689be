"""A read replica's content repository: a mirror of the primary's ``/content.git``.

The mirror's refs move only by ``git fetch`` from the primary (every ref, pruned), which git does
atomically per ref; the replica never writes to it otherwise. Every cache is keyed by object ids
and ref tips, so a fetch is all it takes for the replica to show what the primary has.

Each fetch goes to the address the caller passes (the ``PRIMARY_URL`` setting as it is now, not a
remote recorded once), with the primary's token, when it has one, in an ``Authorization: Bearer``
header passed through the environment (never on a command line others can read). What the last
fetch did is kept in ``replica-state.json`` beside the refs, shared by the replica's processes:
when it last worked (the replica's lag) and why it fails, if it does.
"""

from __future__ import annotations

import json
import os
import re
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from ..errors import N_, InvalidContent
from . import repository
from .committer import remove_if_stale
from .reader import Reader

_URL = re.compile(r"\Ahttps?://[^\s/?#]+(?:/[^\s?#]*)?\Z")
STATE_FILE = "replica-state.json"
FETCH_LOCK = "replica-fetch.lock"
MAX_ERROR_CHARS = 300


@dataclass(frozen=True)
class FetchState:
    """What the replica's fetches from its primary did lately (times are Unix times)."""

    last_success: float | None = None  # None: never fetched successfully
    last_attempt: float | None = None
    error: str = ""  # why the last attempt failed, in one line; "" when it worked


def content_url(primary: str) -> str:
    """The primary's ``/content.git`` for a wiki at ``primary`` (``http(s)://host[/prefix]``)."""
    if not _URL.match(primary):
        raise InvalidContent(N_("The primary must be an http:// or https:// address, not %(url)s."), url=repr(primary))
    return primary.rstrip("/") + "/content.git"


def mirror(reader: Reader, primary: str, branch: str, *,
           token: str | None = None) -> tuple[FetchState, FetchState] | None:
    """Make ``reader``'s repository a mirror of the primary's (created if missing), then fetch;
    what :func:`fetch` answers."""
    if not repository.exists(reader):
        repository.create(reader, branch)
    return fetch(reader, primary, token=token)


def fetch(reader: Reader, primary: str, *, token: str | None = None,
          timeout: float = 20.0) -> tuple[FetchState, FetchState] | None:
    """Bring every ref to the state of the primary at ``primary``; the state before and after,
    or ``None`` when another process of the replica is fetching (one fetch at a time).

    A primary that is down is not an exception: the replica keeps serving what it has, and the
    state says since when it could not fetch and why.
    """
    lock = Path(reader.path) / FETCH_LOCK
    remove_if_stale(lock, 2 * timeout + 10)  # left by a worker killed while fetching
    try:
        lock.touch(exist_ok=False)
    except FileExistsError:
        return None
    try:
        before = state(reader)
        env = {"GIT_CONFIG_COUNT": "1", "GIT_CONFIG_KEY_0": "http.extraHeader",
               "GIT_CONFIG_VALUE_0": f"Authorization: Bearer {token}"} if token else {}
        try:
            result = reader.run("-c", f"http.lowSpeedTime={int(timeout)}", "-c", "http.lowSpeedLimit=1",
                                "fetch", "--quiet", "--prune", "--no-write-fetch-head", "--end-of-options",
                                content_url(primary), "+refs/*:refs/*", check=False, env=env)
            error = "" if result.returncode == 0 else _one_line(result.stderr.decode("utf-8", "replace"))
        except InvalidContent as problem:
            error = problem.message
        now = time.time()
        after = FetchState(last_success=before.last_success if error else now, last_attempt=now,
                           error=error or "")
        _write_state(reader, after)
        return before, after
    finally:
        lock.unlink(missing_ok=True)


def state(reader: Reader) -> FetchState:
    """The fetch state the replica's processes share (an empty one before the first fetch)."""
    try:
        data = json.loads((Path(reader.path) / STATE_FILE).read_text(encoding="utf-8"))
        return FetchState(last_success=data.get("last_success"), last_attempt=data.get("last_attempt"),
                          error=str(data.get("error") or ""))
    except (OSError, ValueError, AttributeError):
        return FetchState()


def _write_state(reader: Reader, current: FetchState) -> None:
    path = Path(reader.path) / STATE_FILE
    temporary = path.with_name(f".{STATE_FILE}.{os.getpid()}.tmp")
    temporary.write_text(json.dumps(asdict(current)), encoding="utf-8")
    os.replace(temporary, path)


def _one_line(text: str) -> str:
    """git's complaint in one line (``fatal: unable to access '…': Failed to connect …``)."""
    line = "; ".join(part.strip() for part in text.splitlines() if part.strip()) or "git fetch failed"
    return line if len(line) <= MAX_ERROR_CHARS else line[: MAX_ERROR_CHARS - 1] + "…"
