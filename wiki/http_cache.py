"""HTTP caching for readers (issue 18): anonymous reads carry an ``ETag`` made from the object ids
they show and ``Cache-Control: public`` with a short ``max-age`` and ``stale-while-revalidate``,
so a proxy or a CDN can serve them; ``If-None-Match`` gets a 304 before anything is rendered.

What a cacheable view shows depends only on the refs in :meth:`Store.cache_token` (the branch tip,
the endorsement and attribution notes), the URL and the interface language; the ETag hashes those
with a salt made when the process starts (a deploy or a configuration change makes new ETags).
Logged-in answers are ``private``; an answer with a flash message, a CSRF token (a form that
posts) or a cookie is never public.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import Flask, current_app, g, request, session
from flask_login import current_user
from werkzeug.wrappers import Response

from . import names
from .i18n import language

# Views whose answer is a function of the token, the URL and the language (proposals and versions
# also depend on other refs, so they are left out; search adds the calls' ref, see _other_refs).
CACHEABLE = frozenset({
    "pages.home", "pages.view", "history.history", "history.diff", "review.blame", "review.endorsements",
    "changes.changes", "changes.feed", "changes.contributions", "site.pages", "find.search", "find.backlinks",
    "find.wanted", "translations.page_translations", "translations.overview",
})
REVISION_ARGUMENTS = ("rev", "from", "to")


def document_token() -> tuple[str, ...]:
    """The store's cache token, read once per request (the ETag and the page-view cache share it)."""
    if "document_token" not in g:
        g.document_token = current_app.extensions["wiki_store"].cache_token()
    return g.document_token


def mark_incomplete() -> None:
    """This answer is degraded (work left for the background): it is neither shared nor kept."""
    g.answer_incomplete = True


def incomplete() -> bool:
    """Whether this answer was marked degraded (see :func:`mark_incomplete`)."""
    return bool(g.get("answer_incomplete"))


def _etag() -> str | None:
    """This request's ETag, or ``None`` when its answer must not be shared."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in CACHEABLE:
        return None
    if current_user.is_authenticated or session.get("_flashes") or "proposal" in request.args:
        return None
    if any(names.is_version_name(value) for key in REVISION_ARGUMENTS for value in request.args.getlist(key)):
        return None  # a version name is a tag, which the token does not cover
    parts = (current_app.extensions["wiki_cache_salt"], *document_token(), *_other_refs(), request.full_path,
             language())
    return hashlib.sha1("\0".join(parts).encode("utf-8", "surrogateescape")).hexdigest()


def _other_refs() -> tuple[str, ...]:
    """The tips of the refs beyond the document's that a cacheable view shows: search lists the
    answers to calls for input (who answered, as they consent now), so its ETag follows their branch."""
    if request.endpoint == "find.search":
        return (current_app.extensions["wiki_store"].calls.cache_token(),)
    return ()


def _public(response: Response, etag: str) -> None:
    config = current_app.config
    response.set_etag(etag)
    response.headers["Cache-Control"] = (f"public, max-age={config['HTTP_CACHE_MAX_AGE']}, "
                                         f"stale-while-revalidate={config['HTTP_CACHE_STALE']}")
    response.vary.update(("Accept-Language", "Cookie"))


def init_app(app: Flask) -> None:
    app.config.setdefault("HTTP_CACHE_MAX_AGE", 10)
    app.config.setdefault("HTTP_CACHE_STALE", 30)
    app.extensions["wiki_cache_salt"] = secrets.token_hex(8)

    @app.before_request
    def revalidate() -> Response | None:
        """Answer ``If-None-Match`` with a 304 before the view renders anything."""
        g.http_etag = etag = _etag()
        if etag is not None and etag in request.if_none_match:
            response = Response(status=304)
            _public(response, etag)
            return response
        return None

    @app.after_request
    def cache_headers(response: Response) -> Response:
        etag = g.get("http_etag")
        if response.status_code == 304:
            return response
        if "Cache-Control" in response.headers:  # a view chose already (attachments, git)
            return response
        shareable = (etag is not None and response.status_code == 200 and not response.headers.getlist("Set-Cookie")
                     and not session.get("_flashes") and not current_user.is_authenticated
                     and not g.get("answer_incomplete")
                     and (response.direct_passthrough or b'name="csrf_token"' not in response.get_data()))
        if shareable:
            _public(response, etag)  # type: ignore[arg-type]
        else:
            response.headers["Cache-Control"] = "private, no-cache"
        return response
