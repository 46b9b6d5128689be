"""The JSON API (``/-/api/v1``) and its reference page (``/-/api``).

One module per responsibility: ``openapi`` (the document, as data), ``validation`` (requests
checked against it), ``access`` (tokens, sessions, CSRF, roles), ``problems`` (RFC 9457 errors),
``caching`` (ETags, 304s, kept answers), ``serialize`` (store values as JSON), the operations in
``pages``, ``document``, ``proposals``, ``comments`` and ``calls``, and ``reference`` (the HTML page).
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import calls, comments, document, pages, proposals, reference  # noqa: F401  (they add their routes to the blueprint)
    from .blueprint import bp

    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(bp)  # checked in access.authenticate: tokens need none, sessions do
    app.register_blueprint(reference.bp)
