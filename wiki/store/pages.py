"""Pages: read, list, save (three-way merge), rename, delete, revert, and the seed import.

Every change is a :class:`~wiki.store.committer.Plan` computed against the branch tip and
committed by the committer's one retry loop: when another writer wins the race, the plan is made
again on the new tip (merging three-way when the same page changed), so no edit is lost.
"""

from __future__ import annotations

import copy
import hashlib
import os
import tempfile
from pathlib import Path

from .. import attachments, names
from ..errors import N_, EditConflict, InvalidContent, PageExists, PageMoved, PageNotFound
from ..texts import check_page_text
from .cache import LRUCache
from .committer import Committer, Plan
from .history import History
from .reader import TREE_MODE, Reader
from .types import ZERO_ID, Author, GitCommandError, PageRevision, SaveResult


def _blob_id(data: bytes) -> str:
    """The id git gives a blob of ``data``."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


class Pages:
    """Reading and changing pages on one branch."""

    def __init__(self, reader: Reader, committer: Committer, history: History, *, branch_ref: str,
                 max_page_bytes: int) -> None:
        self.reader = reader
        self.committer = committer
        self.history = history
        self.branch_ref = branch_ref
        self.max_page_bytes = max_page_bytes
        self._page_lists: LRUCache[str, tuple[str, ...]] = LRUCache(16)
        self.trailers: tuple[tuple[str, str], ...] = ()

    def on_branch(self, ref: str, trailers: tuple[tuple[str, str], ...] = ()) -> Pages:
        """The same operations on another branch (a proposal), each commit carrying ``trailers``;
        caches are shared, as they are keyed by object ids."""
        other = copy.copy(self)
        other.branch_ref, other.trailers = ref, trailers
        return other

    def _plan(self, changes: dict[str, bytes | None], message: str) -> Plan:
        return Plan(changes, message, self.trailers)

    # ------------------------------------------------------------------ reading

    def read_page(self, page: str, commit: str, *, old: bool = True) -> PageRevision:
        """The page as of ``commit`` (``old``: a revision the reader asked for, not the tip);
        raise PageNotFound when it is not there."""
        blob = self.reader.blob_at(commit, names.page_file(page))
        if blob is None:
            raise PageNotFound(N_("There is no page %(page)s in that revision.") if old
                               else N_("There is no page %(page)s."), page=repr(page))
        return PageRevision(page=page, text=self.reader.blob(blob).decode("utf-8", "replace"), blob_id=blob,
                            commit=commit)

    def read_page_as_of(self, page: str, commit: str) -> PageRevision:
        """Like :meth:`read_page`, but finds the page under the name it had at ``commit``, so old
        versions and diffs keep working after a rename."""
        try:
            return self.read_page(page, commit)
        except PageNotFound:
            pass
        head = self.reader.read_ref(self.branch_ref)
        tried = {page}
        for change in self.history.page_history(page, head) if head else ():
            old_page = names.page_from_file(change.path)
            if old_page is not None and old_page not in tried:
                tried.add(old_page)
                if self.reader.blob_at(commit, names.page_file(old_page)) is not None:
                    return self.read_page(old_page, commit)
        raise PageNotFound(N_("The page %(page)s did not exist in that revision."), page=repr(page))

    def list_pages(self, commit: str) -> tuple[str, ...]:
        """Every page at ``commit``, sorted; cached by the root tree id."""
        tree_id = self.reader.commit_tree(commit)

        def walk() -> tuple[str, ...]:
            found: list[str] = []
            stack = [(tree_id, "")]
            while stack:
                current, prefix = stack.pop()
                for name, (mode, object_id) in self.reader.tree_entries(current).items():
                    if mode == TREE_MODE:
                        stack.append((object_id, f"{prefix}{name}/"))
                    elif (page := names.page_from_file(prefix + name)) is not None:
                        found.append(page)
            return tuple(sorted(found, key=lambda p: (p.casefold(), p)))

        return self._page_lists.get_or_compute(tree_id, walk)

    def missing_pages(self, pages: set[str] | frozenset[str] | list[str], commit: str) -> set[str]:
        """Those of ``pages`` that do not exist at ``commit``: a few tree lookups, not a listing."""
        return {page for page in pages if self.reader.blob_at(commit, names.page_file(page)) is None}

    def find_case_twin(self, page: str, commit: str) -> str | None:
        """An existing page whose name equals ``page`` but for case, or ``None``."""
        folded = page.casefold()
        return next((other for other in self.list_pages(commit) if other != page and other.casefold() == folded),
                    None)

    def _check_new_name(self, page: str, head: str | None, *, allow: str = "") -> None:
        """Refuse a page name that differs from an existing page's only by case (clones on
        Windows and macOS would merge the two files)."""
        twin = self.find_case_twin(page, head) if head else None
        if twin is not None and twin != allow:
            raise PageExists(N_("A page named %(twin)s already exists; names may not differ only by case."),
                             twin=repr(twin))

    # ------------------------------------------------------------------ writing

    def save_page(self, page: str, text: str, *, base: str | None, author: Author, summary: str,
                  base_page: str | None = None, files: dict[str, bytes] | None = None) -> SaveResult:
        """Save ``text`` as ``page``, edited from commit ``base`` (where it was ``base_page``, when
        the editor started from a page renamed since), with ``files`` ({name: bytes}, an imported
        document's images) attached to it in the same commit.

        When the page changed since ``base``, merge three-way: a clean merge is committed and
        reported (``merged=True``); overlapping changes raise :class:`EditConflict` carrying the
        merged text with conflict markers. When the page was renamed or deleted since ``base``,
        raise :class:`PageMoved`. Nothing is committed in either case.
        """
        text = check_page_text(text, self.max_page_bytes)
        path = names.page_file(page)
        base_path = names.page_file(base_page or page)
        merged = False
        attached = {f"{names.attachments_folder(page)}/{attachments.check_name(name)}": data
                    for name, data in (files or {}).items()}

        def prepare(head: str | None) -> Plan | None:
            nonlocal merged
            current = self.reader.blob_at(head, path) if head else None
            base_blob = self.reader.blob_at(base, base_path) if base else None
            merged, result = False, text
            if current is None and base_blob is not None and head is not None and base != head:
                moved = self.history.renamed_to(base_path, base, head)  # type: ignore[arg-type]
                new_page = names.page_from_file(moved) if moved else None
                raise PageMoved(
                    N_("While you were editing, %(page)s was renamed to %(new_name)s. Nothing was saved: your "
                       "text is below.") if new_page else
                    N_("While you were editing, %(page)s was deleted. Nothing was saved: your text is below."),
                    new_page=new_page, head=head, page=repr(base_page or page), new_name=repr(new_page))
            if current is not None and current != base_blob:
                base_text = self.reader.blob(base_blob).decode("utf-8", "replace") if base_blob else ""
                their_text = self.reader.blob(current).decode("utf-8", "replace")
                result, conflicts = self.merge_texts(base_text, text, their_text)
                if conflicts:
                    raise EditConflict(
                        N_("Someone else changed this page while you were editing, and their change "
                        "overlaps yours. Nothing was saved: your text is below with the conflicts "
                        "marked."),
                        merged_text=result, their_text=their_text, base_text=base_text, head=head or ZERO_ID)
                merged = True
            elif current is None:
                self._check_new_name(page, head)
            data = result.encode("utf-8")
            new_files = {file: blob for file, blob in attached.items()
                         if self.reader.blob_at(head, file) != _blob_id(blob)} if head else attached
            if current is not None and self.reader.blob(current) == data and not new_files:
                return None
            return self._plan({path: data, **new_files}, summary or f"{'Edit' if current else 'Create'} {page}")

        commit = self.committer.commit_to_ref(
            self.branch_ref, prepare, author=author,
            busy=N_("The page is being changed very often right now; please save again."))
        return SaveResult(commit=commit, merged=merged)

    def rename_page(self, old: str, new: str, *, author: Author, summary: str = "") -> str:
        """Move ``old`` (and its attachments) to ``new`` in one commit, so history follows the rename."""
        if old == new:
            raise PageExists(N_("The new name is the same as the old one."))

        def prepare(head: str | None) -> Plan:
            blob = self.reader.blob_at(head, names.page_file(old)) if head else None
            if blob is None:
                raise PageNotFound(N_("There is no page %(old)s."), old=repr(old))
            if self.reader.blob_at(head, names.page_file(new)) is not None:  # type: ignore[arg-type]
                raise PageExists(N_("A page named %(new)s already exists."), new=repr(new))
            self._check_new_name(new, head, allow=old)
            changes: dict[str, bytes | None] = {names.page_file(old): None,
                                                names.page_file(new): self.reader.blob(blob)}
            old_folder, new_folder = names.attachments_folder(old), names.attachments_folder(new)
            for path, blob_id in self.attachment_files(old, head).items():  # type: ignore[arg-type]
                changes[path] = None
                changes[new_folder + path[len(old_folder):]] = self.reader.read_object(blob_id)[1]
            for language, (path, blob_id) in self.version_files(old, head).items():  # type: ignore[arg-type]
                changes[path] = None  # language versions move with their page, in the same commit
                changes[names.page_file(names.version_page(new, language))] = self.reader.blob(blob_id)
            return self._plan(changes, summary or f"Rename {old} to {new}")

        return self.committer.commit_to_ref(self.branch_ref, prepare, author=author)  # type: ignore[return-value]

    def delete_page(self, page: str, *, author: Author, summary: str = "") -> str:
        """Remove the page and its attachments in one commit; the history keeps every version."""

        def prepare(head: str | None) -> Plan:
            if head is None or self.reader.blob_at(head, names.page_file(page)) is None:
                raise PageNotFound(N_("There is no page %(page)s."), page=repr(page))
            changes: dict[str, bytes | None] = {names.page_file(page): None}
            changes.update(dict.fromkeys(self.attachment_files(page, head)))
            changes.update(dict.fromkeys(path for path, _ in self.version_files(page, head).values()))
            return self._plan(changes, summary or f"Delete {page}")

        return self.committer.commit_to_ref(self.branch_ref, prepare, author=author)  # type: ignore[return-value]

    def revert_page(self, page: str, commit: str, *, author: Author, summary: str = "") -> SaveResult:
        """Make a new commit whose text of ``page`` is the one it had at ``commit``."""
        old = self.read_page(page, commit)
        message = summary or f"Revert {page} to {old.commit[:10]}"

        def prepare(head: str | None) -> Plan | None:
            current = self.reader.blob_at(head, names.page_file(page)) if head else None
            if current == old.blob_id:
                return None
            if current is None:
                self._check_new_name(page, head)
            return self._plan({names.page_file(page): self.reader.blob(old.blob_id)}, message)

        return SaveResult(commit=self.committer.commit_to_ref(self.branch_ref, prepare, author=author))

    def import_pages(self, directory: str | os.PathLike[str], *, author: Author, message: str) -> str | None:
        """Commit every valid ``*.md`` page under ``directory`` if the branch has no commit yet.

        Returns the new commit, or ``None`` when the branch already existed (another process won).
        """
        changes: dict[str, bytes | None] = {}
        root = Path(directory)
        folded: dict[str, str] = {}
        for file in sorted(root.rglob("*.md")):
            relative = file.relative_to(root).as_posix()
            page = names.page_from_file(relative)
            if page is None:
                raise InvalidContent(N_("%(relative)s is not a valid page file name."), relative=relative)
            if page.casefold() in folded:
                raise InvalidContent(N_("%(relative)s differs only by case from %(folded)s.md."),
                                     relative=relative, folded=folded[page.casefold()])
            folded[page.casefold()] = page
            changes[relative] = check_page_text(file.read_text(encoding="utf-8"), self.max_page_bytes).encode()
        return self.committer.commit_to_ref(
            self.branch_ref, lambda tip: None if tip is not None else Plan(changes, message), author=author)

    def attachment_files(self, page: str, commit: str) -> dict[str, str]:
        """``{path: blob id}`` of the files attached to ``page`` at ``commit``."""
        folder = names.attachments_folder(page)
        entry = self.reader.lookup(self.reader.commit_tree(commit), folder)
        if entry is None or entry[0] != TREE_MODE:
            return {}
        return {f"{folder}/{name}": blob for name, (mode, blob) in self.reader.tree_entries(entry[1]).items()
                if mode != TREE_MODE}

    def version_files(self, page: str, commit: str) -> dict[str, tuple[str, str]]:
        """``{language: (path, blob id)}`` of the language versions of ``page`` at ``commit``."""
        found = {}
        for language in names.LANGUAGES:
            path = names.page_file(names.version_page(page, language))
            blob = self.reader.blob_at(commit, path)
            if blob is not None:
                found[language] = (path, blob)
        return found

    def merge_texts(self, base: str, ours: str, theirs: str) -> tuple[str, int]:
        """Three-way merge as ``git merge-file`` does; returns the text and the conflict count."""
        with tempfile.TemporaryDirectory(prefix="wiki-merge-") as scratch:
            paths = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                file = Path(scratch) / name
                file.write_text(text, encoding="utf-8")
                paths.append(str(file))
            result = self.reader.run("merge-file", "-p", "-L", "your version", "-L", "original",
                                     "-L", "their version", *paths, in_repo=False, check=False)
        if result.returncode < 0 or result.returncode > 127:
            raise GitCommandError(["git", "merge-file"], result.returncode, result.stderr.decode())
        return result.stdout.decode("utf-8", "replace"), result.returncode
