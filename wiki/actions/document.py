"""The whole document: recent changes and their filters, named versions, endorsing a page for a
group, and the search index. The web views and the API share these rules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app

from .. import names
from ..errors import N_, InvalidContent, PageNotFound
from ..search import SearchIndex
from ..store import Endorsement, PageEndorsements, Version
from ..texts import one_line
from ..users import USERNAME_RE
from .context import Actor, groups, source_language, store
from .proposals import NotInAGroup

CHANGE_FILTERS = ("group", "user", "page", "section", "since", "until")
ENDORSE_ACTIONS = ("endorse", "withdraw")


def search_index() -> SearchIndex:
    return current_app.extensions["wiki_search"]


def version_languages() -> tuple[str, ...]:
    """The languages a page may have versions in: the six, less the originals' own."""
    return tuple(language for language in names.LANGUAGES if language != source_language())


def _date(name: str, raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        value = datetime.strptime(raw, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise InvalidContent(N_("The date %(name)s must be written YYYY-MM-DD, like 2014-02-28."),
                             name=repr(name)) from None
    if not 1970 <= value.year <= 2099:  # git's date parser misreads years outside this range
        raise InvalidContent(N_("The date %(name)s must be between 1970 and 2099."), name=repr(name))
    return value


def change_criteria(shown: dict[str, str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Recent changes' filters as typed (``shown``, normalized, for links) and as the store takes
    them; a bad one is a 400 naming it."""
    group, user = shown.get("group"), shown.get("user")
    if group is not None and group not in groups():
        raise InvalidContent(N_("There is no stakeholder group %(group)s; the groups are: %(known)s."),
                             group=repr(group), known=", ".join(groups()))
    if user is not None and not USERNAME_RE.match(user):
        raise InvalidContent(N_("%(user)s is not a valid user name."), user=repr(user))
    paths: list[str] = []
    if "page" in shown:
        shown["page"] = names.normalize_page_name(shown["page"])
        paths.append(names.page_file(shown["page"]))
    if "section" in shown:
        shown["section"] = names.normalize_page_name(shown["section"])
        paths += [f"{shown['section']}/", names.page_file(shown["section"])]
    since, until = _date("since", shown.get("since")), _date("until", shown.get("until"))
    if since and until and since > until:
        raise InvalidContent(N_("The date 'since' is after the date 'until'."))
    return shown, {
        "group": group, "user": user, "paths": tuple(paths),
        "since": int(since.timestamp()) if since else None,
        "until": int((until + timedelta(days=1)).timestamp()) - 1 if until else None,
    }


def create_version(actor: Actor, title: str, name: str = "", rev: str | None = None) -> Version:
    """Name the revision ``rev`` (the tip when empty) as a version of the whole document."""
    title = one_line(title, 200)
    if not title:
        raise InvalidContent(N_("Give the version a title, like \u201cChair's draft, 28 February 2014\u201d."))
    return store().create_version(name.strip() or names.version_slug(title), title, rev or None,
                                  author=actor.author)


def endorse_page(actor: Actor, page: str, seen: str, action: str) -> Endorsement:
    """Endorse the page's text at ``seen`` (its current revision) for the actor's group, or withdraw."""
    if action not in ENDORSE_ACTIONS:
        raise InvalidContent(N_("The action must be 'endorse' or 'withdraw'."))
    if actor.group not in groups():
        raise NotInAGroup(N_("Your group %(group)s is not one of this wiki's stakeholder groups."),
                          group=repr(actor.group))
    return store().endorse(page, seen, action=action, author=actor.author)


def page_endorsements(page: str) -> PageEndorsements:
    if not store().page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s."), page=page)
    return store().page_endorsements(page, groups())
