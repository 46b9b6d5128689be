"""A page's history, and the diff between any two of its versions."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import names
from ..actions.reading import revision_and_change
from ..auth import can
from ..errors import N_, PageNotFound
from .blob_diffs import rendered_diff, word_diff
from .common import on_canonical_page, page_context, page_number, query_arg, store
from .translations import content_page, language_arg

bp = Blueprint("history", __name__)


@bp.get("/<path:page>/-/history")
@on_canonical_page
def history(page: str) -> str | Response:
    changes = store().page_history(content_page(page, language_arg()))
    if not changes:
        raise PageNotFound(N_("There is no page %(page)s and it has no history."), page=repr(page))
    per_page = current_app.config["HISTORY_PAGE_SIZE"]
    number = page_number()
    start = (number - 1) * per_page
    if start >= len(changes):
        abort(404, description=gettext("The history has no such page."))
    rows = []
    for index in range(start, min(start + per_page, len(changes))):
        change = changes[index]
        previous = changes[index + 1].id if index + 1 < len(changes) else None
        # An adoption (a proposal's merge) can show the drafts it brought, in place.
        drafts = store().adopted_drafts(change.id, change.path) if change.proposal and len(change.parents) > 1 \
            else ()
        rows.append({"change": change, "previous": previous, "drafts": drafts,
                     "name": names.page_from_file(change.path) or page, "first": index == 0})
    return render_template(
        "history/history.html", rows=rows, number=number, total=len(changes),
        has_next=start + per_page < len(changes), exists=store().page_exists(page),
        can_edit=can("editor"), **page_context(page),
    )


@bp.get("/<path:page>/-/diff")
@on_canonical_page
def diff(page: str) -> str | Response:
    wiki = store()
    view = query_arg("view") or "rendered"  # formatted for readers who do not read Markdown; the source a click away
    if view not in {"inline", "split", "rendered"}:
        abort(400, description=gettext("The view must be 'inline', 'split' or 'rendered'."))
    to_rev, from_rev = query_arg("to"), query_arg("from")
    target = content_page(page, language_arg())
    to_commit = wiki.resolve(to_rev)
    new, to_change = revision_and_change(target, to_commit)
    if from_rev:
        from_commit: str | None = wiki.resolve(from_rev)
    else:
        changes = wiki.page_history(target, to_commit)
        from_commit = changes[1].id if len(changes) > 1 else None
    old, from_change = revision_and_change(target, from_commit) if from_commit is not None else (None, None)
    if to_change is None and from_change is None:
        raise PageNotFound(N_("The page %(page)s exists in neither version."), page=repr(page))
    old_blob, new_blob = (old.blob_id if old else None), (new.blob_id if new else None)
    result = word_diff(old_blob, new_blob)  # both cached by the two blobs: commits elsewhere change neither
    # The formatted page with words inserted and deleted marked (issue 29):
    rendered = rendered_diff(old_blob, new_blob) if view == "rendered" else None
    return render_template(
        "history/diff.html", diff=result, split=result.split_hunks() if view == "split" else None,
        view=view, rendered=rendered, from_change=from_change, to_change=to_change, from_commit=from_commit,
        to_commit=to_commit, **page_context(page),
    )


