"""Reviewing the living document from Git: blame by group, recent changes, contributions,
named versions (annotated tags), whole-document compare and endorsements (Git notes).

Part of the storage layer: like :mod:`wiki.store` (whose private helpers it uses) it talks to Git,
and nothing else does. Everything lives in the content repository so a clone carries it:
versions are annotated tags ``refs/tags/<slug>``, endorsements are notes under
``refs/notes/endorsements``, attribution comes from the commits' trailers. Tags and notes are
written the way the branch is: objects first, then ``git update-ref REF NEW OLD``, so concurrent
writers never lose one. Caches are keyed by commit, tree or blob ids only. No Flask import.
"""

from __future__ import annotations

import re
import threading
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .. import names
from ..diffs import Diff, diff_texts
from ..errors import EndorsementRefused, InvalidRevision, PageNotFound, StoreBusy, VersionExists
from ._common import (
    _LRU,
    GROUP_TRAILER,
    MAX_CAS_ATTEMPTS,
    TREE_MODE,
    USER_TRAILER,
    ZERO_ID,
    Author,
    CommitInfo,
    GitCommandError,
    _ident,
    _note_value,
    _one_line,
    _Tree,
)
from ._common import NOTES_REF as ATTRIBUTION_NOTES_REF

if TYPE_CHECKING:
    from . import Store

NOTES_REF = "refs/notes/endorsements"
TAGS_PREFIX = "refs/tags/"
ACTIONS = ("endorse", "withdraw")
MAX_COMPARE_DIFFS = 200  # pages whose word diff a compare shows inline; the rest link to their diff
_LOG_FIELDS = ("%H%x1f%P%x1f%an%x1f%ae%x1f%at%x1f%s%x1f"
               f"%(trailers:key={GROUP_TRAILER},valueonly,separator=%x2C)%x1f"
               f"%(trailers:key={USER_TRAILER},valueonly,separator=%x2C)%x1f%N")
# Pushed commits without a Stakeholder-Group trailer get it from a note (see wiki/hooks.py); with
# these notes shown, ``--grep`` matches the note's line as if it were part of the message.
_ATTRIBUTION_NOTES = f"--notes={ATTRIBUTION_NOTES_REF}"
_HEX40 = re.compile(r"\A[0-9a-f]{40}\Z")
_REGEX_SPECIAL = re.compile(r"([.\[\]\\*^$+?(){}|])")


# --------------------------------------------------------------------------- value types


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
class FileChange:
    """One page a commit or a comparison touched: ``status`` is added, removed, renamed or changed."""

    status: str
    page: str
    old_page: str = ""


@dataclass(frozen=True)
class Change:
    commit: CommitInfo
    files: tuple[FileChange, ...]


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
    change: FileChange
    groups: tuple[str, ...]
    diff: Diff | None  # None beyond MAX_COMPARE_DIFFS pages


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


@dataclass
class _Tally:
    """Running totals for one group or user (contributions)."""

    commits: int = 0
    added: int = 0
    removed: int = 0
    pages: set[str] = field(default_factory=set)
    months: dict[str, list[int]] = field(default_factory=dict)  # month -> [commits, added, removed]


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


# --------------------------------------------------------------------------- the review layer


class Review:
    """The review features over one :class:`Store`, with caches keyed by Git object ids."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._blames: _LRU[tuple[str, str], Blame] = _LRU(256)
        self._comparisons: _LRU[tuple[str, str], Comparison] = _LRU(16)
        self._diffs: _LRU[tuple[str | None, str | None], Diff] = _LRU(1024)
        self._notes: _LRU[str, tuple[dict[str, tuple[str, str]], dict[str, tuple[Endorsement, ...]]]] = _LRU(4)
        self._contributions: _LRU[str, Contributions] = _LRU(4)
        self._tallies: tuple[str, dict[str, _Tally], dict[str, _Tally]] | None = None
        self._tally_lock = threading.Lock()

    # ------------------------------------------------------------------ commits and refs

    def commit(self, commit_id: str) -> CommitInfo:
        """A commit's info, as the store gives it (read in-process, cached by id)."""
        return self.store.commit_info(commit_id)

    def _update_ref(self, ref: str, new: str, old: str | None, reason: str) -> bool:
        """Compare-and-swap ``ref`` from ``old`` (``None``: must not exist) to ``new``."""
        result = self.store._run("update-ref", "-m", reason, ref, new, old or ZERO_ID, check=False)
        if result.returncode == 0:
            return True
        stderr = result.stderr.decode("utf-8", "replace")
        if "cannot lock ref" in stderr or "but expected" in stderr or "already exists" in stderr:
            return False
        raise GitCommandError(["git", "update-ref", ref], result.returncode, stderr)

    # ------------------------------------------------------------------ blame

    def blame(self, page: str, rev: str | None = None) -> Blame:
        """Who wrote each line of ``page`` at ``rev``, and each group's share of the text.

        One ``git blame -M -C`` per (commit, file), cached: lines moved or carried across a rename
        keep the commit that wrote them. The page is found under the name it had at ``rev``.
        """
        revision = self.store.read_page_as_of(page, rev)
        path = names.page_file(revision.page)
        # Commits that did not touch the file cannot change its blame: key by the file's last change,
        # so a commit to another page does not cost a new ``git blame``.
        last = self.store.last_change(revision.page, revision.commit)
        since = last.id if last is not None else revision.commit
        result = self._blames.get_or_compute((since, path), lambda: self._blame(revision.page, since, path))
        return replace(result, commit=revision.commit)

    def _blame(self, page: str, commit: str, path: str) -> Blame:
        output = self.store._run("blame", "--porcelain", "-M", "-C", commit, "--", path).stdout
        line_commits: list[tuple[str, str]] = []
        current = ""
        for raw in output.decode("utf-8", "replace").split("\n"):
            if raw.startswith("\t"):
                line_commits.append((current, raw[1:]))
            elif len(raw) > 41 and raw[40] == " " and _HEX40.match(raw[:40]):
                current = raw[:40]
        blocks: list[BlameBlock] = []
        counts: Counter[str] = Counter()
        run: list[str] = []
        run_commit, run_start = "", 1
        for number, (commit_id, text) in enumerate(line_commits, start=1):
            info = self.commit(commit_id)
            counts[info.group] += 1
            if commit_id != run_commit and run:
                blocks.append(BlameBlock(self.commit(run_commit), run_start, tuple(run)))
                run = []
            if not run:
                run_commit, run_start = commit_id, number
            run.append(text)
        if run:
            blocks.append(BlameBlock(self.commit(run_commit), run_start, tuple(run)))
        total = len(line_commits)
        shares = tuple(GroupShare(group, count, round(100 * count / total, 1))
                       for group, count in sorted(counts.items(), key=lambda item: (-item[1], item[0])))
        return Blame(page=page, commit=commit, blocks=tuple(blocks), shares=shares, total_lines=total)

    # ------------------------------------------------------------------ recent changes

    def changes(self, *, group: str | None = None, user: str | None = None, paths: tuple[str, ...] = (),
                since: int | None = None, until: int | None = None, skip: int = 0,
                limit: int = 50) -> tuple[list[Change], bool]:
        """Commits newest first with the pages each touched, filtered, one page of ``limit``.

        One ``git log`` with ``--skip``/``-n``: the trailers are matched by ``--grep`` (and checked
        again here, since a summary could imitate one), the paths are literal pathspecs, and the
        dates cut the walk short. Returns the changes and whether there are more.
        """
        head = self.store.head()
        if head is None:
            return [], False
        args = ["--literal-pathspecs", "-c", "core.quotePath=false", "log", _ATTRIBUTION_NOTES, "-z", "-M",
                "--name-status",
                f"--format=%x1e{_LOG_FIELDS}", f"--skip={skip}", f"-n{limit + 1}"]
        greps = []
        if group:
            greps.append(f"--grep=^{GROUP_TRAILER}: {_regex_escape(group)}$")
        if user:
            greps.append(f"--grep=^{USER_TRAILER}: {_regex_escape(user)}$")
        if greps:
            args += [*greps, "--all-match"]
        if since is not None:
            args.append(f"--since=@{since}")
        if until is not None:
            args.append(f"--until=@{until}")
        args += [head, "--", *paths]
        changes = _parse_log(self.store._run(*args).stdout)
        more = len(changes) > limit
        kept = [change for change in changes[:limit]
                if (not group or change.commit.group == group) and (not user or change.commit.username == user)]
        return kept, more

    # ------------------------------------------------------------------ contributions

    def contributions(self) -> Contributions:
        """Per group and per user: commits, pages touched, lines added and removed, by month.

        The totals are kept for the tip they were computed at and brought forward with
        ``git log --numstat OLD..NEW`` when the branch moves, so only the first call walks the
        whole history; the summary is cached by the tip's id.
        """
        head = self.store.head()
        if head is None:
            return Contributions(head="", groups=(), users=(), months=())
        return self._contributions.get_or_compute(head, lambda: self._summarize(head))

    def _summarize(self, head: str) -> Contributions:
        with self._tally_lock:
            state = self._tallies
            if state is not None and state[0] != head:
                ancestor = self.store._run("merge-base", "--is-ancestor", state[0], head, check=False)
                if ancestor.returncode != 0:
                    state = None
            if state is None:
                state = (head, {}, {})
                self._add_numstat(state[1], state[2], [head])
            elif state[0] != head:
                self._add_numstat(state[1], state[2], [f"{state[0]}..{head}"])
                state = (head, state[1], state[2])
            self._tallies = state
            groups = tuple(_freeze(key, tally) for key, tally in sorted(state[1].items()))
            users = tuple(_freeze(key, tally) for key, tally in sorted(state[2].items()))
        months = sorted({month for tally in (*groups, *users) for month, *_ in tally.months})
        return Contributions(head=head, groups=groups, users=users, months=tuple(months))

    def _add_numstat(self, groups: dict[str, _Tally], users: dict[str, _Tally], revs: list[str]) -> None:
        output = self.store._run("-c", "core.quotePath=false", "log", _ATTRIBUTION_NOTES, "-z", "-M", "--numstat",
                                 "--format=%x1e%at%x1f" f"%(trailers:key={GROUP_TRAILER},valueonly,separator=%x2C)"
                                 f"%x1f%(trailers:key={USER_TRAILER},valueonly,separator=%x2C)%x1f%N",
                                 *revs, "--").stdout
        for record in output.decode("utf-8", "replace").split("\x1e"):
            header, _, rest = record.partition("\0")
            fields = header.strip("\n").split("\x1f")
            if len(fields) != 4 or not fields[0].isdigit():
                continue
            fields[1] = fields[1].strip() or _note_value(fields[3], GROUP_TRAILER)
            month = datetime.fromtimestamp(int(fields[0]), UTC).strftime("%Y-%m")
            added = removed = 0
            pages: set[str] = set()
            tokens = rest.lstrip("\n").split("\0")
            index = 0
            while index < len(tokens):
                token = tokens[index].lstrip("\n")
                index += 1
                parts = token.split("\t")
                if len(parts) != 3:
                    continue
                path = parts[2]
                if not path:  # a rename: the old and new paths follow
                    path = tokens[index + 1] if index + 1 < len(tokens) else ""
                    index += 2
                page = names.page_from_file(path)
                if page is None:
                    continue
                pages.add(page)
                added += int(parts[0]) if parts[0].isdigit() else 0
                removed += int(parts[1]) if parts[1].isdigit() else 0
            for table, key in ((groups, fields[1].strip() or "(none)"), (users, fields[2].strip() or "(none)")):
                tally = table.setdefault(key, _Tally())
                tally.commits += 1
                tally.added += added
                tally.removed += removed
                tally.pages |= pages
                bucket = tally.months.setdefault(month, [0, 0, 0])
                bucket[0] += 1
                bucket[1] += added
                bucket[2] += removed

    # ------------------------------------------------------------------ named versions

    def versions(self) -> list[Version]:
        """Every named version, newest first: one ``git for-each-ref``."""
        fields = ("%(refname:strip=2)%1f%(objectname)%1f%(*objectname)%1f%(taggername)%1f"
                  "%(taggerdate:unix)%1f%(creatordate:unix)%1f%(contents:subject)%1f"
                  f"%(trailers:key={GROUP_TRAILER},valueonly,separator=%2C)%1f"
                  f"%(trailers:key={USER_TRAILER},valueonly,separator=%2C)%1e")
        output = self.store._run("for-each-ref", "--sort=-creatordate", f"--format={fields}",
                                 TAGS_PREFIX).stdout.decode("utf-8", "replace")
        versions = []
        for record in output.split("\x1e"):
            parts = record.strip("\n").split("\x1f")
            if len(parts) != 9 or not names.is_version_name(parts[0]):
                continue
            name, object_id, peeled, tagger, tag_date, created, subject, group, user = parts
            stamp = tag_date or created
            versions.append(Version(name=name, title=subject or name, commit=peeled or object_id,
                                    tagger=tagger, timestamp=int(stamp) if stamp.isdigit() else 0,
                                    group=group.strip(), username=user.strip()))
        return versions

    def create_version(self, name: str, title: str, rev: str | None, *, author: Author) -> Version:
        """Tag the whole document at ``rev`` as the named version ``name`` (an annotated tag).

        The tag object is checked by ``git mktag`` and the ref created only if absent, so two
        reviewers choosing one name never overwrite each other: the second gets VersionExists.
        """
        name = names.check_version_name(name)
        commit = self.store.resolve(rev)
        title = _one_line(title)[:200] or name
        stamp = int(datetime.now(UTC).timestamp())
        tagger = _ident(author.name, author.email)
        body = (f"object {commit}\ntype commit\ntag {name}\ntagger {tagger} {stamp} +0000\n\n{title}\n\n"
                f"{GROUP_TRAILER}: {_one_line(author.group)}\n{USER_TRAILER}: {_one_line(author.username)}\n")
        tag_id = self.store._run("mktag", input=body.encode("utf-8")).stdout.decode().strip()
        if not self._update_ref(f"{TAGS_PREFIX}{name}", tag_id, None, f"wiki: {author.username}"):
            raise VersionExists(f"A version named {name!r} already exists; choose another name.")
        return Version(name=name, title=title, commit=commit, tagger=author.name, timestamp=stamp,
                       group=author.group, username=author.username)

    # ------------------------------------------------------------------ compare

    def compare(self, from_rev: str, to_rev: str) -> Comparison:
        """Every page added, removed, renamed or changed between two revisions of the document,
        with its word diff and the groups whose commits made the change; cached by the two ids."""
        from_commit, to_commit = self.store.resolve(from_rev), self.store.resolve(to_rev)
        return self._comparisons.get_or_compute((from_commit, to_commit),
                                                lambda: self._compare(from_commit, to_commit))

    def _compare(self, from_commit: str, to_commit: str) -> Comparison:
        raw = self.store._run("-c", "core.quotePath=false", "diff-tree", "-r", "-M", "-z", "--name-status",
                              from_commit, to_commit).stdout.decode("utf-8", "replace")
        entries = _parse_name_status(raw.split("\0"))
        by_path: dict[str, set[str]] = {}
        if entries:
            log = self.store._run("-c", "core.quotePath=false", "log", _ATTRIBUTION_NOTES, "-z", "-M",
                                  "--name-status", f"--format=%x1e{_LOG_FIELDS}", f"{from_commit}...{to_commit}",
                                  "--").stdout
            for change in _parse_log(log):
                for file in change.files:
                    for page in (file.page, file.old_page):
                        if page:
                            by_path.setdefault(page, set()).add(change.commit.group or "(none)")
        pages = []
        for index, file in enumerate(entries):
            groups = by_path.get(file.page, set()) | by_path.get(file.old_page, set())
            diff = None
            if index < MAX_COMPARE_DIFFS:
                old = self._text(file.old_page or file.page, from_commit) if file.status != "added" else ""
                new = self._text(file.page, to_commit) if file.status != "removed" else ""
                # Word diffs are the costly part; keyed by blob ids, a compare to a newer tip reuses them.
                blobs = (self.store.page_blob_id(file.old_page or file.page, from_commit) if old else None,
                         self.store.page_blob_id(file.page, to_commit) if new else None)
                diff = self._diffs.get_or_compute(blobs, lambda old=old, new=new: diff_texts(old, new))
            pages.append(PageComparison(change=file, groups=tuple(sorted(groups)), diff=diff))
        return Comparison(from_commit=from_commit, to_commit=to_commit, pages=tuple(pages))

    def _text(self, page: str, commit: str) -> str:
        try:
            return self.store.read_page(page, commit).text
        except PageNotFound:
            return ""

    # ------------------------------------------------------------------ endorsements

    def _note_index(self) -> tuple[str | None, dict[str, tuple[str, str]], dict[str, tuple[Endorsement, ...]]]:
        """The notes commit, where each annotated commit's note is (path, blob), and events by page."""
        notes = self.store._read_ref(NOTES_REF)
        if notes is None:
            return None, {}, {}
        located, by_page = self._notes.get_or_compute(notes, lambda: self._load_notes(notes))
        return notes, located, by_page

    def _load_notes(self, notes_commit: str) -> tuple[dict[str, tuple[str, str]], dict[str, tuple[Endorsement, ...]]]:
        located: dict[str, tuple[str, str]] = {}
        stack = [(self.store._commit_tree(notes_commit), "", "")]
        while stack:  # notes may sit at the root or under fan-out folders (ab/cdef...), as git writes them
            tree, hex_prefix, path_prefix = stack.pop()
            for name, (mode, object_id) in self.store._tree_entries(tree).items():
                if mode == TREE_MODE and len(name) == 2 and len(hex_prefix) < 38:
                    stack.append((object_id, hex_prefix + name, f"{path_prefix}{name}/"))
                elif mode != TREE_MODE and _HEX40.match(hex_prefix + name):
                    located[hex_prefix + name] = (path_prefix + name, object_id)
        events: dict[str, list[tuple[int, int, Endorsement]]] = {}
        order = 0
        for commit, (_, blob) in located.items():
            for line in self.store._blob(blob).decode("utf-8", "replace").splitlines():
                endorsement = _parse_note_line(commit, line)
                if endorsement is not None:
                    order += 1
                    events.setdefault(endorsement.page, []).append((endorsement.timestamp, order, endorsement))
        by_page = {page: tuple(event for *_, event in sorted(items)) for page, items in events.items()}
        return located, by_page

    def endorsement_events(self, page: str) -> tuple[Endorsement, ...]:
        return self._note_index()[2].get(page, ())

    def endorse(self, page: str, seen: str, *, action: str, author: Author) -> Endorsement:
        """Record that ``author``'s group endorses (or withdraws from) the page's current revision.

        ``seen`` is the revision the reviewer read: if the page changed since, nothing is recorded.
        The note line is appended to the note of the commit that made the current revision; the
        notes ref moves by compare-and-swap, retried on top of a concurrent writer's notes.
        """
        if action not in ACTIONS:
            raise EndorsementRefused("The action must be 'endorse' or 'withdraw'.")
        last = self.store.last_change(page)
        if last is None or not self.store.page_exists(page):
            raise PageNotFound(f"There is no page {page!r} to endorse.")
        if self.store.resolve(seen) != last.id:
            raise EndorsementRefused("The page changed since you read it; read the current text and try again.")
        state = self.page_endorsements(page, ())
        held = {item.group for item in state.groups if item.current}
        if action == "endorse" and author.group in held:
            raise EndorsementRefused("Your group already endorses the current text of this page.")
        if action == "withdraw" and author.group not in {item.group for item in state.groups}:
            raise EndorsementRefused("Your group has no endorsement of this page to withdraw.")
        endorsement = Endorsement(commit=last.id, group=_one_line(author.group), username=_one_line(author.username),
                                  timestamp=int(datetime.now(UTC).timestamp()), action=action, page=page)
        line = endorsement.note_line().encode("utf-8")
        message = f"{action.capitalize()} {page} for {author.group}"
        for _ in range(MAX_CAS_ATTEMPTS):
            notes, located, _ = self._note_index()
            path, old_blob = located.get(last.id, (last.id, ""))
            data = (self.store._blob(old_blob) if old_blob else b"") + line
            root = _Tree(entries=dict(self.store._tree_entries(self.store._commit_tree(notes))) if notes else {})
            self.store._apply(root, path.split("/"), self.store._store_object("blob", data))
            tree = self.store._write_tree(root) or self.store._store_object("tree", b"")
            commit = self.store._store_object("commit", self.store._commit_bytes(tree, notes, author, message))
            if self._update_ref(NOTES_REF, commit, notes, f"wiki: {author.username}"):
                return endorsement
        raise StoreBusy("Endorsements are being recorded very often right now; please try again.")

    def page_endorsements(self, page: str, groups: tuple[str, ...] | list[str]) -> PageEndorsements:
        """Replay the page's endorsement notes: each group's latest state, current or stale,
        consensus among ``groups`` (the configured ones) and the last revision that had it."""
        events = self.endorsement_events(page)
        current_blob = self.store.page_blob_id(page)
        latest: dict[str, Endorsement] = {}
        last_consensus: str | None = None
        for event in events:
            latest[event.group] = event
            if groups and all(g in latest and latest[g].action == "endorse" for g in groups):
                blobs = {self._blob_at(page, latest[g].commit) for g in groups}
                if len(blobs) == 1 and None not in blobs:
                    last_consensus = max((latest[g] for g in groups), key=lambda e: e.timestamp).commit
        held = []
        for group, event in sorted(latest.items()):
            if event.action == "endorse":
                held.append(GroupEndorsement(group, event, self._blob_at(page, event.commit) == current_blob))
        current = {item.group for item in held if item.current}
        missing = tuple(group for group in groups if group not in current)
        consensus = bool(groups) and not missing
        if consensus:
            status = "consensus"
        elif current:
            status = "partly endorsed"
        elif held:
            status = "stale"
        else:
            status = "not endorsed"
        holding = {item.group for item in held}
        return PageEndorsements(page=page, groups=tuple(held), missing=missing,
                                not_endorsing=tuple(group for group in groups if group not in holding),
                                consensus=consensus, last_consensus=last_consensus, status=status)

    def endorsement_overview(self, groups: tuple[str, ...] | list[str]) -> dict[str, list[PageEndorsements]]:
        """Every current page by endorsement status; pages without notes are 'not endorsed'."""
        _, _, by_page = self._note_index()
        overview: dict[str, list[PageEndorsements]] = {
            "consensus": [], "partly endorsed": [], "stale": [], "not endorsed": []}
        for page in self.store.list_pages():
            if page in by_page:
                state = self.page_endorsements(page, groups)
            else:
                state = PageEndorsements(page=page, groups=(), missing=tuple(groups), not_endorsing=tuple(groups),
                                         consensus=False, last_consensus=None, status="not endorsed")
            overview[state.status].append(state)
        return overview

    def _blob_at(self, page: str, commit: str) -> str | None:
        try:
            return self.store.page_blob_id(page, commit)
        except InvalidRevision:
            return None


# --------------------------------------------------------------------------- parsing helpers


def _regex_escape(value: str) -> str:
    """Escape ``value`` for git's basic regular expressions (``--grep``)."""
    return _REGEX_SPECIAL.sub(r"\\\1", value)


def _parse_name_status(tokens: list[str]) -> list[FileChange]:
    """``--name-status -z`` tokens (status, path[, path]) as page changes; non-page files dropped."""
    changes: list[FileChange] = []
    index = 0
    while index < len(tokens):
        status = tokens[index].strip("\n")
        index += 1
        if not status:
            continue
        if status[0] in "RC":
            old, new = tokens[index], tokens[index + 1] if index + 1 < len(tokens) else ""
            index += 2
            old_page, new_page = names.page_from_file(old), names.page_from_file(new)
            if status[0] == "R" and old_page and new_page:
                changes.append(FileChange("renamed", new_page, old_page))
            elif new_page:
                changes.append(FileChange("added", new_page))
            continue
        path = tokens[index] if index < len(tokens) else ""
        index += 1
        page = names.page_from_file(path)
        if page is not None:
            kind = {"A": "added", "D": "removed"}.get(status[0], "changed")
            changes.append(FileChange(kind, page))
    return changes


def _parse_log(output: bytes) -> list[Change]:
    """Records of ``git log -z --name-status --format=%x1e<fields>`` as changes."""
    changes = []
    for record in output.decode("utf-8", "replace").split("\x1e"):
        header, _, rest = record.partition("\0")
        fields = header.strip("\n").split("\x1f")
        if len(fields) != 9:
            continue
        commit_id, parents, name, email, stamp, subject, group, user, note = fields
        group = group.strip() or _note_value(note, GROUP_TRAILER)
        info = CommitInfo(id=commit_id, parents=tuple(parents.split()), author_name=name, author_email=email,
                          timestamp=int(stamp) if stamp.isdigit() else 0, subject=subject, group=group.strip(),
                          username=user.strip())
        changes.append(Change(info, tuple(_parse_name_status(rest.lstrip("\n").split("\0")))))
    return changes


def _parse_note_line(commit: str, line: str) -> Endorsement | None:
    """``<group> <user> <time> <action> <page>``; anything else (a hand-made note) is ignored."""
    parts = line.strip().split(" ")
    if len(parts) != 5 or parts[3] not in ACTIONS:
        return None
    group, user, stamp, action, page = parts
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    if names.page_from_file(names.page_file(page)) != page:
        return None
    return Endorsement(commit=commit, group=group, username=user, timestamp=int(when.timestamp()),
                       action=action, page=page)


def _freeze(key: str, tally: _Tally) -> Tally:
    return Tally(key=key, commits=tally.commits, pages=len(tally.pages), added=tally.added, removed=tally.removed,
                 months=tuple((month, *values) for month, values in sorted(tally.months.items())))
