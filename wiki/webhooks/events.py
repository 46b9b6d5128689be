"""Webhook events, derived from what moved on the content repository's refs.

Every writer (the web views, scripts, ``git push`` through /content.git) lands by moving a ref, so
the events come from ref movements rather than from calls sprinkled in the views:

=========================================  ======================================================
ref                                        event
=========================================  ======================================================
``refs/heads/main``                        ``commit``: one per new commit (saves, merges, pushes)
``refs/heads/meta/proposals``              ``proposal``: one per event file added (created,
                                           commented, endorsed, objected, withdrawn, closed, merged)
``refs/notes/endorsements``                ``endorsement``: one per note line added
``refs/heads/meta/comments``               ``comment``: one per file added or changed (its JSON)
``refs/tags/<name>``                       ``version``: one per new named version
``refs/heads/meta/calls``                  ``call``: one per call file added or changed;
                                           ``response``: one per response folder added or
                                           changed (see :mod:`wiki.webhooks.call_events`)
=========================================  ======================================================

Payloads are plain JSON values; docs/api/webhooks.md documents them. At most ``MAX_EVENTS_PER_MOVE``
commits of one movement become events (the newest); the last of them then says
``"truncated": true``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime

from werkzeug.routing import BuildError

from .. import names
from ..errors import WikiError
from ..store import ENDORSEMENT_NOTES_REF, ChangedFile, CommitInfo, MovedCommit, Store
from ..store.call_model import CALLS_REF
from ..store.comment_model import COMMENTS_REF
from ..store.endorsements import parse_note_line
from ..store.proposal_model import META_REF, parse_event
from ..store.types import TAGS_PREFIX
from .call_events import call_events
from .queue import QueuedEvent

MAX_EVENTS_PER_MOVE = 100
MAX_TEXT_CHARS = 20_000  # of a proposal's or comment's text in a payload
# endpoint, values -> the path of a wiki URL (see WebhookService: built from the app's URL map)
PathBuilder = Callable[..., str]


def iso(timestamp: int | float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _author(commit: CommitInfo) -> dict[str, str]:
    return {"name": commit.author_name, "email": commit.author_email, "username": commit.username}


class EventMaker:
    """Turns the movement of one watched ref into queued events."""

    def __init__(self, store: Store, path_for: PathBuilder) -> None:
        self.store = store
        self.path_for = path_for
        self.single_refs = (store.ref, META_REF, ENDORSEMENT_NOTES_REF, COMMENTS_REF, CALLS_REF)

    def for_ref(self, ref: str, old: str | None, new: str) -> list[QueuedEvent]:
        """The events of ``ref`` moving from ``old`` (``None``: it did not exist) to ``new``."""
        if ref.startswith(TAGS_PREFIX):
            return self._version(ref, new)
        contents = ref != self.store.ref
        movement = self.store.ref_changes(ref, old, new, limit=MAX_EVENTS_PER_MOVE, contents=contents)
        events: list[QueuedEvent] = []
        for moved in movement.commits:
            if ref == self.store.ref:
                events.append(self._commit(ref, moved))
            elif ref == META_REF:
                events += self._proposal(moved)
            elif ref == ENDORSEMENT_NOTES_REF:
                events += self._endorsements(moved)
            elif ref == COMMENTS_REF:
                events += self._comments(moved)
            elif ref == CALLS_REF:
                events += call_events(self.store, moved)
        if movement.truncated and events:
            events[-1].payload["truncated"] = True
        return events

    # ------------------------------------------------------------------ per ref

    def _commit(self, ref: str, moved: MovedCommit) -> QueuedEvent:
        commit = moved.commit
        pages = sorted({page for item in moved.files
                        if (page := names.page_from_file(item.path)) is not None})
        payload: dict[str, object] = {
            "event": "commit", "id": commit.id, "ref": ref, "commit": commit.id, "parents": list(commit.parents),
            "message": commit.subject, "author": _author(commit), "group": commit.group,
            "timestamp": iso(commit.timestamp), "pages": pages,
            "files": [{"status": item.status, "path": item.path} for item in moved.files],
            "proposal": int(commit.proposal) if commit.proposal else None,
        }
        if commit.parents:
            path = self.path_for("changes.compare", **{"from": commit.parents[0], "to": commit.id})
        else:
            path = self.path_for("pages.view", page=pages[0] if pages else "Home", rev=commit.id)
        return QueuedEvent("commit", payload, path)

    def _proposal(self, moved: MovedCommit) -> list[QueuedEvent]:
        events = []
        for item in moved.files:
            number, _, name = item.path.partition("/")
            if item.status != "A" or item.new is None or not number.isdigit():
                continue
            event = parse_event(name, item.new)
            if event is None:
                continue
            header = item.new.decode("utf-8", "replace").partition("\n\n")[0]
            title = next((line.partition(":")[2].strip() for line in header.split("\n")
                          if line.startswith("title:")), "")
            payload: dict[str, object] = {
                "event": "proposal", "id": f"{moved.commit.id}:{item.path}", "proposal": int(number),
                "action": event.kind, "title": title, "user": event.user, "group": event.group,
                "timestamp": iso(event.time), "head": event.head, "text": event.text[:MAX_TEXT_CHARS],
                "commit": moved.commit.id,
            }
            events.append(QueuedEvent("proposal", payload, self.path_for("proposals.show", number=int(number))))
        return events

    def _endorsements(self, moved: MovedCommit) -> list[QueuedEvent]:
        events = []
        for item in moved.files:
            if item.new is None:
                continue
            commit = item.path.replace("/", "")
            for line in _added_lines(item):
                endorsement = parse_note_line(commit, line)
                if endorsement is None:
                    continue
                payload: dict[str, object] = {
                    "event": "endorsement", "id": f"{moved.commit.id}:{commit}:{line}",
                    "action": endorsement.action, "page": endorsement.page, "group": endorsement.group,
                    "user": endorsement.username, "timestamp": iso(endorsement.timestamp),
                    "commit": endorsement.commit, "notes_commit": moved.commit.id,
                }
                path = self.path_for("review.endorsements_of_page", page=endorsement.page)
                events.append(QueuedEvent("endorsement", payload, path))
        return events

    def _comments(self, moved: MovedCommit) -> list[QueuedEvent]:
        """One event per file the commit added or changed: its JSON (else its text), generically."""
        commit = moved.commit
        base: dict[str, object] = {"event": "comment", "commit": commit.id, "author": _author(commit),
                                   "group": commit.group, "timestamp": iso(commit.timestamp),
                                   "message": commit.subject}
        events = []
        for item in moved.files:
            if item.status == "D":
                continue
            payload = {**base, "id": f"{commit.id}:{item.path}", "path": item.path}
            data = _json(item.new)
            if data is not None:
                payload["data"] = data
            elif item.new is not None:
                payload["text"] = item.new.decode("utf-8", "replace")[:MAX_TEXT_CHARS]
            thread = _thread_number(item.path)
            page = data.get("page") if isinstance(data, dict) else None
            if thread is not None:
                payload["thread"] = thread
                page = page or self._thread_page(thread)
            if isinstance(page, str):
                payload["page"] = page
            events.append(QueuedEvent("comment", payload, self._comments_path(page)))
        if not events:
            events.append(QueuedEvent("comment", {**base, "id": commit.id}, self._comments_path(None)))
        return events

    def _version(self, ref: str, new: str) -> list[QueuedEvent]:
        name = ref.removeprefix(TAGS_PREFIX)
        version = next((item for item in self.store.versions() if item.name == name), None)
        if version is None:
            return []
        payload: dict[str, object] = {
            "event": "version", "id": f"{name}:{new}", "name": name, "title": version.title,
            "commit": version.commit, "tagger": version.tagger, "user": version.username,
            "group": version.group, "timestamp": iso(version.timestamp),
        }
        return [QueuedEvent("version", payload, self.path_for("site.document", rev=name))]

    def _thread_page(self, number: int) -> str | None:
        """The page a comment thread is on now (a reply's file does not name it)."""
        try:
            return self.store.comments.get(number).page
        except WikiError:
            return None

    def _comments_path(self, page: object) -> str:
        """The page's comments, or Home when the event names no page."""
        if isinstance(page, str):
            try:
                return self.path_for("comments.page_comments", page=names.normalize_page_name(page))
            except (WikiError, BuildError):
                pass
        return self.path_for("pages.home")


def _thread_number(path: str) -> int | None:
    """The thread of a comment event file ``<shard>/<n>/<file>`` (see wiki/store/comments.py)."""
    parts = path.split("/")
    return int(parts[1]) if len(parts) == 3 and parts[0].isdigit() and parts[1].isdigit() else None


def _added_lines(item: ChangedFile) -> list[str]:
    """The lines a note gained: notes are appended to, so the lines after the old text."""
    new_lines = (item.new or b"").decode("utf-8", "replace").splitlines()
    old_lines = (item.old or b"").decode("utf-8", "replace").splitlines()
    if new_lines[:len(old_lines)] == old_lines:
        return new_lines[len(old_lines):]
    before = set(old_lines)
    return [line for line in new_lines if line not in before]


def _json(data: bytes | None) -> object | None:
    if data is None:
        return None
    try:
        return json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
