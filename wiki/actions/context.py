"""Who acts and what the actions work on: the actor, and the app's store, settings and helpers."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context

from ..i18n import DEFAULT_LANGUAGE, language
from ..render import Renderer
from ..store import Author, Store
from ..users import in_secretariat, role_at_least


@dataclass(frozen=True)
class Actor:
    """Whoever performs an action: a logged-in user, a token's owner, or an anonymous reader
    (``role`` empty). The ways in build it; the actions decide with it."""

    username: str = ""
    display_name: str = ""
    email: str = ""
    group: str = ""
    role: str = ""

    @property
    def logged_in(self) -> bool:
        return bool(self.username)

    def can(self, role: str) -> bool:
        """Whether the actor has ``role`` or a higher one."""
        return self.logged_in and role_at_least(self.role, role)

    @property
    def secretariat(self) -> bool:
        """Whether the actor is an editor (or more) of the secretariat, which runs the process."""
        return in_secretariat(self)

    @property
    def author(self) -> Author:
        """The commit author: display name, e-mail, user name and group."""
        return Author(name=self.display_name or self.username, email=self.email, username=self.username,
                      group=self.group)


def store() -> Store:
    return current_app.extensions["wiki_store"]


def renderer() -> Renderer:
    return current_app.extensions["wiki_renderer"]


def setting(name: str) -> object:
    return current_app.config[name]


def groups() -> tuple[str, ...]:
    """The stakeholder groups whose consensus counts, in the order the settings give."""
    return tuple(current_app.config["GROUPS"])


def source_language() -> str:
    """The language of the originals (``CONTENT_LANGUAGE``)."""
    return current_app.config["CONTENT_LANGUAGE"]


def reader_language() -> str:
    """The interface language of the request (English outside one, as for the CLI), for values an
    action formats into a message itself, such as a file size."""
    return language() if has_request_context() else DEFAULT_LANGUAGE
