"""The push rules of /content.git, run by git as ``python -m wiki.hooks pre-receive|post-receive``.

``pre-receive`` runs before any ref moves, with the pushed objects still in quarantine: when it
refuses, nothing changes and every line it prints reaches the pusher as ``remote: ...``. The rules:

- only ``refs/heads/main`` (fast-forward only, never deleted) and new tags (``refs/tags/*``, never
  moved or deleted, named like the wiki's named versions, pointing at a commit of main) can be pushed;
  ``refs/notes/*`` belong to the wiki;
- every file a pushed commit adds or changes is a page: a regular ``<Page name>.md`` file whose
  name is a valid, canonical page name (``wiki/names.py``), valid UTF-8 without NUL bytes and at
  most ``MAX_PAGE_BYTES`` long; or an attachment ``<Page name>.files/<file name>`` that passes the
  same checks as an upload (``wiki/attachments.py``: its name, its type by content, at most
  ``MAX_ATTACHMENT_BYTES``); no other files, symlinks or submodules;
- a ``Stakeholder-Group`` trailer, when a commit has one, names a known group (at most one).

``post-receive`` records attribution: every commit the push added to main gets a note under
``refs/notes/stakeholder-groups`` with ``Stakeholder-Group:`` (the commit's trailer, else the
pusher's group) and ``Pushed-By:`` (the pusher's wiki account). History falls back to that note.
It then adds the pushed commits to the commit-graph, as the wiki does after its own commits.

The wiki's ``git_http`` view passes its settings in ``WIKI_HOOK_*`` variables; git itself runs in
``wiki.gitserver``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from . import attachments, names
from .errors import InvalidPageName, WikiError
from .gitserver import ZERO_ID, HookRepository
from .store import GROUP_TRAILER, NOTES_REF

MAIN_REF = "refs/heads/main"
PAGE_MODE = "100644"
MAX_PROBLEMS_SHOWN = 20


@dataclass(frozen=True)
class HookSettings:
    """What the wiki tells its hooks through the environment."""

    pusher: str
    pusher_group: str
    groups: tuple[str, ...]
    max_page_bytes: int
    committer: str
    max_attachment_bytes: int = 10 * 1024 * 1024

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> HookSettings:
        return cls(
            pusher=environ.get("WIKI_HOOK_PUSHER", ""),
            pusher_group=environ.get("WIKI_HOOK_PUSHER_GROUP", ""),
            groups=tuple(group for group in environ.get("WIKI_HOOK_GROUPS", "").split(",") if group),
            max_page_bytes=int(environ.get("WIKI_HOOK_MAX_PAGE_BYTES", "1000000")),
            committer=environ.get("WIKI_HOOK_COMMITTER", "Living Wiki <wiki@living-wiki.invalid>"),
            max_attachment_bytes=int(environ.get("WIKI_HOOK_MAX_ATTACHMENT_BYTES", str(10 * 1024 * 1024))),
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


def check_push(updates: list[RefUpdate], repo: HookRepository, settings: HookSettings) -> list[str]:
    """Every reason to refuse the push; an empty list accepts it."""
    problems: list[str] = []
    main = next((update for update in updates if update.ref == MAIN_REF), None)
    main_after = main.new if main else repo.ref(MAIN_REF)
    tips = []
    for update in updates:
        problem = _check_ref(update, repo, main_after)
        if problem:
            problems.append(problem)
        elif update.new != ZERO_ID:
            tips.append(update.new)
    if problems:
        return problems
    commits = repo.new_commits(tips)
    problems += _check_trailers(commits, repo, settings)
    problems += _check_files(commits, repo, settings, main_after if main else None)
    return problems


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
    return f"{ref}: only refs/heads/main and new tags (refs/tags/*) can be pushed."


def _check_trailers(commits: list[str], repo: HookRepository, settings: HookSettings) -> list[str]:
    problems = []
    for commit, groups in repo.commit_trailers(commits, GROUP_TRAILER).items():
        if len(set(groups)) > 1:
            problems.append(f"commit {commit[:10]}: more than one {GROUP_TRAILER} trailer ({', '.join(groups)}).")
        elif groups and groups[0] not in settings.groups:
            problems.append(f"commit {commit[:10]}: unknown {GROUP_TRAILER} {groups[0]!r}; "
                            f"known groups: {', '.join(settings.groups)}.")
    return problems


def _check_files(commits: list[str], repo: HookRepository, settings: HookSettings,
                 main_after: str | None) -> list[str]:
    problems = []
    changes = repo.changed_files(commits)
    pages_by_blob: dict[str, str] = {}
    attachments_by_blob: dict[str, str] = {}
    new_pages: set[str] = set()
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
        new_pages.add(path)
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
    problems += _check_attachment_contents(attachments_by_blob, sizes, repo, settings)
    if main_after and new_pages and not problems:
        problems += _case_twins(new_pages, repo.all_files(main_after))
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
        return ("only pages (Markdown files named <Page name>.md) and their attachments "
                "(<Page name>.files/<file name>) can be pushed.")
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


def record_attribution(updates: list[RefUpdate], repo: HookRepository, settings: HookSettings) -> int:
    """Note the group and pusher of every commit the push added to main; returns how many."""
    main = next((update for update in updates if update.ref == MAIN_REF and update.new != ZERO_ID), None)
    if main is None or not settings.pusher:
        return 0
    commits = repo.new_commits([main.new], exclude=[main.old] if main.old != ZERO_ID else [])
    trailers = repo.commit_trailers(commits, GROUP_TRAILER)
    notes = {}
    for commit in commits:
        groups = trailers.get(commit) or [settings.pusher_group]
        notes[commit] = f"{GROUP_TRAILER}: {groups[0]}\nPushed-By: {settings.pusher}\n"
    repo.add_notes(NOTES_REF, notes, committer=settings.committer,
                   message=f"Attribute {len(notes)} pushed commit(s) to their groups\n\nPushed-By: {settings.pusher}\n")
    return len(notes)


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"pre-receive", "post-receive"}:
        print("usage: python -m wiki.hooks pre-receive|post-receive", file=sys.stderr)
        return 2
    settings = HookSettings.from_environ(os.environ)
    repo = HookRepository()
    updates = parse_updates(sys.stdin)
    if argv[0] == "post-receive":
        record_attribution(updates, repo, settings)
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
