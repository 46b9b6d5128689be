"""Helpers shared by the view blueprints: the store, page names from URLs, form fields."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlencode

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import format_number, gettext
from werkzeug.wrappers import Response

from .. import names
from ..actions.attachments import UploadLimit
from ..attachments import human_size
from ..errors import N_, WikiError
from ..i18n import language
from ..names import normalize_page_name
from ..render import Renderer
from ..store import Store


class BadForm(WikiError):
    code = 400


def store() -> Store:
    return current_app.extensions["wiki_store"]


def renderer() -> Renderer:
    return current_app.extensions["wiki_renderer"]


def canonical_page(raw: str, endpoint: str) -> tuple[str, Response | None]:
    """The normalized page name, and a redirect when the URL spelled it otherwise (spaces, NFD).

    A site address (``/-/…``) that no route took is a 404, not a bad page name: ``/-/proposals/１``
    (a full-width digit) is simply not an address of this wiki."""
    if raw == "-" or raw.startswith("-/"):
        abort(404)
    page = normalize_page_name(raw)
    if page != raw:
        if request.method not in {"GET", "HEAD"}:  # a redirect would drop the form (and the user's text)
            raise BadForm(N_("Send this form to the page's own address, /%(page)s."), page=page)
        # The query is appended, never passed to url_for: keys such as _external, _scheme or _method
        # would steer the URL builder (another host, or a 500). Those keys are dropped; repeats stay.
        view_args = {key: value for key, value in (request.view_args or {}).items() if key != "page"}
        url = url_for(endpoint, page=page, **view_args)
        query = [(key, value) for key, value in request.args.items(multi=True) if not key.startswith("_")]
        if query:
            url += "?" + urlencode(query)
        return page, redirect(url, 301)
    return page, None


Answer = TypeVar("Answer")


def on_canonical_page(view: Callable[..., Answer]) -> Callable[..., Answer | Response]:
    """Decorate a view of ``/<path:page>/...``: it is called with the canonical page name; a GET of
    the name spelled otherwise is redirected to the canonical address and a form sent to it is a
    400 (see :func:`canonical_page`), so no view repeats the check."""
    @wraps(view)
    def checked(page: str, **values: Any) -> Answer | Response:
        page, redirect_to = canonical_page(page, request.endpoint or "")
        return redirect_to if redirect_to is not None else view(page, **values)

    return checked


def form_field(name: str, *, required: bool = True, default: str = "") -> str:
    """One form field: a missing required field or a duplicated one is a 400 with a message."""
    values = request.form.getlist(name)
    if len(values) > 1:
        raise BadForm(N_("The form field %(name)s was sent more than once."), name=repr(name))
    if not values:
        if required:
            raise BadForm(N_("The form is missing the field %(name)s."), name=repr(name))
        return default
    return values[0]


def summary_field() -> str:
    """The optional edit summary (the commit subject): on one line, at most 200 characters."""
    return " ".join(form_field("summary", required=False).split())[:200]


def one_upload(choose: str, limit: UploadLimit) -> tuple[str, bytes]:
    """The form's one file (field ``file``): its name and at most ``limit.size + 1`` of its bytes, so
    the action tells a file over the limit from one at it; :class:`BadForm` saying ``choose`` (an
    ``N_`` message) unless there is exactly one."""
    uploads = [item for item in request.files.getlist("file") if item.filename]
    if len(uploads) != 1:
        raise BadForm(choose)
    return uploads[0].filename or "", uploads[0].stream.read(limit.size + 1)


def too_large_page(limit: UploadLimit) -> tuple[str, int]:
    """The 413 page for a body over the request limit, refused before it is read: it says the limit."""
    message = gettext(limit.message, size=human_size(limit.size, language()), bytes=format_number(limit.size))
    return render_template("error.html", code=413, message=message), 413


def query_arg(name: str) -> str | None:
    values = request.args.getlist(name)
    if len(values) > 1:
        raise BadForm(N_("The parameter %(name)s was given more than once."), name=repr(name))
    return values[0] if values else None


def page_number() -> int:
    """The ``page`` query parameter for paged lists: a positive integer of sane size."""
    raw = query_arg("p") or "1"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        abort(400, description=gettext("The page number must be a positive whole number."))
    return int(raw)


def page_context(page: str) -> dict[str, object]:
    """What every page-level template needs: name, title, breadcrumbs."""
    return {
        "page": page,
        "title": names.page_title(page),
        "sections": [(section, names.page_title(section)) for section in names.page_sections(page)],
    }
