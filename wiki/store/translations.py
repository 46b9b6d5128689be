"""Language versions of pages, and whether each still follows its original.

The version of ``Mapping/Cybersecurity`` in French is the file ``Mapping/Cybersecurity.fr.md``
beside the original. It starts with a small header saying which text of the original it
translates::

    ---
    source-commit: <the commit whose original text was translated>
    source-blob: <the blob id of that original text>
    ---

A version is *up to date* while the original's current blob is ``source-blob``, else *outdated*
(and ``git diff <source-blob> HEAD:Mapping/Cybersecurity.md`` shows what changed). The state is a
pure function of two blob ids, so it is cached by them and computed for the whole document from
cached trees.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

from .. import names
from ..errors import N_, PageNotFound
from .cache import LRUCache
from .gitlog import GitLog
from .pages import Pages
from .reader import Reader
from .types import Author, SaveResult

UP_TO_DATE, OUTDATED, MISSING = "up to date", "outdated", "missing"
MAX_INCREMENTAL_FILES = 2000  # beyond this many changed files, the overview is computed afresh
_HEADER = re.compile(r"\A---\n((?:[a-z-]+: *[^\n]*\n){1,8})---\n(?:\n)?")
_HEX40 = re.compile(r"\A[0-9a-f]{40}\Z")


@dataclass(frozen=True)
class VersionSource:
    """The original text a version translates: the commit and the blob id of that text."""

    commit: str
    blob: str


@dataclass(frozen=True)
class VersionState:
    """One language of one page: its state, its blob and the source it follows."""

    page: str
    language: str
    state: str  # up to date, outdated, missing
    blob: str | None = None
    source: VersionSource | None = None


def split_header(text: str) -> tuple[VersionSource | None, str]:
    """A version file's source (``None`` when it has no valid header) and its text without it."""
    match = _HEADER.match(text)
    if match is None:
        return None, text
    fields = dict(line.split(":", 1) for line in match.group(1).splitlines())
    commit, blob = fields.get("source-commit", "").strip(), fields.get("source-blob", "").strip()
    source = VersionSource(commit, blob) if _HEX40.match(commit) and _HEX40.match(blob) else None
    return source, text[match.end():]


def with_header(source: VersionSource, text: str) -> str:
    return f"---\nsource-commit: {source.commit}\nsource-blob: {source.blob}\n---\n\n{text.lstrip(chr(10))}"


class Translations:
    """Read, save and survey the language versions of pages on one branch."""

    def __init__(self, reader: Reader, log: GitLog, pages: Pages, *, branch_ref: str, source_language: str) -> None:
        self.reader = reader
        self.log = log
        self.pages = pages
        self.branch_ref = branch_ref
        self.source_language = source_language
        self._sources: LRUCache[str, VersionSource | None] = LRUCache(16384)
        self._overviews: LRUCache[str, tuple[VersionState, ...]] = LRUCache(8)
        self._latest: tuple[str, dict[str, tuple[VersionState, ...]]] | None = None
        self._lock = threading.Lock()

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages a page may have versions in: all but the originals' own."""
        return tuple(language for language in names.LANGUAGES if language != self.source_language)

    def source_of(self, blob: str) -> VersionSource | None:
        """The source a version's blob records (cached by blob id)."""
        return self._sources.get_or_compute(
            blob, lambda: split_header(self.reader.blob(blob).decode("utf-8", "replace"))[0])

    def states(self, page: str, commit: str) -> tuple[VersionState, ...]:
        """The page's versions at ``commit``, one per language, each up to date, outdated or missing."""
        tree = self.reader.commit_tree(commit)
        original = self.reader.blob_at(commit, names.page_file(page))
        if original is None:
            return ()
        return tuple(self._state(tree, page, language, original) for language in self.languages)

    def _state(self, tree: str, page: str, language: str, original: str) -> VersionState:
        entry = self.reader.lookup(tree, names.page_file(names.version_page(page, language)))
        if entry is None or entry[0] != 0o100644:
            return VersionState(page, language, MISSING)
        source = self.source_of(entry[1])
        state = UP_TO_DATE if source is not None and source.blob == original else OUTDATED
        return VersionState(page, language, state, entry[1], source)

    def overview(self, commit: str) -> tuple[VersionState, ...]:
        """Every page × language at ``commit``, pages sorted as in the page list.

        Cached by the root tree id, and computed incrementally: from the last table computed, only
        the pages whose file or versions differ (one ``git diff-tree``) are looked at again.
        """
        tree = self.reader.commit_tree(commit)
        cached = self._overviews.lookup(tree)
        if cached is not None:
            return cached
        with self._lock:
            previous = self._latest
            if previous is None or len(changed := self.log.diff_tree(previous[0], commit, renames=False)) \
                    > MAX_INCREMENTAL_FILES:
                table = {page: self.states(page, commit) for page in self.pages.list_pages(commit)}
            else:
                table = dict(previous[1])
                affected = set()
                for file in changed:
                    version = names.version_from_file(file.path)
                    affected.add(version[0] if version else names.page_from_file(file.path))
                affected.discard(None)
                for page in affected:
                    table[page] = self.states(page, commit)  # type: ignore[arg-type]
                    if not table[page]:
                        del table[page]
            self._latest = (commit, table)
        result = tuple(state for page in sorted(table, key=lambda p: (p.casefold(), p)) for state in table[page])
        self._overviews.put(tree, result)
        return result

    def read_version(self, page: str, language: str, commit: str) -> tuple[str, str, VersionSource | None]:
        """``(text without header, blob id, source)`` of a version; PageNotFound when missing."""
        blob = self.reader.blob_at(commit, names.page_file(names.version_page(page, language)))
        if blob is None:
            raise PageNotFound(N_("%(page)s has no version in %(language)s."), page=repr(page), language=language)
        source, text = split_header(self.reader.blob(blob).decode("utf-8", "replace"))
        return text, blob, source

    def save_version(self, page: str, language: str, text: str, *, follows_original: bool, base: str | None,
                     author: Author, summary: str) -> SaveResult:
        """Save the ``language`` version of ``page`` (created when missing, merged three-way like
        a page). ``follows_original`` records that it now translates the original as it is now;
        otherwise it keeps the source it had (a new version always records the current one)."""
        if language not in self.languages:
            raise PageNotFound(N_("Versions are in %(languages)s, not %(language)s."),
                               languages=", ".join(self.languages), language=language)
        head = self.reader.read_ref(self.branch_ref)
        original = self.reader.blob_at(head, names.page_file(page)) if head else None
        if head is None or original is None:
            raise PageNotFound(N_("There is no page %(page)s to translate."), page=repr(page))
        target = names.version_page(page, language)
        existing = self.reader.blob_at(head, names.page_file(target))
        source = self.source_of(existing) if existing else None
        if follows_original or source is None:
            source = VersionSource(head, original)
        return self.pages.save_page(target, with_header(source, text), base=base, author=author,
                                    summary=summary or f"{'Edit' if existing else 'Create'} {page} ({language})")
