"""Queries of the search database: ranked full-text search with snippets, what links here,
wanted pages, and each folder's last change.

Each first brings the index to the branch tip when that is little work (:meth:`Index.refresh`),
and otherwise answers from what is indexed while the index is built in the background: a search
says so (``Results.indexing``), and never waits for the build."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .. import names
from .index import Index
from .parts import indexed_parts
from .snippets import Phrases, snippet
from .tokens import fold, match_expression, query_terms, search_form

WEIGHTS = (10.0, 5.0, 1.0)  # title, headings, body


@dataclass(frozen=True)
class Hit:
    """One search result: the page, the language of the text found (a version's, or the
    originals'), and its snippet as ``(text, highlighted)`` pieces."""

    page: str
    title: str
    section: str
    snippet: tuple[tuple[str, bool], ...]
    language: str = ""


@dataclass(frozen=True)
class Results:
    """One page of results, the total number of hits, whether the query had any words, and whether
    the index was still being built (the results then miss the pages not indexed yet)."""

    hits: tuple[Hit, ...]
    total: int
    valid: bool
    indexing: bool = False


@dataclass(frozen=True)
class SectionChange:
    """The newest commit that changed anything under a section's folder."""

    commit_id: str
    timestamp: int
    author: str
    group: str
    subject: str


def _section_range(section: str) -> tuple[str, str]:
    """Bounds such that ``low <= page < high`` holds exactly for pages under ``section/``."""
    return section + "/", section + "0"  # '0' is the character after '/'


class SearchIndex(Index):
    """The index database with its queries; thread-safe, multi-process safe."""

    def search(self, query: str, *, section: str | None = None, language: str | None = None, number: int = 1,
               per_page: int = 20, offset: int | None = None) -> Results:
        """Pages matching ``query``, best first (bm25, titles and headings weigh more), paged (by
        ``number``, or from ``offset`` hits on); the originals and their language versions alike,
        or those in ``language`` only."""
        expression = match_expression(query)
        if expression is None:
            return Results(hits=(), total=0, valid=False)
        current = self.refresh()
        where = "docs MATCH ?"
        params: list[object] = [expression]
        if section:
            where += " AND pages.page >= ? AND pages.page < ?"
            params.extend(_section_range(section))
        if language:
            where += " AND pages.language = ?"
            params.append(language)
        connection = self.connection()
        try:
            total = connection.execute(
                f"SELECT count(*) FROM docs JOIN pages ON pages.id = docs.rowid WHERE {where}",  # noqa: S608
                params).fetchone()[0]
            ranked = connection.execute(
                "SELECT pages.id, pages.page, pages.language FROM docs JOIN pages ON pages.id = docs.rowid "
                f"WHERE {where} ORDER BY bm25(docs, ?, ?, ?), pages.page LIMIT ? OFFSET ?",  # noqa: S608
                [*params, *WEIGHTS, per_page, (number - 1) * per_page if offset is None else offset],
            ).fetchall()
            # The bodies of the shown pages only; their snippets are cut by snippet() below, as
            # FTS5's snippet() takes time quadratic in a page's matches.
            rows = [(page, language, connection.execute("SELECT body FROM docs WHERE rowid = ?", (rowid,)).fetchone())
                    for rowid, page, language in ranked]
        except sqlite3.OperationalError:  # a query FTS5 still refuses: no results, never a crash
            return Results(hits=(), total=0, valid=False, indexing=not current)
        phrases = Phrases.of(query_terms(query))
        hits = []
        for key, language, body in rows:
            version = names.version_from_file(names.page_file(key))
            page = version[0] if version else key
            hits.append(Hit(page=page, title=names.page_title(page), section=page.rpartition("/")[0],
                            snippet=snippet(body[0] if body else "", phrases),
                            language="" if version is None else language))
        hits = tuple(hits)
        return Results(hits=hits, total=total, valid=True, indexing=not current)

    def search_texts(self, query: str, texts: dict[str, str]) -> Results:
        """Those of ``texts`` (page -> Markdown, not indexed) that hold every term of ``query``, with
        snippets: a search limited to the pages a proposal changes, as the proposal makes them.
        Linear in the texts, like the index's own scanning."""
        terms = query_terms(query)
        if match_expression(query) is None or not terms:
            return Results(hits=(), total=0, valid=False)
        singles = [Phrases.of([term]) for term in terms]
        phrases = Phrases.of(terms)
        hits = []
        for page, text in sorted(texts.items(), key=lambda item: (item[0].casefold(), item[0])):
            headings, body, _ = indexed_parts(text, page)
            searchable = search_form(fold(f"{names.page_title(page)}\n{headings}\n{body}"))
            if all(next(single.occurrences(searchable), None) is not None for single in singles):
                hits.append(Hit(page=page, title=names.page_title(page), section=page.rpartition("/")[0],
                                snippet=snippet(fold(body), phrases)))
        return Results(hits=tuple(hits), total=len(hits), valid=True)

    def backlinks(self, page: str) -> list[str]:
        """The pages that link to ``page`` at the tip, sorted."""
        self.refresh()
        rows = self.connection().execute(
            "SELECT source FROM links WHERE target = ? ORDER BY source", (page,)).fetchall()
        return [row[0] for row in rows]

    def wanted(self) -> list[tuple[str, list[str]]]:
        """Links to pages that do not exist, each with the pages linking to it; most wanted first."""
        self.refresh()
        rows = self.connection().execute(
            "SELECT target, source FROM links WHERE target NOT IN (SELECT page FROM pages) "
            "ORDER BY target, source").fetchall()
        wanted: dict[str, list[str]] = {}
        for target, source in rows:
            wanted.setdefault(target, []).append(source)
        return sorted(wanted.items(), key=lambda item: (-len(item[1]), item[0].casefold()))

    def section_changes(self) -> dict[str, SectionChange]:
        """The last change of every folder (``""`` is the whole wiki)."""
        self.refresh()
        rows = self.connection().execute(
            "SELECT section, commit_id, timestamp, author, grp, subject FROM sections").fetchall()
        return {row[0]: SectionChange(*row[1:]) for row in rows}
