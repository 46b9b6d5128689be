"""The search database of one wiki: SQLite (FTS5) in the instance, brought to the branch tip.

The database is derived data: it records the commit it reflects (``meta.commit``), and
:meth:`Index.sync` compares that with the branch tip. When they differ, the files changed between
the two commits (one ``git diff-tree``) are re-indexed, however the commit was made (web edit,
push, script); when the database is missing, of another schema, or reflects a commit the
repository does not have, it is rebuilt from the tip. So it never drifts from the repository, and
a sync pays only for what changed since the last one.

A sync commits its work every few seconds and skips pages already indexed at their blob, so one
stopped by a worker timeout is continued by the next, never started over. Text goes into an FTS5
table with the ``unicode61`` tokenizer and three columns weighed by bm25: title, headings and
body; wiki links into ``links``; each folder's last change into ``sections``. No Flask import:
the store is passed in.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .. import names
from ..errors import PageNotFound
from ..store import CommitInfo, Store
from ..store.translations import split_header
from . import parts
from .tokens import fold

SCHEMA_VERSION = "3"  # bump when what is indexed changes: old indexes rebuild themselves
INDEX_CHUNK_SECONDS = 2.0  # a sync commits its work at least this often, so none is lost to a timeout

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

class Index:
    """The index database of one wiki; thread-safe (one connection per thread), multi-process safe."""

    def __init__(self, path: str | Path, store: Store) -> None:
        self.path = Path(path)
        self.store = store
        self._local = threading.local()

    def connection(self) -> sqlite3.Connection:
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
        connection = self.connection()
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
        return self._meta(self.connection(), "commit")

    def sync(self) -> str | None:
        """Bring the index to the branch tip and return the tip; cheap when nothing changed.

        The work is committed in transactions of about :data:`INDEX_CHUNK_SECONDS`, and a page
        already indexed at its current blob is skipped, so a request stopped midway (a worker
        timeout) leaves its work for the next one instead of having it start over.
        """
        head = self.store.head()
        connection = self.connection()
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
        headings, body, links = parts.indexed_parts(text, page)
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
