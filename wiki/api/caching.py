"""ETags and conditional requests for API reads, and the answers kept in memory.

Most reads depend only on the URL and the store's cache token (the branch tip and the notes'
tips: object ids, see :meth:`wiki.store.Store.cache_token`), so their ETag is a hash of those and
``If-None-Match`` is answered with a 304 before anything is read; the encoded answer is also kept
(by that ETag) so the next read of the same page is a lookup, as anonymous page views are. Reads
that depend on other refs (proposals, versions) hash the answer itself instead.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, g, request

from ..http_cache import document_token
from ..store import LRUCache
from .openapi import API_VERSION

MAX_KEPT_BYTES = 256 * 1024  # larger answers are encoded each time rather than kept
VARY = "Authorization, Cookie"


def _kept() -> LRUCache[str, tuple[bytes, str]]:
    """Encoded answers and their next-page links, by ETag (per process)."""
    return current_app.extensions.setdefault("wiki_api_answers", LRUCache(1024))


def encode(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def json_response(data: Any, status: int = 200, *, headers: dict[str, str] | None = None) -> Response:
    """A JSON answer (never cached: for changes and their results)."""
    response = Response(encode(data), status, mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _answer(body: bytes, etag: str, status: int = 200) -> Response:
    response = Response(body if status == 200 else b"", status, mimetype="application/json")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"  # may be stored, but asked again (If-None-Match) each time
    response.headers["Vary"] = VARY
    if status == 200 and (link := g.get("api_next")):
        response.headers["Link"] = f'<{link}>; rel="next"'
    return response


def token_etag() -> str:
    """The ETag of a read that depends on the URL and the store's cache token only."""
    parts = (current_app.extensions["wiki_cache_salt"], API_VERSION, *document_token(), request.full_path)
    return hashlib.sha1("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def read(compute: Callable[[], Any], *, by_token: bool = True) -> Response:
    """Answer a GET with ``compute()`` as JSON, an ETag, and a 304 to a matching ``If-None-Match``.

    ``by_token``: the answer is a function of the URL and the cache token (a 304 needs no work
    then, and the encoded answer is kept); otherwise the ETag is the answer's own hash.
    """
    if by_token:
        etag = token_etag()
        if etag in request.if_none_match:
            return _answer(b"", etag, 304)
        kept = _kept().lookup(etag)
        if kept is not None:
            g.api_next = kept[1]
            return _answer(kept[0], etag)
        body = encode(compute())
        if g.get("api_incomplete"):  # no ETag either: a 304 to it later would keep the incomplete answer
            response = _answer(body, etag)
            del response.headers["ETag"]
            response.headers["Cache-Control"] = "no-store"
            return response
        if len(body) <= MAX_KEPT_BYTES:
            _kept().put(etag, (body, g.get("api_next") or ""))
        return _answer(body, etag)
    body = encode(compute())
    etag = hashlib.sha1(body).hexdigest()
    if etag in request.if_none_match:
        return _answer(b"", etag, 304)
    return _answer(body, etag)

