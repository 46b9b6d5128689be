"""API operations on pages: read, list, create and update (three-way merge, as the editor does),
rename, delete; a page's history, diffs and blame. Writes go through the same store calls as the
web editor's, attributed to the caller (a token's owner) and their group."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g
from flask_babel import gettext as _

from .. import names
from ..auth import current_author
from ..diffs import diff_texts
from ..errors import EditConflict, PageMoved, PageNotFound
from ..store import Store
from ..store.pages import Pages, has_conflict_markers
from ..store.proposals import Proposal, ProposalRefused
from ..views.common import renderer, store
from ..views.history import text_and_change
from ..views.pages import proposal_required
from ..views.translations import content_page, source_language
from . import serialize
from .access import require
from .blueprint import body, bp, paging, query
from .caching import json_response, read
from .problems import problem


def page_name(raw: str) -> str:
    """The page the URL names, normalized (spaces to underscores, NFC); a 400 when it cannot be one."""
    return names.normalize_page_name(raw)


@bp.get("/pages")
def list_pages() -> Response:
    offset, limit = paging()
    section = str(query("section", "")).strip("/")

    def compute() -> dict[str, Any]:
        commit = store().resolve(query("rev"))  # type: ignore[arg-type]  # an unknown revision is a 404
        pages = store().list_pages(commit)
        if section:
            pages = tuple(p for p in pages if p == section or p.startswith(section + "/"))
        items = [serialize.page_summary(p) for p in pages[offset:offset + limit]]
        return serialize.paged(items, offset=offset, limit=limit, total=len(pages))

    return read(compute)


@bp.get("/pages/<path:page>")
def read_page(page: str) -> Response:
    page = page_name(page)
    rev, language = query("rev"), query("lang")

    def compute() -> dict[str, Any]:
        wiki = store()
        revision = wiki.read_page(page, rev)  # type: ignore[arg-type]
        versions = {state.language: state for state in wiki.version_states(page, revision.commit)}
        text, blob, shown = revision.text, revision.blob_id, source_language()
        if language and language != source_language():
            state = versions.get(language)  # type: ignore[arg-type]
            if state is None or state.blob is None:
                raise PageNotFound(_("The page %(page)s has no version in %(language)s.", page=page,
                                     language=language))
            text, blob, _source = wiki.read_version(page, language, revision.commit)  # type: ignore[arg-type]
            shown = language  # type: ignore[assignment]
        rendered = renderer().render(text, cache_key=blob)
        g.api_incomplete = not rendered.complete
        html = renderer().mark_missing(rendered, wiki.missing_pages(rendered.links, revision.commit))
        target = names.version_page(page, shown) if shown != source_language() else page
        last = wiki.last_change(target, revision.commit)
        return {"page": page, "title": names.page_title(page), "language": shown, "text": text, "html": str(html),
                "revision": revision.commit, "blob_id": blob,
                "last_change": serialize.commit(last) if last else None,
                "languages": sorted(code for code, state in versions.items() if state.blob is not None)}

    return read(compute)


@bp.put("/pages/<path:page>")
def save_page(page: str) -> Response:
    """Create or update, as the web editor saves: from ``base``, merged three-way with what changed
    since; overlapping changes save nothing and answer 409 with the merged text and its markers."""
    require("editor")
    page = page_name(page)
    data = body()
    text, base = str(data["text"]), data.get("base")
    summary = " ".join(str(data.get("summary", "")).split())[:200]
    number = query("proposal")
    if number is None and proposal_required(page):
        return problem(409, _("Pages in this section change only through proposals."))
    if has_conflict_markers(text):
        return problem(422, _("The text still contains conflict markers (<<<<<<< and >>>>>>>). Choose the text to "
                              "keep and remove the markers, then save again."), kind="unprocessable")
    wiki = store()
    target: Store | Pages = wiki
    proposal = proposal_or_404(int(number)) if number is not None else None  # type: ignore[arg-type]
    if proposal is not None:  # the proposal's branch: the agreed text stays as it is
        try:
            target = wiki.proposals.pages_of(proposal.number)
        except ProposalRefused as error:
            return problem(409, error.message)
    existed = wiki.page_exists(page, proposal.head if proposal else None)
    if existed and not base:
        return problem(428, _("Updating a page needs “base”: the revision your text was made from (the "
                              "“revision” of a read)."), kind="precondition-required")
    try:
        result = target.save_page(page, text, base=wiki.resolve(base) if base else None,  # type: ignore[arg-type]
                                  author=current_author(), summary=summary)
    except EditConflict as conflict:
        return problem(409, conflict.message, kind="edit-conflict", merged_text=conflict.merged_text,
                       their_text=conflict.their_text, base_text=conflict.base_text, head=conflict.head)
    except PageMoved as moved:
        return problem(409, moved.message, kind="page-moved", new_page=moved.new_page, head=moved.head)
    created = not existed and result.commit is not None
    revision = proposal_or_404(proposal.number).head if proposal else wiki.head()
    return json_response({"page": page, "commit": result.commit, "merged": result.merged, "revision": revision,
                          "created": created}, 201 if created else 200)


@bp.delete("/pages/<path:page>")
def delete_page(page: str) -> Response:
    require("editor")
    page = page_name(page)
    if proposal_required(page):
        return problem(409, _("Pages in this section change only through proposals."))
    summary = " ".join(str(query("summary", "")).split())[:200]
    commit = store().delete_page(page, author=current_author(), summary=summary)
    return json_response({"page": page, "commit": commit})


@bp.post("/rename/<path:page>")
def rename_page(page: str) -> Response:
    require("editor")
    page = page_name(page)
    new = page_name(str(body()["new_name"]))
    if proposal_required(page) or proposal_required(new):
        return problem(409, _("Pages in this section change only through proposals."))
    summary = " ".join(str(body().get("summary", "")).split())[:200]
    commit = store().rename_page(page, new, author=current_author(), summary=summary)
    return json_response({"page": new, "old_page": page, "commit": commit})


@bp.get("/history/<path:page>")
def page_history(page: str) -> Response:
    page = page_name(page)
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        changes = store().page_history(content_page(page, query("lang")))  # type: ignore[arg-type]
        if not changes:
            raise PageNotFound(_("There is no page %(page)s and it has no history.", page=page))
        items = [serialize.commit(change) for change in changes[offset:offset + limit]]
        return serialize.paged(items, offset=offset, limit=limit, total=len(changes))

    return read(compute)


@bp.get("/diff/<path:page>")
def page_diff(page: str) -> Response:
    page = page_name(page)

    def compute() -> dict[str, Any]:
        wiki = store()
        target = content_page(page, query("lang"))  # type: ignore[arg-type]
        to_commit = wiki.resolve(query("to"))  # type: ignore[arg-type]
        new_text, to_change = text_and_change(target, to_commit)
        if query("from"):
            from_commit: str | None = wiki.resolve(query("from"))  # type: ignore[arg-type]
        else:
            changes = wiki.page_history(target, to_commit)
            from_commit = changes[1].id if len(changes) > 1 else None
        old_text, from_change = text_and_change(target, from_commit) if from_commit else ("", None)
        if to_change is None and from_change is None:
            abort(problem(404, _("The page %(page)s exists in neither version.", page=page)))
        return serialize.diff(page, diff_texts(old_text, new_text), from_commit, to_commit)

    return read(compute)


@bp.get("/blame/<path:page>")
def page_blame(page: str) -> Response:
    page = page_name(page)

    def compute() -> dict[str, Any]:
        result = store().blame(content_page(page, query("lang")), query("rev"))  # type: ignore[arg-type]
        return {**serialize.blame(result), "page": page}

    return read(compute)


def proposal_or_404(number: int) -> Proposal:
    """The proposal ``number``, or the request ends with a 404 problem."""
    try:
        return store().proposals.get(number)
    except PageNotFound:
        abort(problem(404, _("There is no proposal %(number)s.", number=number)))
