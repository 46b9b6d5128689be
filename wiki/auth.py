"""flask-login wiring, the permission checks views use, and who a commit is attributed to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import TypeVar

from flask import Flask, abort, current_app, request
from flask_babel import gettext
from flask_login import AnonymousUserMixin, LoginManager, current_user

from .actions.context import Actor
from .errors import N_
from .store import Author
from .users import User, UserStore, role_at_least

F = TypeVar("F", bound=Callable[..., object])


class Anonymous(AnonymousUserMixin):
    role = ""
    group = ""
    username = ""
    language = ""

    def has_role(self, role: str) -> bool:
        return False


def users() -> UserStore:
    return current_app.extensions["wiki_users"]


def init_app(app: Flask) -> None:
    manager = LoginManager()
    manager.login_view = "auth.login"
    manager.login_message = N_("Please log in to see this page.")
    manager.localize_callback = gettext  # the login prompt in the reader's language
    manager.anonymous_user = Anonymous
    manager.session_protection = "basic"
    manager.init_app(app)

    @manager.user_loader
    def load_user(user_id: str) -> User | None:
        """The user of a session cookie, only while its login is open server-side and its session
        version is current: logging out, or changing the password, ends it even in copied cookies."""
        identifier, version, token = (user_id.split(":") + ["", ""])[:3]
        if not identifier.isdigit() or not version.isdigit() or not token:
            return None
        user = users().get(int(identifier))
        if (user is None or user.disabled_at is not None or user.session_version != int(version)
                or not users().login_open(user.id, token)):
            return None
        return replace(user, login_token=token)

    @app.before_request
    def require_login_when_private() -> object:
        if request.blueprint == "api":  # the API answers 401 itself (it takes tokens, not the login form)
            return None
        if app.config["PUBLIC_READ"] or current_user.is_authenticated:
            return None
        # the login page and its language menu; a primary's notification to its replica (no data);
        # health, readiness and metrics (load balancers and monitoring have no account); the signed links
        # in mail (a mail client unsubscribes with no session, RFC 8058; they show no content); the
        # password-set link an admin gave (the link is the credential) and the form that mails one
        if request.endpoint in {"auth.login", "accounts.set_password", "accounts.forgot_password", "static",
                                "language.choose", "replica.notify", "operations.health", "operations.ready",
                                "operations.metrics", "mail.unsubscribe", "mail.confirm_email"}:
            return None
        if request.blueprint == "git_http":  # git clients authenticate with HTTP Basic there
            return None
        return manager.unauthorized()


def can(role: str) -> bool:
    """Whether the current user has ``role`` (or a higher one)."""
    return bool(current_user.is_authenticated and role_at_least(current_user.role, role))


def role_required(role: str) -> Callable[[F], F]:
    """Decorator: anonymous users are sent to log in; logged-in users without ``role`` get 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: object, **kwargs: object) -> object:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()
            if not role_at_least(current_user.role, role):
                abort(403, description=gettext("This needs the role %(role)s; your role is %(yours)s.",
                                               role=repr(role), yours=repr(current_user.role)))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def current_actor() -> Actor:
    """Whoever makes the current request, as the actions take it (anonymous: no name, no role)."""
    if not current_user.is_authenticated:
        return Actor()
    user: User = current_user  # type: ignore[assignment]
    return Actor(username=user.username, display_name=user.display_name, email=user.commit_email,
                 group=user.group, role=user.role)


def current_author() -> Author:
    """The commit author for the logged-in user: display name, e-mail, user name and group."""
    user: User = current_user  # type: ignore[assignment]
    return Author(name=user.display_name, email=user.commit_email, username=user.username, group=user.group)
