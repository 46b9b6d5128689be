"""Reading and changing pages: view, edit (with three-way merge), rename, delete, revert."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import names
from ..actions import pages as page_actions
from ..actions import reading
from ..actions.pages import ConflictMarkersLeft, ProposalRequired
from ..actions.proposals import open_pages
from ..auth import can, current_actor, role_required
from ..diffs import diff_texts
from ..errors import N_, EditConflict, InvalidPageName, PageExists, PageMoved, PageNotFound
from ..http_cache import document_token, incomplete
from ..i18n import LANGUAGE_NAMES, language
from ..response_cache import keep_response
from ..store import LRUCache, SaveResult
from ..store.comment_model import KINDS
from ..store.proposals import Proposal
from ..store.translations import split_header
from .comments import page_discussion
from .common import BadForm, form_field, on_canonical_page, page_context, query_arg, renderer, store, summary_field
from .proposals import proposal_arg
from .translations import keep_language_in_links, language_arg, source_language

bp = Blueprint("pages", __name__)


@bp.get("/")
def home() -> str | tuple[str, int]:
    return _show("Home")


@bp.get("/<path:page>")
@on_canonical_page
def view(page: str) -> str | tuple[str, int] | Response:
    return _show(page)


def _show(page: str) -> str | tuple[str, int]:
    rev = query_arg("rev")
    asked = language_arg()
    proposal = proposal_arg()
    if proposal is not None:  # the page as the proposal would make it; its actions act inside it
        rev = proposal.head
        g.proposal_number, g.proposal_page = proposal.number, page
    wiki = store()
    cache_key = _anonymous_view_key() if rev is None else None
    if cache_key is not None and (cached := _view_cache().lookup(cache_key)) is not None:
        keep_response(document_token())
        return cached
    try:
        # The version in the language asked for, else in the reader's interface language, else the original.
        chosen = reading.show(page, rev, asked=asked, preferred=language())
    except PageNotFound:
        if rev is not None:
            wiki.resolve(rev)  # an unknown revision is a 404 of its own
            abort(404, description=_("This page did not exist in that revision."))
        return render_template("pages/missing.html", can_edit=can("editor"), proposal=proposal,
                               **page_context(page)), 404
    revision, shown = chosen.revision, chosen.version
    if shown is not None:
        keep_language_in_links(page, shown.language)
    rendered = renderer().render(chosen.text, cache_key=chosen.blob)
    html = renderer().mark_missing(rendered, wiki.missing_pages(rendered.links, revision.commit))
    # Comment threads are on the agreed text (or the proposal's), not on old revisions or translations.
    discussion = None if (rev is not None and proposal is None) or shown else \
        page_discussion(page, proposal, revision.blob_id, html)
    # A language version shows no threads (they quote the original) but says how many are open there.
    open_on_original = sum(thread.state == "open" and not thread.hidden
                           for thread in wiki.comments.of_page(page)) if shown else 0
    last_change = wiki.last_change(chosen.shown_page, revision.commit)
    endorsements = None if rev is not None or shown else wiki.page_endorsements(
        page, tuple(current_app.config["GROUPS"]))
    output = render_template(
        "pages/view.html", html=html, revision=revision, old=rev is not None and proposal is None,
        proposal=proposal, last_change=last_change, discussion=discussion, open_on_original=open_on_original,
        kinds=KINDS, commit=revision.commit,
        comment_url=url_for("comments.page_comments", page=page),
        can_edit=can("editor"), endorsements=endorsements, version=shown,
        asked=asked if not chosen.has(asked) else None, available=chosen.available,
        source_language=source_language(), head=wiki.head(), export_rev=rev, **page_context(page),
    )
    if cache_key is not None and revision.commit == cache_key[4] and rendered.complete and \
            not incomplete():  # threads not placed yet, comments shown as text: not to be kept
        _view_cache().put(cache_key, output)
        keep_response(document_token())  # the whole answer too, for the next anonymous reader
    return output


def _view_cache() -> LRUCache[tuple[str, ...], str]:
    """Whole pages as anonymous readers see them, per process; most views are then a lookup."""
    return current_app.extensions.setdefault("wiki_view_cache", LRUCache(512))


def _anonymous_view_key() -> tuple[str, ...] | None:
    """The cache key of this view: the URL, the languages, the branch tip and the tips of the
    endorsement and push-attribution notes (object ids, so never stale: a commit, an endorsement or
    a pushed commit's group note by anyone changes the key).

    ``None`` (no caching) for logged-in users, query strings other than ``lang`` and pending flash
    messages: those change the page in ways the key does not capture.
    """
    token = document_token()
    if not token[0] or current_user.is_authenticated or session.get("_flashes"):
        return None
    if request.query_string and (set(request.args) != {"lang"} or len(request.args.getlist("lang")) != 1):
        return None  # only ?lang= (checked before this) is part of the key; other queries are not cached
    return (request.script_root, request.path, language(), request.args.get("lang", ""), *token)


@bp.route("/<path:page>/-/edit", methods=["GET", "POST"])
@role_required("editor")
@on_canonical_page
def edit(page: str) -> str | tuple[str, int] | Response:
    version_language = language_arg()
    if version_language not in (None, source_language()):
        return _edit_version(page, version_language)
    proposal = proposal_arg()
    if proposal is not None:
        return _edit_in_proposal(page, proposal)
    wiki = store()
    head = wiki.head()
    context = {**page_context(page), "proposal_required": page_actions.proposal_required(current_actor(), page)}
    try:
        text, exists = wiki.read_page(page).text, True
    except PageNotFound:
        text, exists = f"# {names.page_title(page)}\n\n", False
    if request.method == "GET":
        return render_template("pages/edit.html", text=text, base=head, summary="", exists=exists, **context)

    new_text, summary, base = form_field("text"), summary_field(), form_field("base")
    # After a rename or delete raced the edit: the name the page had at ``base``, and whether the
    # user chose to save under the old name again.
    base_page = _page_field("base_page")
    recreate = form_field("recreate", required=False) == "1"
    try:
        result = page_actions.save(current_actor(), page, new_text, base=None if recreate else base or None,
                                   summary_text=summary, base_page=None if recreate else base_page)
    except ProposalRequired:  # the text is kept: the editor offers to start a proposal with it
        flash(_("Pages in this section change through proposals: start a proposal with your text."), "error")
        return render_template("pages/edit.html", text=new_text, base=base, summary=summary, exists=exists,
                               **context), 409
    except EditConflict as conflict:
        return conflict_editor(conflict, new_text, summary, context)
    except PageMoved as moved:
        return render_template("pages/edit.html", text=new_text, base=base, summary=summary, exists=False,
                               moved=moved, base_page=base_page or page, **context), 409
    except (PageExists, ConflictMarkersLeft) as error:
        flash(error.message, "error")
        return render_template("pages/edit.html", text=new_text, base=base, summary=summary,
                               exists=exists, **context), error.code
    flash_saved(result, merged=_("Someone else changed this page while you were editing. Their changes touched "
                                 "other lines, so both were merged and saved. Please check the result."),
                saved=_("Your changes were saved."))
    return redirect(url_for("pages.view", page=page))


def flash_saved(result: SaveResult | None, *, merged: str, saved: str) -> None:
    """Tell how a save went: nothing to save, saved after merging someone else's change to other
    lines (``merged``: worth checking), or saved (``saved``)."""
    if result is None or result.commit is None:
        flash(_("There were no changes to save."), "info")
    elif result.merged:
        flash(merged, "warning")
    else:
        flash(saved, "success")


def _edit_in_proposal(page: str, proposal: Proposal) -> str | tuple[str, int] | Response:
    """The editor on a proposal's branch: the commit carries ``Proposal: <n>``; main is untouched."""
    wiki = store()
    context = {**page_context(page), "proposal": proposal}
    open_pages(proposal.number)  # a 409 when it is no longer open
    try:
        text, exists = wiki.read_page(page, proposal.head).text, True
    except PageNotFound:
        text, exists = f"# {names.page_title(page)}\n\n", False
    if request.method == "GET":
        return render_template("pages/edit.html", text=text, base=proposal.head, summary="", exists=exists, **context)
    new_text, summary, base = form_field("text"), summary_field(), form_field("base")
    try:
        result = page_actions.save(current_actor(), page, new_text, base=base or None, summary_text=summary,
                                   proposal=proposal.number)
    except EditConflict as conflict:
        return conflict_editor(conflict, new_text, summary, context)
    except (PageExists, ConflictMarkersLeft) as error:
        flash(error.message, "error")
        return render_template("pages/edit.html", text=new_text, base=base, summary=summary, exists=exists,
                               **context), error.code
    flash(_("Saved in proposal %(number)s; the agreed text is unchanged.", number=proposal.number)
          if result.commit else _("There were no changes to save."), "success" if result.commit else "info")
    return redirect(url_for("pages.view", page=page, proposal=proposal.number))


def _edit_version(page: str, language: str) -> str | tuple[str, int] | Response:
    """Create or edit the ``language`` version of ``page``; a new one starts from the original's text."""
    wiki = store()
    if not wiki.page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s to translate."), page=page)
    context = {**page_context(page), "version_language": language,
               "version_state": next(state for state in wiki.version_states(page) if state.language == language)}
    exists = context["version_state"].blob is not None
    if request.method == "GET":
        text = wiki.read_version(page, language)[0] if exists else wiki.read_page(page).text
        return render_template("pages/edit.html", text=text, base=wiki.head(), summary="", exists=exists,
                               follows=not exists, **context)
    new_text, summary, base = form_field("text"), summary_field(), form_field("base")
    follows = context["follows"] = form_field("follows", required=False) == "1"
    try:
        result = page_actions.save_version(current_actor(), page, language, new_text, follows_original=follows,
                                           base=base or None, summary_text=summary)
    except EditConflict as conflict:  # the version's header is the store's business, not the translator's
        return conflict_editor(conflict, new_text, summary, context, shown=lambda text: split_header(text)[1])
    except ConflictMarkersLeft as error:
        flash(error.message, "error")
        return render_template("pages/edit.html", text=new_text, base=base, summary=summary, exists=exists,
                               **context), error.code
    if result.commit is None:
        flash(_("There were no changes to save."), "info")
    else:
        flash(_("The %(language)s version was saved.", language=LANGUAGE_NAMES[language]), "success")
    return redirect(url_for("pages.view", page=page, lang=language))


def conflict_editor(conflict: EditConflict, typed: str, summary: str, context: dict[str, object], *,
                    shown: Callable[[str], str] = str) -> tuple[str, int]:
    """The editor again after overlapping changes: the merged text with markers, the user's text as
    typed, the saved text, and what the other person changed; nothing is lost."""
    merged, theirs, original = (shown(text) for text in (conflict.merged_text, conflict.their_text,
                                                          conflict.base_text))
    return render_template("pages/edit.html", text=merged, base=conflict.head, summary=summary, exists=True,
                           conflict=conflict, your_text=typed, their_text=theirs,
                           their_changes=diff_texts(original, theirs), **context), 409


def _page_field(name: str) -> str | None:
    """An optional form field holding a page name: ``None`` when empty, a 400 when invalid."""
    raw = form_field(name, required=False).strip()
    if not raw:
        return None
    try:
        return names.normalize_page_name(raw)
    except InvalidPageName as error:
        raise BadForm(N_("The field %(name)s: %(message)s"), name=repr(name), message=error.message) from error


def _refuse_direct_change(proposal: Proposal | None, *pages: str) -> None:
    """Before showing a form: a 409 when the agreed text changes only through proposals here, or
    when the proposal worked in is no longer open."""
    if proposal is None:
        page_actions.check_direct_change(current_actor(), *pages)
    else:
        open_pages(proposal.number)


@bp.route("/<path:page>/-/rename", methods=["GET", "POST"])
@role_required("editor")
@on_canonical_page
def rename(page: str) -> str | tuple[str, int] | Response:
    context = page_context(page)
    proposal = proposal_arg()  # renaming inside a proposal leaves the agreed text as it is
    _refuse_direct_change(proposal, page)
    if not store().page_exists(page, proposal.head if proposal else None):
        raise PageNotFound(N_("There is no page %(page)s to rename."), page=repr(page))
    if request.method == "GET":
        return render_template("pages/rename.html", new_name=page, summary="", **context)
    raw_new = form_field("new_name")
    summary = summary_field()
    try:
        new = names.normalize_page_name(raw_new)
        page_actions.rename(current_actor(), page, new, summary_text=summary,
                            proposal=proposal.number if proposal else None)
    except (InvalidPageName, PageExists) as error:
        flash(error.message, "error")
        return render_template("pages/rename.html", new_name=raw_new, summary=summary, **context), error.code
    flash(_("Renamed %(page)s to %(new)s. Its history continues under the new name.",
                  page=page, new=new), "success")
    return redirect(url_for("pages.view", page=new, proposal=proposal.number if proposal else None))


@bp.route("/<path:page>/-/delete", methods=["GET", "POST"])
@role_required("editor")
@on_canonical_page
def delete(page: str) -> str | Response:
    proposal = proposal_arg()  # deleting inside a proposal leaves the agreed text as it is
    _refuse_direct_change(proposal, page)
    if not store().page_exists(page, proposal.head if proposal else None):
        raise PageNotFound(N_("There is no page %(page)s to delete."), page=repr(page))
    if request.method == "GET":
        return render_template("pages/delete.html", **page_context(page))
    page_actions.delete(current_actor(), page, summary_text=summary_field(),
                        proposal=proposal.number if proposal else None)
    flash(_("Deleted %(page)s. Its history is kept; it can be restored from there.", page=page), "success")
    if proposal is not None:
        return redirect(url_for("proposals.show", number=proposal.number))
    return redirect(url_for("site.pages"))


@bp.post("/<path:page>/-/revert")
@role_required("editor")
@on_canonical_page
def revert(page: str) -> Response:
    _refuse_direct_change(None, page)
    rev = form_field("rev")
    result = page_actions.revert(current_actor(), page, rev, summary_text=summary_field())
    if result.commit is None:
        flash(_("The page already has that text; nothing to revert."), "info")
    else:
        flash(_("Restored the version %(rev)s as a new revision.", rev=rev[:10]), "success")
    return redirect(url_for("pages.view", page=page))


@bp.route("/<path:page>/-/<action>")
def unknown_action(page: str, action: str) -> None:
    abort(404, description=_("Pages have no action %(action)s.", action=repr(action)))
