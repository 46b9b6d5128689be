"""Logging in and out, and changing one's own password."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ..users import LoginThrottled, UserError, UserStore
from .common import form_field, query_arg

bp = Blueprint("auth", __name__, url_prefix="/-")


def _users() -> UserStore:
    return current_app.extensions["wiki_users"]


def safe_next(target: str | None) -> str:
    """Where to go after login: only a path on this site, never another host."""
    if (not target or not target.startswith("/") or target.startswith("//")
            or "\\" in target or any(ord(c) < 32 for c in target)):
        return url_for("pages.home")
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | tuple[str, int] | Response:
    next_url = query_arg("next")
    if request.method == "GET":
        return render_template("auth/login.html", next=next_url or "", username="")
    username = form_field("username").strip()
    password = form_field("password")
    next_url = form_field("next", required=False) or next_url
    users = _users()
    try:
        user = users.log_in(username, password, address=request.remote_addr or "")
    except LoginThrottled as error:
        flash(error.message, "error")
        return render_template("auth/login.html", next=next_url or "", username=username), 429
    if user is None:
        flash(gettext("Wrong user name or password."), "error")
        return render_template("auth/login.html", next=next_url or "", username=username), 401
    session.clear()  # a fresh session at login: nothing from before carries over
    login_user(users.open_login(user))
    flash(gettext("Logged in as %(name)s.", name=user.display_name), "success")
    return redirect(safe_next(next_url))


@bp.post("/logout")
def logout() -> Response:
    if current_user.is_authenticated:
        _users().close_login(current_user.id, current_user.login_token)
    logout_user()
    session.clear()
    flash(gettext("Logged out."), "info")
    return redirect(url_for("pages.home"))


@bp.post("/account/editor-mode")
@login_required
def editor_mode() -> Response:
    """Remember the mode chosen on an edit page's Visual/Markdown switch (sent by the page's script),
    so the next edit page opens in it in any browser."""
    try:
        _users().set_editor_mode(current_user.username, form_field("mode"))
    except UserError as error:
        return Response(error.message, 400, mimetype="text/plain")
    return Response(status=204)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account() -> str | tuple[str, int] | Response:
    if request.method == "GET":
        return render_template("auth/account.html")
    users = _users()
    if "language" in request.form:  # the language form; the password form does not send it
        try:
            users.set_language(current_user.username, form_field("language"))
        except UserError as error:
            flash(error.message, "error")
            return render_template("auth/account.html"), 400
        flash(gettext("Your language setting was saved."), "success")
        return redirect(url_for("auth.account"))
    current = form_field("current_password")
    new = form_field("new_password")
    confirm = form_field("confirm_password")
    if users.authenticate(current_user.username, current) is None:
        flash(gettext("Your current password is not right."), "error")
        return render_template("auth/account.html"), 400
    if new != confirm:
        flash(gettext("The two new passwords differ."), "error")
        return render_template("auth/account.html"), 400
    try:
        user = users.set_password(current_user.username, new)
    except UserError as error:
        flash(error.message, "error")
        return render_template("auth/account.html"), 400
    session.clear()
    login_user(users.open_login(user))  # this session continues; every other one has ended
    flash(gettext("Your password was changed. Other sessions have been logged out."), "success")
    return redirect(url_for("auth.account"))
