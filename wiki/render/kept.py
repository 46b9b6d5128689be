"""Renderings kept for every worker and across restarts: a derived index keyed by blob id.

A page's HTML is a function of its text (named by its blob id), of the renderer (this package's
code and the libraries it runs, :func:`renderer_version`) and of where the wiki's pages are (the
address a wiki link gets). A row keyed by all three is never stale, and the file can be deleted at
any time: it fills again. Without it every worker rendered every page again after each start
(~5-40 ms a page: most of a restarted worker's first page view, issue 26); now the first worker
to render a version of a page renders it for all of them, and for the next start.

Bounded: at most :data:`MAX_ROWS` renderings, the oldest written removed first. A cache must never
fail a page view: when the file cannot be read or written (locked for long, disk full, read-only),
the page is rendered as before and the error logged.
"""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import threading
import time
from pathlib import Path

import markdown
import nh3
import pygments

from ..database import derived_sqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS rendered (
    key TEXT PRIMARY KEY, body TEXT NOT NULL, links TEXT NOT NULL, fallback INTEGER NOT NULL,
    written REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS rendered_by_age ON rendered (written);
"""
MAX_ROWS = 10_000  # ~2,000 pages in a few versions and languages; ~100-300 MB at most
PRUNE_EVERY = 100  # writes between two checks of the size
TIMEOUT_SECONDS = 1.0  # a page view renders rather than wait longer for another worker's write
# What the HTML depends on besides the text: the code that renders, and the libraries it runs.
RENDERER_FILES = ("render", "wikilinks.py", "names.py")
RENDERER_LIBRARIES = (markdown, pygments, nh3)

logger = logging.getLogger(__name__)


def renderer_version() -> str:
    """A digest of the renderer's code and libraries: renderings made by other code are not found."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for name in RENDERER_FILES:
        path = package / name
        for file in sorted(path.glob("*.py")) if path.is_dir() else [path]:
            digest.update(file.name.encode() + b"\0" + file.read_bytes() + b"\0")
    for library in RENDERER_LIBRARIES:
        digest.update(f"{library.__name__}=={library.__version__}\0".encode())
    return digest.hexdigest()


class KeptRenderings:
    """The table of renderings; thread-safe (a connection per thread), shared by processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()
        self._version: str | None = None
        self._writes = 0

    def key(self, blob: str, link_base: str) -> str:
        """The row of ``blob`` rendered by this renderer with wiki links built as ``link_base`` shows."""
        if self._version is None:
            self._version = renderer_version()
        return hashlib.sha256(f"{self._version}\0{link_base}\0{blob}".encode()).hexdigest()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = derived_sqlite(self.path, SCHEMA, timeout=TIMEOUT_SECONDS)
        return connection

    def get(self, key: str) -> tuple[str, frozenset[str], bool] | None:
        """``(body, links, fallback)`` kept under ``key``, or ``None``."""
        try:
            row = self._connection().execute("SELECT body, links, fallback FROM rendered WHERE key = ?",
                                             (key,)).fetchone()
        except sqlite3.Error as error:
            logger.warning("Kept renderings unreadable (%s): %s", self.path, error)
            return None
        if row is None:
            return None
        body, links, fallback = row
        return body, frozenset(json.loads(links)), bool(fallback)

    def put(self, key: str, body: str, links: frozenset[str], fallback: bool) -> None:
        """Keep a rendering (then, now and again, remove the oldest beyond :data:`MAX_ROWS`)."""
        try:
            connection = self._connection()
            connection.execute("INSERT OR REPLACE INTO rendered (key, body, links, fallback, written)"
                               " VALUES (?, ?, ?, ?, ?)",
                               (key, body, json.dumps(sorted(links)), int(fallback), time.time()))
            self._writes += 1
            if self._writes % PRUNE_EVERY == 0:
                connection.execute("DELETE FROM rendered WHERE key IN (SELECT key FROM rendered"
                                   " ORDER BY written DESC LIMIT -1 OFFSET ?)", (MAX_ROWS,))
        except sqlite3.Error as error:
            logger.warning("Could not keep a rendering in %s: %s", self.path, error)
