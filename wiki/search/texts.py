"""Searching texts held in memory rather than in the index (the answers to calls for input, which
live on their own branch): each text is prepared once as the index would see it, then matched
against every term of a query and given a snippet, like :meth:`SearchIndex.search_texts`.

Linear in the texts searched; a text longer than :data:`MAX_TEXT_CHARS` is searched in its start
only, so one call's answers (500 respondents, 18 questions) cost a bounded amount of memory and
time. Pure: no Flask, no git, no SQLite.
"""

from __future__ import annotations

from dataclasses import dataclass

from .parts import indexed_parts
from .snippets import Phrases, snippet
from .tokens import fold, match_expression, query_terms, search_form

MAX_TEXT_CHARS = 20_000


@dataclass(frozen=True)
class Prepared:
    """A text as searched: folded (for snippets) and in search form (for matching)."""

    folded: str
    searchable: str


def prepare(markdown: str) -> Prepared:
    """``markdown``'s plain text (headings and body, as a page's are indexed), folded."""
    headings, body, _links = indexed_parts(markdown[:MAX_TEXT_CHARS])
    folded = fold(f"{headings}\n{body}".strip())
    return Prepared(folded, search_form(folded))


class Matcher:
    """The terms of one query, to test prepared texts with: every term must occur."""

    def __init__(self, query: str) -> None:
        terms = query_terms(query)
        self.valid = match_expression(query) is not None and bool(terms)
        self._singles = [Phrases.of([term]) for term in terms]
        self._phrases = Phrases.of(terms)

    def matches(self, text: Prepared) -> bool:
        return self.valid and all(next(single.occurrences(text.searchable), None) is not None
                                  for single in self._singles)

    def snippet(self, text: Prepared) -> tuple[tuple[str, bool], ...]:
        return tuple(snippet(text.folded, self._phrases))
