"""The push rules of /content.git, run by git as ``python -m wiki.hooks pre-receive|post-receive``.

``pre-receive`` runs before any ref moves, with the pushed objects still in quarantine: when it
refuses, nothing changes and every line it prints reaches the pusher as ``remote: ...``. The rules:

- only ``refs/heads/main`` (fast-forward only, never deleted), the branch ``refs/heads/proposals/<n>``
  of an open proposal (it must exist already, as the wiki made it; fast-forward only, never deleted;
  the proposal's state is read from the metadata branch's tree, as ``wiki.store.proposals`` writes it)
  and new tags (``refs/tags/*``, never moved or deleted, named like the wiki's named versions,
  pointing at a commit of main) can be pushed; ``refs/notes/*``, the proposals' metadata branch
  ``refs/heads/meta/proposals`` and the comments' branch ``refs/heads/meta/comments`` belong to the
  wiki. A new branch or tag may not share its short name
  with another branch or tag (``git checkout main`` would be ambiguous in every clone), nor be
  ``head`` or ``origin``;
- every pushed commit is one the wiki can show, read from the commit object itself (not through a
  ``git log`` format that the commit's own bytes could confuse): author and committer dates from 1970
  up to ``MAX_FUTURE_SECONDS`` (a day) ahead of the server's clock, so imported history keeps its
  dates while the year 3,170,843 is refused; a UTC offset of at most 23:59; no control characters in
  names and e-mails, nor in the message (subject, body, trailers) other than tabs and line breaks;
- every file a pushed commit adds or changes is a page (a file counts as changed unless a trusted
  parent, one already on main or on the proposal's branch pushed to, or pushed and checked with
  it, has it unchanged: a merge with ``refs/notes/*`` or any other history is checked whichever
  parent comes first): a regular
  ``<Page name>.md`` file whose name is a valid, canonical page name (``wiki/names.py``), valid
  UTF-8 without NUL bytes and at most ``MAX_PAGE_BYTES`` long; or an attachment
  ``<Page name>.files/<file name>`` that passes the same checks as an upload
  (``wiki/attachments.py``: its name, its type by content, at most ``MAX_ATTACHMENT_BYTES``);
  no other files, symlinks or submodules; and in each pushed branch no new page differs only in
  case from another, nor is a language version without its page;
- a ``Stakeholder-Group`` trailer, when a commit has one, names a known group (at most one);
- who may push what: admins every ref above; everyone else (editors, reviewers) only the branch of
  an open proposal they created, with commits whose ``Stakeholder-Group`` is their own group;
- a pushed commit is attributed to its pusher: a ``Wiki-User`` trailer naming anyone else is
  refused, for admins too (the wiki writes that trailer for its own edits; a push has the
  ``Pushed-By`` note instead), and no pushed page may keep the conflict markers the wiki's
  three-way merge writes (``wiki.texts.has_conflict_markers``), as the editor refuses them.

``post-receive`` records attribution: every commit the push added to main or to a proposal's
branch (and no other branch had) gets a note under ``refs/notes/stakeholder-groups`` with
``Stakeholder-Group:`` (the commit's trailer, else the pusher's group) and ``Pushed-By:`` (the
pusher's wiki account). History falls back to that note. Pages the push renamed on main take their
comment threads along (a ``move`` event on ``refs/heads/meta/comments``, as a rename in the wiki).
It then adds the pushed commits to the commit-graph, as the wiki does after its own commits.

The wiki's ``git_http`` view passes its settings in ``WIKI_HOOK_*`` variables; git itself runs in
``wiki.gitserver``.
"""

from __future__ import annotations

import codecs
import os
import re
import sys
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from . import attachments, names
from .errors import InvalidPageName, WikiError
from .gitserver import ZERO_ID, FileChange, HookRepository, RawCommit
from .store import GROUP_TRAILER, USER_TRAILER, Author, Store
from .store.comment_model import COMMENTS_REF
from .store.gitlog import trailer_lines
from .store.proposal_model import standing
from .store.proposals import BRANCH_PREFIX, META_REF, parse_event
from .texts import has_conflict_markers

MAIN_REF = "refs/heads/main"
ADMIN_ROLE = "admin"  # pushes to main and tags; other roles push to their own proposals only
PAGE_MODE = "100644"
MAX_PROBLEMS_SHOWN = 20
# Dates: any time from 1970 on (imported history keeps its dates), up to a day ahead of this clock.
MAX_FUTURE_SECONDS = 24 * 3600
SECONDS_PER_YEAR = 31_556_952
MAX_ZONE_HOURS = 23  # what a UTC offset can be shown as (real ones are -12:00 .. +14:00)
IDENT_RE = re.compile(rb"\A(?P<name>[^<>\n]*?) ?<(?P<email>[^<>\n]*)> (?P<seconds>[0-9]{1,20}) "
                      rb"(?P<zone>[+-][0-9]{4})\Z")
MESSAGE_WHITESPACE = frozenset("\t\n\r")
# Short names a new branch or tag may not have (compared case-insensitively).
SHORT_NAME_PREFIXES = ("refs/heads/", "refs/tags/")
RESERVED_SHORT_NAMES = frozenset({"head", "origin"})
# A proposal's branch is refs/heads/proposals/<n>, n as the wiki writes it (no sign, no leading zero).
PROPOSAL_NUMBER_RE = re.compile(r"[1-9][0-9]{0,17}\Z")


@dataclass(frozen=True)
class HookSettings:
    """What the wiki tells its hooks through the environment."""

    pusher: str
    pusher_group: str
    groups: tuple[str, ...]
    max_page_bytes: int
    committer: str
    max_attachment_bytes: int = 10 * 1024 * 1024
    pusher_role: str = ""

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HookSettings:
        return cls(
            pusher=environ.get("WIKI_HOOK_PUSHER", ""),
            pusher_group=environ.get("WIKI_HOOK_PUSHER_GROUP", ""),
            groups=tuple(group for group in environ.get("WIKI_HOOK_GROUPS", "").split(",") if group),
            max_page_bytes=int(environ.get("WIKI_HOOK_MAX_PAGE_BYTES", "1000000")),
            committer=environ.get("WIKI_HOOK_COMMITTER", "Living Wiki <wiki@living-wiki.invalid>"),
            max_attachment_bytes=int(environ.get("WIKI_HOOK_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024))),
            pusher_role=environ.get("WIKI_HOOK_PUSHER_ROLE", ""),
        )


@dataclass(frozen=True)
class RefUpdate:
    old: str
    new: str
    ref: str


def parse_updates(lines: TextIO) -> list[RefUpdate]:
    updates = []
    for line in lines:
        parts = line.split()
        if len(parts) == 3:
            updates.append(RefUpdate(*parts))
    return updates


# --------------------------------------------------------------------------- pre-receive


def check_push(updates: list[RefUpdate], repo: HookRepository, settings: HookSettings,
               *, now: float | None = None) -> list[str]:
    """Every reason to refuse the push; an empty list accepts it."""
    problems: list[str] = []
    main = next((update for update in updates if update.ref == MAIN_REF), None)
    main_before = repo.ref(MAIN_REF)
    main_after = main.new if main else main_before
    ref_names = repo.ref_names()
    tips = []
    for update in updates:
        problem = (_ambiguous_name(update, updates, ref_names) or _permission_problem(update, repo, settings)
                   or _check_ref(update, repo, main_after))
        if problem:
            problems.append(problem)
        elif update.new != ZERO_ID:
            tips.append(update.new)
    if problems:
        return problems
    commits = repo.new_commits(tips)
    raw = repo.read_commits(commits)
    problems += _check_commits(commits, raw, time.time() if now is None else now)
    if problems:
        return problems  # nothing below reads a commit that failed these checks
    problems += _check_trailers(raw, settings)
    # Branches (main, proposals) move forward only: what they had was checked when it came.
    branches = [update for update in updates if _is_content_branch(update.ref) and update.new != ZERO_ID]
    trusted = [main_before] if main_before else []
    trusted += [update.old for update in branches if update.ref != MAIN_REF and update.old != ZERO_ID]
    problems += _check_files(_files_to_check(commits, raw, repo, trusted), repo, settings,
                             [update.new for update in branches])
    return problems


def _is_content_branch(ref: str) -> bool:
    """``main`` or a proposal's branch: the branches that hold pages."""
    return ref == MAIN_REF or (ref.startswith(BRANCH_PREFIX)
                               and PROPOSAL_NUMBER_RE.match(ref.removeprefix(BRANCH_PREFIX)) is not None)


def _permission_problem(update: RefUpdate, repo: HookRepository, settings: HookSettings) -> str | None:
    """Why the pusher may not move ``update.ref`` at all, or ``None``: admins push every ref the
    rules allow; anyone else only the branch of a proposal they created."""
    if settings.pusher_role == ADMIN_ROLE:
        return None
    number = update.ref.removeprefix(BRANCH_PREFIX)
    if not update.ref.startswith(BRANCH_PREFIX) or not PROPOSAL_NUMBER_RE.match(number):
        return (f"{update.ref}: with the role {settings.pusher_role!r} you can push only to the branches of "
                "proposals you created (refs/heads/proposals/<number>); anything else needs the role 'admin'.")
    author = proposal_author(repo, number)
    if author is not None and author.casefold() != settings.pusher.casefold():
        return (f"{update.ref}: proposal {number} was created by {author}; with the role "
                f"{settings.pusher_role!r} you can push only to proposals you created.")
    return None


def _check_ref(update: RefUpdate, repo: HookRepository, main_after: str | None) -> str | None:
    ref = update.ref
    if ref == MAIN_REF:
        if update.new == ZERO_ID:
            return "main cannot be deleted."
        if update.old != ZERO_ID and not repo.is_ancestor(update.old, update.new):
            return ("main only moves forward: this push would drop commits (a force push). "
                    "Pull, merge or rebase on the wiki's main, and push again without --force.")
        return None
    if ref.startswith("refs/tags/"):
        if update.old != ZERO_ID:
            return f"{ref}: tags cannot be moved or deleted once pushed; push a new tag instead."
        if not names.is_version_name(ref.removeprefix("refs/tags/")):
            return (f"{ref}: tags are the wiki's named versions: lowercase letters, digits and single "
                    "hyphens (like 'chairs-draft-2014-02-28'), not only hexadecimal digits.")
        target = repo.peel_to_commit(update.new)
        if target is None or main_after is None or not repo.is_ancestor(target, main_after):
            return f"{ref}: a tag must point at a commit of main (push main first)."
        return None
    if ref.startswith("refs/notes/"):
        return f"{ref}: notes are written by the wiki (attribution); fetch them, do not push them."
    if ref == META_REF:
        return (f"{ref}: the proposals' rationales, discussion, endorsements and decisions are written by the "
                "wiki; take part in the wiki, and fetch this branch, do not push it.")
    if ref == COMMENTS_REF:
        return (f"{ref}: the comment threads are written by the wiki; comment in the wiki, and fetch this "
                "branch, do not push it.")
    if ref.startswith(BRANCH_PREFIX):
        return _check_proposal_ref(update, repo)
    return (f"{ref}: only refs/heads/main and new tags (refs/tags/*) can be pushed, and the branches of "
            "open proposals (refs/heads/proposals/<number>), which the wiki creates.")


def _check_proposal_ref(update: RefUpdate, repo: HookRepository) -> str | None:
    """Why ``update`` cannot move a proposal's branch, or ``None``: the proposal must exist and be
    open, its branch exist already, and the push move it forward (the rules of ``main``)."""
    ref = update.ref
    number = ref.removeprefix(BRANCH_PREFIX)
    if not PROPOSAL_NUMBER_RE.match(number):
        return (f"{ref}: not a proposal's branch; a proposal is refs/heads/proposals/<number>, "
                "created in the wiki.")
    state = proposal_state(repo, number)
    if state is None:
        return f"{ref}: there is no proposal {number}; create a proposal in the wiki, then push to its branch."
    if state != "open":
        return f"{ref}: proposal {number} is {state}; it can no longer change."
    if update.new == ZERO_ID:
        return f"{ref}: a proposal's branch cannot be deleted; close the proposal in the wiki instead."
    if update.old == ZERO_ID:
        return (f"{ref}: the branch of proposal {number} does not exist yet; open the proposal in the wiki "
                "(it makes the branch), fetch, and push again.")
    if repo.peel_to_commit(update.new) != update.new:
        return f"{ref}: a branch must point at a commit."
    if not repo.is_ancestor(update.old, update.new):
        return (f"{ref}: a proposal's branch only moves forward: this push would drop commits (a force push). "
                "Fetch it, merge or rebase on it, and push again without --force.")
    return None


def proposal_state(repo: HookRepository, number: str) -> str | None:
    """``open``, ``closed`` or ``merged`` as the metadata branch says (the one rule,
    ``wiki.store.proposal_model.standing``), or ``None`` when there is no proposal ``number``."""
    meta = repo.ref(META_REF)
    entries = repo.tree_entries(f"{meta}:{number}") if meta else None
    if not entries:
        return None
    blobs = {blob: name for name, (mode, blob) in entries.items() if mode == PAGE_MODE}
    events = sorted((event for blob, data in repo.read_blobs(blobs)
                     if (event := parse_event(blobs[blob], data)) is not None), key=lambda event: event.name)
    if not any(event.kind == "create" for event in events):
        return None
    return standing(events).state


def proposal_author(repo: HookRepository, number: str) -> str | None:
    """The user who created proposal ``number`` (its ``create`` event), or ``None`` when there is none."""
    meta = repo.ref(META_REF)
    entries = repo.tree_entries(f"{meta}:{number}") if meta else None
    blobs = {blob: name for name, (mode, blob) in (entries or {}).items() if mode == PAGE_MODE}
    created = sorted((event for blob, data in repo.read_blobs(blobs)
                      if (event := parse_event(blobs[blob], data)) is not None and event.kind == "create"),
                     key=lambda event: event.name)
    return created[0].user if created else None


def _ambiguous_name(update: RefUpdate, updates: list[RefUpdate], ref_names: list[str]) -> str | None:
    """Why a new branch or tag would make its short name ambiguous in every clone, or ``None``.

    ``git checkout main`` must not have to choose between ``refs/heads/main`` and ``refs/tags/main``;
    ``head`` is ``HEAD`` on case-insensitive file systems and ``origin`` is every clone's remote.
    """
    prefix = next((prefix for prefix in SHORT_NAME_PREFIXES if update.ref.startswith(prefix)), None)
    if prefix is None or update.old != ZERO_ID or update.new == ZERO_ID:
        return None
    short = update.ref.removeprefix(prefix)
    if short.casefold() in RESERVED_SHORT_NAMES:
        return f"{update.ref}: {short!r} is reserved (HEAD, the remote 'origin'); choose another name."
    others = {ref for ref in ref_names if ref != update.ref}
    others |= {other.ref for other in updates if other.ref != update.ref and other.new != ZERO_ID}
    for other in sorted(others):
        other_prefix = next((p for p in SHORT_NAME_PREFIXES if other.startswith(p)), None)
        if other_prefix and other.removeprefix(other_prefix).casefold() == short.casefold():
            kind = "branch" if other_prefix == "refs/heads/" else "tag"
            return (f"{update.ref}: a {kind} named {short!r} exists ({other}); the same short name for a branch "
                    "and a tag is ambiguous in every clone. Choose another name.")
    return None


def _check_commits(commits: list[str], raw: dict[str, RawCommit], now: float) -> list[str]:
    """Refuse commits the wiki could not show: absurd dates or time zones, control characters."""
    problems = []
    latest = int(now) + MAX_FUTURE_SECONDS
    for commit in commits:
        where = f"commit {commit[:10]}"
        parsed = raw.get(commit)
        if parsed is None:
            problems.append(f"{where}: the commit object cannot be read.")
            continue
        encoding = _encoding(parsed.encoding)
        if encoding is None:
            problems.append(f"{where}: unknown message encoding {parsed.encoding!r}; use UTF-8.")
            continue
        for role, line in (("author", parsed.author), ("committer", parsed.committer)):
            problem = _ident_problem(line, encoding, latest)
            if problem:
                problems.append(f"{where}: {role} {problem}")
        message = parsed.message.decode(encoding, "replace")
        bad = next((char for char in message if _is_control(char) and char not in MESSAGE_WHITESPACE), None)
        if bad is not None:
            problems.append(f"{where}: the commit message (subject, body or trailers) contains the control "
                            f"character U+{ord(bad):04X}; only tabs and line breaks are allowed.")
    return problems


def _encoding(value: bytes | None) -> str | None:
    """The Python codec for a commit's ``encoding`` header (UTF-8 without one), ``None`` if unknown."""
    if value is None:
        return "utf-8"
    try:
        return codecs.lookup(value.decode("ascii")).name
    except (UnicodeDecodeError, LookupError):
        return None


def _ident_problem(line: bytes | None, encoding: str, latest: int) -> str | None:
    """What is wrong with an ``author``/``committer`` header (``Name <email> seconds +hhmm``), or ``None``."""
    if line is None:
        return "line is missing."
    match = IDENT_RE.match(line)
    if match is None:
        return "line is not 'Name <e-mail> seconds +hhmm'."
    for part in ("name", "email"):
        text = match[part].decode(encoding, "replace")
        bad = next((char for char in text if _is_control(char) or char in names.BIDI_CONTROLS), None)
        if bad is not None:
            label = "name" if part == "name" else "e-mail"
            return f"{label} contains the control character U+{ord(bad):04X}."
    seconds = int(match["seconds"])
    if seconds > latest:
        year = 1970 + seconds // SECONDS_PER_YEAR
        limit = datetime.fromtimestamp(latest, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (f"date {seconds} (about the year {year:,}) is in the future; dates up to {limit} "
                "(a day ahead of the wiki's clock) are accepted. Check the clock of the machine that made it.")
    hours, minutes = int(match["zone"][1:3]), int(match["zone"][3:5])
    if hours > MAX_ZONE_HOURS or minutes > 59:
        return (f"time zone {match['zone'].decode()} is not a real offset from UTC "
                f"(at most {MAX_ZONE_HOURS} hours and 59 minutes).")
    return None


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"


def _files_to_check(commits: list[str], raw: dict[str, RawCommit], repo: HookRepository,
                    trusted_tips: list[str]) -> list[FileChange]:
    """The files of the pushed commits that no trusted parent already had, whatever the parent order.

    A parent is trusted when it is a pushed commit (checked here too) or was already on main or on
    the proposal branch pushed to (``trusted_tips``: checked when it came). A file identical to a
    trusted parent's is fine; every other file of a commit is checked, so a merge with a commit from
    anywhere else (``refs/notes/*``, an unrelated history, another proposal) cannot bring files in,
    whether that commit is its first parent or not.
    """
    new = set(commits)
    outside = {parent for commit in commits for parent in raw[commit].parents if parent not in new}
    untrusted = repo.outside_history(outside, trusted_tips)
    pairs: list[tuple[str, str | None]] = []
    for commit in commits:
        trusted = [parent for parent in raw[commit].parents if parent not in untrusted]
        pairs += [(commit, parent) for parent in dict.fromkeys(trusted)] or [(commit, None)]
    diffs = repo.changes_against(pairs)
    changes: list[FileChange] = []
    start = 0
    while start < len(pairs):
        commit = pairs[start][0]
        end = start
        while end < len(pairs) and pairs[end][0] == commit:
            end += 1
        # A file needs checking when it differs from every trusted parent.
        common = set.intersection(*({change.path for change in diff} for diff in diffs[start:end]))
        changes += [change for change in diffs[start] if change.path in common]
        start = end
    return changes


def group_trailers(raw: dict[str, RawCommit]) -> dict[str, list[str]]:
    """Each commit's ``Stakeholder-Group`` trailer values, by the rule the wiki shows them with."""
    return {commit: [value for key, value in trailer_lines(parsed.message.decode("utf-8", "replace"))
                     if key == GROUP_TRAILER] for commit, parsed in raw.items()}


def _check_trailers(raw: dict[str, RawCommit], settings: HookSettings) -> list[str]:
    """Groups must be known (and the pusher's own, unless an admin pushes); users must be the pusher."""
    problems = []
    for commit, groups in group_trailers(raw).items():
        if len(set(groups)) > 1:
            problems.append(f"commit {commit[:10]}: more than one {GROUP_TRAILER} trailer ({', '.join(groups)}).")
        elif groups and groups[0] not in settings.groups:
            problems.append(f"commit {commit[:10]}: unknown {GROUP_TRAILER} {groups[0]!r}; "
                            f"known groups: {', '.join(settings.groups)}.")
        elif groups and groups[0] != settings.pusher_group and settings.pusher_role != ADMIN_ROLE:
            problems.append(f"commit {commit[:10]}: {GROUP_TRAILER} {groups[0]!r} is not your group "
                            f"({settings.pusher_group}); only admins push commits for another group.")
    for commit, parsed in raw.items():
        users = [value for key, value in trailer_lines(parsed.message.decode("utf-8", "replace"))
                 if key == USER_TRAILER]
        other = next((user for user in users if user.casefold() != settings.pusher.casefold()), None)
        if other is not None:
            problems.append(f"commit {commit[:10]}: its {USER_TRAILER} trailer names {other!r}, but "
                            f"{settings.pusher} is pushing; pushed commits are attributed to their pusher. "
                            f"Remove the trailer (or name yourself) and push again.")
    return problems


def _check_files(changes: list[FileChange], repo: HookRepository, settings: HookSettings,
                 branch_tips: list[str]) -> list[str]:
    """The page and attachment rules for ``changes``; then, for each pushed branch tip (main, a
    proposal), no new page has a case twin or is a language version without its page there."""
    problems = []
    pages_by_blob: dict[str, str] = {}
    attachments_by_blob: dict[str, str] = {}
    new_pages: list[tuple[str, str]] = []  # (commit, path)
    for change in changes:
        where = f"commit {change.commit[:10]}"
        try:
            path = change.path.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"{where}: a file name is not valid UTF-8 ({change.path!r}).")
            continue
        if change.mode == PAGE_MODE and names.page_from_attachment_file(path) is not None:
            problem = _attachment_name_problem(path)
            if problem:
                problems.append(f"{where}: {path}: {problem}")
            else:
                attachments_by_blob.setdefault(change.blob, path)
            continue
        problem = _path_problem(path, change.mode)
        if problem:
            problems.append(f"{where}: {path}: {problem}")
            continue
        pages_by_blob.setdefault(change.blob, path)
        new_pages.append((change.commit, path))
    if problems:
        return problems
    sizes = repo.object_sizes({**pages_by_blob, **attachments_by_blob})
    small = []
    for blob, path in pages_by_blob.items():
        size = sizes.get(blob, 0)
        if size > settings.max_page_bytes:
            problems.append(f"{path}: {size:,} bytes; a page can have at most {settings.max_page_bytes:,} bytes.")
        else:
            small.append(blob)
    for blob, data in repo.read_blobs(small):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            problems.append(f"{pages_by_blob[blob]}: not valid UTF-8 (byte {error.start}); pages are UTF-8 text.")
            continue
        if "\0" in text:
            problems.append(f"{pages_by_blob[blob]}: contains a NUL byte; binary files cannot be pages.")
        elif has_conflict_markers(text):
            problems.append(f"{pages_by_blob[blob]}: still contains conflict markers (<<<<<<< and >>>>>>>). "
                            "Choose the text to keep, remove the markers, and push again.")
    problems += _check_attachment_contents(attachments_by_blob, sizes, repo, settings)
    if new_pages and not problems:
        for tip in dict.fromkeys(branch_tips):
            # With several branches pushed at once, each is judged by the pages its own commits add.
            reachable = set(repo.new_commits([tip])) if len(branch_tips) > 1 else None
            paths = {path for commit, path in new_pages if reachable is None or commit in reachable}
            if paths:
                all_files = repo.all_files(tip)
                problems += _case_twins(paths, all_files)
                problems += _orphan_versions(paths, all_files)
    return list(dict.fromkeys(problems))


def _orphan_versions(new_paths: set[str], all_files: list[bytes]) -> list[str]:
    """Language versions (``<page>.<lang>.md``) pushed without their page ``<page>.md``."""
    present = {raw.decode("utf-8", "replace") for raw in all_files}
    problems = []
    for path in sorted(new_paths):
        version = names.version_from_file(path)
        if version is not None and names.page_file(version[0]) not in present:
            problems.append(f"{path}: the {version[1]!r} version of {version[0]!r}, which does not exist; "
                            f"push {names.page_file(version[0])} too.")
    return problems


def _attachment_name_problem(path: str) -> str | None:
    """Why ``path`` (``<page>.files/<name>``) cannot be an attachment, or ``None``."""
    name = path.rpartition("/")[2]
    try:
        canonical = attachments.check_name(name)
    except WikiError as error:
        return f"not a valid attachment name: {error.message}"
    if canonical != name:
        return f"attachment names are written with underscores for spaces and in NFC; call it {canonical}."
    return None


def _check_attachment_contents(by_blob: dict[str, str], sizes: dict[str, int], repo: HookRepository,
                               settings: HookSettings) -> list[str]:
    """The upload rules for pushed attachments: size, then the type checked by content."""
    problems = []
    within_limit = []
    for blob, path in by_blob.items():
        size = sizes.get(blob, 0)
        if size > settings.max_attachment_bytes:
            problems.append(f"{path}: {size:,} bytes; an attachment can have at most "
                            f"{settings.max_attachment_bytes:,} bytes.")
        else:
            within_limit.append(blob)
    for blob, data in repo.read_blobs(within_limit):
        path = by_blob[blob]
        try:
            attachments.check_content(path.rpartition("/")[2], data)
        except WikiError as error:
            problems.append(f"{path}: {error.message}")
    return problems


def _path_problem(path: str, mode: str) -> str | None:
    """Why ``path`` cannot be a page file, or ``None``."""
    if mode != PAGE_MODE:
        kinds = {"120000": "a symbolic link", "160000": "a submodule", "100755": "an executable file"}
        return f"only regular page files can be pushed, not {kinds.get(mode, 'mode ' + mode)}."
    if not path.endswith(names.PAGE_SUFFIX):
        return ("only pages (Markdown files named <Page name>.md), their language versions "
                "(<Page name>.<language>.md) and their attachments (<Page name>.files/<file name>) can be pushed.")
    if names.version_from_file(path) is not None:
        return None  # a language version: checked like a page (size, UTF-8)
    candidate = path[: -len(names.PAGE_SUFFIX)]
    try:
        normalized = names.normalize_page_name(candidate)
    except InvalidPageName as error:
        return f"not a valid page name: {error.message}"
    if normalized != candidate:
        return f"page names are written with underscores for spaces and in NFC; call it {normalized}.md."
    return None


def _case_twins(new_pages: set[str], all_files: list[bytes]) -> list[str]:
    """New pages whose names differ only in case from another page (they clash on many file systems)."""
    by_fold: dict[str, list[str]] = {}
    for raw in all_files:
        path = raw.decode("utf-8", "replace")
        by_fold.setdefault(path.casefold(), []).append(path)
    problems = []
    for path in sorted(new_pages):
        twins = [other for other in by_fold.get(path.casefold(), []) if other != path]
        if twins:
            problems.append(f"{path}: differs only in case from {twins[0]}.")
    return problems


# --------------------------------------------------------------------------- post-receive


def record_attribution(updates: list[RefUpdate], repo: HookRepository, settings: HookSettings,
                       store: Store) -> int:
    """Note the group and pusher of every commit the push added to main or to a proposal's branch;
    returns how many.

    Commits some other branch already had before the push (a web edit, a commit pushed to a
    proposal and now to main) kept the attribution they had. The notes commit goes through the
    store's committer (compare-and-swap of the notes ref, like every other write), so a concurrent
    endorsement or push never loses a note.
    """
    branches = [update for update in updates if _is_content_branch(update.ref) and update.new != ZERO_ID]
    if not branches or not settings.pusher:
        return 0
    moved = {update.ref for update in updates}
    exclude = [update.old for update in branches if update.old != ZERO_ID]
    exclude += [ref for ref in repo.ref_names() if ref.startswith("refs/heads/") and ref not in moved]
    commits = repo.new_commits([update.new for update in branches], exclude=exclude)
    trailers = group_trailers(repo.read_commits(commits))
    notes = {}
    for commit in commits:
        groups = trailers.get(commit) or [settings.pusher_group]
        notes[commit] = f"{GROUP_TRAILER}: {groups[0]}\nPushed-By: {settings.pusher}\n"
    if notes:
        pusher = Author(name=settings.pusher, email="", username=settings.pusher, group=settings.pusher_group)
        store.attribution_notes.write(lambda located: notes, author=pusher,
                                      message=f"Attribute {len(notes)} pushed commit(s) to their groups",
                                      busy="The notes kept moving; the push is attributed on the next one.")
    return len(notes)


def follow_renames(updates: list[RefUpdate], settings: HookSettings, store: Store) -> int:
    """Move the comment threads of pages the push renamed on main, as a rename in the wiki does."""
    moved = 0
    for update in updates:
        if update.ref == MAIN_REF and ZERO_ID not in (update.old, update.new):
            pusher = Author(name=settings.pusher or "git", email="", username=settings.pusher or "git",
                            group=settings.pusher_group)
            moved += store.comments.follow_renames(update.old, update.new, author=pusher)
    return moved


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"pre-receive", "post-receive"}:
        print("usage: python -m wiki.hooks pre-receive|post-receive", file=sys.stderr)
        return 2
    settings = HookSettings.from_environ(os.environ)
    repo = HookRepository()
    updates = parse_updates(sys.stdin)
    if argv[0] == "post-receive":
        name, _, email = settings.committer.partition(" <")
        store = Store(Path(os.environ.get("GIT_DIR", ".")).resolve(), committer_name=name,
                      committer_email=email.rstrip(">"))
        record_attribution(updates, repo, settings, store)
        follow_renames(updates, settings, store)
        store.close()
        repo.write_commit_graph()
        return 0
    problems = check_push(updates, repo, settings)
    if not problems:
        return 0
    print("The wiki refused this push; nothing was changed:", file=sys.stderr)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"  - {problem}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more.", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
