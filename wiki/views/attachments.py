"""Files attached to a page: list and upload, download (any revision), replace, delete, history.

Every upload is checked by its bytes, not its name or the browser's claimed type, and every
download is sniffed again (a push can store anything): only PNG, JPEG, GIF and WebP whose name
agrees are shown inline; everything else, SVG included, is sent as a download with ``nosniff``
and a sandboxing Content-Security-Policy, so a file can never run as part of the wiki.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import format_number, gettext
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from .. import attachments as files
from .. import limits
from ..auth import can, current_author, role_required
from ..errors import N_, AttachmentExists, ContentTooLarge, PageNotFound
from .common import BadForm, canonical_page, form_field, page_context, query_arg, store, summary_field

bp = Blueprint("attachments", __name__)

# frame-ancestors and base-uri do not fall back to default-src: name them, as for every other answer.
DOWNLOAD_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox"


def _limit_message() -> str:
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    return gettext("Attachments can be at most %(size)s (%(bytes)s bytes). Nothing was saved.",
                   size=human_size(limit), bytes=format_number(limit))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A body over the request limit is refused before it is read: say what the limit is."""
    return render_template("error.html", code=413, message=_limit_message()), 413


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{int(value)} {unit}" if unit == "bytes" else f"{value:.1f} {unit}".replace(".0 ", " ")
        value /= 1024
    return f"{size} bytes"


def _name(raw: str) -> str:
    """A canonical attachment name from the URL; anything else names nothing here (404)."""
    try:
        name = files.check_name(raw)
    except files.InvalidAttachment:
        abort(404, description=gettext("There is no attachment with that name."))
    if name != raw:
        abort(404, description=gettext("There is no attachment with that name."))
    return name


def _upload() -> tuple[FileStorage, bytes]:
    uploads = [item for item in request.files.getlist("file") if item.filename]
    if len(uploads) != 1:
        raise BadForm(N_("Choose one file to upload."))
    limit = current_app.config["MAX_ATTACHMENT_BYTES"]
    data = uploads[0].stream.read(limit + 1)
    if len(data) > limit:
        raise ContentTooLarge(N_("Attachments can be at most %(size)s (%(bytes)s bytes). Nothing was saved."),
                              size=human_size(limit), bytes=format(limit, ","))
    if not data:
        raise files.InvalidAttachment(N_("The file is empty."))
    return uploads[0], data


def _list(page: str, status: int = 200) -> tuple[str, int]:
    rows = [{"item": item, "size": human_size(item.size), "inline": files.extension_of(item.name) in
             ("png", "jpg", "jpeg", "gif", "webp")} for item in store().list_attachments(page)]
    return render_template(
        "attachments/list.html", rows=rows, can_edit=can("editor"), limit=human_size(
            current_app.config["MAX_ATTACHMENT_BYTES"]), accept=",".join("." + e for e in files.ACCEPTED_EXTENSIONS),
        **page_context(page)), status


@bp.get("/<path:page>/-/attachments")
def attachments(page: str) -> tuple[str, int] | Response:
    page, redirect_to = canonical_page(page, "attachments.attachments")
    if redirect_to:
        return redirect_to
    if not store().page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s."), page=repr(page))
    return _list(page)


@bp.post("/<path:page>/-/attachments")
@role_required("editor")
def upload(page: str) -> tuple[str, int] | Response:
    """Attach a new file; its name is the uploaded file's name unless the form gives one."""
    page, redirect_to = canonical_page(page, "attachments.upload")
    if redirect_to:
        abort(400, description=gettext("Upload to the page under its canonical name."))
    if not store().page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s to attach files to."), page=repr(page))
    limits.check("uploads")
    try:
        upload_file, data = _upload()
        name = files.check_name(form_field("name", required=False).strip() or upload_file.filename or "")
        files.check_content(name, data)
        store().save_attachment(page, name, data, author=current_author(), summary=summary_field())
    except (files.InvalidAttachment, AttachmentExists, ContentTooLarge, BadForm) as error:
        flash(error.message, "error")
        return _list(page, error.code)
    flash(gettext("Attached %(name)s.", name=name), "success")
    return redirect(url_for("attachments.attachments", page=page))


@bp.get("/<path:page>/-/attachments/<name>")
def download(page: str, name: str) -> Response:
    """The file as of the tip or ``?rev=``; inline only for raster images, else a download."""
    page, redirect_to = canonical_page(page, "attachments.download")
    if redirect_to:
        return redirect_to
    name = _name(name)
    rev = query_arg("rev")
    item, data, _commit = store().read_attachment(page, name, rev)
    kind = files.serving_kind(name, data)
    response = send_file(BytesIO(data), mimetype=kind.mimetype, as_attachment=not kind.inline,
                         download_name=name, etag=item.blob_id, conditional=True,
                         max_age=31536000 if rev else 0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not kind.inline:
        response.headers["Content-Security-Policy"] = DOWNLOAD_POLICY
    return response


@bp.post("/<path:page>/-/attachments/<name>")
@role_required("editor")
def change(page: str, name: str) -> tuple[str, int] | Response:
    """``action=replace`` with a new file of the same type, or ``action=delete``; each is one commit."""
    page, redirect_to = canonical_page(page, "attachments.change")
    if redirect_to:
        abort(400, description=gettext("Change the attachment under the page's canonical name."))
    name = _name(name)
    action = form_field("action")
    try:
        if action == "delete":
            store().delete_attachment(page, name, author=current_author(), summary=summary_field())
            flash(gettext("Deleted %(name)s. Earlier versions stay in its history.", name=name), "success")
        elif action == "replace":
            limits.check("uploads")
            _upload_file, data = _upload()
            files.check_content(name, data)
            if store().save_attachment(page, name, data, author=current_author(), summary=summary_field(),
                                       replace=True) is None:
                flash(gettext("The new file is identical to the current one; nothing changed."), "info")
            else:
                flash(gettext("Replaced %(name)s. The previous version stays in its history.", name=name), "success")
        else:
            raise BadForm(N_("The action must be 'replace' or 'delete'."))
    except (files.InvalidAttachment, ContentTooLarge, BadForm) as error:
        flash(error.message, "error")
        return _list(page, error.code)
    return redirect(url_for("attachments.attachments", page=page))


@bp.get("/<path:page>/-/attachments/<name>/history")
def history(page: str, name: str) -> str | Response:
    page, redirect_to = canonical_page(page, "attachments.history")
    if redirect_to:
        return redirect_to
    name = _name(name)
    wiki = store()
    rows = []
    for change_info in wiki.attachment_history(page, name):
        present = {item.name: item for item in wiki.list_attachments(page, change_info.id)}.get(name)
        rows.append({"change": change_info, "present": present is not None,
                     "size": human_size(present.size) if present else ""})
    if not rows:
        raise PageNotFound(N_("%(page)s never had an attachment %(name)s."), page=repr(page), name=repr(name))
    return render_template("attachments/history.html", name=name, rows=rows, **page_context(page))

