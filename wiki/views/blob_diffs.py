"""Diffs between two versions of a page, cached by their two blob ids.

A page's diff, a proposal's changed pages and a whole-document compare all show the same thing
for a pair of blobs: the word diff of the Markdown and the formatted page with the words marked.
Blob ids never change meaning, so the answers are kept by them and never go stale: a commit to
another page, or a compare to a newer tip, reuses every pair that did not change again.
"""

from __future__ import annotations

from dataclasses import replace

from flask import current_app

from ..diffs import Diff, diff_texts
from ..htmldiff import RenderedDiff, diff_html
from ..render import Rendered, namespace_ids, render_notice
from ..store import LRUCache
from .common import renderer, store

WORD_DIFFS_KEPT = 1024
RENDERED_DIFFS_KEPT = 256

BlobPair = tuple[str | None, str | None]  # (old blob, new blob); None where the page did not exist


def _cache(name: str, capacity: int) -> LRUCache:
    return current_app.extensions.setdefault(name, LRUCache(capacity))


def _text(blob: str | None) -> str:
    return store().blob_text(blob) if blob else ""


def _rendered(blob: str | None) -> Rendered | None:
    return renderer().render(store().blob_text(blob), cache_key=blob) if blob else None


def word_diff(old_blob: str | None, new_blob: str | None) -> Diff:
    """The line diff with words marked from ``old_blob`` to ``new_blob``."""
    cache: LRUCache[BlobPair, Diff] = _cache("wiki_blob_word_diffs", WORD_DIFFS_KEPT)
    return cache.get_or_compute((old_blob, new_blob), lambda: diff_texts(_text(old_blob), _text(new_blob)))


def rendered_diff(old_blob: str | None, new_blob: str | None, id_prefix: str = "") -> RenderedDiff:
    """The new version formatted with the words inserted and deleted marked; its element ids start
    with ``id_prefix`` when several pages are shown one after another (they repeat headings).

    Kept in every reader's language: the versions' bodies are compared, and when the new version is
    shown as written (``Rendered.fallback``) its notice is put before the diff in this reader's."""
    cache: LRUCache[BlobPair, tuple[RenderedDiff, bool]] = _cache("wiki_blob_rendered_diffs", RENDERED_DIFFS_KEPT)
    kept = cache.lookup((old_blob, new_blob))
    if kept is None:
        old, new = _rendered(old_blob), _rendered(new_blob)
        kept = (diff_html(old.body if old else "", new.body if new else ""), new is not None and new.fallback)
        if (old is None or old.complete) and (new is None or new.complete):  # not a fallback made out of time
            cache.put((old_blob, new_blob), kept)
    marked, fallback = kept
    if fallback:
        marked = replace(marked, html=render_notice() + marked.html)
    return replace(marked, html=namespace_ids(marked.html, id_prefix)) if id_prefix else marked
