"""The header's language menu: ``/-/language?lang=xx&next=<path>`` sets the ``lang`` cookie."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect
from flask_babel import gettext
from werkzeug.wrappers import Response

from ..i18n import LANGUAGE_COOKIE
from ..users import LANGUAGES
from .auth import safe_next
from .common import query_arg

bp = Blueprint("language", __name__, url_prefix="/-")
COOKIE_MAX_AGE = 365 * 24 * 3600


@bp.get("/language")
def choose() -> Response:
    """Remember the chosen language in a cookie and go back to ``next`` (a path on this site)."""
    lang = query_arg("lang") or ""
    if lang not in LANGUAGES:
        abort(404, description=gettext("There is no interface language %(language)s. The languages are: "
                                       "%(languages)s.", language=repr(lang), languages=", ".join(LANGUAGES)))
    response = redirect(safe_next(query_arg("next")))
    response.set_cookie(LANGUAGE_COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
                        secure=bool(current_app.config["SECURE_COOKIES"]))
    return response
