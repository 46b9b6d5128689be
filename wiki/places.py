"""Where threads' passages are in page texts, kept for every worker: a derived index.

A place is a pure function of a page's blob id and a thread's anchor, so a row keyed by them is
never stale and the table can be deleted at any time (it fills again). Every worker reads and
writes the same SQLite file (``ANCHOR_DATABASE``, by default ``<instance>/anchors.sqlite3``, next
to the search index): a place found once, by a request or in the background, is found for good,
even when the worker that found it is killed.

Claims let the workers of one instance share the background work: a worker takes a (blob,
anchor) for :data:`CLAIM_SECONDS` before placing it, and others leave it alone meanwhile.
"""

from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from .anchoring import Located
from .database import derived_sqlite
from .store.comment_model import Anchor

SCHEMA = """
CREATE TABLE IF NOT EXISTS places (
    blob TEXT NOT NULL, anchor TEXT NOT NULL, start INTEGER, end INTEGER, how TEXT NOT NULL,
    PRIMARY KEY (blob, anchor)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS claims (
    blob TEXT NOT NULL, anchor TEXT NOT NULL, until REAL NOT NULL, PRIMARY KEY (blob, anchor)
) WITHOUT ROWID;
"""
CLAIM_SECONDS = 120  # a worker killed while placing frees its claim after this
BATCH = 500  # keys per query (SQLite's variable limit is far above)
Key = tuple[str, str]  # (page blob id, anchor key)


def anchor_key(anchor: Anchor) -> str:
    """The anchor's identity: what locating it depends on (not the commit it was read at)."""
    fields = "\0".join((anchor.blob, anchor.quote, anchor.prefix, anchor.suffix, str(anchor.position)))
    return hashlib.sha256(fields.encode("utf-8", "surrogatepass")).hexdigest()[:40]


class PlaceIndex:
    """The table of places; thread-safe (a connection per thread), shared by processes."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._local = threading.local()

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = derived_sqlite(self.path, SCHEMA, timeout=10)
        return connection

    def get_many(self, blob: str, anchors: Iterable[str]) -> dict[str, Located | None]:
        """The stored places of ``anchors`` in ``blob`` (None: stored as not found); anchors never
        placed there are absent."""
        wanted = list(dict.fromkeys(anchors))
        found: dict[str, Located | None] = {}
        connection = self._connection()
        for first in range(0, len(wanted), BATCH):
            chunk = wanted[first:first + BATCH]
            marks = ", ".join("?" * len(chunk))
            rows = connection.execute("SELECT anchor, start, end, how FROM places"
                                      f" WHERE blob = ? AND anchor IN ({marks})", [blob, *chunk]).fetchall()
            for anchor, start, end, how in rows:
                found[anchor] = None if start is None else Located(start, end, how)
        return found

    def put(self, key: Key, located: Located | None) -> None:
        start, end, how = (located.start, located.end, located.how) if located else (None, None, "none")
        connection = self._connection()
        connection.execute("INSERT OR REPLACE INTO places (blob, anchor, start, end, how) VALUES (?, ?, ?, ?, ?)",
                           (*key, start, end, how))
        connection.execute("DELETE FROM claims WHERE blob = ? AND anchor = ?", key)

    def claim(self, key: Key, now: float | None = None) -> bool:
        """Take ``key`` to place it, unless another worker holds it or it is placed already."""
        now = time.time() if now is None else now
        connection = self._connection()
        connection.execute("BEGIN IMMEDIATE")
        try:
            placed = connection.execute("SELECT 1 FROM places WHERE blob = ? AND anchor = ?", key).fetchone()
            held = connection.execute("SELECT 1 FROM claims WHERE blob = ? AND anchor = ? AND until > ?",
                                      (*key, now)).fetchone()
            if placed or held:
                connection.execute("COMMIT")
                return False
            connection.execute("INSERT OR REPLACE INTO claims (blob, anchor, until) VALUES (?, ?, ?)",
                               (*key, now + CLAIM_SECONDS))
            connection.execute("COMMIT")
            return True
        except BaseException:
            connection.execute("ROLLBACK")
            raise
