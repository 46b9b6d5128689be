"""What a reader sees: a page in the language asked for (or the reader's, or the original), and a
page's text and last change at a revision. The web view and the API read through here, so the
choice of the language version is made once."""

from __future__ import annotations

from dataclasses import dataclass

from .. import names
from ..errors import N_, PageNotFound
from ..store import CommitInfo, PageRevision, VersionState
from .context import source_language, store


@dataclass(frozen=True)
class Shown:
    """A page as shown: its revision, the text and blob shown (the original's or a version's),
    the language version shown (``None``: the original) and every language state at that revision."""

    revision: PageRevision
    text: str
    blob: str
    version: VersionState | None
    versions: dict[str, VersionState]

    @property
    def language(self) -> str:
        return self.version.language if self.version else source_language()

    @property
    def available(self) -> list[str]:
        """The languages the page has a version in."""
        return [state.language for state in self.versions.values() if state.blob is not None]

    def has(self, language: str | None) -> bool:
        return language in self.versions and self.versions[language].blob is not None

    @property
    def shown_page(self) -> str:
        """The name whose history is the shown text's (the version's file, or the page)."""
        return names.version_page(self.revision.page, self.version.language) if self.version else self.revision.page


def show(page: str, rev: str | None, *, asked: str | None, preferred: str | None = None,
         strict: bool = False) -> Shown:
    """``page`` at ``rev`` in the language ``asked`` if it has that version, else ``preferred`` (the
    reader's interface language) if it has that one, else the original. With ``strict``, a version
    asked for that does not exist is a 404 (the API) instead of the original (the web, which says so)."""
    wiki = store()
    revision = wiki.read_page(page, rev)
    versions = {state.language: state for state in wiki.version_states(page, revision.commit)}

    def available(language: str | None) -> bool:
        return language is not None and language in versions and versions[language].blob is not None

    if strict and asked and asked != source_language() and not available(asked):
        raise PageNotFound(N_("The page %(page)s has no version in %(language)s."), page=page, language=asked)
    wanted = asked or preferred  # a version asked for and missing shows the original (the web says so)
    if wanted is not None and available(wanted):
        text, blob, _source = wiki.read_version(page, wanted, revision.commit)
        return Shown(revision, text, blob, versions[wanted], versions)
    return Shown(revision, revision.text, revision.blob_id, None, versions)


def version_page(page: str, language: str | None) -> str:
    """The name the store reads for ``page`` in ``language`` (the original for its own language)."""
    if language in (None, source_language()):
        return page
    return names.version_page(page, language)


def revision_and_change(page: str, commit: str) -> tuple[PageRevision | None, CommitInfo | None]:
    """The page as of ``commit`` (``None`` if it did not exist) and the change that made it so."""
    wiki = store()
    try:
        revision = wiki.read_page_as_of(page, commit)
    except PageNotFound:
        return None, None
    return revision, wiki.last_change(revision.page, commit)


def text_and_change(page: str, commit: str) -> tuple[str, CommitInfo | None]:
    """The page's text at ``commit`` (empty if it did not exist) and the change that made it so."""
    revision, change = revision_and_change(page, commit)
    return (revision.text if revision else ""), change


def is_agreed(commit: str) -> bool:
    """Whether ``commit`` is in the agreed text's history (else a proposal's, not agreed text):
    exports and redlines of the latter carry a watermark saying so."""
    wiki = store()
    head = wiki.head()
    return head is not None and wiki.reader.is_ancestor(commit, head)
