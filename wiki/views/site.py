"""Site-wide pages under ``/-/``: the page index and creating a page by name."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from werkzeug.wrappers import Response

from .. import names
from ..auth import can
from ..errors import InvalidPageName
from .common import query_arg, store

bp = Blueprint("site", __name__, url_prefix="/-")


@bp.get("/pages")
def pages() -> str:
    """All pages grouped by section (folder), sections in order, top-level pages first."""
    sections: dict[str, list[tuple[str, str]]] = {}
    for page in store().list_pages():
        section, _, _ = page.rpartition("/")
        sections.setdefault(section, []).append((page, names.page_title(page)))
    ordered = sorted(sections.items(), key=lambda item: (item[0] != "", item[0].casefold()))
    return render_template("site/pages.html", sections=ordered, total=sum(len(v) for v in sections.values()),
                           can_edit=can("editor"))


@bp.get("/new")
def new_page() -> str | tuple[str, int] | Response:
    """Ask for a page name, then open the editor for it (existing pages open as they are)."""
    raw = query_arg("name")
    if raw is None:
        return render_template("site/new.html", name="", can_edit=can("editor"))
    try:
        page = names.normalize_page_name(raw)
    except InvalidPageName as error:
        flash(error.message, "error")
        return render_template("site/new.html", name=raw, can_edit=can("editor")), 400
    if store().page_exists(page):
        return redirect(url_for("pages.view", page=page))
    return redirect(url_for("pages.edit", page=page))
