"""Amendment proposals: drafting a change on a branch, discussing it, each stakeholder group
endorsing or objecting, and merging it into the agreed text by consensus (issue 14)."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import names
from ..actions import pages as page_actions
from ..actions import proposals as actions
from ..actions.context import groups
from ..auth import can, current_actor, role_required
from ..diffs import Diff
from ..errors import EditConflict, InvalidContent, InvalidPageName, WikiError
from ..htmldiff import RenderedDiff
from ..store.proposals import Consensus, MergePreview, NeedsResolution, Proposal, ProposalRefused
from ..templating import group_name
from .blob_diffs import rendered_diff, word_diff
from .changes import XML_FORBIDDEN
from .common import form_field, query_arg, renderer, store

bp = Blueprint("proposals", __name__, url_prefix="/-")
STATES = actions.STATES
FEED_SIZE = 50


def proposal_arg() -> Proposal | None:
    """The proposal named by ``?proposal=<n>``: ``None`` when absent, a 404 when unknown."""
    raw = query_arg("proposal")
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) < 9):
        abort(404, description=_("There is no proposal %(number)s.", number=raw))
    return get(int(raw))


PROPOSAL_ENDPOINTS = frozenset({"pages.edit", "pages.rename", "pages.delete"})


@bp.app_url_defaults
def keep_proposal(endpoint: str, values: dict[str, object]) -> None:
    """While a page is shown inside a proposal, its Edit, Rename and Delete act inside it too."""
    if endpoint in PROPOSAL_ENDPOINTS and "proposal" not in values and g.get("proposal_number") \
            and values.get("page") == g.get("proposal_page"):
        values["proposal"] = g.proposal_number


get = actions.get


@dataclass(frozen=True)
class ChangedPage:
    page: str
    status: str
    diff: Diff
    rendered: RenderedDiff | None = None  # the formatted page with words marked (unless ?view=source)


def _changed_pages(preview: MergePreview, *, rendered: bool = False) -> list[ChangedPage]:
    """Each page merging would change now, with its word diff against the current main and (unless
    the Markdown source is asked for) the formatted page with the words marked."""
    found = []
    for number, (page, before, after) in enumerate(preview.pages, start=1):
        status = "added" if before is None else "removed" if after is None else "changed"
        marked = rendered_diff(before, after, f"changed-{number}-") if rendered else None  # pages repeat headings
        found.append(ChangedPage(page, status, word_diff(before, after), marked))
    return found


# --------------------------------------------------------------------------- lists


def _filtered() -> tuple[list[tuple[Proposal, Consensus]], dict[str, str]]:
    state, group, awaiting = query_arg("state") or "", query_arg("group") or "", query_arg("awaiting") or ""
    page = (query_arg("page") or "").strip()
    if page:
        try:
            page = names.normalize_page_name(page)
        except InvalidPageName as error:
            abort(400, description=error.message)
    rows = actions.matching(state=state, group=group, awaiting=awaiting, page=page)
    shown = {key: value for key, value in (("state", state), ("group", group), ("awaiting", awaiting),
                                           ("page", page)) if value}
    return rows, shown


@bp.get("/proposals")
def proposals() -> str:
    rows, shown = _filtered()
    # Each group's name translated once, not once per badge (200 proposals show ~1,000 badges).
    slugs = {*groups(), *(proposal.group for proposal, _ in rows),
             *(position.group for proposal, _ in rows for position in proposal.positions)}
    return render_template("proposals/list.html", rows=rows, filters=shown, states=STATES, groups=groups(),
                           can_edit=can("editor"), group_names={slug: group_name(slug) for slug in slugs})


@bp.get("/proposals.atom")
def feed() -> Response:
    rows, shown = _filtered()
    rows = rows[:FEED_SIZE]
    updated = max((proposal.events[-1].time for proposal, _ in rows), default=0)
    body = render_template("proposals/feed.xml", rows=rows, updated=updated,
                           feed_url=url_for("proposals.feed", _external=True, **shown),
                           html_url=url_for("proposals.proposals", _external=True, **shown))
    return Response(XML_FORBIDDEN.sub("", body), mimetype="application/atom+xml")


# --------------------------------------------------------------------------- one proposal


@bp.route("/proposals/new", methods=["GET", "POST"])
@role_required("editor")
def new() -> str | tuple[str, int] | Response:
    page = (request.values.get("page") or "").strip()
    if request.method == "GET":
        return render_template("proposals/new.html", title="", rationale="", page=page, deadline="",
                               procedure="consensus")
    title = " ".join(form_field("title").split())[:200]
    rationale = form_field("rationale", required=False)
    text = form_field("text", required=False)  # from the editor of a section that requires proposals
    if text and not title:
        title = " ".join(form_field("summary", required=False).split())[:200] or _("Change %(page)s", page=page)
    deadline = form_field("deadline", required=False)
    procedure = form_field("procedure", required=False) or "consensus"
    try:
        proposal = actions.create(current_actor(), title, rationale, deadline=deadline, procedure=procedure)
    except InvalidContent as error:
        flash(error.message, "error")
        return render_template("proposals/new.html", title=title, rationale=rationale, page=page, deadline=deadline,
                               procedure=procedure), 400
    if text and page:
        try:
            target = names.normalize_page_name(page)
            page_actions.save(current_actor(), target, text, base=form_field("base", required=False) or None,
                              summary_text=form_field("summary", required=False), proposal=proposal.number)
        except EditConflict:  # the agreed text moved under the typed text: settle it in the proposal's editor
            flash(_("Proposal %(number)s started, but the page changed meanwhile: merge your text in the editor.",
                    number=proposal.number), "warning")
            return redirect(url_for("pages.edit", page=target, proposal=proposal.number))
        except (InvalidPageName, InvalidContent, page_actions.ConflictMarkersLeft) as error:
            flash(error.message, "error")
            return redirect(url_for("proposals.show", number=proposal.number))
        flash(_("Proposal %(number)s started with your text; the agreed text is unchanged until it is merged.",
                number=proposal.number), "success")
        return redirect(url_for("pages.view", page=target, proposal=proposal.number))
    flash(_("Proposal %(number)s started. Edit pages in it; the agreed text does not change until it is merged.",
            number=proposal.number), "success")
    if page:
        try:
            return redirect(url_for("pages.edit", page=names.normalize_page_name(page), proposal=proposal.number))
        except InvalidPageName:
            pass
    return redirect(url_for("proposals.show", number=proposal.number))


@bp.get("/proposals/<int:number>")
def show(number: int, code: int = 200) -> tuple[str, int]:
    seen = actions.overview(current_actor(), number)
    render = renderer()
    comments = [(event, render.render(event.text).html) for event in seen.proposal.events if event.kind == "comment"]
    return render_template(
        "proposals/show.html", **{**vars(seen), "standing_groups": ", ".join(map(group_name, seen.standing_groups))},
        groups=groups(), rationale=render.render(seen.proposal.rationale).html, comments=comments,
        changed=_changed_pages(seen.preview, rendered=query_arg("view") != "source")), code


def _refused(number: int, error: WikiError) -> tuple[str, int]:
    flash(error.message, "error")
    return show(number, error.code)


@bp.post("/proposals/<int:number>/endorse")
@role_required("reviewer")
def endorse(number: int) -> Response | tuple[str, int]:
    action, seen = form_field("action"), form_field("rev")
    if action not in actions.ACTIONS:
        abort(400, description=_("The action must be endorse, object or withdraw."))
    try:
        actions.take_position(current_actor(), number, action, seen, reason=form_field("reason", required=False))
    except (ProposalRefused, InvalidContent) as error:
        return _refused(number, error)
    flash({"endorse": _("Your group endorses this proposal."), "object": _("Your group's objection is recorded."),
           "withdraw": _("Your group's position was withdrawn.")}[action], "success")
    return redirect(url_for("proposals.show", number=number))


@bp.post("/proposals/<int:number>/comment")
@role_required("reader")
def comment(number: int) -> Response | tuple[str, int]:
    try:
        actions.comment(current_actor(), number, form_field("text"))
    except InvalidContent as error:
        return _refused(number, error)
    return redirect(url_for("proposals.show", number=number) + "#discussion")


@bp.post("/proposals/<int:number>/merge")
@role_required("editor")  # reviewers and the secretariat's editors: the action decides
def merge(number: int) -> Response | tuple[str, int]:
    try:
        commit = actions.merge(current_actor(), number, reason=form_field("reason", required=False))
    except ProposalRefused as error:
        return _refused(number, error)
    flash(_("Proposal %(number)s is merged into the agreed text (%(commit)s).", number=number, commit=commit[:10]),
          "success")
    return redirect(url_for("proposals.show", number=number))


@bp.post("/proposals/<int:number>/close")
@role_required("editor")
def close(number: int) -> Response | tuple[str, int]:
    try:
        actions.close(current_actor(), number, reason=form_field("reason", required=False))
    except (ProposalRefused, InvalidContent) as error:
        return _refused(number, error)
    flash(_("Proposal %(number)s is closed.", number=number), "success")
    return redirect(url_for("proposals.show", number=number))


@bp.post("/proposals/<int:number>/reopen")
@role_required("editor")
def reopen(number: int) -> Response | tuple[str, int]:
    try:
        actions.reopen(current_actor(), number, reason=form_field("reason", required=False))
    except (ProposalRefused, InvalidContent) as error:
        return _refused(number, error)
    flash(_("Proposal %(number)s is open again.", number=number), "success")
    return redirect(url_for("proposals.show", number=number))


@bp.route("/proposals/<int:number>/update", methods=["GET", "POST"])
@role_required("editor")
def update(number: int) -> Response | tuple[str, int]:
    """Merge the agreed text into the proposal; overlapping changes open the conflict editor, which
    shows each such page merged with conflict markers and sends back the settled texts."""
    proposal = get(number)
    conflicts = store().proposals.conflicts(number) if proposal.state == "open" else []
    if request.method == "GET":
        if not conflicts:
            return redirect(url_for("proposals.show", number=number))
        return render_template("proposals/resolve.html", proposal=proposal, conflicts=conflicts), 200
    resolutions = {}
    for index in range(len(conflicts)):
        path, text = form_field(f"path-{index}", required=False), form_field(f"text-{index}", required=False)
        if path:
            resolutions[path] = text
    try:
        head = actions.update(current_actor(), number, resolutions=resolutions or None)
    except NeedsResolution:
        if resolutions:  # the agreed text moved on while the user settled: show the new overlaps
            flash(_("The agreed text changed again meanwhile; settle the overlaps once more."), "warning")
        return redirect(url_for("proposals.update", number=number))
    except InvalidContent as error:
        flash(error.message, "error")
        return render_template("proposals/resolve.html", proposal=proposal, conflicts=conflicts,
                               texts=resolutions), 422
    except ProposalRefused as error:
        return _refused(number, error)
    flash(_("The proposal now includes every change of the agreed text.") if head
          else _("The proposal already includes every change of the agreed text."), "success")
    return redirect(url_for("proposals.show", number=number))
