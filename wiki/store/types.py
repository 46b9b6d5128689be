"""The storage layer's public values: ref names, trailers, and the frozen records it returns.

Everything here is plain data, so views, the search index and tests can import it without
touching Git.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

ZERO_ID = "0" * 40
GROUP_TRAILER = "Stakeholder-Group"
USER_TRAILER = "Wiki-User"
# Pushed commits without a Stakeholder-Group trailer get the pusher's group in a note here
# (written after a push, see wiki.hooks); attribution reads it when the trailer is missing.
ATTRIBUTION_NOTES_REF = "refs/notes/stakeholder-groups"
# Reviewers' endorsements: one note line per endorsement, on the commit that made the revision.
ENDORSEMENT_NOTES_REF = "refs/notes/endorsements"
TAGS_PREFIX = "refs/tags/"
ENDORSEMENT_ACTIONS = ("endorse", "withdraw")


class GitCommandError(RuntimeError):
    """A git command failed in a way the wiki did not expect (a bug or a broken repository)."""

    def __init__(self, command: Iterable[str], returncode: int, stderr: str) -> None:
        super().__init__(f"{' '.join(command)} exited {returncode}: {stderr.strip()}")


@dataclass(frozen=True)
class Author:
    """Who makes a commit, and on behalf of which stakeholder group."""

    name: str
    email: str
    username: str
    group: str


@dataclass(frozen=True)
class CommitInfo:
    """One commit as history, changes and diffs show it; ``group`` is "" when unattributed."""

    id: str
    author_name: str
    author_email: str
    timestamp: int
    subject: str
    group: str
    username: str
    parents: tuple[str, ...] = ()
    path: str = ""  # the file this commit touched, for page history across renames
    proposal: str = ""  # the proposal it was made in, or merged (its Proposal: trailer)

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


@dataclass(frozen=True)
class FileChange:
    """One page a commit or a comparison touched: ``status`` is added, removed, renamed or changed."""

    status: str
    page: str
    old_page: str = ""


@dataclass(frozen=True)
class Change:
    """A commit with the pages it touched (recent changes)."""

    commit: CommitInfo
    files: tuple[FileChange, ...]


@dataclass(frozen=True)
class BlameBlock:
    """Consecutive lines of the current text that one commit wrote."""

    commit: CommitInfo
    start: int
    lines: tuple[str, ...]


@dataclass(frozen=True)
class GroupShare:
    group: str
    lines: int
    percent: float


@dataclass(frozen=True)
class Blame:
    page: str
    commit: str
    blocks: tuple[BlameBlock, ...]
    shares: tuple[GroupShare, ...]
    total_lines: int


@dataclass(frozen=True)
class Version:
    """A named version: an annotated tag on a commit of the whole document."""

    name: str
    title: str
    commit: str
    tagger: str
    timestamp: int
    group: str
    username: str


@dataclass(frozen=True)
class PageComparison:
    """One page that differs between two revisions: the change, the groups whose commits made it,
    and the blob ids of its two texts (``None`` where it does not exist), for a word diff."""

    change: FileChange
    groups: tuple[str, ...]
    old_blob: str | None
    new_blob: str | None


@dataclass(frozen=True)
class Comparison:
    from_commit: str
    to_commit: str
    pages: tuple[PageComparison, ...]


@dataclass(frozen=True)
class Endorsement:
    """One line of an endorsement note: who, for which group, when, what, and which page."""

    commit: str
    group: str
    username: str
    timestamp: int
    action: str
    page: str

    def note_line(self) -> str:
        stamp = datetime.fromtimestamp(self.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return f"{self.group} {self.username} {stamp} {self.action} {self.page}\n"


@dataclass(frozen=True)
class GroupEndorsement:
    group: str
    endorsement: Endorsement
    current: bool  # False: the page changed after it (stale)


@dataclass(frozen=True)
class PageEndorsements:
    """Where a page stands: each group's latest endorsement, consensus, and the last consensus."""

    page: str
    groups: tuple[GroupEndorsement, ...]
    missing: tuple[str, ...]  # configured groups not endorsing the current text
    not_endorsing: tuple[str, ...]  # configured groups with no endorsement at all, current or stale
    consensus: bool
    last_consensus: str | None  # the commit of the last revision every group endorsed
    status: str  # consensus, partly endorsed, stale, not endorsed


@dataclass(frozen=True)
class Tally:
    key: str
    commits: int
    pages: int
    added: int
    removed: int
    months: tuple[tuple[str, int, int, int], ...]


@dataclass(frozen=True)
class Contributions:
    head: str
    groups: tuple[Tally, ...]
    users: tuple[Tally, ...]
    months: tuple[str, ...]
