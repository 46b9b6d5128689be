"""Full-text search, wiki links and per-section last changes, in one SQLite database in the instance.

- ``tokens``: what the index and a query see of a text (folding, CJK, safe FTS5 expressions);
- ``parts``: what of a Markdown page is indexed (headings, plain body, wiki links), in linear time;
- ``snippets``: the text shown around the matches, in linear time;
- ``index``: the database and keeping it at the branch tip;
- ``queries``: search, what links here, wanted pages, sections' last changes.

No Flask import: the store is passed in.
"""

from __future__ import annotations

from .index import Index
from .parts import indexed_parts, split_text
from .queries import Hit, Results, SearchIndex, SectionChange
from .snippets import SNIPPET_MAX_CHARS
from .tokens import fold, match_expression

__all__ = ["SNIPPET_MAX_CHARS", "Hit", "Index", "Results", "SearchIndex", "SectionChange", "fold",
           "indexed_parts", "match_expression", "split_text"]
