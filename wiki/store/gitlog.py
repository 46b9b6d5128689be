"""Commits as the wiki shows them: the one commit parser, the one ``git log``/``diff-tree``
runner and parser, and the one attribution rule.

Attribution, decided here once for every view: a commit's group is its ``Stakeholder-Group``
trailer; else the group its push note under ``refs/notes/stakeholder-groups`` gives; else none
(unattributed). A trailer is a ``Key: value`` line of the message's last paragraph, when that
paragraph (never the subject) consists of such lines only.

``git log`` runs with ``--pretty=raw -z``: the commit header exactly as stored and the message
indented by git, so the same parser reads a commit object and a log record, and no separator
character that a commit may contain can confuse it. Parsed commits are cached by id without
their note; the note is applied per notes tip, so a note written later shows on the next read.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace

from ..commits import RawCommit, parse_commit
from ..errors import N_, InvalidRevision
from .cache import LRUCache
from .notes import Notes
from .reader import Reader
from .types import GROUP_TRAILER, USER_TRAILER, CommitInfo

# Dates git can store but no calendar can show (e.g. the year 3,170,843) are clamped to this range.
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z
_TRAILER = re.compile(r"\A([A-Za-z0-9][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)\Z")
_RAW_LOG = ("--pretty=raw", "-z", "--no-decorate", "--no-show-signature", "--no-color", "--encoding=UTF-8")


@dataclass(frozen=True)
class FileStatus:
    """One file of ``--name-status`` output: ``A``, ``M``, ``D``, ``R…`` or ``C…`` and its path(s)."""

    status: str
    path: str
    old_path: str = ""


@dataclass(frozen=True)
class NumStat:
    """One file of ``--numstat`` output (``-1`` for binary files)."""

    added: int
    removed: int
    path: str


@dataclass(frozen=True)
class LogEntry:
    commit: CommitInfo
    files: tuple[FileStatus | NumStat, ...] = ()


def trailer_lines(message: str) -> list[tuple[str, str]]:
    """Every ``(key, value)`` trailer of a commit or tag message, in order (the one rule)."""
    paragraphs = [p for p in message.strip("\n").split("\n\n") if p.strip()]
    if len(paragraphs) < 2:
        return []
    found: list[tuple[str, str]] = []
    for line in paragraphs[-1].split("\n"):
        if line[:1] in (" ", "\t") and found:  # a continuation line
            continue
        match = _TRAILER.match(line.rstrip())
        if match is None:
            return []
        found.append((match.group(1), match.group(2).strip()))
    return found


def parse_trailers(message: str) -> dict[str, str]:
    """The trailers of a commit or tag message (the first value of each key)."""
    found: dict[str, str] = {}
    for key, value in trailer_lines(message):
        found.setdefault(key, value)
    return found


def subject_of(message: str) -> str:
    """The first paragraph on one line, as ``git log --format=%s`` shows it."""
    paragraphs = [p for p in message.strip("\n").split("\n\n") if p.strip()]
    return " ".join(paragraphs[0].split()) if paragraphs else ""


def parse_ident(value: str) -> tuple[str, str, int]:
    """``Name <email> 1234567890 +0000`` as (name, email, timestamp), tolerant of anything."""
    ident, _, when = value.rpartition("> ")
    if not _:
        ident, when = value, ""
    name, _, email = ident.partition(" <")
    stamp_text = when.split()[0] if when.split() else ""
    stamp = int(stamp_text) if stamp_text.isdigit() and len(stamp_text) <= 20 else 0
    return name.strip(), email.strip(), min(stamp, MAX_TIMESTAMP)


def commit_info(raw: RawCommit) -> CommitInfo:
    """A parsed commit object as history shows it; the group is the trailer's (notes come later)."""
    name, email, stamp = parse_ident((raw.author or b"").decode("utf-8", "replace"))
    message = raw.message.decode("utf-8", "replace")
    found = parse_trailers(message)
    proposal = found.get("Proposal", "")
    return CommitInfo(id=raw.id, author_name=name, author_email=email, timestamp=stamp, subject=subject_of(message),
                      group=found.get(GROUP_TRAILER, ""), username=found.get(USER_TRAILER, ""),
                      parents=tuple(parent[:40] for parent in raw.parents),
                      proposal=proposal if proposal.isdigit() else "")


class GitLog:
    """Commits by id (parsed in-process), ``git log`` and ``diff-tree`` runs, and attribution."""

    def __init__(self, reader: Reader, attribution_notes: Notes) -> None:
        self.reader = reader
        self.attribution_notes = attribution_notes
        self._commits: LRUCache[str, CommitInfo] = LRUCache(16384)

    # ------------------------------------------------------------------ attribution

    def notes_tip(self) -> str:
        """The attribution notes' tip ("" when none): part of every cache key that shows groups."""
        return self.attribution_notes.tip() or ""

    def note_group(self, commit_id: str, notes_tip: str | None = None) -> str:
        """The group the push note gives ``commit_id`` ("" when none)."""
        tip = self.notes_tip() if notes_tip is None else notes_tip
        note = self.attribution_notes.find(commit_id, tip or None)
        for line in note.splitlines():
            key, _, value = line.partition(":")
            if key.strip() == GROUP_TRAILER:
                return value.strip()
        return ""

    def attribute(self, commit: CommitInfo, notes_tip: str) -> CommitInfo:
        """``commit`` with its group: the trailer's, else the note's (in ``notes_tip``), else none."""
        if commit.group or not notes_tip:
            return commit
        group = self.note_group(commit.id, notes_tip)
        return replace(commit, group=group) if group else commit

    # ------------------------------------------------------------------ one commit

    def commit(self, commit_id: str) -> CommitInfo:
        """A commit as stored (group from its trailer only), cached by id."""

        def load() -> CommitInfo:
            kind, data = self.reader.read_object(commit_id)
            if kind != "commit":
                raise InvalidRevision(N_("No such revision."))
            return commit_info(parse_commit(commit_id, data))

        return self._commits.get_or_compute(commit_id, load)

    def info(self, commit_id: str) -> CommitInfo:
        """A commit with its attribution as of now."""
        return self.attribute(self.commit(commit_id), self.notes_tip())

    # ------------------------------------------------------------------ git log

    def log(self, *args: str, files: str = "", renames: bool = True) -> list[LogEntry]:
        """``git log args`` parsed; ``files`` is ``""``, ``"name-status"`` or ``"numstat"``.

        Groups are trailers only; apply :meth:`attribute` for notes. Every parsed commit joins the
        by-id cache, so a later :meth:`commit` of it costs nothing.
        """
        return list(self.iter_log(*args, files=files, renames=renames))

    def iter_log(self, *args: str, files: str = "", renames: bool = True) -> Iterator[LogEntry]:
        options = ["--literal-pathspecs", "-c", "core.quotePath=false", "log", *_RAW_LOG]
        if files:
            options += [f"--{files}", "-M" if renames else "--no-renames"]
        output = self.reader.run(*options, *args).stdout
        tokens = output.split(b"\0")
        index = 0
        while index < len(tokens):
            token = tokens[index]
            index += 1
            if not token.startswith(b"commit "):
                continue
            commit, first_file = self._parse_record(token.decode("utf-8", "replace"))
            entries: list[FileStatus | NumStat] = []
            current = first_file
            while current:
                if files == "numstat":
                    added, _, rest = current.partition("\t")
                    removed, _, path = rest.partition("\t")
                    if not path and index + 1 < len(tokens):  # a rename: old and new path follow
                        path = tokens[index + 1].decode("utf-8", "replace")
                        index += 2
                    entries.append(NumStat(int(added) if added.isdigit() else -1,
                                           int(removed) if removed.isdigit() else -1, path))
                else:
                    count = 2 if current[:1] in ("R", "C") else 1
                    paths = [token.decode("utf-8", "replace") for token in tokens[index:index + count]]
                    index += count
                    if len(paths) == count:
                        entries.append(FileStatus(current, paths[-1], paths[0] if count == 2 else ""))
                if index >= len(tokens) or not tokens[index] or tokens[index].startswith(b"commit "):
                    break
                current = tokens[index].decode("utf-8", "replace").strip("\n")
                index += 1
            yield LogEntry(commit, tuple(entries))

    def _parse_record(self, record: str) -> tuple[CommitInfo, str]:
        """One ``--pretty=raw`` record: the commit, and the first file token glued to its end."""
        header, _, rest = record.partition("\n\n")
        commit_id = header[7:47]
        lines = rest.split("\n")
        message: list[str] = []
        position = 0
        while position < len(lines) and lines[position].startswith("    "):
            message.append(lines[position][4:])
            position += 1
        # A notes block ("Notes (...):" then indented lines) may follow; it is read from the notes tree.
        leftover = [line for line in lines[position:] if line and not line.startswith("    ")
                    and not (line.startswith("Notes") and line.endswith(":"))]
        header_lines = header.split("\n", 1)[1] if "\n" in header else ""
        commit = self._commits.get_or_compute(commit_id, lambda: commit_info(parse_commit(
            commit_id, (header_lines + "\n\n" + "\n".join(message)).encode("utf-8"))))
        return commit, leftover[-1] if leftover else ""

    def diff_tree(self, old: str, new: str, *, renames: bool = True) -> list[FileStatus]:
        """The files that differ between two commits (``-M``: renames as ``R``)."""
        output = self.reader.run("-c", "core.quotePath=false", "diff-tree", "-r", "-z", "--name-status",
                                 "-M" if renames else "--no-renames", old, new, "--").stdout
        tokens = output.decode("utf-8", "replace").split("\0")
        changes: list[FileStatus] = []
        index = 0
        while index < len(tokens):
            status = tokens[index].strip("\n")
            index += 1
            if not status:
                continue
            count = 2 if status[0] in "RC" else 1
            paths = tokens[index:index + count]
            index += count
            if len(paths) == count:
                changes.append(FileStatus(status, paths[-1], paths[0] if count == 2 else ""))
        return changes
