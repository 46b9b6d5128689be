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

import fcntl
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .. import names
from ..database import derived_sqlite
from ..errors import PageNotFound
from ..store import CommitInfo, Store
from ..store.translations import split_header
from . import parts
from .tokens import fold

SCHEMA_VERSION = "3"  # bump when what is indexed changes: old indexes rebuild themselves
# A query indexes at most this many changed pages itself (an edit, a small push: milliseconds);
# more are left to the background builder, and the query answers from what is indexed.
INLINE_PAGES = 50
BUILDER_NICENESS = 10
INDEX_CHUNK_SECONDS = 2.0  # a sync commits its work at least this often, so none is lost to a timeout

logger = logging.getLogger(__name__)

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

class _Stopped(Exception):
    """The process is exiting: the builder leaves its work for the next one."""


@dataclass(frozen=True)
class _Plan:
    """A build: index ``pages`` and drop ``gone`` as of ``head``; ``indexed`` is the commit the index
    reflected when planned, ``full`` whether it is built from scratch (that commit is unknown)."""

    head: str
    indexed: str | None
    full: bool
    pages: list[str]
    gone: list[str]


class Index:
    """The index database of one wiki; thread-safe (one connection per thread), multi-process safe."""

    def __init__(self, path: str | Path, store: Store) -> None:
        self.path = Path(path)
        self.lock_path = self.path.with_name(self.path.name + ".lock")
        self.store = store
        self._local = threading.local()
        self._wanted = threading.Event()
        self._stopping = threading.Event()
        # Called by the builder thread between two pages: the app lets its requests go first.
        self.pause: Callable[[], None] = lambda: None
        self._thread: threading.Thread | None = None
        self._thread_lock = threading.Lock()
        self._busy = False
        self._pid = 0

    def connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = derived_sqlite(self.path, SCHEMA, timeout=60)
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

        Waits for a build under way in another thread or process (the CLI and the background
        builder call this; queries call :meth:`refresh`, which never waits). The work is committed
        in transactions of about :data:`INDEX_CHUNK_SECONDS`, and a page already indexed at its
        current blob is skipped, so a build stopped midway (a worker timeout, a restart) leaves its
        work for the next one instead of having it start over.
        """
        head = self.store.head()
        if self._current(head):
            return head
        with self._build_lock(wait=True):
            plan = self._plan(head)
            if plan is not None:
                self._apply(plan)
        return head

    def refresh(self) -> bool:
        """Whether the index reflects the branch tip, after bringing it there if that is little
        work (at most :data:`INLINE_PAGES` pages to index, as after an edit). Never waits: when
        another thread or process is building, or the work is larger, the build goes on (or is
        started) in the background and the caller answers from what is indexed."""
        head = self.store.head()
        if self._current(head):
            return True
        with self._build_lock(wait=False) as held:
            if held:
                plan = self._plan(head, limit=INLINE_PAGES)
                if plan is None:
                    return True
                if len(plan.pages) + len(plan.gone) <= INLINE_PAGES:
                    self._apply(plan)
                    return True
        self.build_in_background()
        return False

    def building(self) -> bool:
        """Whether a build is under way in some thread or process (it holds the build lock)."""
        with self._build_lock(wait=False) as held:
            return not held

    def build_in_background(self) -> None:
        """Bring the index to the tip in this process's builder thread (started if needed); cheap
        when it is there already. Only one process builds at a time (the build lock)."""
        self._wanted.set()
        with self._thread_lock:
            if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
                self._pid = os.getpid()
                self._thread = threading.Thread(target=self._build_loop, name="search-index", daemon=True)
                self._thread.start()

    def wait_for_build(self, timeout: float) -> bool:
        """Wait until this process's builder has nothing left to do; whether it finished in time."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._wanted.is_set() and not self._busy:
                return True
            time.sleep(0.01)
        return False

    def stop(self, timeout: float) -> None:
        """Stop this process's builder between two pages (at exit: a daemon thread stopped inside
        a git read makes the interpreter abort at shutdown); what it indexed so far is kept."""
        self._stopping.set()
        self._wanted.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def _build_loop(self) -> None:
        try:  # Linux: a lower priority for this thread only, so readers' requests go first
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), BUILDER_NICENESS)
        except (AttributeError, OSError):
            pass
        while self._wanted.wait(timeout=60) and not self._stopping.is_set():
            self._busy = True
            self._wanted.clear()
            try:
                self.sync()
            except _Stopped:
                return
            except Exception:
                if not self._stopping.is_set():  # at exit, git's children are stopped too
                    logger.exception("Building the search index failed; the next query or push tries again.")
            finally:
                self._busy = False
                self.close()  # this thread's connection

    @contextmanager
    def _build_lock(self, *, wait: bool) -> Iterator[bool]:
        """Hold the build lock (a file lock beside the database, shared by all processes):
        ``True`` once held, ``False`` without waiting when another holds it and ``wait`` is false."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True  # closing the file releases the lock

    def _current(self, head: str | None) -> bool:
        connection = self.connection()
        return head is None or (self._meta(connection, "commit") == head
                                and self._meta(connection, "schema") == SCHEMA_VERSION)

    def _plan(self, head: str, limit: int | None = None) -> _Plan | None:
        """What bringing the index from the commit it reflects to ``head`` takes; ``None`` if nothing.

        With ``limit``, a build from scratch of more pages than that is planned no further (its
        ``pages`` are then the originals only): the caller leaves it to the background builder.
        """
        with self._write() as connection:
            if self._meta(connection, "schema") != SCHEMA_VERSION:
                self._clear(connection)
                connection.execute("INSERT INTO meta VALUES ('schema', ?)", (SCHEMA_VERSION,))
            indexed = self._meta(connection, "commit")  # another worker may have done it meanwhile
        if indexed == head:
            return None
        full = indexed is None or not self.store.commit_exists(indexed)
        pages: list[str] = []
        gone: list[str] = []
        if full:
            pages = list(self.store.list_pages(head))
            if limit is not None and len(pages) > limit:
                return _Plan(head, indexed, full, pages, [])
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
        return _Plan(head, indexed, full, pages, gone)

    def _apply(self, plan: _Plan) -> None:
        self._index_pages(plan.head, plan.pages, plan.gone)
        with self._write() as connection:
            if self._meta(connection, "commit") != plan.indexed:
                return  # another worker finished first
            if plan.full:
                connection.execute("DELETE FROM sections")
                sections = {""} | {section for page in plan.pages for section in names.page_sections(page)}
                self._record_sections(connection, self.store.commits_with_files(None, plan.head), sections)
            else:
                self._record_sections(connection, self.store.commits_with_files(plan.indexed, plan.head), None)
            connection.execute("INSERT OR REPLACE INTO meta VALUES ('commit', ?)", (plan.head,))

    def rebuild(self) -> str | None:
        """Drop everything and index the tip again (the CLI's ``search-index --rebuild``)."""
        with self._build_lock(wait=True):
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
                    if self._stopping.is_set():
                        raise _Stopped
                    if threading.current_thread() is self._thread:
                        self.pause()
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
            if self._stopping.is_set():
                raise _Stopped
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
