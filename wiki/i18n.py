"""The interface language: Flask-Babel wiring, the choice of locale, and locale-aware filters.

The language is the logged-in user's setting (``/-/account``), else the ``lang`` cookie set by the
header's language menu (``/-/language``), else the browser's ``Accept-Language``, else English.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from babel import Locale
from flask import Flask, Response, g, has_request_context, request
from flask_babel import Babel, format_date, format_datetime, format_number, get_locale, get_translations, gettext
from flask_login import current_user
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from . import errors
from .errors import N_
from .users import LANGUAGES

LANGUAGE_COOKIE = "lang"
DEFAULT_LANGUAGE = "en"
# Each language's name in itself, for the menus (never translated: a reader must find their own).
LANGUAGE_NAMES = {"ar": "العربية", "zh": "中文", "en": "English", "fr": "Français", "ru": "Русский",
                  "es": "Español"}
# Words the views pass to templates as data, translated there with _(word): listed for extraction.
# Change kinds of files (store/changes.py) and endorsement states (store/endorsements.py).
DATA_WORDS = (N_("added"), N_("removed"), N_("renamed"), N_("changed"),
              N_("consensus"), N_("partly endorsed"), N_("stale"), N_("not endorsed"),
              N_("reader"), N_("editor"), N_("reviewer"), N_("admin"))  # roles, as /-/account shows them


def select_language() -> str:
    """The interface language of this request (one of ``LANGUAGES``)."""
    setting = getattr(current_user, "language", "")
    if setting in LANGUAGES:
        return setting
    return visitor_language(request.cookies.get(LANGUAGE_COOKIE, ""), request.headers.get("Accept-Language"))


@functools.lru_cache(maxsize=256)
def visitor_language(cookie: str, accept_language: str | None) -> str:
    """The interface language of a reader who is not logged in: the ``lang`` cookie's, else the
    best match of ``Accept-Language``, else English. Pure, so the response cache can key by it
    before any request machinery runs (``response_cache``)."""
    if cookie in LANGUAGES:
        return cookie
    # Werkzeug falls back to the primary tag: zh-CN and zh-TW give zh, es-419 es, ar-EG ar.
    return parse_accept_header(accept_language, LanguageAccept).best_match(LANGUAGES) or DEFAULT_LANGUAGE


def _translations() -> Any:
    """This request's translations (Flask-Babel's), looked up at its first use."""
    if not has_request_context():
        return get_translations()
    translations = g.get("_wiki_translations")
    if translations is None:
        translations = g._wiki_translations = get_translations()
    return translations


def translate(message: str) -> str:
    """The translator of domain errors: the request's language; outside requests (CLI) English."""
    return gettext(message) if has_request_context() else message


def format_count(number: int) -> str:
    """How domain errors write a quantity (``errors.Count``): for the request's locale; else English."""
    return format_number(int(number)) if has_request_context() else f"{int(number):,}"


def language() -> str:
    """The current interface language code."""
    return str(get_locale() or DEFAULT_LANGUAGE)


def text_direction() -> str:
    """``rtl`` or ``ltr`` for the current interface language."""
    return Locale.parse(language()).text_direction


def _moment(timestamp: int) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


def format_time(timestamp: int) -> str:
    """A commit time (seconds since the epoch) as a date and time in the reader's locale, UTC."""
    return _formatted_time(timestamp, language())


@functools.lru_cache(maxsize=16384)
def _formatted_time(timestamp: int, _language: str) -> str:
    """Kept per (time, language): a history page formats 150 times (~0.1 ms each with Babel), the
    same ones at every view. Times are shown in UTC (``BABEL_DEFAULT_TIMEZONE``) in every wiki."""
    return format_datetime(_moment(timestamp), "medium") + " UTC"


def format_day(timestamp: int) -> str:
    """A commit time as a date in the reader's locale."""
    return format_date(_moment(timestamp), "medium")


def iso_time(timestamp: int) -> str:
    """The machine-readable time for ``<time datetime=...>`` (the same in every language)."""
    return _moment(timestamp).isoformat()


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANGUAGE)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "UTC")
    Babel(app, locale_selector=select_language)
    # Templates call _() hundreds of times a page (~240 on a history page); Flask-Babel looks the
    # translations up again at each call (~0.1 ms). Look them up once per request instead.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    errors.set_translator(translate, format_count)  # WikiError.message is translated when read (errors.py)

    @app.after_request
    def vary_on_language(response: Response) -> Response:
        """Caches must keep one copy per language: it follows the cookie and Accept-Language."""
        response.vary.update(("Accept-Language", "Cookie"))
        return response

    app.jinja_env.filters.update(datetime=format_time, date=format_day, isotime=iso_time, number=format_number)
    app.jinja_env.globals.update(language=language, text_direction=text_direction, language_names=LANGUAGE_NAMES)
