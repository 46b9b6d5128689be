"""Template filters and globals, so templates stay free of logic; compiled templates kept on disk."""

from __future__ import annotations

from html import escape
from pathlib import Path

from flask import Flask, current_app, g
from flask_babel import gettext
from jinja2 import FileSystemBytecodeCache
from markupsafe import Markup

from .actions import comments
from .auth import can
from .http_cache import mark_incomplete
from .names import page_title
from .store.comment_model import Entry
from .users import DEFAULT_GROUPS, SECRETARIAT_NAME


def group_name(slug: str) -> str:
    """A stakeholder group's display name; an unknown slug (from a push, say) shows as itself."""
    if not slug:
        return gettext("no group")
    if slug == current_app.config["SECRETARIAT_GROUP"]:
        return gettext(SECRETARIAT_NAME)
    name = current_app.config["GROUPS"].get(slug, slug)
    # The default groups' names are in the catalogs; configured ones show as configured.
    return gettext(name) if name in DEFAULT_GROUPS.values() else name


def bdi(value: object) -> Markup:
    """``value`` isolated for bidirectional text (``<bdi>``): a name, user name, page path or date
    put into a translated sentence keeps its own direction (an Arabic sentence around a Latin name
    or a date no longer scrambles both)."""
    return Markup("<bdi>{}</bdi>").format(value)


def person(username: str) -> str:
    """The display name of the account ``username`` (the user name when it has none or is unknown,
    as for commits pushed by people without an account); every account's read once per request."""
    if not username:
        return ""
    if "display_names" not in g:  # one query per request, however many people a page names
        g.display_names = current_app.extensions["wiki_users"].display_names()
    return g.display_names.get(username, username)


def comment_html(entry: Entry) -> str:
    """A comment's Markdown, sanitized like pages (cached by its event file's blob id); within the
    request's budget, else its text as typed, escaped (the answer is then not kept anywhere)."""
    html = current_app.extensions["wiki_discussions"].comment_html(entry, comments.budget())
    if html is not None:
        return html
    g.comments_as_text = g.get("comments_as_text", 0) + 1
    mark_incomplete()
    return f'<p class="comment-as-text">{escape(entry.text)}</p>'


def init_app(app: Flask) -> None:
    # Compiled templates are kept in the instance (keyed by each template's source checksum), so a
    # new worker loads them instead of compiling the templates of its first page view (~0.1 s).
    cache = Path(app.instance_path) / "template-cache"
    cache.mkdir(parents=True, exist_ok=True)
    app.jinja_env.bytecode_cache = FileSystemBytecodeCache(str(cache))
    # Dates and numbers are formatted for the reader's locale: see i18n.init_app.
    app.jinja_env.filters.update(comment_html=comment_html, group_name=group_name, person=person, bdi=bdi,
                                 page_title=page_title)
    app.jinja_env.globals["can"] = can


def compile_templates(app: Flask) -> int:
    """Compile every template into the instance's cache (``flask --app wiki init``), so that not even
    the first worker of a new instance compiles those of its first page (~50 ms); the number compiled."""
    names = app.jinja_env.list_templates()
    for name in names:
        app.jinja_env.get_template(name)
    return len(names)
