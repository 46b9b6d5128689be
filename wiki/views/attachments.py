"""Files attached to a page: list and upload, download (any revision), replace, delete, history.

Every upload is checked by its bytes, not its name or the browser's claimed type, and every
download is sniffed again (a push can store anything): only PNG, JPEG, GIF and WebP whose name
agrees are shown inline; everything else, SVG included, is sent as a download with ``nosniff``
and a sandboxing Content-Security-Policy, so a file can never run as part of the wiki.
"""

from __future__ import annotations

from io import BytesIO

from flask import Blueprint, abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from .. import attachments as files
from ..actions.attachments import ATTACHMENT, attach, delete, replace
from ..attachments import human_size
from ..auth import can, current_actor, role_required
from ..errors import N_, AttachmentExists, ContentTooLarge, InvalidContent, PageNotFound
from ..i18n import language
from .common import (
    BadForm,
    form_field,
    on_canonical_page,
    one_upload,
    page_context,
    query_arg,
    store,
    summary_field,
    too_large_page,
)

bp = Blueprint("attachments", __name__)

# frame-ancestors and base-uri do not fall back to default-src: name them, as for every other answer.
DOWNLOAD_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; sandbox"


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> tuple[str, int]:
    """A body over the request limit is refused before it is read: say what the limit is."""
    return too_large_page(ATTACHMENT)


def _name(raw: str) -> str:
    """A canonical attachment name from the URL; anything else names nothing here (404)."""
    try:
        name = files.check_name(raw)
    except files.InvalidAttachment:
        abort(404, description=gettext("There is no attachment with that name."))
    if name != raw:
        abort(404, description=gettext("There is no attachment with that name."))
    return name


def _list(page: str, status: int = 200) -> tuple[str, int]:
    """The page's attachments and the upload form (after a refused change, with its ``status``)."""
    if not store().page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s."), page=repr(page))
    rows = [{"item": item, "size": human_size(item.size, language()), "inline": files.extension_of(item.name) in
             ("png", "jpg", "jpeg", "gif", "webp")} for item in store().list_attachments(page)]
    return render_template(
        "attachments/list.html", rows=rows, can_edit=can("editor"), limit=human_size(ATTACHMENT.size, language()),
        accept=",".join("." + e for e in files.ACCEPTED_EXTENSIONS),
        **page_context(page)), status


@bp.get("/<path:page>/-/attachments")
@on_canonical_page
def attachments(page: str) -> tuple[str, int] | Response:
    return _list(page)


@bp.post("/<path:page>/-/attachments")
@role_required("editor")
@on_canonical_page
def upload(page: str) -> tuple[str, int] | Response:
    """Attach a new file; its name is the uploaded file's name unless the form gives one."""
    try:
        filename, data = one_upload(N_("Choose one file to upload."), ATTACHMENT)
        name = attach(current_actor(), page, data, name=form_field("name", required=False).strip() or filename,
                      summary=summary_field())
    except (files.InvalidAttachment, AttachmentExists, ContentTooLarge, InvalidContent, BadForm) as error:
        flash(error.message, "error")
        return _list(page, error.code)
    flash(gettext("Attached %(name)s.", name=name), "success")
    return redirect(url_for("attachments.attachments", page=page))


@bp.get("/<path:page>/-/attachments/<name>")
@on_canonical_page
def download(page: str, name: str) -> Response:
    """The file as of the tip or ``?rev=``; inline only for raster images, else a download."""
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
@on_canonical_page
def change(page: str, name: str) -> tuple[str, int] | Response:
    """``action=replace`` with a new file of the same type, or ``action=delete``; each is one commit."""
    name = _name(name)
    action = form_field("action")
    try:
        if action == "delete":
            delete(current_actor(), page, name, summary=summary_field())
            flash(gettext("Deleted %(name)s. Earlier versions stay in its history.", name=name), "success")
        elif action == "replace":
            _filename, data = one_upload(N_("Choose one file to upload."), ATTACHMENT)
            if replace(current_actor(), page, name, data, summary=summary_field()):
                flash(gettext("Replaced %(name)s. The previous version stays in its history.", name=name), "success")
            else:
                flash(gettext("The new file is identical to the current one; nothing changed."), "info")
        else:
            raise BadForm(N_("The action must be 'replace' or 'delete'."))
    except (files.InvalidAttachment, ContentTooLarge, InvalidContent, BadForm) as error:
        flash(error.message, "error")
        return _list(page, error.code)
    return redirect(url_for("attachments.attachments", page=page))


@bp.get("/<path:page>/-/attachments/<name>/history")
@on_canonical_page
def history(page: str, name: str) -> str | Response:
    name = _name(name)
    wiki = store()
    rows = []
    for change_info in wiki.attachment_history(page, name):
        present = {item.name: item for item in wiki.list_attachments(page, change_info.id)}.get(name)
        rows.append({"change": change_info, "present": present is not None,
                     "size": human_size(present.size, language()) if present else ""})
    if not rows:
        raise PageNotFound(N_("%(page)s never had an attachment %(name)s."), page=repr(page), name=repr(name))
    return render_template("attachments/history.html", name=name, rows=rows, **page_context(page))

