"""``/-/admin/webhooks``: admins register the endpoints that events are POSTed to, and read each
endpoint's delivery log (see wiki/webhooks/ for the queue, the signature and the sender)."""

from __future__ import annotations

import secrets

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from ..auth import role_required
from ..webhooks import EVENTS, UnsafeWebhookURL, WebhookService, check_url
from .common import form_field

bp = Blueprint("webhooks", __name__, url_prefix="/-/admin/webhooks")

MIN_SECRET = 16
MAX_SECRET = 200
LOG_LINES = 20


def _service() -> WebhookService:
    return current_app.extensions["wiki_webhooks"]


def _page(form: dict[str, object], code: int = 200) -> tuple[str, int]:
    queue = _service().queue
    endpoints = [(endpoint, queue.counts(endpoint.id), queue.log(endpoint.id, LOG_LINES))
                 for endpoint in queue.endpoints()]
    return render_template("webhooks/admin.html", endpoints=endpoints, events=EVENTS, form=form,
                           min_secret=MIN_SECRET), code


@bp.get("")
@role_required("admin")
def webhooks() -> tuple[str, int]:
    return _page({"events": EVENTS})


@bp.post("")
@role_required("admin")
def add() -> tuple[str, int] | Response:
    url = form_field("url").strip()
    chosen = request.form.getlist("events")
    secret = form_field("secret", required=False).strip()
    form = {"url": url, "events": chosen}
    if not chosen or any(event not in EVENTS for event in chosen) or len(set(chosen)) != len(chosen):
        flash(gettext("Choose one or more of the events: %(events)s.", events=", ".join(EVENTS)), "error")
        return _page(form, 400)
    if secret and not MIN_SECRET <= len(secret) <= MAX_SECRET:
        flash(gettext("The secret must be %(min)s to %(max)s characters long (or empty, to have one made).",
                      min=MIN_SECRET, max=MAX_SECRET), "error")
        return _page(form, 400)
    try:
        check_url(url, allow_private=current_app.config["WEBHOOKS_ALLOW_PRIVATE"])
    except UnsafeWebhookURL as error:
        flash(error.message, "error")
        return _page(form, 400)
    made = not secret
    secret = secret or secrets.token_hex(32)
    service = _service()
    service.scan()  # what moved before this endpoint existed is not sent to it
    service.queue.add_endpoint(url, [event for event in EVENTS if event in chosen], secret,
                               site_url=request.url_root, created_by=current_user.username)
    service.start()  # this process sends from now on; the other workers start on their next request
    if made:
        flash(gettext("The webhook was added. Its secret, shown only this once: %(secret)s", secret=secret),
              "success")
    else:
        flash(gettext("The webhook was added."), "success")
    return redirect(url_for("webhooks.webhooks"))


@bp.post("/<int:webhook_id>/delete")
@role_required("admin")
def delete(webhook_id: int) -> Response:
    if not _service().queue.delete_endpoint(webhook_id):
        abort(404, description=gettext("There is no webhook %(number)s.", number=webhook_id))
    flash(gettext("The webhook and its delivery log were deleted."), "success")
    return redirect(url_for("webhooks.webhooks"))
