"""Personal access tokens in the browser: ``/-/account/tokens`` for one's own (create, list, revoke),
``/-/admin/tokens`` for an admin to list and revoke everyone's.

A new token's secret is shown once, in the answer to the form that created it (never in a URL,
never again), with ``Cache-Control: no-store``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..auth import role_required
from ..tokens import MAX_DAYS, SCOPES, Token, TokenError, TokenStore
from .common import form_field

bp = Blueprint("tokens", __name__, url_prefix="/-")
DEFAULT_DAYS = 90


def tokens() -> TokenStore:
    return current_app.extensions["wiki_tokens"]


def _expiry(raw: str) -> int:
    """The end of the chosen day (UTC) as a timestamp; a 400 with a message when not a date."""
    try:
        day = date.fromisoformat(raw.strip())
    except ValueError:
        raise TokenError(_("The expiry must be a date written YYYY-MM-DD.")) from None
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()) + 86399


def _page(code: int = 200, *, form: dict[str, str] | None = None, secret: str = "", created: Token | None = None
          ) -> tuple[str, int]:
    today = datetime.now(UTC).date()
    return render_template(
        "tokens/account.html", tokens=tokens().of_user(current_user.id), scopes=SCOPES, secret=secret,
        created=created, form=form or {"name": "", "scope": "read",
                                       "expires": (today + timedelta(days=DEFAULT_DAYS)).isoformat()},
        min_date=(today + timedelta(days=1)).isoformat(), max_date=(today + timedelta(days=MAX_DAYS)).isoformat(),
        max_days=MAX_DAYS,
    ), code


@bp.route("/account/tokens", methods=["GET", "POST"])
@login_required
def account_tokens() -> tuple[str, int] | Response:
    """The user's tokens; POST creates one and shows its secret this once."""
    if request.method == "GET":
        return _page()
    form = {"name": form_field("name"), "scope": form_field("scope"), "expires": form_field("expires")}
    try:
        token, secret = tokens().create(current_user, form["name"], form["scope"], _expiry(form["expires"]))
    except TokenError as error:
        flash(error.message, "error")
        return _page(400, form=form)
    body, code = _page(secret=secret, created=token)
    response = Response(body, code, mimetype="text/html")
    response.headers["Cache-Control"] = "no-store"  # the secret must not stay in any cache
    return response


@bp.post("/account/tokens/<int:token_id>/revoke")
@login_required
def revoke(token_id: int) -> Response:
    token = tokens().revoke(token_id, owner=current_user.id)
    flash(_("The token %(name)s is revoked; programs using it are refused from now on.", name=token.name), "success")
    return redirect(url_for("tokens.account_tokens"))


@bp.get("/admin/tokens")
@role_required("admin")
def admin_tokens() -> str:
    """Every user's tokens (never their secrets), newest first."""
    return render_template("tokens/admin.html", tokens=tokens().all())


@bp.post("/admin/tokens/<int:token_id>/revoke")
@role_required("admin")
def admin_revoke(token_id: int) -> Response:
    token = tokens().revoke(token_id, owner=None)
    flash(_("The token %(name)s of %(user)s is revoked.", name=token.name, user=token.username), "success")
    return redirect(url_for("tokens.admin_tokens"))
