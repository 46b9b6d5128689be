"""Full-text search, wiki links and per-section last changes, in one SQLite database in the instance.

The database is derived data: it records the commit it reflects (``meta.commit``), and every
reader first calls :meth:`SearchIndex.sync`, which compares that with the branch tip. When they
differ, the files changed between the two commits (one ``git diff-tree``) are re-indexed, however
the commit was made (web edit, push, script); when the database is missing, of another schema, or
reflects a commit the repository does not have, it is rebuilt from the tip. So it never drifts
from the repository, and a request pays only for what changed since the last one.

Any editor's text is indexed in time linear in its length (the patterns are written so that none
can backtrack), and indexing never fails: a page the scanner cannot handle is indexed as plain
text. A sync commits its work every few seconds and skips pages already indexed at their blob, so
one stopped by a worker timeout is continued by the next request, never started over.

Text goes into an FTS5 table with the ``unicode61`` tokenizer and three columns weighed by bm25:
title, headings and body. Two things it cannot do alone are done here, to the indexed text and
the query alike: Chinese and Japanese have no spaces between words, so each of their characters
becomes a token (a query word becomes a phrase of characters, which finds the word inside a
sentence); Arabic vowel marks and the Russian ``ё`` are folded so spelling variants match.

FTS5 ranks (bm25, linear in the matches), but snippets are cut here (:func:`snippet`): FTS5's
``snippet()`` takes time quadratic in a page's matches (a minute for 1 MB of ``[[a``, issue 12),
and this takes at most linear time, usually a few milliseconds whatever the page.

No Flask import: the store is passed in.
"""

from __future__ import annotations

import functools
import itertools
import logging
import re
import sqlite3
import threading
import time
import unicodedata
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from . import names
from .errors import InvalidPageName, PageNotFound
from .render import WIKILINK_RE
from .store import CommitInfo, Store
from .store.translations import split_header

SCHEMA_VERSION = "3"  # bump when what is indexed changes: old indexes rebuild themselves
WEIGHTS = (10.0, 5.0, 1.0)  # title, headings, body
MAX_QUERY_CHARS = 300
MAX_TERMS = 12
SNIPPET_TOKENS = 24
# Snippets are cut here, not by FTS5's snippet(), whose time grows with the square of a page's
# matches (it scores every match against every other; highlight() copies its output at each).
# Placing one looks at no more than this many matches, and shows at most this many characters.
SNIPPET_MATCHES = 1_000
PHRASE_LEAD = 4  # the tokens of a phrase searched for; the rest are checked where those are found
SNIPPET_MAX_CHARS = 400
ELLIPSIS = "…"
INDEX_CHUNK_SECONDS = 2.0  # a sync commits its work at least this often, so none is lost to a timeout
# Pages are at most MAX_PAGE_BYTES (1 MB) when written through the wiki or a push with the hook; a
# longer one (committed around both) is indexed as plain text, cut to this many characters.
MAX_INDEXED_CHARS = 2_000_000
# U+2063 INVISIBLE SEPARATOR: a separator for unicode61, put between CJK characters, dropped on output.
CJK_SEPARATOR = "\u2063"

logger = logging.getLogger(__name__)

_CJK = re.compile(
    "([\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f])")
_ARABIC_MARKS = re.compile("[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06ed\u0640]")
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u2063]")
# The patterns below run on whole pages that anyone with edit rights writes, so each is linear in
# the text: no two parts of a pattern can match the same characters (nothing to backtrack into),
# runs stop at the character that could start the next match, and a line's parts that need more
# than a pattern are done with string methods. tests/test_search_bounds.py measures each.
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*)$", re.MULTILINE)  # the text is stripped of " \t#" after
_FENCE_LINE = re.compile(r"^ {0,3}(```|~~~)", re.MULTILINE)  # an opening or closing fence line
_INLINE_CODE = re.compile(r"`[^`\n]*`")
_WIKILINK = re.compile(WIKILINK_RE)  # linear: its runs stop at "[", where the next match would start
_MD_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\n]*\)")
_HTML_TAG = re.compile(r"<[^<>\n]{1,200}>")
# Markdown markup that would show in snippets as noise: quote and list markers, emphasis, table
# rules and pipes, footnote references.
_BLOCK_MARKERS = re.compile(r"^[ \t]*(?:>[ \t]?)*(?:[-*+][ \t]+|\d{1,9}[.)][ \t]+)?", re.MULTILINE)
_TABLE_RULE = re.compile(r"^(?=[ \t|:-]*---)[ \t|:-]*$", re.MULTILINE)  # the lookahead is atomic
_EMPHASIS = re.compile(r"\*{1,3}|_{2,3}|~~")
_FOOTNOTE_REF = re.compile(r"\[\^[^\[\]\n]{1,40}\]:?")
_QUERY_TERM = re.compile(r'"([^"]*)"?|(\S+)')
# A token as the unicode61 tokenizer sees one, closely enough for snippets: a run of letters and
# digits. Its complement separates the tokens of a phrase.
_TOKEN = re.compile(r"[^\W_]+")
_FOLDED = re.compile("[\u00c0-\u024f\u1e00-\u1eff\u03c2]")  # what search_form() translates

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS pages(id INTEGER PRIMARY KEY, page TEXT UNIQUE NOT NULL, blob TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT '');
CREATE VIRTUAL TABLE IF NOT EXISTS docs USING fts5(title, headings, body,
    tokenize = 'unicode61 remove_diacritics 2');
CREATE TABLE IF NOT EXISTS links(source TEXT NOT NULL, target TEXT NOT NULL,
    PRIMARY KEY (source, target)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS links_by_target ON links(target, source);
CREATE TABLE IF NOT EXISTS sections(section TEXT PRIMARY KEY, commit_id TEXT NOT NULL,
    timestamp INTEGER NOT NULL, author TEXT NOT NULL, grp TEXT NOT NULL, subject TEXT NOT NULL);
"""


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
    """One page of results, the total number of hits, and whether the query had any words."""

    hits: tuple[Hit, ...]
    total: int
    valid: bool


@dataclass(frozen=True)
class SectionChange:
    """The newest commit that changed anything under a section's folder."""

    commit_id: str
    timestamp: int
    author: str
    group: str
    subject: str


def fold(text: str) -> str:
    """Text as the index sees it: CJK characters split apart, Arabic marks and ``ё`` folded."""
    text = _CONTROL.sub(" ", text)
    text = _ARABIC_MARKS.sub("", text)
    text = text.replace("ё", "е").replace("Ё", "Е")
    return _CJK.sub(CJK_SEPARATOR + r"\1" + CJK_SEPARATOR, text)


def query_terms(query: str) -> list[tuple[str, bool]]:
    """The terms of what a user typed, folded, each with whether it is a prefix (``word*``).

    ``"several words"`` is one term (a phrase); terms without a letter or digit are dropped, and
    only the first :data:`MAX_TERMS` are kept.
    """
    terms = []
    for match in _QUERY_TERM.finditer(query[:MAX_QUERY_CHARS]):
        phrase, word = match.groups()
        prefix = False
        if phrase is None:
            prefix = word.endswith("*")
            phrase = word.strip("*")
        text = fold(phrase)
        if not any(char.isalnum() for char in text):
            continue
        terms.append((text, prefix))
        if len(terms) == MAX_TERMS:
            break
    return terms


def match_expression(query: str) -> str | None:
    """A safe FTS5 expression for what a user typed, or ``None`` when it has no words.

    Every term is quoted, so FTS5 operators, column filters and stray quotes typed by a user are
    just text. ``"several words"`` is a phrase, a trailing ``*`` makes a prefix query; all terms
    must match.
    """
    return " ".join('"' + text.replace('"', '""') + '"' + (" *" if prefix else "")
                    for text, prefix in query_terms(query)) or None


def _without_fences(text: str) -> str:
    """``text`` with each fenced code block (from its opening line to the end of its closing one) removed.

    A fence opens at a line starting with up to three spaces and ````` `` or ``~~~``, and closes at
    the next line starting so with the same characters; one that never closes is a plain line.
    """
    markers = [(match.start(), match.group(1)) for match in _FENCE_LINE.finditer(text)]
    if not markers:
        return text
    following: list[int | None] = [None] * len(markers)  # the next line with the same marker
    last: dict[str, int] = {}
    for index in range(len(markers) - 1, -1, -1):
        following[index] = last.get(markers[index][1])
        last[markers[index][1]] = index
    pieces, kept, index = [], 0, 0
    while index < len(markers):
        closing = following[index]
        if closing is None:
            index += 1
            continue
        start, end = markers[index][0], text.find("\n", markers[closing][0])
        pieces.append(text[kept:start])
        kept = len(text) if end < 0 else end
        index = closing + 1
    pieces.append(text[kept:])
    return "".join(pieces)


def split_text(text: str) -> tuple[str, str]:
    """``(headings, body)`` of a Markdown page: link targets and markup dropped, code kept as text.

    Time linear in the length of ``text``, whatever it holds.
    """
    headings = " \n".join(heading for match in _HEADING.finditer(_without_fences(text))
                          if (heading := match.group(1).rstrip(" \t#")))
    body = _HEADING.sub(" ", text)
    body = _WIKILINK.sub(lambda m: (m.group(2) or m.group(1)).replace("_", " "), body)
    body = _MD_LINK.sub(r"\1", body)
    body = _HTML_TAG.sub(" ", body)
    body = _FOOTNOTE_REF.sub("", _TABLE_RULE.sub("", body))
    body = _EMPHASIS.sub("", _BLOCK_MARKERS.sub("", body)).replace("|", " ")
    return headings, body


def wiki_links(text: str) -> set[str]:
    """The pages ``text`` links to with ``[[...]]``, as the renderer sees them (not inside code)."""
    text = _INLINE_CODE.sub("", _without_fences(text))
    found = set()
    for match in _WIKILINK.finditer(text):
        target = match.group(1).strip().partition("#")[0]
        try:
            found.add(names.normalize_page_name(target))
        except InvalidPageName:
            continue
    return found


def indexed_parts(text: str, page: str = "") -> tuple[str, str, set[str]]:
    """``(headings, body, links)`` of a page as the index keeps them.

    Never fails: a page too long, or one the scanning fails on, is indexed as plain text without
    headings or links, so that it is indexed once and no request tries again.
    """
    if len(text) > MAX_INDEXED_CHARS:
        logger.warning("Page %r has %d characters; indexing its start as plain text.", page, len(text))
        return "", text[:MAX_INDEXED_CHARS], set()
    try:
        headings, body = split_text(text)
        return headings, body, wiki_links(text)
    except Exception:
        logger.exception("Could not index page %r; indexing it as plain text.", page)
        return "", text, set()


@functools.cache
def _folding_table() -> dict[int, str]:
    """What :func:`search_form` maps characters to after lowering them, one character for one."""
    table = {0x3C2: "σ"}  # final sigma, which Python lowers by context and unicode61 folds to σ
    for code in itertools.chain(range(0xC0, 0x250), range(0x1E00, 0x1F00)):  # Latin letters with marks
        base = unicodedata.normalize("NFD", chr(code))[0]
        if base != chr(code) and base.isascii() and base.isalpha():
            table[code] = base.lower()
    return table


def search_form(text: str) -> str:
    """``text`` as the index compares it (lower case, Latin letters without marks), as long as ``text``.

    unicode61 with ``remove_diacritics 2`` folds the same way: ``É`` and ``é`` are ``e``, but
    ``й`` stays ``й``. Keeping the length keeps every offset valid in the original text.
    """
    text = text.replace("\u0130", "i").lower()
    return text.translate(_folding_table()) if _FOLDED.search(text) else text  # translate is slow on CJK


@dataclass(frozen=True)
class _Phrases:
    """The terms of a query as patterns that find their occurrences in :func:`search_form` text.

    ``finder`` finds where a phrase may start: the first :data:`PHRASE_LEAD` tokens of any of them,
    at the start of a token (its lookbehind follows the first character, so that the regex engine
    skips ahead to the characters that can start one). ``wholes[i]`` is phrase ``i``, tried where
    the finder stops, and has ``lengths[i]`` tokens; longer phrases come first, so where phrases
    overlap the longest is found. Tokens are literals and separator runs possessive: nothing
    backtracks, and the finder's time is linear in the text.
    """

    finder: re.Pattern[str] | None
    wholes: tuple[re.Pattern[str], ...]
    lengths: tuple[int, ...]

    @classmethod
    def of(cls, terms: Iterable[tuple[str, bool]]) -> _Phrases:
        phrases = {}
        for text, prefix in terms:
            tokens = tuple(_TOKEN.findall(search_form(text)))
            if tokens:
                phrases[tokens, prefix] = None
        ordered = sorted(phrases, key=lambda phrase: -len(phrase[0]))
        if not ordered:
            return cls(None, (), ())

        def pattern(tokens: tuple[str, ...], prefix: bool) -> str:
            return r"[\W_]++".join(map(re.escape, tokens)) + (r"[^\W_]*+" if prefix else "") + r"(?![^\W_])"

        leads = []
        for tokens, prefix in ordered:
            first = re.escape(tokens[0][0])
            lead = pattern(tokens[:PHRASE_LEAD], prefix and len(tokens) <= PHRASE_LEAD)
            leads.append(first + rf"(?<![^\W_]{first})" + lead[len(first):])
        return cls(re.compile("|".join(leads)), tuple(re.compile(pattern(*phrase)) for phrase in ordered),
                   tuple(len(tokens) for tokens, _ in ordered))

    def occurrences(self, text: str, low: int = 0, high: int | None = None) -> Iterator[tuple[int, int, int]]:
        """``(start, end, phrase)`` of each occurrence in ``text[low:high]``, in order, none overlapping.

        Stops after :data:`SNIPPET_MATCHES` places where one may start, so that a page with a
        million matches, or a million near misses of a long phrase, costs no more than a thousand.
        """
        if self.finder is None:
            return
        high = len(text) if high is None else high
        position = low
        for _ in range(SNIPPET_MATCHES):
            found = self.finder.search(text, position, high)
            if found is None:
                return
            start, position = found.start(), found.start() + 1
            for phrase, whole in enumerate(self.wholes):
                match = whole.match(text, start, high)
                if match:
                    yield start, match.end(), phrase
                    position = match.end()
                    break


def _token_start_before(text: str, position: int, count: int) -> int:
    """Where the ``count``-th token before ``position`` starts (the first token's start if fewer).

    Reads backwards in growing steps, so the time is linear in the distance gone back.
    """
    if count <= 0:
        return position
    width = 16 * count
    while True:
        low = max(0, position - width)
        starts = [match.start() for match in _TOKEN.finditer(text, low, position)]
        if low > 0:
            starts = starts[1:]  # the first may be the end of a token that starts before ``low``
        if len(starts) >= count:
            return starts[-count]
        if low == 0:
            return starts[0] if starts else position
        width *= 4


def _best_window(text: str, phrases: _Phrases) -> tuple[int, int]:
    """``(offset, tokens)``: where the best group of matches starts, and how many tokens it spans.

    The best group holds the most distinct phrases within :data:`SNIPPET_TOKENS` tokens, the first
    such; ``(0, 0)`` when ``text`` has none. Matches are read in order and the search stops at a
    group holding every phrase, or after :data:`SNIPPET_MATCHES` matches, so a page with a
    million matches costs no more than one with a thousand.
    """
    best = (0, 0, 0)  # (distinct phrases, offset, tokens)
    window: deque[tuple[int, int, int]] = deque()  # (first token, offset, phrase) of the matches in reach
    counts: Counter[int] = Counter()
    last, end = -1, 0  # the last token of the previous match and where it ends
    for start, stop, phrase in phrases.occurrences(text):
        # Token numbers are exact up to SNIPPET_TOKENS apart, which is all the window needs to know.
        gap = sum(1 for _ in itertools.islice(_TOKEN.finditer(text, end, start), SNIPPET_TOKENS))
        first = last + 1 + gap
        last, end = first + phrases.lengths[phrase] - 1, stop
        window.append((first, start, phrase))
        counts[phrase] += 1
        while last - window[0][0] >= SNIPPET_TOKENS and len(window) > 1:
            counts[window[0][2]] -= 1
            if not counts[window[0][2]]:
                del counts[window[0][2]]
            window.popleft()
        if len(counts) > best[0]:
            best = (len(counts), window[0][1], last - window[0][0] + 1)
        if best[0] == len(phrases.lengths):
            break
    return best[1], best[2]


def snippet(body: str, phrases: _Phrases) -> tuple[tuple[str, bool], ...]:
    """About :data:`SNIPPET_TOKENS` tokens of ``body`` around its best matches, as ``(text, marked)`` pieces.

    The shape of FTS5's ``snippet()``: the matches centred, an ellipsis where text is left out, a
    phrase marked as one piece; but in time linear in the page whatever it holds (usually far
    less: the first matches decide), and at most :data:`SNIPPET_MAX_CHARS` long.
    """
    text = search_form(body)
    anchor, span = _best_window(text, phrases)
    start = _token_start_before(text, anchor, (SNIPPET_TOKENS - span) // 2) if span else anchor
    tokens = list(itertools.islice(_TOKEN.finditer(text, start), SNIPPET_TOKENS + 1))
    if len(tokens) < SNIPPET_TOKENS:  # near the end: show more of what comes before
        start = _token_start_before(text, start, SNIPPET_TOKENS - len(tokens))
        tokens = list(itertools.islice(_TOKEN.finditer(text, start), SNIPPET_TOKENS + 1))
    if not tokens:
        return ()
    at_start = _TOKEN.search(text, 0, tokens[0].start()) is None
    at_end = len(tokens) <= SNIPPET_TOKENS
    low = 0 if at_start else tokens[0].start()
    high = len(text) if at_end else tokens[SNIPPET_TOKENS - 1].end()
    if high - low > SNIPPET_MAX_CHARS:  # very long tokens or separators: keep the text about the match
        low = max(low, min(anchor - SNIPPET_MAX_CHARS // 4, high - SNIPPET_MAX_CHARS))
        high = low + SNIPPET_MAX_CHARS
        at_start, at_end = at_start and low == 0, at_end and high == len(text)
    pieces: list[tuple[str, bool]] = [(ELLIPSIS, False)] if not at_start else []
    for begin, stop, _phrase in phrases.occurrences(text, low, high):
        pieces += [(body[low:begin], False), (body[begin:stop], True)]
        low = stop
    pieces += [(body[low:high], False)] + ([(ELLIPSIS, False)] if not at_end else [])
    joined: list[tuple[str, bool]] = []
    for piece, marked in pieces:
        piece = piece.replace(CJK_SEPARATOR, "")
        if not piece:
            continue
        if joined and joined[-1][1] == marked:
            joined[-1] = (joined[-1][0] + piece, marked)
        else:
            joined.append((piece, marked))
    return tuple(joined)


def _section_range(section: str) -> tuple[str, str]:
    """Bounds such that ``low <= page < high`` holds exactly for pages under ``section/``."""
    return section + "/", section + "0"  # '0' is the character after '/'


class SearchIndex:
    """The index database of one wiki; thread-safe (one connection per thread), multi-process safe."""

    def __init__(self, path: str | Path, store: Store) -> None:
        self.path = Path(path)
        self.store = store
        self._local = threading.local()

    # ------------------------------------------------------------------ connection and sync

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=60, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.executescript(SCHEMA)
            if "language" not in {row[1] for row in connection.execute("PRAGMA table_info(pages)")}:
                connection.execute("ALTER TABLE pages ADD COLUMN language TEXT NOT NULL DEFAULT ''")  # schema 2
            self._local.connection = connection
        return connection

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction that holds the database's write lock from the start."""
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _meta(self, connection: sqlite3.Connection, key: str) -> str | None:
        row = connection.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def indexed_commit(self) -> str | None:
        """The commit the index reflects, or ``None`` when it is empty."""
        return self._meta(self._connection(), "commit")

    def sync(self) -> str | None:
        """Bring the index to the branch tip and return the tip; cheap when nothing changed.

        The work is committed in transactions of about :data:`INDEX_CHUNK_SECONDS`, and a page
        already indexed at its current blob is skipped, so a request stopped midway (a worker
        timeout) leaves its work for the next one instead of having it start over.
        """
        head = self.store.head()
        connection = self._connection()
        if head is None or (self._meta(connection, "commit") == head
                            and self._meta(connection, "schema") == SCHEMA_VERSION):
            return head
        with self._write() as connection:
            if self._meta(connection, "schema") != SCHEMA_VERSION:
                self._clear(connection)
                connection.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            indexed = self._meta(connection, "commit")  # another worker may have done it meanwhile
        if indexed == head:
            return head
        full = indexed is None or not self.store.commit_exists(indexed)
        pages: list[str] = []
        gone: list[str] = []
        if full:
            pages = list(self.store.list_pages(head))
            pages += [names.version_page(state.page, state.language)
                      for state in self.store.translation_overview(head) if state.blob is not None]
            stored = {row[0] for row in connection.execute("SELECT page FROM pages")}
            gone = sorted(stored - set(pages))
        else:
            for status, path in self.store.changed_files(indexed, head):
                version = names.version_from_file(path)
                page = names.version_page(*version) if version else names.page_from_file(path)
                if page is not None:
                    (gone if status == "D" else pages).append(page)
        self._index_pages(head, pages, gone)
        with self._write() as connection:
            if self._meta(connection, "commit") != indexed:  # another worker finished first
                return head
            if full:
                connection.execute("DELETE FROM sections")
                sections = {""} | {section for page in pages for section in names.page_sections(page)}
                self._record_sections(connection, self.store.commits_with_files(None, head), sections)
            else:
                self._record_sections(connection, self.store.commits_with_files(indexed, head), None)
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('commit', ?)", (head,))
        return head

    def rebuild(self) -> str | None:
        """Drop everything and index the tip again (the CLI's ``search-index --rebuild``)."""
        with self._write() as connection:
            self._clear(connection)
        return self.sync()

    def _clear(self, connection: sqlite3.Connection) -> None:
        for table in ("meta", "pages", "docs", "links", "sections"):
            connection.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names

    def _index_pages(self, commit: str, pages: list[str], gone: list[str]) -> None:
        """Index ``pages`` as of ``commit`` and drop ``gone``, committing every few seconds."""
        work = [(page, True) for page in gone] + [(page, False) for page in pages]
        position = 0
        while position < len(work):
            with self._write() as connection:
                deadline = time.monotonic() + INDEX_CHUNK_SECONDS
                while position < len(work):
                    page, removed = work[position]
                    position += 1
                    if removed:
                        self._remove_page(connection, page)
                    else:
                        self._index_page(connection, page, commit)
                    if time.monotonic() >= deadline:
                        break

    def _index_page(self, connection: sqlite3.Connection, page: str, commit: str) -> None:
        try:
            revision = self.store.read_page(page, commit)
        except PageNotFound:
            self._remove_page(connection, page)
            return
        if connection.execute("SELECT 1 FROM pages JOIN docs ON docs.rowid = pages.id "
                              "WHERE pages.page = ? AND pages.blob = ?", (page, revision.blob_id)).fetchone():
            return  # indexed by an earlier sync that did not finish
        self._remove_page(connection, page)
        version = names.version_from_file(names.page_file(page))  # a language version, or None
        text = split_header(revision.text)[1] if version else revision.text
        language = version[1] if version else self.store.translations.source_language
        cursor = connection.execute("INSERT INTO pages(page, blob, language) VALUES (?, ?, ?)",
                                    (page, revision.blob_id, language))
        headings, body, links = indexed_parts(text, page)
        title = names.page_title(version[0] if version else page)
        connection.execute("INSERT INTO docs(rowid, title, headings, body) VALUES (?, ?, ?, ?)",
                           (cursor.lastrowid, fold(title), fold(headings), fold(body)))
        if version is None:  # what links here and wanted pages follow the originals
            connection.executemany("INSERT OR IGNORE INTO links(source, target) VALUES (?, ?)",
                                   [(page, target) for target in links if target != page])

    def _remove_page(self, connection: sqlite3.Connection, page: str) -> None:
        row = connection.execute("SELECT id FROM pages WHERE page = ?", (page,)).fetchone()
        if row is not None:
            connection.execute("DELETE FROM docs WHERE rowid = ?", (row[0],))
            connection.execute("DELETE FROM pages WHERE id = ?", (row[0],))
        connection.execute("DELETE FROM links WHERE source = ?", (page,))

    def _record_sections(self, connection: sqlite3.Connection,
                         commits: Iterable[tuple[CommitInfo, list[str]]], wanted: set[str] | None) -> None:
        """Record, per folder, the newest of ``commits`` (newest first) that changed a file in it.

        With ``wanted``, stop as soon as each of those sections has its commit, so a rebuild does
        not read the whole history when every section changed recently.
        """
        done: set[str] = set()
        for commit, paths in commits:
            touched = {""}
            for path in paths:
                touched.update(names.page_sections(path))
            for section in touched - done:
                done.add(section)
                connection.execute(
                    "INSERT OR REPLACE INTO sections VALUES (?, ?, ?, ?, ?, ?)",
                    (section, commit.id, commit.timestamp, commit.author_name,
                     commit.group or self.store.pushed_group(commit.id), commit.subject))
            if wanted is not None and wanted <= done:
                return

    # ------------------------------------------------------------------ queries

    def search(self, query: str, *, section: str | None = None, language: str | None = None, number: int = 1,
               per_page: int = 20, offset: int | None = None) -> Results:
        """Pages matching ``query``, best first (bm25, titles and headings weigh more), paged (by
        ``number``, or from ``offset`` hits on); the originals and their language versions alike,
        or those in ``language`` only."""
        expression = match_expression(query)
        if expression is None:
            return Results(hits=(), total=0, valid=False)
        self.sync()
        where = "docs MATCH ?"
        params: list[object] = [expression]
        if section:
            where += " AND pages.page >= ? AND pages.page < ?"
            params.extend(_section_range(section))
        if language:
            where += " AND pages.language = ?"
            params.append(language)
        connection = self._connection()
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
            return Results(hits=(), total=0, valid=False)
        phrases = _Phrases.of(query_terms(query))
        hits = []
        for key, language, body in rows:
            version = names.version_from_file(names.page_file(key))
            page = version[0] if version else key
            hits.append(Hit(page=page, title=names.page_title(page), section=page.rpartition("/")[0],
                            snippet=snippet(body[0] if body else "", phrases),
                            language="" if version is None else language))
        hits = tuple(hits)
        return Results(hits=hits, total=total, valid=True)

    def search_texts(self, query: str, texts: dict[str, str]) -> Results:
        """Those of ``texts`` (page -> Markdown, not indexed) that hold every term of ``query``, with
        snippets: a search limited to the pages a proposal changes, as the proposal makes them.
        Linear in the texts, like the index's own scanning."""
        terms = query_terms(query)
        if match_expression(query) is None or not terms:
            return Results(hits=(), total=0, valid=False)
        singles = [_Phrases.of([term]) for term in terms]
        phrases = _Phrases.of(terms)
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
        self.sync()
        rows = self._connection().execute(
            "SELECT source FROM links WHERE target = ? ORDER BY source", (page,)).fetchall()
        return [row[0] for row in rows]

    def wanted(self) -> list[tuple[str, list[str]]]:
        """Links to pages that do not exist, each with the pages linking to it; most wanted first."""
        self.sync()
        rows = self._connection().execute(
            "SELECT target, source FROM links WHERE target NOT IN (SELECT page FROM pages) "
            "ORDER BY target, source").fetchall()
        wanted: dict[str, list[str]] = {}
        for target, source in rows:
            wanted.setdefault(target, []).append(source)
        return sorted(wanted.items(), key=lambda item: (-len(item[1]), item[0].casefold()))

    def section_changes(self) -> dict[str, SectionChange]:
        """The last change of every folder (``""`` is the whole wiki)."""
        self.sync()
        rows = self._connection().execute(
            "SELECT section, commit_id, timestamp, author, grp, subject FROM sections").fetchall()
        return {row[0]: SectionChange(*row[1:]) for row in rows}
