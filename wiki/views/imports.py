"""Importing a Word or OpenDocument text file as a page, a new revision of one, or a proposal.

Two steps, so nothing is saved unseen: the upload is staged on the server under
``<instance>/imports/<sha256 of the upload>/`` (:mod:`wiki.office.staging`: a per-person quota of
count and bytes) and checked and converted (``wiki.office.docimport``) by a job of the export job
runner, never in the request itself: the request waits at most ``EXPORT_WAIT_SECONDS``, then
answers with a progress page that leads to ``/-/import/<digest>``, the preview. The preview shows
the rendered page, and for an existing page the word diff, with a signed token naming the staged
conversion, the page, the user and the base revision. Saving reads the staged conversion back and
saves it like the editor does (three-way merge from the base revision; the conflict editor when
the changes overlap), with the images attached in the same commit. A forged, altered or stale
token is a 400.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from .. import attachments, names
from ..actions.attachments import DOCUMENT
from ..actions.imports import (
    check_choice,
    conversion_limits,
    import_base,
    import_page,
    left_out,
    may_choose,
    page_text,
    save_document,
    title_notice,
)
from ..actions.pages import proposal_required
from ..attachments import human_size
from ..auth import current_actor, role_required
from ..diffs import diff_texts
from ..errors import N_, InvalidPageName, PageExists, PageMoved, PageNotFound
from ..office import docimport, tracked
from ..office.jobs import DONE, FAILED, Job
from ..office.staging import Staging
from .common import BadForm, form_field, one_upload, page_context, renderer, store, summary_field, too_large_page
from .export import JobFailed, start_job
from .pages import conflict_editor, flash_saved

bp = Blueprint("imports", __name__, url_prefix="/-")
TOKEN_SALT = "living-wiki-import"
STAGE_SECONDS = 24 * 3600  # a staged conversion (and its token) lives this long
ACCEPT = ".docx,.odt,application/vnd.openxmlformats-officedocument.wordprocessingml.document," \
         "application/vnd.oasis.opendocument.text"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def staging_root() -> Path:
    return Path(current_app.instance_path) / "imports"


def raise_body_limit() -> None:
    """An import may be larger than any other request: raise the body limit for that one route
    (registered before CSRFProtect's hook, which reads the form)."""
    if request.endpoint == "imports.import_document" and request.method == "POST":
        request.max_content_length = max(current_app.config["MAX_CONTENT_LENGTH"] or 0,
                                         current_app.config["MAX_IMPORT_BYTES"] + 65536)


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    return too_large_page(DOCUMENT)


def _form(status: int = 200, **values: object) -> tuple[str, int]:
    context = {"page": request.values.get("page", ""), "summary": "", "proposal": False,
               "limit": human_size(DOCUMENT.size), "accept": ACCEPT, **values}
    return render_template("imports/form.html", **context), status


@bp.route("/import", methods=["GET", "POST"])
@role_required("editor")
def import_document() -> str | tuple[str, int] | Response:
    if request.method == "GET":
        return _form()
    if form_field("token", required=False):
        return _save()
    return _preview()


def _page_name() -> str:
    raw = form_field("page").strip()
    try:
        return names.normalize_page_name(raw)
    except InvalidPageName as error:
        raise BadForm(N_("The page name: %(reason)s"), reason=error.message) from error


def _requested_page(raw: str) -> str:
    """The page name asked for on the form: a name, a section ending in ``/`` or nothing (both then
    take the document's Word Title as the page's name, once it is converted); checked at once."""
    raw = raw.strip()
    try:
        if raw:
            names.normalize_page_name(raw.removesuffix("/"))
    except InvalidPageName as error:
        raise BadForm(N_("The page name: %(reason)s"), reason=error.message) from error
    return raw[:200]


def staging() -> Staging:
    """The staged uploads and each person's share (``IMPORT_STAGED_PER_USER``, ``IMPORT_STAGED_BYTES_PER_USER``)."""
    return Staging(staging_root(), per_user=int(current_app.config["IMPORT_STAGED_PER_USER"]),
                   bytes_per_user=int(current_app.config["IMPORT_STAGED_BYTES_PER_USER"]), max_age=STAGE_SECONDS)


def _converted(digest: str, leave_out: frozenset[int] = frozenset()) -> docimport.Converted:
    converted = staging().load(digest, leave_out)
    if converted is None:
        raise BadForm(N_("The uploaded document is no longer on the server. Upload it again."))
    return converted


@bp.get("/import/<digest>/<name>")
@role_required("editor")
def staged_image(digest: str, name: str) -> Response:
    """An image of a staged conversion, for the preview (raster images only, as attachments are shown)."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest) or not re.fullmatch(r"image-[0-9a-f]{12}\.(png|jpg|gif|webp)", name):
        abort(404)
    path = staging().image(digest, name)
    if not path.is_file():
        abort(404)
    data = path.read_bytes()
    kind = attachments.sniff(data)
    if not kind.inline:
        abort(404)
    response = send_file(io.BytesIO(data), mimetype=kind.mimetype, max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _preview() -> tuple[str, int] | Response:
    page = _requested_page(form_field("page", required=False))
    filename, data = one_upload(N_("Choose one .docx or .odt file to import."), DOCUMENT)
    staged = staging().stage(DOCUMENT.check(current_actor(), data), filename, current_actor().username)
    return _preview_when_converted(staged.digest, page, wants_proposal=form_field("proposal", required=False) == "1",
                                   summary=summary_field())


@bp.get("/import/<digest>")
@role_required("editor")
def staged_preview(digest: str) -> tuple[str, int] | Response:
    """The preview of a document this user uploaded, once converted (the progress page leads here)."""
    if not re.fullmatch(r"[0-9a-f]{64}", digest) or not staging().owns(digest, current_actor().username):
        abort(404, description=_("The uploaded document is no longer on the server. Upload it again."))
    page = _requested_page(request.args.get("page", ""))
    return _preview_when_converted(digest, page, wants_proposal=request.args.get("proposal") == "1",
                                   summary=" ".join(request.args.get("summary", "").split())[:200],
                                   leave_out=_numbers(request.args.get("left_out", "")))


def _numbers(value: str) -> frozenset[int]:
    """The tracked changes left out, as the progress page's link writes them (``3,5,8``)."""
    if not value:
        return frozenset()
    if not re.fullmatch(r"[0-9]{1,6}(,[0-9]{1,6}){0,1999}", value):
        raise BadForm(N_("The tracked changes to leave out are not a list of numbers."))
    return frozenset(int(number) for number in value.split(","))


def _preview_when_converted(digest: str, requested: str, *, wants_proposal: bool, summary: str,
                            leave_out: frozenset[int] = frozenset()) -> tuple[str, int] | Response:
    """The preview when the conversion is done (waiting for it up to ``EXPORT_WAIT_SECONDS``), its
    failure, or the progress page that comes back to :func:`staged_preview`. ``requested`` is the
    page name asked for (or a section, or nothing: the file's Title names the page); ``leave_out``
    the tracked changes the secretariat left out (a conversion of its own)."""
    files = staging()
    staged = files.get(digest)
    if staged is None:
        raise BadForm(N_("The uploaded document is no longer on the server. Upload it again."))
    if leave_out:
        check_choice(current_actor())
    if files.load(digest, leave_out) is None:
        job = start_job(files.job(staged, leave_out), files.conversion(digest, conversion_limits(), leave_out),
                        filename=staged.filename, mimetype="text/plain", wait=True, count_as=None)
        if job.state == FAILED:
            raise JobFailed(job)
        if job.state != DONE:
            return _progress(digest, requested, job, staged.filename, wants_proposal=wants_proposal,
                             summary=summary, leave_out=leave_out)
    converted = _converted(digest, leave_out)
    try:
        page = import_page(converted, requested)
    except InvalidPageName as error:
        raise BadForm(N_("The page name: %(reason)s"), reason=error.message) from error
    wiki = store()
    base = import_base(converted, page)
    text = page_text(converted, page)
    try:
        current = wiki.read_page(page, base.commit).text
        exists = True
    except PageNotFound:
        current, exists = "", False
    if base.notice:
        flash(_(base.notice, **(base.params or {})), "warning")
    untitled = title_notice(converted, page)
    if untitled is not None:
        flash(_(untitled[0], **untitled[1]), "warning")
    token = _serializer().dumps({"h": digest, "p": page, "u": current_actor().username, "b": base.commit or "",
                                 "l": list(converted.left_out)})
    # The preview shows the images from the staging area; the text saved points at the page's attachments.
    rendered = renderer().render(docimport.for_page(converted, url_for("imports.staged_image", digest=digest,
                                                                       name="x")[:-1]))
    required = proposal_required(current_actor(), page)
    return render_template(
        "imports/preview.html", page=page, title=names.page_title(page), filename=staged.filename,
        html=rendered.html, diff=diff_texts(current, text) if exists else None, exists=exists, token=token,
        images=sorted(converted.images), dropped=converted.dropped, text=text,
        summary=summary or _("Import %(file)s", file=staged.filename[:150]),
        proposal=wants_proposal or required or bool(converted.changes), proposal_required=required,
        redline=bool(converted.changes), changes=tracked.by_author(converted.changes), comments=converted.comments,
        choose=may_choose(current_actor()), left_out=frozenset(converted.left_out),
        kept_authors=frozenset(converted.choice.credited),
        exported=base.exported,
        base=base.commit or ""), 200


def _progress(digest: str, page: str, job: Job, filename: str, *, wants_proposal: bool, summary: str,
              leave_out: frozenset[int]) -> Response:
    """202 and the export progress page, leading to the preview when the conversion is done."""
    query = {"page": page, **({"proposal": "1"} if wants_proposal else {}), **({"summary": summary} if summary else {}),
             **({"left_out": ",".join(map(str, sorted(leave_out)))} if leave_out else {})}
    response = Response(render_template(
        "export/progress.html", job=job, key=job.key, title=filename,
        heading=_("Converting %(file)s", file=filename), stage=_("Converting"),
        next_url=url_for("imports.staged_preview", digest=digest, **query),
        next_label=_("Show the preview when it is ready"),
        explanation=_("Large documents are converted in the background. This page follows the work and shows the "
                      "preview when it is ready; you may also leave and come back to the same address.")),
        202, mimetype="text/html")
    response.headers["Retry-After"] = "2"
    return response


def _save() -> str | tuple[str, int] | Response:
    try:
        claims = _serializer().loads(form_field("token"), max_age=STAGE_SECONDS)
    except SignatureExpired:
        raise BadForm(N_("This import preview is more than a day old. Upload the document again.")) from None
    except BadSignature:
        raise BadForm(N_("This import form was not made by this wiki, or was changed. Upload the document "
                         "again.")) from None
    actor = current_actor()
    if not isinstance(claims, dict) or claims.get("u") != actor.username or claims.get("p") != _page_name():
        raise BadForm(N_("This import form was made for another user or page. Upload the document again."))
    page, base = claims["p"], claims["b"] or None
    converted = _converted(claims["h"], frozenset(number for number in claims.get("l", ()) if isinstance(number, int)))
    if form_field("choosing", required=False) == "1":  # the secretariat's choice of tracked changes
        wanted = left_out(actor, converted, authors=set(request.form.getlist("author")),
                          changes={int(value) for value in request.form.getlist("change")
                                   if re.fullmatch(r"[0-9]{1,6}", value)},
                          authors_before=set(request.form.getlist("author_before")))
        if wanted != frozenset(converted.left_out) or form_field("action", required=False) == "choose":
            return _preview_when_converted(claims["h"], page, wants_proposal=True, summary=summary_field(),
                                           leave_out=wanted)  # nothing saved unseen: the text with that choice
    summary = summary_field() or _("Import %(page)s", page=page)
    try:
        imported = save_document(actor, page, converted, base=base, summary_text=summary,
                                 as_proposal=form_field("proposal", required=False) == "1",
                                 rationale=_rationale(converted))
    except (PageMoved, PageExists) as error:
        flash(error.message, "error")
        return _form(409, page=page)
    staging().discard(claims["h"])  # in the page (or its proposal) now: its owner's share frees up
    proposal = imported.proposal
    if imported.conflict is not None:  # the agreed text moved under the preview: the conflict editor
        context = {**page_context(page), "proposal": proposal} if proposal else \
            {**page_context(page), "proposal_required": False}
        return conflict_editor(imported.conflict, page_text(converted, page), summary, context)
    if proposal is not None:
        flash(_("Proposal %(number)s started with the imported text; the agreed text is unchanged until it is "
                "merged.", number=proposal.number), "success")
        return redirect(url_for("pages.view", page=page, proposal=proposal.number))
    flash_saved(imported.result, merged=_("Someone else changed this page since the preview. Their changes touched "
                                          "other lines, so both were merged and saved. Please check the result."),
                saved=_("The document was imported."))
    return redirect(url_for("pages.view", page=page))


def _rationale(converted: docimport.Converted) -> str:
    """The proposal's rationale: where its text came from and, when the secretariat left tracked
    changes out, which ones (never dropped silently)."""
    lines = [_("Imported from a document.")]
    dropped = converted.choice.dropped
    if dropped:
        lines += ["", _("Tracked changes in the file that were left out of this proposal:"), ""]
        for change in dropped:
            what = _("Inserted") if change.kind == "insertion" else _("Deleted")
            lines.append(f"- {change.author or _('Unknown author')}: {what} “{change.text}”")
    return "\n".join(lines)
