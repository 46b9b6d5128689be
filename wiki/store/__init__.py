"""The content repository: the only package that talks to Git.

Pages are blobs in a **bare** repository. A write builds blobs, trees and a commit object
directly in the object database (no working tree, no index) and lands only by compare-and-swap
of its ref (``git update-ref REF NEW OLD``); when the swap loses, the write is rebuilt on the new
tip, so no edit is ever lost across threads, processes or machines. Every read is keyed by an
object id, so the caches are never stale and commits made by others (a push, a script) show on
the next read. No Flask import: the author and group are passed in by the caller.

:class:`Store` is a facade (gollum's ``Wiki``) composed of plain parts, one module each:

- ``reader``: objects and refs by id, the id-keyed caches, the one place that starts git;
- ``committer``: trees, commits, tags, and the compare-and-swap of any ref (the one retry loop);
- ``gitlog``: the commit parser, ``git log``/``diff-tree`` parsing, and attribution;
- ``notes``: notes refs; ``repository``: creating the repository and its hooks;
- features: ``pages``, ``history``, ``attachments``, ``blame``, ``changes``, ``contributions``,
  ``versions``, ``endorsements``, ``maintenance``, ``movements`` (what moved on a ref, for
  webhooks); values in ``types``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from .. import names
from ..commits import parse_commit
from ..errors import PageNotFound
from . import repository
from .attachments import Attachments
from .blame import Blames
from .cache import LRUCache
from .calls import Calls
from .changes import Changes
from .comments import Comments
from .committer import MAX_CAS_ATTEMPTS, STALE_LOCK_SECONDS, Committer, PathConflict
from .contributions import ContributionCounter
from .endorsements import Endorsements
from .gitlog import GitLog, parse_trailers
from .history import History
from .imports import Importer
from .lineage import Lineage, LineageStep
from .maintenance import CommitGraph, Maintenance
from .movements import ChangedFile, MovedCommit, Movement, Movements
from .notes import Notes
from .pages import Pages
from .proposals import Proposals
from .reader import Reader
from .translations import Translations, VersionSource, VersionState
from .types import (
    ATTRIBUTION_NOTES_REF,
    ENDORSEMENT_NOTES_REF,
    GROUP_TRAILER,
    USER_TRAILER,
    ZERO_ID,
    Attachment,
    Author,
    Blame,
    Change,
    CommitInfo,
    Comparison,
    Contributions,
    Endorsement,
    FileChange,
    GitCommandError,
    PageComparison,
    PageEndorsements,
    PageRevision,
    SaveResult,
    Version,
)
from .versions import Versions

__all__ = [
    "ATTRIBUTION_NOTES_REF", "ENDORSEMENT_NOTES_REF", "GROUP_TRAILER", "MAX_CAS_ATTEMPTS",
    "USER_TRAILER", "ZERO_ID",
    "Attachment", "Author", "Blame", "Change", "ChangedFile", "CommitInfo", "Comparison", "Contributions",
    "Endorsement", "FileChange", "GitCommandError", "LRUCache", "LineageStep", "MovedCommit", "Movement",
    "PageComparison", "PageEndorsements", "PageRevision", "PathConflict",
    "SaveResult", "Store", "Version", "VersionSource", "VersionState",
]


class Store:
    """A bare content repository with one branch that the wiki commits to.

    Methods taking ``rev`` accept a commit id (full or abbreviated), a version name, or ``None``
    for the branch tip; they resolve it here and hand the parts a full commit id.
    """

    def __init__(self, path: str | os.PathLike[str], *, branch: str = "main", committer_name: str = "Living Wiki",
                 committer_email: str = "wiki@living-wiki.invalid", max_page_bytes: int = 1_000_000,
                 stale_lock_seconds: float = STALE_LOCK_SECONDS, source_language: str = "en") -> None:
        self.reader = Reader(path)
        self.path = self.reader.path
        self.branch = branch
        self.ref = f"refs/heads/{branch}"
        self.max_page_bytes = max_page_bytes
        self.graph = CommitGraph(self.reader, stale_lock_seconds=stale_lock_seconds)
        self.committer = Committer(self.reader, name=committer_name, email=committer_email,
                                   stale_lock_seconds=stale_lock_seconds, on_commit=self.graph.changed)
        self.attribution_notes = Notes(self.reader, self.committer, ATTRIBUTION_NOTES_REF)
        self.log = GitLog(self.reader, self.attribution_notes)
        self.history = History(self.reader, self.log, self.ref)
        self.pages = Pages(self.reader, self.committer, self.history, branch_ref=self.ref,
                           max_page_bytes=max_page_bytes)
        self.attachments = Attachments(self.reader, self.committer, self.pages, self.history, branch_ref=self.ref)
        self.blames = Blames(self.reader, self.log, self.pages, self.history)
        self.lineage = Lineage(self.reader, self.log, self.history)
        self.changes_part = Changes(self.reader, self.log)
        self.contribution_counter = ContributionCounter(self.reader, self.log)
        self.versions_part = Versions(self.reader, self.committer, branch_ref=self.ref)
        self.endorsement_notes = Notes(self.reader, self.committer, ENDORSEMENT_NOTES_REF)
        self.endorsements = Endorsements(self.reader, self.endorsement_notes, self.history, branch_ref=self.ref)
        self.translations = Translations(self.reader, self.log, self.pages, branch_ref=self.ref,
                                         source_language=source_language)
        self.proposals = Proposals(self.reader, self.committer, self.log, self.pages, branch_ref=self.ref)
        self.comments = Comments(self.reader, self.committer, self.log)
        self.calls = Calls(self.reader, self.committer, self.log)
        self.movements = Movements(self.reader, self.log)
        self.importer = Importer(self.reader, self.committer, self.graph, branch_ref=self.ref)
        self.maintenance = Maintenance(self.reader, self.committer, self.graph, branch=branch,
                                       max_page_bytes=max_page_bytes)
        # Parts that need no revision resolved are exposed as they are.
        self.close = self.reader.close
        self.read_ref = self.reader.read_ref
        self.version_commit = self.reader.version_commit
        self.commit_exists = self.reader.commit_exists
        self.refs = self.reader.refs
        self.commit_info = self.history.commit_info
        self.changed_files = self.history.changed_files
        self.commits_with_files = self.history.commits_with_files
        self.most_changed = self.history.most_changed
        self.merge_texts = self.pages.merge_texts
        self.save_attachment = self.attachments.save_attachment
        self.delete_attachment = self.attachments.delete_attachment
        self.delete_page = self.pages.delete_page
        self.endorsement_events = self.endorsements.endorsement_events
        self.page_endorsements = self.endorsements.page_endorsements
        self.versions = self.versions_part.versions
        self.write_commit_graph = self.graph.write
        self.wait_for_lock = self.committer.wait_for_lock
        self.fsck = self.maintenance.fsck
        self.stale_files = self.maintenance.stale_files
        self.recover = self.maintenance.recover
        self.write_bundle = self.maintenance.write_bundle
        self.bundle_refs = self.maintenance.bundle_refs
        self.is_pristine = self.maintenance.is_pristine
        self.restore_bundle = self.maintenance.restore_bundle
        self.check = self.maintenance.check
        self.ref_changes = self.movements.between
        self.watched_refs = self.movements.watched_refs

    def on_ref_moved(self, listener: Callable[[str], None]) -> None:
        """Call ``listener(ref)`` after every ref this process moves (saves, notes, tags, proposals)."""
        self.committer.ref_listeners.append(listener)

    # ------------------------------------------------------------------ the repository

    def exists(self) -> bool:
        return repository.exists(self.reader)

    def create(self) -> None:
        """Create the bare repository if missing (idempotent) with the settings the wiki relies on."""
        repository.create(self.reader, self.branch)

    def install_hooks(self) -> None:
        repository.install_hooks(self.reader)

    def head(self) -> str | None:
        """The branch tip, read from the ref file directly (no process), or ``None`` if unborn."""
        return self.reader.read_ref(self.ref)

    def resolve(self, rev: str | None) -> str:
        """The full commit id for ``rev`` (``None``: the tip); raise InvalidRevision otherwise."""
        return self.reader.resolve(rev, self.head())

    def cache_token(self) -> tuple[str, str, str, str]:
        """What any view of the document depends on besides its URL: the branch tip, the tips of
        the endorsement and attribution notes and of the comments (object ids, so a key built on
        them is never stale)."""
        return (self.head() or "", self.endorsements.cache_token(), self.log.notes_tip(),
                self.comments.cache_token())

    def import_pages(self, directory: str | os.PathLike[str], *, author: Author, message: str) -> str | None:
        """Commit the seed pages under ``directory`` if the branch has no commit yet (else ``None``)."""
        if self.head() is not None:
            return None
        commit = self.pages.import_pages(directory, author=author, message=message)
        if commit is not None:
            self.graph.write()
        return commit

    # ------------------------------------------------------------------ pages

    def read_page(self, page: str, rev: str | None = None) -> PageRevision:
        return self.pages.read_page(page, self.resolve(rev), old=rev is not None)

    def read_page_as_of(self, page: str, rev: str | None) -> PageRevision:
        return self.pages.read_page_as_of(page, self.resolve(rev))

    def page_blob_id(self, page: str, rev: str | None = None) -> str | None:
        try:
            return self.reader.blob_at(self.resolve(rev), names.page_file(page))
        except PageNotFound:
            return None

    def blob_text(self, blob_id: str) -> str:
        """A page blob's text (cached by id)."""
        return self.reader.blob(blob_id).decode("utf-8", "replace")

    def page_exists(self, page: str, rev: str | None = None) -> bool:
        return self.page_blob_id(page, rev) is not None

    def list_pages(self, rev: str | None = None) -> tuple[str, ...]:
        try:
            return self.pages.list_pages(self.resolve(rev))
        except PageNotFound:
            return ()

    def missing_pages(self, pages: set[str] | frozenset[str] | list[str], rev: str | None = None) -> set[str]:
        return self.pages.missing_pages(pages, self.resolve(rev))

    def find_case_twin(self, page: str, rev: str | None = None) -> str | None:
        try:
            return self.pages.find_case_twin(page, self.resolve(rev))
        except PageNotFound:
            return None

    def save_page(self, page: str, text: str, *, base: str | None, author: Author, summary: str,
                  base_page: str | None = None, files: dict[str, bytes] | None = None) -> SaveResult:
        return self.pages.save_page(page, text, base=self.resolve(base) if base is not None else None,
                                    author=author, summary=summary, base_page=base_page, files=files)

    def rename_page(self, old: str, new: str, *, author: Author, summary: str = "") -> str:
        """Rename a page; its comment threads follow it (a second write, on the comments' branch)."""
        commit = self.pages.rename_page(old, new, author=author, summary=summary)
        self.comments.move_pages({old: new}, commit, author=author)
        return commit

    def merge_proposal(self, number: int, *, groups: tuple[str, ...] | list[str], author: Author,
                       display_name: str, admin: bool, reason: str = "", silence: bool = False) -> str:
        """Merge a proposal into the branch (by consensus, an admin's override, or ``silence``: the
        silence procedure at its deadline); comment threads of pages it renamed follow them."""
        commit = self.proposals.merge(number, groups=groups, author=author, display_name=display_name,
                                      admin=admin, reason=reason, silence=silence)
        _tree, parents = self.reader.commit_header(commit)
        if parents:
            self.comments.follow_renames(parents[0], commit, author=author)
            # The groups' endorsements of the proposal become endorsements of the pages it changed.
            proposal = self.proposals.get(number)
            endorsing = set(self.proposals.consensus(proposal, groups).endorsing)
            users = {position.group: position.event.user for position in proposal.positions
                     if position.current and position.group in endorsing}
            pages = [page for status, path in self.history.changed_files(parents[0], commit)
                     if status != "D" and (page := names.page_from_file(path)) is not None]
            self.endorsements.record_adoption(commit, pages, users, author=author, proposal=number)
        return commit

    def revert_page(self, page: str, rev: str, *, author: Author, summary: str = "") -> SaveResult:
        return self.pages.revert_page(page, self.resolve(rev), author=author, summary=summary)

    # ------------------------------------------------------------------ history

    def pushed_group(self, commit_id: str) -> str:
        """The group the push note gives ``commit_id`` ("" when none)."""
        return self.log.note_group(commit_id)

    def last_change(self, page: str, rev: str | None = None) -> CommitInfo | None:
        return self.history.last_change(page, self.resolve(rev))

    def page_history(self, page: str, rev: str | None = None) -> tuple[CommitInfo, ...]:
        return self.history.page_history(page, self.resolve(rev))

    def override_reason(self, commit: str) -> str:
        """The ``Override-Reason`` of a merge an admin made without consensus ("" for any other commit)."""
        if not commit:
            return ""
        kind, data = self.reader.read_object(commit)
        if kind != "commit":
            return ""
        return parse_trailers(parse_commit(commit, data).message.decode("utf-8", "replace")).get("Override-Reason", "")

    def adopted_drafts(self, merge: str, path: str) -> tuple[CommitInfo, ...]:
        """The drafts of ``path`` that the merge ``merge`` adopted (none for other commits)."""
        return self.history.drafts(merge, path)

    # ------------------------------------------------------------------ attachments

    def list_attachments(self, page: str, rev: str | None = None) -> tuple[Attachment, ...]:
        try:
            return self.attachments.list_attachments(page, self.resolve(rev))
        except PageNotFound:
            return ()

    def read_attachment(self, page: str, name: str, rev: str | None = None) -> tuple[Attachment, bytes, str]:
        return self.attachments.read_attachment(page, name, self.resolve(rev), old=rev is not None)

    def attachment_history(self, page: str, name: str, rev: str | None = None) -> tuple[CommitInfo, ...]:
        return self.attachments.attachment_history(page, name, self.resolve(rev))

    # ------------------------------------------------------------------ review

    def blame(self, page: str, rev: str | None = None) -> Blame:
        return self.blames.blame(page, self.resolve(rev))

    def page_lineage(self, page: str, from_rev: str, to_rev: str, *, old_page: str | None = None,
                     ) -> tuple[str | None, str | None, tuple[LineageStep, ...]]:
        """The page's text at ``from_rev`` and ``to_rev`` (``None`` where it did not exist; the old
        text under ``old_page`` when it was renamed) and every commit in between that changed it."""
        from_commit, to_commit = self.resolve(from_rev), self.resolve(to_rev)
        paths = tuple(sorted(set(self.lineage.paths(page, to_commit)) | {names.page_file(old_page or page)}))
        return (self.lineage.text_at(paths, from_commit), self.lineage.text_at(paths, to_commit),
                self.lineage.lineage(paths, from_commit, to_commit))

    def changes(self, **criteria: object) -> tuple[list[Change], bool]:
        return self.changes_part.changes(self.head(), **criteria)  # type: ignore[arg-type]

    def compare(self, from_rev: str, to_rev: str) -> Comparison:
        return self.changes_part.compare(self.resolve(from_rev), self.resolve(to_rev))

    def contributions(self) -> Contributions:
        return self.contribution_counter.contributions(self.head())

    def create_version(self, name: str, title: str, rev: str | None, *, author: Author) -> Version:
        return self.versions_part.create_version(name, title, self.resolve(rev), author=author)

    def endorse(self, page: str, seen: str, *, action: str, author: Author) -> Endorsement:
        return self.endorsements.endorse(page, self.resolve(seen), action=action, author=author)

    def endorsement_overview(self, groups: tuple[str, ...] | list[str]) -> dict[str, list[PageEndorsements]]:
        return self.endorsements.endorsement_overview(self.list_pages(), groups)

    # ------------------------------------------------------------------ language versions

    def version_states(self, page: str, rev: str | None = None) -> tuple[VersionState, ...]:
        return self.translations.states(page, self.resolve(rev))

    def translation_overview(self, rev: str | None = None) -> tuple[VersionState, ...]:
        try:
            return self.translations.overview(self.resolve(rev))
        except PageNotFound:
            return ()

    def read_version(self, page: str, language: str, rev: str | None = None) -> tuple[str, str, VersionSource | None]:
        return self.translations.read_version(page, language, self.resolve(rev))

    def save_version(self, page: str, language: str, text: str, *, follows_original: bool, base: str | None,
                     author: Author, summary: str) -> SaveResult:
        return self.translations.save_version(page, language, text, follows_original=follows_original,
                                              base=self.resolve(base) if base is not None else None,
                                              author=author, summary=summary)

    def invalid_paths(self, rev: str | None = None) -> list[str]:
        return self.maintenance.invalid_paths(self.resolve(rev))
