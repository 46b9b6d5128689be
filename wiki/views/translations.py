"""Language versions of pages: which exist, which still follow their original, and where.

``/<page>/-/translations`` lists one page's versions; ``/-/translations`` the whole document as
pages × languages, filtered by section and language, with counts per language.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, render_template
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import names
from ..auth import can
from ..errors import PageNotFound
from ..store import VersionState
from ..store.translations import MISSING, OUTDATED, UP_TO_DATE
from .common import on_canonical_page, page_context, page_number, query_arg, store

bp = Blueprint("translations", __name__)
STATES = (UP_TO_DATE, OUTDATED, MISSING)
ROWS_PER_PAGE = 100  # pages per screen of the overview (the counts cover them all)
LANGUAGE_ENDPOINTS = frozenset({"history.history", "history.diff", "review.blame", "pages.edit"})


def source_language() -> str:
    return current_app.config["CONTENT_LANGUAGE"]


def version_languages() -> tuple[str, ...]:
    return tuple(language for language in names.LANGUAGES if language != source_language())


def language_arg() -> str | None:
    """The ``lang`` parameter: ``None`` when absent, a 404 naming the languages when unknown."""
    raw = query_arg("lang")
    if not raw:
        return None
    if raw not in names.LANGUAGES:
        abort(404, description=_("There is no language “%(language)s”; the languages are %(languages)s.",
                                 language=raw, languages=", ".join(names.LANGUAGES)))
    return raw


def content_page(page: str, language: str | None) -> str:
    """The name the store reads for ``page`` in ``language`` (the original for its own language).

    For a version, links this request builds to the page's history, diffs and blame keep the
    language (see :func:`keep_language`).
    """
    if language in (None, source_language()):
        return page
    keep_language_in_links(page, language)
    return names.version_page(page, language)


def keep_language_in_links(page: str, language: str) -> None:
    """Links this request builds to ``page``'s history, diffs, blame and editor carry ``language``."""
    g.content_language, g.content_page = language, page


@bp.app_url_defaults
def keep_language(endpoint: str, values: dict[str, object]) -> None:
    """Add ``lang=`` to links to the same page's history, diffs, blame and editor while showing a version."""
    if (endpoint in LANGUAGE_ENDPOINTS and "lang" not in values and g.get("content_language")
            and values.get("page") == g.get("content_page")):
        values["lang"] = g.content_language


@bp.get("/<path:page>/-/translations")
@on_canonical_page
def page_translations(page: str) -> str | Response:
    wiki = store()
    head = wiki.head()
    if head is None or not wiki.page_exists(page):
        raise PageNotFound(_("There is no page %(page)s.", page=page))
    return render_template("translations/page.html", states=wiki.version_states(page), head=head,
                           source_language=source_language(), can_edit=can("editor"), **page_context(page))


@dataclass(frozen=True)
class Row:
    page: str
    cells: tuple[VersionState, ...]


@bp.get("/-/translations")
def overview() -> str:
    section = (query_arg("section") or "").strip("/")
    language = language_arg()
    if language == source_language():
        abort(404, description=_("%(language)s is the language of the originals; choose another one.",
                                 language=language))
    languages = (language,) if language else version_languages()
    prefix = f"{section}/" if section else ""
    rows: dict[str, list[VersionState]] = {}
    counts = {code: dict.fromkeys(STATES, 0) for code in languages}
    for state in store().translation_overview():
        if state.language in counts and (not prefix or state.page.startswith(prefix)):
            rows.setdefault(state.page, []).append(state)
            counts[state.language][state.state] += 1
    number = page_number()
    start = (number - 1) * ROWS_PER_PAGE
    if start and start >= len(rows):
        abort(404, description=_("The list has no such page."))
    shown = [Row(page, tuple(cells)) for page, cells in itertools.islice(rows.items(), start, start + ROWS_PER_PAGE)]
    labels = {UP_TO_DATE: _("up to date"), OUTDATED: _("outdated"), MISSING: _("missing")}
    return render_template("translations/overview.html", rows=shown, labels=labels, number=number,
                           has_next=start + ROWS_PER_PAGE < len(rows), total=len(rows),
                           first=start + 1, last=start + len(shown),
                           languages=languages, counts=counts, section=section, chosen=language or "",
                           all_languages=version_languages(), source_language=source_language())
