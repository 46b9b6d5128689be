"""Errors of the JSON API as ``application/problem+json`` (RFC 9457): ``type``, ``title``,
``status``, ``detail``, and members of their own for some types (an edit conflict carries the
merged text).

Each problem type is documented on the reference page (``/-/api#problem-<slug>``), which is what
its ``type`` URI points at. ``wiki.security`` sends every error under ``/-/api/v1/`` here, so a
routing 404, a 405, a 413 from the body limit and a 500 all answer in this form.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request, url_for
from flask_babel import lazy_gettext
from werkzeug.exceptions import HTTPException

API_PREFIX = "/-/api/v1/"
PROBLEM_TYPE = "application/problem+json"

# slug: (title, what it means, for the reference page); the statuses that use it are in STATUS_TYPES.
TYPES: dict[str, tuple[Any, Any]] = {
    "bad-request": (lazy_gettext("Bad request"),
                    lazy_gettext("A parameter or the body is missing, malformed or not allowed; `detail` says "
                                 "which, and `errors` lists each mismatch with the OpenAPI document.")),
    "unauthorized": (lazy_gettext("Authentication needed"),
                     lazy_gettext("No token was sent where one is needed, or the token is wrong, expired or "
                                  "revoked. Send `Authorization: Bearer <token>`.")),
    "forbidden": (lazy_gettext("Not allowed"),
                  lazy_gettext("The token's scope (read) or its owner's role does not allow this, or a browser "
                               "session sent a change without its CSRF token.")),
    "not-found": (lazy_gettext("Not found"),
                  lazy_gettext("No such page, revision, proposal or address.")),
    "method-not-allowed": (lazy_gettext("Method not allowed"),
                           lazy_gettext("This address does not accept that method; `Allow` lists those it does.")),
    "conflict": (lazy_gettext("Conflict"),
                 lazy_gettext("The change cannot be made in the current state (a name that exists, a proposal "
                              "that is closed, a revision that is no longer current).")),
    "edit-conflict": (lazy_gettext("Edit conflict"),
                      lazy_gettext("The page changed since `base` and the changes overlap. Nothing was saved. "
                                   "`merged_text` is the three-way merge with conflict markers (`<<<<<<< your "
                                   "version`, `>>>>>>> their version`), as the web editor shows it; `their_text` "
                                   "is the current text and `head` the revision to send as the next `base`.")),
    "page-moved": (lazy_gettext("Page moved"),
                   lazy_gettext("The page was renamed (`new_page`) or deleted (`new_page` is null) since `base`. "
                                "Nothing was saved.")),
    "precondition-required": (lazy_gettext("Base revision required"),
                              lazy_gettext("Updating an existing page needs `base`, the revision the new text was "
                                           "made from, so that concurrent edits are merged and never lost.")),
    "too-large": (lazy_gettext("Too large"),
                  lazy_gettext("The body or the page text is larger than this wiki accepts.")),
    "unsupported-media-type": (lazy_gettext("Unsupported media type"),
                               lazy_gettext("Bodies are JSON: send `Content-Type: application/json`.")),
    "unprocessable": (lazy_gettext("Unprocessable text"),
                      lazy_gettext("The text still contains conflict markers; settle the conflict first.")),
    "too-many-requests": (lazy_gettext("Too many requests"),
                          lazy_gettext("Wait and try again.")),
    "server-error": (lazy_gettext("Server error"),
                     lazy_gettext("Something went wrong on the wiki's side; nothing was saved by this request.")),
    "unavailable": (lazy_gettext("Busy"),
                    lazy_gettext("The content changed too often to save; try again.")),
}
STATUS_TYPES = {400: "bad-request", 401: "unauthorized", 403: "forbidden", 404: "not-found", 405: "method-not-allowed",
                409: "conflict", 413: "too-large", 415: "unsupported-media-type", 422: "unprocessable",
                428: "precondition-required", 429: "too-many-requests", 500: "server-error", 503: "unavailable"}


def is_api_request() -> bool:
    """Whether this request is addressed to the JSON API (whichever view, if any, matched it)."""
    return request.path.startswith(API_PREFIX) or request.path == API_PREFIX.rstrip("/")


def problem(status: int, detail: str, *, kind: str | None = None, headers: dict[str, str] | None = None,
            **members: Any) -> Response:
    """A problem+json answer; ``kind`` is a slug of :data:`TYPES` (default: by status)."""
    slug = kind or STATUS_TYPES.get(status) or ("bad-request" if status < 500 else "server-error")
    body = {"type": type_uri(slug), "title": str(TYPES[slug][0]), "status": status, "detail": str(detail),
            **members}
    response = Response(json.dumps(body, ensure_ascii=False), status, mimetype=PROBLEM_TYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def type_uri(slug: str) -> str:
    return url_for("api_reference.reference", _external=True) + f"#problem-{slug}"


def allowed_methods() -> str:
    """The methods the API answers at this request's address, for ``Allow`` ("" when none).

    Werkzeug's own list would also name the methods of the pages' catch-all route (``GET
    /<page>``), which answers every address; only API operations count here.
    """
    adapter = current_app.url_map.bind_to_environ(request.environ)
    found = []
    for method in ("GET", "PUT", "POST", "DELETE"):
        try:
            rule, _arguments = adapter.match(method=method, return_rule=True)
        except HTTPException:  # no route, another method only, or a redirect
            continue
        if rule.endpoint.startswith("api."):
            found.append(method)
    if "GET" in found:
        found.append("HEAD")
    return ", ".join(found + ["OPTIONS"]) if found else ""
