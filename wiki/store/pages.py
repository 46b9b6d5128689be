"""Reading and writing pages, and the one commit path: blobs, trees and a commit written to the
object database, landed by compare-and-swap of the branch (``git update-ref main NEW OLD``)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from .. import names
from ..errors import (
    ContentTooLarge,
    EditConflict,
    InvalidContent,
    PageExists,
    PageNotFound,
    StoreBusy,
)
from ._common import (
    _LOCKED_FILE,
    BLOB_MODE,
    GROUP_TRAILER,
    MAX_CAS_ATTEMPTS,
    TREE_MODE,
    USER_TRAILER,
    ZERO_ID,
    Author,
    GitCommandError,
    PageRevision,
    SaveResult,
    _ident,
    _one_line,
    _RefMoved,
    _Tree,
)

# What to commit on a tip: file path -> new bytes (None deletes), and the commit message.
_Plan = tuple[dict[str, bytes | None], str]


class PagesMixin:
    """Pages: read, save (three-way merge), rename, delete, revert; the one commit path."""

    def read_page(self, page: str, rev: str | None = None) -> PageRevision:
        """The page as of ``rev`` (default: the tip); raise PageNotFound when it is not there."""
        commit = self.resolve(rev)
        entry = self._lookup(self._commit_tree(commit), names.page_file(page))
        if entry is None or entry[0] == TREE_MODE:
            raise PageNotFound(f"There is no page {page!r}" + (" in that revision." if rev else "."))
        data = self._blob(entry[1])
        return PageRevision(page=page, text=data.decode("utf-8", "replace"), blob_id=entry[1], commit=commit)

    def read_page_as_of(self, page: str, rev: str | None) -> PageRevision:
        """Like :meth:`read_page`, but finds the page under the name it had at ``rev``.

        A page renamed since ``rev`` is looked up through its history, so old versions and diffs
        keep working after a rename.
        """
        try:
            return self.read_page(page, rev)
        except PageNotFound:
            commit = self.resolve(rev)
        tried = {page}
        for change in self.page_history(page):
            old_page = names.page_from_file(change.path)
            if old_page is not None and old_page not in tried:
                tried.add(old_page)
                if self.page_exists(old_page, commit):
                    return self.read_page(old_page, commit)
        raise PageNotFound(f"The page {page!r} did not exist in that revision.")

    def page_blob_id(self, page: str, rev: str | None = None) -> str | None:
        try:
            commit = self.resolve(rev)
        except PageNotFound:
            return None
        entry = self._lookup(self._commit_tree(commit), names.page_file(page))
        return entry[1] if entry and entry[0] != TREE_MODE else None

    def page_exists(self, page: str, rev: str | None = None) -> bool:
        return self.page_blob_id(page, rev) is not None

    def list_pages(self, rev: str | None = None) -> tuple[str, ...]:
        """Every page at ``rev``, sorted; cached by the root tree id."""
        try:
            commit = self.resolve(rev)
        except PageNotFound:
            return ()
        tree_id = self._commit_tree(commit)

        def walk() -> tuple[str, ...]:
            found: list[str] = []
            stack = [(tree_id, "")]
            while stack:
                current, prefix = stack.pop()
                for name, (mode, object_id) in self._tree_entries(current).items():
                    if mode == TREE_MODE:
                        stack.append((object_id, f"{prefix}{name}/"))
                    else:
                        page = names.page_from_file(prefix + name)
                        if page is not None:
                            found.append(page)
            return tuple(sorted(found, key=lambda p: (p.casefold(), p)))

        return self._page_lists.get_or_compute(tree_id, walk)

    def missing_pages(self, pages: Iterable[str], rev: str | None = None) -> set[str]:
        """Those of ``pages`` that do not exist at ``rev``: a few tree lookups, not a page listing."""
        commit = self.resolve(rev)
        tree = self._commit_tree(commit)
        return {page for page in pages
                if (entry := self._lookup(tree, names.page_file(page))) is None or entry[0] == TREE_MODE}

    def find_case_twin(self, page: str, rev: str | None = None) -> str | None:
        """An existing page whose name equals ``page`` but for case, or ``None``."""
        folded = page.casefold()
        for other in self.list_pages(rev):
            if other != page and other.casefold() == folded:
                return other
        return None

    def save_page(self, page: str, text: str, *, base: str | None, author: Author, summary: str) -> SaveResult:
        """Save ``text`` as ``page``, edited from the tip as of commit ``base``.

        When the page changed since ``base``, merge three-way: a clean merge is committed and
        reported (``merged=True``); overlapping changes raise :class:`EditConflict` carrying the
        merged text with conflict markers, and nothing is committed.
        """
        text = self._check_text(text)
        if base is not None:
            base = self.resolve(base)
        path = names.page_file(page)
        merged = False

        def prepare(head: str | None) -> _Plan | None:
            nonlocal merged
            current = self.page_blob_id(page, head) if head else None
            base_blob = self.page_blob_id(page, base) if base else None
            merged, result = False, text
            if current is not None and current != base_blob:
                base_text = self._blob(base_blob).decode("utf-8", "replace") if base_blob else ""
                their_text = self._blob(current).decode("utf-8", "replace")
                result, conflicts = self.merge_texts(base_text, text, their_text)
                if conflicts:
                    raise EditConflict(
                        "Someone else changed this page while you were editing, and their change "
                        "overlaps yours. Nothing was saved: your text is below with the conflicts "
                        "marked.",
                        merged_text=result, their_text=their_text, base_text=base_text,
                        head=head or ZERO_ID,
                    )
                merged = True
            elif current is None and head is not None:
                twin = self.find_case_twin(page, head)
                if twin is not None:
                    raise PageExists(f"A page named {twin!r} already exists; names may not differ only by case.")
            data = result.encode("utf-8")
            if current is not None and self._blob(current) == data:
                return None
            return {path: data}, summary or self._default_summary(page, current)

        commit = self._commit_on_tip(prepare, author=author,
                                     busy="The page is being changed very often right now; please save again.")
        return SaveResult(commit=commit, merged=merged)

    @staticmethod
    def _default_summary(page: str, current: str | None) -> str:
        return f"{'Edit' if current else 'Create'} {page}"

    def rename_page(self, old: str, new: str, *, author: Author, summary: str = "") -> str:
        """Move ``old`` to ``new`` in one commit, so history follows the rename."""
        if old == new:
            raise PageExists("The new name is the same as the old one.")

        def prepare(head: str | None) -> _Plan:
            blob = self.page_blob_id(old, head) if head else None
            if blob is None:
                raise PageNotFound(f"There is no page {old!r}.")
            if self.page_exists(new, head):
                raise PageExists(f"A page named {new!r} already exists.")
            twin = self.find_case_twin(new, head)
            if twin is not None and twin != old:
                raise PageExists(f"A page named {twin!r} already exists; names may not differ only by case.")
            changes: dict[str, bytes | None] = {names.page_file(old): None, names.page_file(new): self._blob(blob)}
            for path, blob_id in self._attachment_files(old, head).items():  # attachments move along
                changes[path] = None
                changes[names.attachments_folder(new) + path[len(names.attachments_folder(old)):]] = \
                    self._read_object(blob_id)[1]
            return changes, summary or f"Rename {old} to {new}"

        return self._commit_on_tip(prepare, author=author)  # type: ignore[return-value]  # never None

    def delete_page(self, page: str, *, author: Author, summary: str = "") -> str:
        """Remove the page and its attachments in one commit; the history keeps every version."""

        def prepare(head: str | None) -> _Plan:
            if head is None or not self.page_exists(page, head):
                raise PageNotFound(f"There is no page {page!r}.")
            changes: dict[str, bytes | None] = {names.page_file(page): None}
            changes.update(dict.fromkeys(self._attachment_files(page, head)))  # and its attachments
            return changes, summary or f"Delete {page}"

        return self._commit_on_tip(prepare, author=author)  # type: ignore[return-value]  # never None

    def revert_page(self, page: str, rev: str, *, author: Author, summary: str = "") -> SaveResult:
        """Make a new commit whose text of ``page`` is the one it had at ``rev``."""
        old = self.read_page(page, rev)
        message = summary or f"Revert {page} to {old.commit[:10]}"

        def prepare(head: str | None) -> _Plan | None:
            if head is not None and self.page_blob_id(page, head) == old.blob_id:
                return None
            return {names.page_file(page): self._blob(old.blob_id)}, message

        return SaveResult(commit=self._commit_on_tip(prepare, author=author))

    def _commit_on_tip(self, prepare: Callable[[str | None], _Plan | None], *, author: Author,
                       busy: str = "The wiki is being changed very often right now; please try again.",
                       ) -> str | None:
        """The one retry loop around :meth:`_commit_changes`.

        ``prepare(tip)`` checks the change against the branch tip and says what to commit there
        (``None``: nothing to do); when the compare-and-swap loses to another writer, it runs again
        on the new tip. Raises :class:`StoreBusy` after MAX_CAS_ATTEMPTS lost races.
        """
        for _ in range(MAX_CAS_ATTEMPTS):
            head = self.head()
            plan = prepare(head)
            if plan is None:
                return None
            changes, message = plan
            try:
                return self._commit_changes(changes, author=author, message=message, parent=head)
            except _RefMoved:
                continue
        raise StoreBusy(busy)

    def _check_text(self, text: str) -> str:
        if not isinstance(text, str):
            raise InvalidContent("The page text must be text.")
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        if "\0" in text:
            raise InvalidContent("The page text contains a NUL character; binary content cannot be a page.")
        try:
            size = len(text.encode("utf-8"))
        except UnicodeEncodeError as error:
            raise InvalidContent("The page text is not valid Unicode.") from error
        if size > self.max_page_bytes:
            raise ContentTooLarge(
                f"The page is {size:,} bytes; the limit is {self.max_page_bytes:,} bytes."
            )
        if text and not text.endswith("\n"):
            text += "\n"
        return text

    def merge_texts(self, base: str, ours: str, theirs: str) -> tuple[str, int]:
        """Three-way merge as ``git merge-file`` does; returns the text and the conflict count."""
        with tempfile.TemporaryDirectory(prefix="wiki-merge-") as scratch:
            paths = []
            for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
                file = Path(scratch) / name
                file.write_text(text, encoding="utf-8")
                paths.append(str(file))
            result = self._run("merge-file", "-p", "-L", "your version", "-L", "original",
                               "-L", "their version", *paths, in_repo=False, check=False)
        if result.returncode < 0 or result.returncode > 127:
            raise GitCommandError(["git", "merge-file"], result.returncode, result.stderr.decode())
        return result.stdout.decode("utf-8", "replace"), result.returncode

    def _commit_changes(self, changes: dict[str, bytes | None], *, author: Author, message: str,
                        parent: str | None) -> str:
        """Write blobs, trees and a commit on top of ``parent`` and move the branch by CAS.

        ``changes`` maps file paths to new contents (``None`` deletes). Raises :class:`_RefMoved`
        when the branch is no longer at ``parent``; the caller rebuilds on the new tip.
        """
        root = _Tree(entries=dict(self._tree_entries(self._commit_tree(parent))) if parent else {})
        for path, data in changes.items():
            self._apply(root, path.split("/"), None if data is None else self._store_object("blob", data))
        tree_id = self._write_tree(root)
        if tree_id is None:
            tree_id = self._store_object("tree", b"")
        commit_id = self._store_object("commit", self._commit_bytes(tree_id, parent, author, message))
        result = self._run("update-ref", "-m", f"wiki: {author.username}", self.ref, commit_id,
                           parent or ZERO_ID, check=False)
        if result.returncode != 0:
            stderr = result.stderr.decode("utf-8", "replace")
            if "cannot lock ref" in stderr or "but expected" in stderr or "reference already exists" in stderr:
                locked = _LOCKED_FILE.search(stderr)  # another writer holds a lock, or one died holding it
                if locked and Path(locked.group(1)).resolve().parent.is_relative_to(self.path.resolve()):
                    self.wait_for_lock(Path(locked.group(1)))
                raise _RefMoved(stderr)
            raise GitCommandError(["git", "update-ref"], result.returncode, stderr)
        self._after_commit()
        return commit_id

    def _apply(self, tree: _Tree, parts: list[str], blob_id: str | None) -> None:
        name = parts[0]
        if len(parts) == 1:
            if blob_id is None:
                tree.entries.pop(name, None)
            else:
                tree.children.pop(name, None)
                tree.entries[name] = (BLOB_MODE, blob_id)
            return
        child = tree.children.get(name)
        if child is None:
            existing = tree.entries.get(name)
            entries = dict(self._tree_entries(existing[1])) if existing and existing[0] == TREE_MODE else {}
            child = tree.children[name] = _Tree(entries=entries)
        self._apply(child, parts[1:], blob_id)

    def _write_tree(self, tree: _Tree) -> str | None:
        """Store ``tree`` and its changed subtrees; ``None`` when it ends up empty (git drops it)."""
        for name, child in tree.children.items():
            child_id = self._write_tree(child)
            if child_id is None:
                tree.entries.pop(name, None)
            else:
                tree.entries[name] = (TREE_MODE, child_id)
        if not tree.entries:
            return None
        ordered = sorted(tree.entries.items(),
                         key=lambda item: item[0].encode() + (b"/" if item[1][0] == TREE_MODE else b""))
        # As git's tree format (and GitPython's slower tree_to_stream): "<octal mode> <name>\0<sha>".
        data = b"".join(b"%o %s\0" % (mode, name.encode()) + bytes.fromhex(oid) for name, (mode, oid) in ordered)
        return self._store_object("tree", data)

    def _commit_bytes(self, tree_id: str, parent: str | None, author: Author, message: str) -> bytes:
        stamp = f"{int(time.time())} +0000"
        subject = _one_line(message) or "Edit"
        lines = [f"tree {tree_id}"]
        if parent:
            lines.append(f"parent {parent}")
        lines.append(f"author {_ident(author.name, author.email)} {stamp}")
        lines.append(f"committer {_ident(*self.committer)} {stamp}")
        trailers = f"{GROUP_TRAILER}: {_one_line(author.group)}\n{USER_TRAILER}: {_one_line(author.username)}\n"
        body = f"{subject}\n\n{trailers}"
        return ("\n".join(lines) + "\n\n" + body).encode("utf-8")
