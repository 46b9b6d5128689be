"""Who is calling the API and what they may do: bearer tokens, browser sessions, and the checks
every API request passes before its view (body limit, authentication, CSRF, the OpenAPI contract).

- ``Authorization: Bearer <token>``: the token's owner, with the owner's current role, never beyond
  the token's scope. A wrong, expired or revoked token is a 401 whatever else the request holds;
  such requests need no CSRF token (a browser never adds that header by itself).
- No ``Authorization``: the browser session, if any. A session that changes anything must send its
  CSRF token in ``X-CSRFToken`` (else 403): a cookie alone never authorizes a write.
- Any other scheme (Basic, …) is refused with a 401 naming Bearer.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, abort, current_app, g, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import CSRFError

from ..tokens import Token, TokenStore
from ..users import role_at_least
from .problems import allowed_methods, problem
from .validation import check_request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CHALLENGE = 'Bearer realm="Living Wiki API"'


def _tokens() -> TokenStore:
    return current_app.extensions["wiki_tokens"]


def body_limit() -> int:
    """The largest request body: room for a page at ``MAX_PAGE_BYTES`` written as JSON (escapes
    may double it) and the other fields. Larger bodies are refused with a 413 before being read."""
    return 2 * current_app.config["MAX_PAGE_BYTES"] + 65536


def unauthorized(detail: str, *, invalid: bool = False) -> Any:
    challenge = CHALLENGE + (', error="invalid_token"' if invalid else "")
    return problem(401, detail, headers={"WWW-Authenticate": challenge})


def authenticate() -> Any:
    """Run before every API view: ``None`` to go on, or the problem that answers instead."""
    if request.method == "OPTIONS":  # the API's own methods only (not the pages' catch-all GET)
        return Response(status=204, headers={"Allow": allowed_methods()})
    request.max_content_length = body_limit()
    header = request.headers.get("Authorization")
    g.api_token = None
    if header is not None:
        scheme, _space, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            return unauthorized(_("Send a personal access token as “Authorization: Bearer <token>”."))
        found = _tokens().verify(secret.strip(), address=request.remote_addr or "")
        if found is None:
            return unauthorized(_("The token is wrong, expired or revoked."), invalid=True)
        g._login_user, g.api_token = found  # flask-login's current_user for this request only; no cookie
    elif request.method not in SAFE_METHODS and current_user.is_authenticated:
        try:
            current_app.extensions["csrf"].protect()
        except CSRFError:
            return problem(403, _("A browser session must send its CSRF token in the X-CSRFToken header to "
                                  "change anything; programs use a token instead."))
    if not current_app.config["PUBLIC_READ"] and not current_user.is_authenticated:
        return unauthorized(_("This wiki is private: send a personal access token."))
    checked = check_request((request.endpoint or "").removeprefix("api."))
    if not isinstance(checked, tuple):
        return checked
    g.api_query, g.api_body = checked
    if not unicode_text(g.api_body):
        return problem(400, _("The body is not valid Unicode: a string holds half of a UTF-16 surrogate pair "
                              "(an escape from \\ud800 to \\udfff without its other half)."))
    return None


def unicode_text(value: Any) -> bool:
    """Whether every string of a parsed JSON body (names too) is Unicode text. JSON may escape half
    of a UTF-16 pair (``"\\ud800"``), which no text holds: Git, SQLite and UTF-8 refuse it, so it
    would fail at the first write (a 500) rather than here (a 400)."""
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def require(role: str) -> None:
    """A change needs an authenticated caller whose role includes ``role`` and, for a token, the
    scope ``write``; otherwise the request ends with a 401 or 403 problem."""
    if not current_user.is_authenticated:
        abort(unauthorized(_("Changes need a personal access token with the scope “write”.")))
    token: Token | None = g.get("api_token")
    if token is not None and not token.can_write:
        abort(problem(403, _("This token may only read: changes need a token with the scope “write”.")))
    if not role_at_least(current_user.role, role):
        abort(problem(403, _("This needs the role %(role)s; your role is %(yours)s.", role=repr(role),
                             yours=repr(current_user.role))))
