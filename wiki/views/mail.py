"""The links in mail and the address mail goes to: RFC 8058 one-click unsubscribe (``POST`` from
the mail client, no session, no CSRF token: the signed link is the proof) with a page that offers a
lower frequency; a new address typed on /-/account, confirmed by a signed link before use."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..notify import FREQUENCIES, inbox, mail_settings, outbox, texts
from ..notify.mail import BadLink, confirm_token, read_confirm_token, read_unsubscribe_token
from ..users import UserError
from .common import form_field

bp = Blueprint("mail", __name__, url_prefix="/-")


def _unsubscribe_link(token: str) -> tuple[int, list[str]]:
    try:
        return read_unsubscribe_token(current_app, token)
    except BadLink:
        abort(400, description=_("This unsubscribe link is not valid or has expired. Choose how often you get mail "
                                 "on your account page."))


@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> str | tuple[str, int]:
    """GET: what the link does, and lower frequencies; POST (one click, or the page's form): do it."""
    user_id, kinds = _unsubscribe_link(token)
    if current_app.extensions["wiki_users"].get(user_id) is None:
        abort(400, description=_("This unsubscribe link is not valid or has expired. Choose how often you get mail "
                                 "on your account page."))
    label = ", ".join(_(texts.KINDS[kind]) for kind in kinds)
    if request.method == "GET":
        return render_template("notify/unsubscribe.html", token=token, label=label, done=False)
    chosen = request.form.get("frequency") or "never"  # RFC 8058 sends List-Unsubscribe=One-Click
    if chosen not in FREQUENCIES:
        abort(400, description=_("Choose immediately, daily, weekly or never for each kind of mail."))
    inbox().save_settings(user_id, frequencies=dict.fromkeys(kinds, chosen))
    return render_template("notify/unsubscribe.html", token=token, label=label, done=True,
                           chosen=_(texts.FREQUENCIES[chosen]))


@bp.post("/account/email")
@login_required
def change_email() -> Response | tuple[str, int]:
    """Remember the typed address and mail a signed confirmation link to it."""
    if not mail_settings().enabled:
        abort(409, description=_("This wiki sends no mail; ask an administrator to set your address."))
    try:
        address = current_app.extensions["wiki_users"].check_email(form_field("email"))
    except UserError as error:
        abort(400, description=error.message)
    if not address:
        abort(400, description=_("Type an e-mail address."))
    inbox().save_settings(current_user.id, pending_email=address)
    token = confirm_token(current_app, current_user.id, address)
    outbox().add(current_user.id, f"confirm:{current_user.id}:{token[-40:]}", {"type": "confirm", "to": address,
                                                                               "token": token})
    flash(_("A link to confirm %(address)s was sent there; mail goes to it once you open the link.",
            address=address), "success")
    return redirect(url_for("auth.account") + "#notifications")


@bp.get("/account/email/confirm/<token>")
def confirm_email(token: str) -> Response:
    """The confirmation link: the address becomes the account's when it is still the one waiting."""
    try:
        user_id, address = read_confirm_token(current_app, token)
    except BadLink:
        abort(400, description=_("This confirmation link is not valid or has expired. Type your address again on "
                                 "your account page."))
    users = current_app.extensions["wiki_users"]
    user = users.get(user_id)
    if user is None or inbox().settings(user_id).pending_email != address:
        abort(400, description=_("This confirmation link is not valid or has expired. Type your address again on "
                                 "your account page."))
    users.set_email(user.username, address)
    inbox().save_settings(user_id, pending_email="")
    flash(_("Your e-mail address %(address)s is confirmed.", address=address), "success")
    return redirect(url_for("auth.account") if current_user.is_authenticated else url_for("pages.home"))
