"""API operations on the whole document: compare, recent changes (the web's filters), search,
named versions, endorsements and translation status, through the same actions and filters as
the web views (``wiki.actions``)."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g
from flask_babel import gettext as _

from .. import names
from ..actions import document as actions
from ..actions.context import groups, source_language, store
from ..actions.document import search_index, version_languages
from ..auth import current_actor
from ..errors import InvalidPageName, PageNotFound
from . import serialize
from .access import require
from .blueprint import body, bp, paging, query
from .caching import json_response, read
from .pages import page_name
from .problems import problem


def section_arg() -> str:
    raw = str(query("section", "")).strip().strip("/")
    if not raw:
        return ""
    try:
        return names.normalize_page_name(raw)
    except InvalidPageName as error:
        abort(problem(400, _("The section is not a valid page path: %(message)s", message=error.message)))


@bp.get("/compare")
def compare() -> Response:
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        wiki = store()
        comparison = wiki.compare(str(query("from")), str(query("to") or wiki.resolve(None)))
        return {"from": comparison.from_commit, "to": comparison.to_commit,
                **serialize.page_of(comparison.pages, serialize.compared, offset=offset, limit=limit)}

    return read(compute)


@bp.get("/changes")
def changes() -> Response:
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        _shown, criteria = actions.change_criteria(
            {name: str(value) for name in actions.CHANGE_FILTERS if (value := query(name))})
        rows, more = store().changes(**criteria, skip=offset, limit=limit)
        return serialize.paged([serialize.change(row) for row in rows], offset=offset, limit=limit, more=more)

    return read(compute)


@bp.get("/search")
def search() -> Response:
    offset, limit = paging()
    words, section, language = str(query("q")).strip(), section_arg(), query("lang")

    def compute() -> dict[str, Any]:
        results = search_index().search(words, section=section or None, language=language,  # type: ignore[arg-type]
                                 per_page=limit, offset=offset)
        g.api_incomplete = results.indexing  # not kept: the complete answer will have the same ETag
        return {"query": words, "indexing": results.indexing,
                **serialize.paged([serialize.hit(hit) for hit in results.hits], offset=offset, limit=limit,
                                  total=results.total)}

    return read(compute)


@bp.get("/versions")
def list_versions() -> Response:
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        versions = store().versions()
        return serialize.page_of(versions, serialize.version, offset=offset, limit=limit)

    return read(compute, by_token=False)  # tags are not in the cache token


@bp.post("/versions")
def create_version() -> Response:
    require("reviewer")
    data = body()
    version = actions.create_version(current_actor(), str(data["title"]), str(data.get("name") or ""),
                                     str(data["rev"]) if data.get("rev") else None)
    return json_response(serialize.version(version), 201)


@bp.get("/endorsements")
def endorsement_overview() -> Response:
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        overview = store().endorsement_overview(groups())
        states = sorted((state for states in overview.values() for state in states), key=lambda s: s.page)
        return serialize.page_of(states, serialize.endorsements, offset=offset, limit=limit)

    return read(compute)


@bp.get("/endorsements/<path:page>")
def page_endorsements(page: str) -> Response:
    page = page_name(page)
    return read(lambda: serialize.endorsements(actions.page_endorsements(page)))


@bp.post("/endorsements/<path:page>")
def endorse_page(page: str) -> Response:
    require("reviewer")
    page = page_name(page)
    data = body()
    endorsement = actions.endorse_page(current_actor(), page, str(data["rev"]), str(data["action"]))
    return json_response({"page": endorsement.page, "group": endorsement.group, "username": endorsement.username,
                          "action": endorsement.action, "commit": endorsement.commit,
                          "timestamp": endorsement.timestamp})


@bp.get("/translations")
def translation_overview() -> Response:
    offset, limit = paging()
    section, language = section_arg(), query("lang")
    if language == source_language():
        abort(problem(400, _("%(language)s is the language of the originals; choose another one.",
                             language=language)))

    def compute() -> dict[str, Any]:
        languages = (language,) if language else version_languages()
        prefix = f"{section}/" if section else ""
        states = [state for state in store().translation_overview()
                  if state.language in languages and (not prefix or state.page.startswith(prefix))]
        return serialize.page_of(states, serialize.translation, offset=offset, limit=limit)

    return read(compute)


@bp.get("/translations/<path:page>")
def page_translations(page: str) -> Response:
    page = page_name(page)

    def compute() -> dict[str, Any]:
        if not store().page_exists(page):
            raise PageNotFound(_("There is no page %(page)s.", page=page))
        return {"page": page, "source_language": source_language(),
                "versions": [serialize.translation(state) for state in store().version_states(page)]}

    return read(compute)
