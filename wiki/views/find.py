"""Finding and linking: full-text search, what links here, and the pages people link to but nobody wrote."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify, render_template
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import names
from ..actions import call_search
from ..errors import InvalidPageName, PageNotFound
from ..http_cache import mark_incomplete
from ..names import normalize_page_name
from ..search import SearchIndex
from .common import on_canonical_page, page_context, page_number, query_arg, store
from .proposals import proposal_arg
from .translations import language_arg

bp = Blueprint("find", __name__)


COMPLETIONS = 20  # page names one completion request answers
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp")  # attachments the visual editor embeds as images


def index() -> SearchIndex:
    return current_app.extensions["wiki_search"]


@bp.get("/-/complete")
def complete() -> Response:
    """What the visual editor offers while linking: page names containing ``q`` (names that start
    with it first), and with ``page`` that page's attachments, each saying whether it is an image."""
    typed = (query_arg("q") or "").strip().replace(" ", "_").casefold()[:200]
    pages = store().list_pages()
    found = sorted((name for name in pages if typed in name.casefold()),
                   key=lambda name: (not name.casefold().startswith(typed), name.count("/"), name.casefold()))
    answer: dict[str, object] = {"pages": found[:COMPLETIONS]}
    raw_page = (query_arg("page") or "").strip()
    if raw_page:
        try:
            attached = store().list_attachments(normalize_page_name(raw_page))
        except (InvalidPageName, PageNotFound):
            attached = ()
        answer["attachments"] = [{"name": item.name, "image": item.name.casefold().endswith(IMAGE_SUFFIXES)}
                                 for item in attached]
    return jsonify(answer)


@bp.get("/-/search")
def search() -> str:
    """Ranked results with highlighted snippets; ``section`` limits them to one folder."""
    query = (query_arg("q") or "").strip()
    raw_section = (query_arg("section") or "").strip().strip("/")
    section = ""
    if raw_section:
        try:
            section = normalize_page_name(raw_section)
        except InvalidPageName as error:
            abort(400, description=gettext("The section is not a valid page path: %(message)s", message=error.message))
    number = page_number()
    per_page = current_app.config["SEARCH_PAGE_SIZE"]
    language = language_arg()
    proposal = proposal_arg()
    if proposal is not None and query:  # only the pages the proposal changes, as it makes them
        wiki = store()
        texts = {}
        for status, path in wiki.changed_files(proposal.base, proposal.head):
            changed = names.page_from_file(path)
            if changed is not None and status != "D" and (not section or changed.startswith(f"{section}/")):
                texts[changed] = wiki.read_page(changed, proposal.head).text
        results = index().search_texts(query, texts)
    else:
        results = index().search(query, section=section or None, language=language, number=number,
                                 per_page=per_page) if query else None
    if results is not None and results.total and (number - 1) * per_page >= results.total:
        abort(404, description=gettext("The results have no such page."))
    sections = sorted({page.rpartition("/")[0] for page in store().list_pages()} - {""}, key=str.casefold)
    if results is not None and results.indexing:  # not to be kept by caches: the complete answer has the same ETag
        mark_incomplete()
    # responses to calls for input, on the first page of a search of the agreed text
    answers = call_search.search(query) if query and proposal is None and number == 1 else None
    return render_template(
        "find/search.html", query=query, section=section, sections=sections, results=results, number=number,
        search_language=language or "", search_languages=names.LANGUAGES, proposal=proposal,
        has_next=results is not None and number * per_page < results.total, first=(number - 1) * per_page + 1,
        answers=answers,
    )


@bp.get("/<path:page>/-/backlinks")
@on_canonical_page
def backlinks(page: str) -> str | Response:
    """What links here: the pages whose text has a ``[[...]]`` link to this page."""
    return render_template("find/backlinks.html", sources=index().backlinks(page),
                           exists=store().page_exists(page), **page_context(page))


@bp.get("/-/wanted")
def wanted() -> str:
    """Pages that are linked to but do not exist yet, with the pages that link to them."""
    return render_template("find/wanted.html", wanted=index().wanted())
