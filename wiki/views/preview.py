"""The editor's live preview: Markdown rendered by the server with the page renderer and sanitizer."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, jsonify
from flask_babel import gettext
from werkzeug.wrappers import Response

from ..auth import role_required
from .common import form_field, renderer, store

bp = Blueprint("preview", __name__, url_prefix="/-")


@bp.post("/preview")
@role_required("editor")
def preview() -> Response:
    """``{"html": ...}`` for the posted ``text``, exactly as the page would show once saved.

    A POST (CSRF token in the form or the ``X-CSRFToken`` header) for editors only, so the
    renderer is not an open service; the text is held to the page size limit.
    """
    text = form_field("text")
    limit = current_app.config["MAX_PAGE_BYTES"]
    if len(text.encode("utf-8")) > limit:
        abort(413, description=gettext("The text is larger than a page may be (%(limit)s bytes).",
                                       limit=format(limit, ',')))
    rendered = renderer().render(text)  # no cache key: drafts would push saved pages out of the cache
    wiki = store()
    missing = rendered.links - set(wiki.list_pages()) if rendered.links else set()
    return jsonify(html=renderer().mark_missing(rendered, missing))
