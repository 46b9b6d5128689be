"""``/-/admin/users``: admins manage accounts in the browser (issue 29); ``/-/set-password/<secret>``:
a user sets their password through the link an admin gave them or that was mailed to them;
``/-/forgot-password``: a user who forgot it asks for such a link by mail (when the wiki sends mail).

When the wiki sends mail and the account has an address, a password-set link is mailed to it;
otherwise it is shown once, in the answer to the form that issued it (never in a redirect), with
``Cache-Control: no-store``. The command line (``flask users …``) stays.
"""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from ..accounts import LINK_HOURS, AccountAdmin, ResetThrottled
from ..auth import role_required
from ..errors import N_
from ..notify import mail_settings, outbox
from ..notify.outbox import password_mail_key
from ..users import ROLES, User, UserError, UserStore
from .common import form_field

bp = Blueprint("accounts", __name__, url_prefix="/-")


def _users() -> UserStore:
    return current_app.extensions["wiki_users"]


def _admin() -> AccountAdmin:
    return AccountAdmin(_users())


def _user_or_404(username: str) -> User:
    user = _users().by_username(username)
    if user is None:
        abort(404, description=_("There is no user %(username)s.", username=repr(username)))
    return user


def _no_store(body: str, code: int = 200) -> Response:
    response = Response(body, code, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # a password-set link must not stay in any cache
    return response


def _page(code: int = 200, *, form: dict[str, str] | None = None, link: str = "", link_user: User | None = None
          ) -> Response:
    body = render_template(
        "accounts/users.html", users=_users().all(), groups=_users().groups, roles=ROLES,
        events=_admin().events(), link=link, link_user=link_user,
        form=form or {"username": "", "display_name": "", "email": "", "group": "", "role": "editor"})
    return _no_store(body, code)


def _link_url(secret: str) -> str:
    return url_for("accounts.set_password", secret=secret, _external=True)


def _mail_link(user: User, secret: str, reason: str) -> bool:
    """Queue the link in a mail to the account's address; ``False`` when the wiki sends no mail
    or the account has no address (then the admin is shown the link)."""
    if not (mail_settings().enabled and user.email):
        return False
    outbox().add(user.id, password_mail_key(user.id),
                 {"type": "password", "secret": secret, "reason": reason, "hours": LINK_HOURS})
    return True


def _issued(user: User, secret: str) -> Response:
    """The admin's answer once a link exists: mailed, or shown this once."""
    if _mail_link(user, secret, "admin"):
        flash(_("A link to set the password was mailed to %(address)s; it works for %(hours)s hours.",
                address=user.email, hours=LINK_HOURS), "success")
        return _page()
    return _page(link=_link_url(secret), link_user=user)


@bp.errorhandler(UserError)
def _refused(error: UserError) -> Response:
    """An admin's change the accounts refused (the last admin, an unknown group, …): the page again, with why."""
    flash(error.message, "error")
    return _page(400)


@bp.route("/admin/users", methods=["GET", "POST"])
@role_required("admin")
def users() -> Response:
    """Every account; POST creates one and shows its first password-set link this once."""
    if request.method == "GET":
        return _page()
    form = {name: form_field(name, required=False) for name in ("username", "display_name", "email", "group", "role")}
    try:
        user, secret = _admin().create(current_user.username, form["username"].strip(),
                                       display_name=form["display_name"], email=form["email"],
                                       group=form["group"], role=form["role"])
    except UserError as error:
        flash(error.message, "error")
        return _page(400, form=form)
    flash(_("The account %(username)s was created.", username=user.username), "success")
    return _issued(user, secret)


@bp.post("/admin/users/<username>")
@role_required("admin")
def change(username: str) -> Response:
    """Change the role and the group (the form sends both; unchanged ones are not recorded)."""
    user = _user_or_404(username)
    role, group = form_field("role"), form_field("group")
    if role != user.role:
        _admin().set_role(current_user.username, user.username, role)
    if group != user.group:
        _admin().set_group(current_user.username, user.username, group)
    flash(_("The account %(username)s was saved.", username=user.username), "success")
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<username>/disable")
@role_required("admin")
def disable(username: str) -> Response:
    user = _admin().disable(current_user.username, _user_or_404(username).username)
    flash(_("The account %(username)s is disabled: it cannot log in, and its sessions and tokens stop working.",
            username=user.username), "success")
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<username>/enable")
@role_required("admin")
def enable(username: str) -> Response:
    user = _admin().enable(current_user.username, _user_or_404(username).username)
    flash(_("The account %(username)s is enabled again.", username=user.username), "success")
    return redirect(url_for("accounts.users"))


@bp.post("/admin/users/<username>/password-link")
@role_required("admin")
def password_link(username: str) -> Response:
    user = _user_or_404(username)
    return _issued(user, _admin().issue_link(current_user.username, user.username))


@bp.route("/set-password/<secret>", methods=["GET", "POST"])
def set_password(secret: str) -> Response:
    """Anyone holding the link sets the account's password, once (open on a private wiki too)."""
    admin = _admin()
    user = admin.link_user(secret)
    if user is None:
        body = render_template("accounts/set_password.html", user=None)
        return _no_store(body, 404)
    if request.method == "GET":
        return _no_store(render_template("accounts/set_password.html", user=user))
    password, confirm = form_field("new_password"), form_field("confirm_password")
    try:
        if password != confirm:
            raise UserError(N_("The two new passwords differ."))
        admin.use_link(secret, password)
    except UserError as error:
        flash(error.message, "error")
        return _no_store(render_template("accounts/set_password.html", user=user), 400)
    flash(_("Your password is set. Log in with it now."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/forgot-password", methods=["GET", "POST"])
def forgot_password() -> Response:
    """Ask for a password-set link by mail. Every request gets the same answer, whether an account
    matched or not; a client address that asks too often gets a 429."""
    if not mail_settings().enabled:
        abort(404, description=_("This wiki sends no mail: ask an administrator to reset your password."))
    if request.method == "GET":
        return _no_store(render_template("accounts/forgot_password.html", sent=False, typed=""))
    typed = form_field("account").strip()
    if not typed:
        flash(_("Type your user name or your e-mail address."), "error")
        return _no_store(render_template("accounts/forgot_password.html", sent=False, typed=""), 400)
    try:
        found = _admin().request_reset(typed, address=request.remote_addr or "")
    except ResetThrottled as error:
        flash(error.message, "error")
        response = _no_store(render_template("accounts/forgot_password.html", sent=False, typed=typed), 429)
        response.headers["Retry-After"] = "3600"
        return response
    if found is not None:
        _mail_link(found[0], found[1], "reset")
    return _no_store(render_template("accounts/forgot_password.html", sent=True, typed=""))
