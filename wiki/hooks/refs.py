"""Which refs a push may move, and who may move them: main and tags (admins), the branches of open
proposals (their authors), nothing else; names that would be ambiguous in a clone."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TextIO

from .. import names
from ..gitserver import ZERO_ID, HookRepository
from ..store.call_model import CALLS_REF
from ..store.comment_model import COMMENTS_REF
from ..store.proposal_model import standing
from ..store.proposals import BRANCH_PREFIX, META_REF, parse_event

MAIN_REF = "refs/heads/main"
ADMIN_ROLE = "admin"  # pushes to main and tags; other roles push to their own proposals only
PAGE_MODE = "100644"
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



def is_content_branch(ref: str) -> bool:
    """``main`` or a proposal's branch: the branches that hold pages."""
    return ref == MAIN_REF or (ref.startswith(BRANCH_PREFIX)
                               and PROPOSAL_NUMBER_RE.match(ref.removeprefix(BRANCH_PREFIX)) is not None)


def permission_problem(update: RefUpdate, repo: HookRepository, settings: HookSettings) -> str | None:
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


def check_ref(update: RefUpdate, repo: HookRepository, main_after: str | None) -> str | None:
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
    if ref == CALLS_REF:
        return (f"{ref}: the calls for input and their responses are written by the wiki; answer in the wiki, "
                "and fetch this branch, do not push it.")
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


def ambiguous_name(update: RefUpdate, updates: list[RefUpdate], ref_names: list[str]) -> str | None:
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
