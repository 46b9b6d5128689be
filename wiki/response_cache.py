"""Anonymous page views answered from stored response bytes, before any per-request machinery.

A page view by a reader who is not logged in is a function of the store's cache token, the URL
and the interface language: what its ETag hashes (``http_cache``). So the whole answer (status,
headers, body) of such a view is kept, per process, under those, and the next identical view is
answered by this WSGI middleware from the environ alone: no request context, session, flask-login,
CSRF, language negotiation beyond the key, routing or templating. Its headers are the ones the
normal path sent (CSP, Cache-Control, Vary, ETag), byte for byte.

Only what the page view marks with :func:`keep_response` is kept (it knows the page was rendered
at the token's tip), and only for requests that carry no credentials: no cookie but ``lang``, no
``Authorization``; an ``If-None-Match`` goes the normal way (a 304 before rendering). Entries are
keyed by object ids, so they are never stale: a commit, an endorsement or a comment by anyone
makes new keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, request
from werkzeug.http import parse_cookie

from .i18n import LANGUAGE_COOKIE, visitor_language
from .store import LRUCache, Store

MAX_KEPT_BYTES = 1_000_000
ENTRIES = 512
# What an absolute URL in the page is built from, besides the path (a proxy's forwarded headers).
_ORIGIN = ("SCRIPT_NAME", "HTTP_HOST", "wsgi.url_scheme", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO",
           "HTTP_X_FORWARDED_PREFIX", "HTTP_X_FORWARDED_PORT")
_KEEP = "wiki.keep_response"

StartResponse = Callable[..., Any]
Entry = tuple[str, list[tuple[str, str]], bytes]


def response_key(environ: dict[str, Any], token: tuple[str, ...]) -> tuple[str, ...] | None:
    """The key of an anonymous GET (the ETag's parts: token, URL, language), or ``None`` when the
    request may carry a login or asks for revalidation."""
    if environ.get("REQUEST_METHOD") != "GET" or "HTTP_AUTHORIZATION" in environ or "HTTP_IF_NONE_MATCH" in environ:
        return None
    language_cookie = ""
    if cookie_header := environ.get("HTTP_COOKIE"):
        cookies = parse_cookie(cookie_header)
        if any(name != LANGUAGE_COOKIE for name in cookies):
            return None  # a session or remember cookie: maybe logged in, maybe a flash waiting
        language_cookie = cookies.get(LANGUAGE_COOKIE, "")
    language = visitor_language(language_cookie, environ.get("HTTP_ACCEPT_LANGUAGE"))
    return (*token, environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""), language,
            *(str(environ.get(name, "")) for name in _ORIGIN))


def keep_response(token: tuple[str, ...]) -> None:
    """Called by a view whose answer is the same for every anonymous reader with this request's
    key, rendered at ``token``: keep the answer's bytes (if the answer turns out public)."""
    request.environ[_KEEP] = token


class ResponseCache:
    """The WSGI middleware: answers kept views from memory, passes everything else through."""

    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]], store: Store) -> None:
        self.wsgi_app = wsgi_app
        self.store = store
        self.entries: LRUCache[tuple[str, ...], Entry] = LRUCache(ENTRIES)
        self.hits = 0

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if "/-/" in environ.get("PATH_INFO", "/-/"):  # site pages, actions, the API, static files
            return self.wsgi_app(environ, start_response)
        key = response_key(environ, self.store.cache_token())
        if key is not None and (entry := self.entries.lookup(key)) is not None:
            self.hits += 1
            status, headers, body = entry
            start_response(status, list(headers))
            return [body]
        if key is None:
            return self.wsgi_app(environ, start_response)
        sent: list[Any] = []

        def recording_start_response(status: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            sent[:] = [status, list(headers)]
            return start_response(status, headers, *rest)

        answer = self.wsgi_app(environ, recording_start_response)
        token = environ.get(_KEEP)
        if token is None or not sent or not _shareable(*sent):
            return answer
        try:
            body = b"".join(answer)
        finally:
            if hasattr(answer, "close"):
                answer.close()
        kept_key = response_key(environ, token)
        if kept_key is not None and len(body) <= MAX_KEPT_BYTES:
            self.entries.put(kept_key, (sent[0], sent[1], body))
        return [body]


def _shareable(status: str, headers: list[tuple[str, str]]) -> bool:
    """A 200 the normal path made public (``http_cache``), setting no cookie."""
    names = {name.lower(): value for name, value in headers}
    return (status.startswith("200 ") and names.get("cache-control", "").startswith("public")
            and "set-cookie" not in names and "etag" in names)


def init_app(app: Flask) -> None:
    """Put the middleware in front of the app (outermost): only for wikis anyone may read."""
    if not app.config["PUBLIC_READ"]:
        return
    cache = ResponseCache(app.wsgi_app, app.extensions["wiki_store"])
    app.extensions["wiki_response_cache"] = cache
    app.wsgi_app = cache  # type: ignore[method-assign]
