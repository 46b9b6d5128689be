"""The whole document over time: recent changes (and their Atom feed), contributions by group
and user, named versions, and comparing two versions of the whole document."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from .. import names
from ..actions.document import CHANGE_FILTERS, change_criteria, create_version
from ..auth import can, current_actor, role_required
from ..charts import stacked_columns
from ..diffs import Diff
from ..errors import InvalidContent, InvalidVersionName, VersionExists
from ..htmldiff import RenderedDiff
from ..store import FileChange
from ..templating import group_name
from .blob_diffs import rendered_diff, word_diff
from .common import form_field, page_number, query_arg, store

bp = Blueprint("changes", __name__, url_prefix="/-")

CHANGES_PAGE_SIZE = 50
FEED_SIZE = 50
XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed anywhere in XML 1.0
MAX_COMPARE_DIFFS = 200  # pages whose diff a compare shows in place; the rest link to their diff


@dataclass(frozen=True)
class ComparedPage:
    """A page of a comparison as the template shows it: the change, its groups, its word diff and
    (unless the Markdown source is asked for) the formatted page with the words marked."""

    change: FileChange
    groups: tuple[str, ...]
    diff: Diff | None
    rendered: RenderedDiff | None = None


def change_filters() -> tuple[dict[str, str], dict[str, Any]]:
    """The filters as typed (for links) and as the store takes them; bad ones are a 400."""
    return change_criteria({name: value for name in CHANGE_FILTERS if (value := query_arg(name))})


@bp.get("/changes")
def changes() -> str:
    shown, criteria = change_filters()
    number = page_number()
    rows, has_next = store().changes(**criteria, skip=(number - 1) * CHANGES_PAGE_SIZE, limit=CHANGES_PAGE_SIZE)
    return render_template("changes/changes.html", rows=rows, number=number, has_next=has_next, filters=shown,
                           groups=current_app.config["GROUPS"])


@bp.get("/changes.atom")
def feed() -> Response:
    shown, criteria = change_filters()
    rows, _ = store().changes(**criteria, limit=FEED_SIZE)
    updated = rows[0].commit.timestamp if rows else 0
    body = render_template("changes/feed.xml", rows=rows, filters=shown, updated=updated,
                           feed_url=url_for("changes.feed", _external=True, **shown),
                           html_url=url_for("changes.changes", _external=True, **shown))
    # Commits pushed from clones may carry any character; those XML 1.0 forbids would make the feed unreadable.
    return Response(XML_FORBIDDEN.sub("", body), mimetype="application/atom+xml")


@bp.get("/contributions")
def contributions() -> str:
    summary = store().contributions()
    group_series = {tally.key: {month: commits for month, commits, _, _ in tally.months} for tally in summary.groups}
    line_series = {tally.key: {month: added + removed for month, _, added, removed in tally.months}
                   for tally in summary.groups}
    user_charts = {
        tally.key: stacked_columns(summary.months, {"user": {m: c for m, c, _, _ in tally.months}},
                                   title=gettext("Commits per month by %(user)s", user=tally.key), width=240, height=48,
                                   class_prefix="spark-", display=lambda _, user=tally.key: user)
        for tally in summary.users
    }
    return render_template(
        "changes/contributions.html", summary=summary, user_charts=user_charts,
        commits_chart=stacked_columns(summary.months, group_series, title=gettext("Commits per month by group"),
                                      display=group_name),
        lines_chart=stacked_columns(summary.months, line_series, title=gettext("Lines changed per month by group"),
                                    display=group_name),
    )


@bp.route("/versions", methods=["GET", "POST"])
def versions() -> str | tuple[str, int] | Response:
    if request.method == "POST":
        return _create_version()
    return render_template("changes/versions.html", versions=store().versions(), form={}, head=store().head())


@role_required("reviewer")
def _create_version() -> str | tuple[str, int] | Response:
    title = " ".join(form_field("title").split())[:200]
    name = form_field("name", required=False).strip() or names.version_slug(title)
    rev = form_field("rev", required=False).strip() or None
    form = {"title": title, "name": name, "rev": rev or ""}
    try:
        version = create_version(current_actor(), title, name, rev)
    except (InvalidContent, InvalidVersionName, VersionExists) as error:
        flash(error.message, "error")
        code = error.code
    else:
        flash(gettext("Marked %(commit)s as the version %(name)s.",
                      commit=version.commit[:10], name=repr(version.name)), "success")
        return redirect(url_for("changes.versions"))
    return render_template("changes/versions.html", versions=store().versions(), form=form,
                           head=store().head()), code


@bp.get("/compare")
def compare() -> str:
    from_rev, to_rev = query_arg("from"), query_arg("to")
    if not from_rev:
        abort(400, description=gettext("Say what to compare: /-/compare?from=VERSION&to=VERSION (commits or "
                                       "version names)."))
    comparison = store().compare(from_rev, to_rev or store().resolve(None))
    counts: dict[str, int] = {}
    for item in comparison.pages:
        counts[item.change.status] = counts.get(item.change.status, 0) + 1
    view = query_arg("view") or "rendered"  # formatted, as page diffs; ?view=source: the Markdown
    if view not in {"rendered", "source"}:
        abort(400, description=gettext("The view must be 'rendered' or 'source'."))
    pages = [ComparedPage(item.change, item.groups, word_diff(item.old_blob, item.new_blob),
                          rendered_diff(item.old_blob, item.new_blob, f"page-{index + 1}-") if view == "rendered"
                          else None)
             if index < MAX_COMPARE_DIFFS else ComparedPage(item.change, item.groups, None)
             for index, item in enumerate(comparison.pages)]
    return render_template("changes/compare.html", comparison=comparison, pages=pages, counts=counts,
                           from_rev=from_rev, to_rev=to_rev or "", versions=store().versions(),
                           can_review=can("reviewer"), view=view)
