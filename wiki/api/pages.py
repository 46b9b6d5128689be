"""API operations on pages: read, list, create and update (three-way merge, as the editor does),
rename, delete; a page's history, diffs and blame. Writes go through the same actions as the web
editor's (``wiki.actions``), attributed to the caller (a token's owner) and their group."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, g
from flask_babel import gettext as _

from .. import names
from ..actions import pages as page_actions
from ..actions import proposals as proposal_actions
from ..actions import reading
from ..actions.context import renderer, store
from ..actions.reading import text_and_change, version_page
from ..auth import current_actor
from ..diffs import diff_texts
from ..errors import EditConflict, PageMoved, PageNotFound
from ..store.proposals import Proposal
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
        return serialize.page_of(pages, serialize.page_summary, offset=offset, limit=limit)

    return read(compute)


@bp.get("/pages/<path:page>")
def read_page(page: str) -> Response:
    page = page_name(page)
    rev, language = query("rev"), query("lang")

    def compute() -> dict[str, Any]:
        wiki = store()
        shown = reading.show(page, rev, asked=language, strict=True)  # type: ignore[arg-type]
        revision = shown.revision
        rendered = renderer().render(shown.text, cache_key=shown.blob)
        g.api_incomplete = not rendered.complete
        html = renderer().mark_missing(rendered, wiki.missing_pages(rendered.links, revision.commit))
        last = wiki.last_change(shown.shown_page, revision.commit)
        return {"page": page, "title": names.page_title(page), "language": shown.language, "text": shown.text,
                "html": str(html), "revision": revision.commit, "blob_id": shown.blob,
                "last_change": serialize.commit(last) if last else None, "languages": sorted(shown.available)}

    return read(compute)


@bp.put("/pages/<path:page>")
def save_page(page: str) -> Response:
    """Create or update, as the web editor saves: from ``base``, merged three-way with what changed
    since; overlapping changes save nothing and answer 409 with the merged text and its markers."""
    require("editor")
    page = page_name(page)
    data = body()
    text, base = str(data["text"]), data.get("base")
    number = query("proposal")
    proposal = proposal_or_404(int(number)) if number is not None else None  # type: ignore[arg-type]
    wiki = store()
    existed = wiki.page_exists(page, proposal.head if proposal else None)
    if existed and not base:
        page_actions.target(current_actor(), proposal.number if proposal else None, page)  # refusals first
        return problem(428, _("Updating a page needs “base”: the revision your text was made from (the "
                              "“revision” of a read)."), kind="precondition-required")
    try:
        result = page_actions.save(current_actor(), page, text, base=str(base) if base else None,
                                   summary_text=str(data.get("summary", "")),
                                   proposal=proposal.number if proposal else None)
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
    commit = page_actions.delete(current_actor(), page, summary_text=str(query("summary", "")))
    return json_response({"page": page, "commit": commit})


@bp.post("/rename/<path:page>")
def rename_page(page: str) -> Response:
    require("editor")
    page = page_name(page)
    data = body()
    new = page_name(str(data["new_name"]))
    commit = page_actions.rename(current_actor(), page, new, summary_text=str(data.get("summary", "")))
    return json_response({"page": new, "old_page": page, "commit": commit})


@bp.get("/history/<path:page>")
def page_history(page: str) -> Response:
    page = page_name(page)
    offset, limit = paging()

    def compute() -> dict[str, Any]:
        changes = store().page_history(version_page(page, query("lang")))  # type: ignore[arg-type]
        if not changes:
            raise PageNotFound(_("There is no page %(page)s and it has no history.", page=page))
        return serialize.page_of(changes, serialize.commit, offset=offset, limit=limit)

    return read(compute)


@bp.get("/diff/<path:page>")
def page_diff(page: str) -> Response:
    page = page_name(page)

    def compute() -> dict[str, Any]:
        wiki = store()
        target = version_page(page, query("lang"))  # type: ignore[arg-type]
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
        result = store().blame(version_page(page, query("lang")), query("rev"))  # type: ignore[arg-type]
        return {**serialize.blame(result), "page": page}

    return read(compute)


def proposal_or_404(number: int) -> Proposal:
    """The proposal ``number`` (a 404 problem when there is none)."""
    return proposal_actions.get(number)
