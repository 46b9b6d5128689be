"""Comment threads as data: the values the wiki shows and the event files stored for them on the
branch ``refs/heads/meta/comments`` (see :mod:`wiki.store.comments` for the layout).

Pure: no git, no Flask.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from ..errors import WikiError

COMMENTS_REF = "refs/heads/meta/comments"
COMMENT_TRAILER = "Comment-Thread"
KINDS = ("comment", "question", "objection", "support")
EVENTS = ("create", "reply", "resolve", "reopen", "move", "hide", "unhide")
MAX_TEXT_BYTES = 20_000
MAX_QUOTE_CHARS = 2_000
CONTEXT_CHARS = 32  # text kept before and after a quoted passage, to find it again


class CommentRefused(WikiError):
    """What was asked cannot be done to this thread (not yours to resolve, already resolved)."""

    code = 409


@dataclass(frozen=True)
class Anchor:
    """Where a thread's passage was: in the page's plain text (see :mod:`wiki.passages`) at ``rev``."""

    rev: str  # the commit the user read
    blob: str  # the page's blob in that commit (the key of its plain text)
    quote: str
    prefix: str
    suffix: str
    position: int  # the passage's first character in that plain text


@dataclass(frozen=True)
class Entry:
    """One event of a thread: its first comment, a reply, a resolution, a reopening, a move, or a
    moderator hiding it as spam (``hide``, with the reason as ``text``) or showing it again."""

    event: str
    user: str
    group: str
    time: int
    text: str
    name: str  # the event's file name: orders events and identifies them (its blob id is ``blob``)
    blob: str = ""
    page: str = ""  # for ``move``: the page the thread moved to


@dataclass(frozen=True)
class Thread:
    number: int
    page: str  # where the thread is now (a rename moves it)
    proposal: int | None  # the proposal whose text it is about, or None for the agreed text
    kind: str
    anchor: Anchor
    state: str  # open or resolved
    entries: tuple[Entry, ...]
    hidden: bool = False  # hidden as spam by a moderator: shown to moderators only (never deleted)

    @property
    def opened(self) -> Entry:
        return self.entries[0]

    @property
    def author(self) -> str:
        return self.opened.user

    @property
    def group(self) -> str:
        return self.opened.group

    @property
    def messages(self) -> tuple[Entry, ...]:
        """The entries people wrote (the first comment and the replies), in order."""
        return tuple(entry for entry in self.entries if entry.event in ("create", "reply"))

    @property
    def updated(self) -> int:
        return max(entry.time for entry in self.entries)


def event_file(event: str, *, user: str, group: str, time: int, text: str = "", **fields: object) -> bytes:
    """The bytes of one event file: a JSON object, one key per line so diffs stay readable."""
    record: dict[str, object] = {"event": event, "user": user, "group": group, "time": time}
    record.update(fields)
    record["text"] = text
    return (json.dumps(record, ensure_ascii=False, indent=1, sort_keys=False) + "\n").encode("utf-8")


def parse_event(name: str, blob: str, data: bytes) -> tuple[Entry, dict[str, object]] | None:
    """The entry and the raw record of an event file, or ``None`` for a file the wiki did not write."""
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("event") not in EVENTS:
        return None
    time = record.get("time")
    entry = Entry(event=str(record["event"]), user=str(record.get("user", "")), group=str(record.get("group", "")),
                  time=time if isinstance(time, int) and 0 <= time < 2 ** 40 else 0,
                  text=str(record.get("text", "")), name=name, blob=blob, page=str(record.get("to", "")))
    return entry, record


def build_thread(number: int, events: list[tuple[Entry, dict[str, object]]]) -> Thread | None:
    """A thread replayed from its events (in file-name order); ``None`` when it has no ``create``."""
    events = sorted(events, key=lambda pair: pair[0].name)
    created = next((record for entry, record in events if entry.event == "create"), None)
    if created is None:
        return None
    position = created.get("position")
    proposal = created.get("proposal")
    anchor = Anchor(rev=str(created.get("rev", "")), blob=str(created.get("blob", "")),
                    quote=str(created.get("quote", "")), prefix=str(created.get("prefix", "")),
                    suffix=str(created.get("suffix", "")),
                    position=position if isinstance(position, int) and position >= 0 else 0)
    kind = str(created.get("kind", "comment"))
    page, state, hidden = str(created.get("page", "")), "open", False
    entries = []
    for entry, _record in events:
        if entry.event == "create" and entries:
            continue  # one create per thread; a second one (a hand-made file) is ignored
        if entry.event == "resolve":
            state = "resolved"
        elif entry.event == "reopen":
            state = "open"
        elif entry.event == "move" and entry.page:
            page = entry.page
        elif entry.event in ("hide", "unhide"):
            hidden = entry.event == "hide"
        entries.append(entry)
    entries.sort(key=lambda entry: entry.event != "create")  # stable: the create first, then in order
    return Thread(number=number, page=page, proposal=proposal if isinstance(proposal, int) else None,
                  kind=kind if kind in KINDS else "comment", anchor=anchor, state=state, entries=tuple(entries),
                  hidden=hidden)
