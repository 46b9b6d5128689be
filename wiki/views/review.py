"""Reviewing one page: who wrote which lines for which group, and endorsing its current text."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import names
from ..actions.document import endorse_page
from ..auth import can, current_actor, role_required
from ..charts import share_bar
from ..errors import N_, EndorsementRefused, PageNotFound
from ..templating import group_name
from .common import form_field, on_canonical_page, page_context, query_arg, store
from .translations import content_page, language_arg

bp = Blueprint("review", __name__)


def configured_groups() -> tuple[str, ...]:
    return tuple(current_app.config["GROUPS"])


@bp.get("/<path:page>/-/blame")
@on_canonical_page
def blame(page: str) -> str | Response:
    rev = query_arg("rev")
    result = store().blame(content_page(page, language_arg()), rev)
    version = names.version_from_file(names.page_file(result.page))
    if version is not None:  # a language version: name the page it belongs to
        result = replace(result, page=version[0])
    legend = [share.group for share in result.shares]
    # The stakeholder groups' shares first; the secretariat's (editorial) and unknown groups' apart.
    stakeholders = [share for share in result.shares if share.group in current_app.config["GROUPS"]]
    others = [share for share in result.shares if share.group not in current_app.config["GROUPS"]]
    return render_template(
        "review/blame.html", blame=result, rev=rev, legend=legend, stakeholder_shares=stakeholders,
        other_shares=others,
        bar=share_bar([(share.group, share.lines) for share in result.shares], display=group_name),
        **page_context(page),
    )


@bp.get("/<path:page>/-/endorse")
@on_canonical_page
def endorsements_of_page(page: str) -> str | Response:
    return _endorse_page(page)


def _endorse_page(page: str, code: int = 200) -> tuple[str, int]:
    last_change = store().last_change(page)
    if last_change is None or not store().page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s to endorse."), page=repr(page))
    state = store().page_endorsements(page, configured_groups())
    return render_template("review/endorse.html", endorsements=state, last_change=last_change,
                           **page_context(page)), code


@bp.post("/<path:page>/-/endorse")
@role_required("reviewer")
@on_canonical_page
def endorse(page: str) -> str | tuple[str, int] | Response:
    action = form_field("action")
    try:
        endorse_page(current_actor(), page, form_field("rev"), action)
    except EndorsementRefused as error:
        flash(error.message, "error")
        return _endorse_page(page, error.code)
    group = current_app.config["GROUPS"][current_user.group]
    flash(gettext("%(group)s now endorses the current text of this page.", group=group) if action == "endorse"
          else gettext("%(group)s withdrew its endorsement of this page.", group=group), "success")
    return redirect(url_for("pages.view", page=page))


@bp.get("/-/endorsements")
def endorsements() -> str:
    """Every page by status: consensus, partly endorsed, stale, not endorsed."""
    overview = store().endorsement_overview(configured_groups())
    return render_template("review/endorsements.html", overview=overview, groups=configured_groups(),
                           can_review=can("reviewer"))
