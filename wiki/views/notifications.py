"""What awaits me: the inbox of notifications (``/-/notifications``), the proposals awaiting my
group (``/-/awaiting``), watching pages, proposals and calls for input, and the notification
settings (issue 27)."""

from __future__ import annotations

import logging

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from ..actions import calls as call_actions
from ..actions import comments as comment_actions
from ..actions import proposals as proposal_actions
from ..actions.context import groups
from ..auth import current_actor
from ..notify import (
    FREQUENCIES,
    REASONS,
    Notification,
    inbox,
    subject_of_call,
    subject_of_page,
    subject_of_proposal,
    subject_of_section,
    texts,
)
from .common import canonical_page, form_field, page_number

bp = Blueprint("notify", __name__)
logger = logging.getLogger(__name__)


@bp.app_template_global("awaiting_my_group")
def awaiting_my_group() -> int:
    """The open proposals awaiting the logged-in user's group, once per request (the header's
    Proposals link shows it); 0 for visitors and on any failure: a page never fails for its header."""
    if not current_user.is_authenticated:
        return 0
    if "awaiting_my_group" not in g:
        try:
            g.awaiting_my_group = proposal_actions.awaiting_count(current_user.group)
        except Exception:  # noqa: BLE001 - the header's counter must not break the page
            logger.exception("proposals: cannot count those awaiting %s", current_user.group)
            g.awaiting_my_group = 0
    return g.awaiting_my_group
PAGE_SIZE = 50


def describe(notification: Notification) -> str:
    """The notification's sentence in the reader's language."""
    template = texts.ACTIVITIES.get(notification.activity, texts.ACTIVITIES["edited"])
    return _(template, actor=notification.actor or _(texts.WIKI), title=notification.title)


def link(notification: Notification) -> str:
    """Where a notification leads: the proposal, the thread on its page, the call, or the page."""
    if notification.kind == "call":
        return url_for("calls.show", slug=notification.subject.split("/", 1)[1])
    if notification.kind == "proposal":
        return url_for("proposals.show", number=notification.number)
    if notification.kind == "thread":
        return url_for("comments.page_comments", page=notification.page,
                       proposal=notification.proposal) + f"#thread-{notification.number}"
    return url_for("pages.view", page=notification.page)


@bp.get("/-/notifications")
@login_required
def notifications() -> str:
    number = page_number()
    rows = inbox().page(current_user.id, offset=(number - 1) * PAGE_SIZE, limit=PAGE_SIZE + 1)
    return render_template("notify/inbox.html", rows=rows[:PAGE_SIZE], more=len(rows) > PAGE_SIZE, number=number,
                           describe=describe, link=link, reasons={key: _(texts.REASONS[key]) for key in REASONS})


@bp.post("/-/notifications/read")
@login_required
def mark_read() -> Response:
    """Mark one notification read (``id``), or all of them (``all``); then back to the inbox or
    to the notification's subject (``go``)."""
    raw = form_field("id", required=False)
    if raw and not (raw.isascii() and raw.isdigit() and len(raw) < 19):
        abort(400, description=_("There is no notification %(number)s.", number=raw))
    changed = inbox().mark_read(current_user.id, int(raw) if raw else None)
    if not raw:
        flash(_("Every notification is marked read."), "success")
    elif not changed and form_field("go", required=False) != "1":
        flash(_("That notification was already read."), "info")
    target = form_field("next", required=False)
    if target.startswith("/") and not target.startswith("//"):
        return redirect(target)
    return redirect(url_for("notify.notifications"))


@bp.get("/-/awaiting")
@login_required
def awaiting() -> str:
    """The open proposals whose position from my group is missing, stale or an objection,
    deadlines first (the nearest), then the newest."""
    actor = current_actor()
    group = actor.group
    opened = proposal_actions.matching(state="open") if group in groups() else []
    found = [row for row in opened if group in proposal_actions.awaited(row[1])]
    found.sort(key=lambda row: (not row[0].deadline, row[0].deadline, -row[0].number))
    threads = comment_actions.open_questions(actor, {proposal.number for proposal, _ in opened
                                                     if proposal.group == group})
    # what the group's position is, and the link, worked out here: 200 rows render in a few ms
    show = url_for("proposals.show", number=0)[:-1]
    words = {"object": _("objects"), "stale": _("spoke on an earlier version (stale)"), "none": _("has not decided")}
    rows = [(proposal, f"{show}{proposal.number}",
             words["object"] if any(p.group == group for p in agreed.objecting)
             else words["stale"] if group in agreed.stale else words["none"]) for proposal, agreed in found]
    return render_template("notify/awaiting.html", rows=rows, group=group, stakeholder=group in groups(),
                           threads=threads)


def _watch(subject: str, back: str) -> Response:
    on = form_field("watch", required=False, default="1") != "0"
    inbox().watch(current_user.id, subject, on)
    flash(_("You watch this now: its changes appear in your notifications.") if on
          else _("You no longer watch this."), "success")
    return redirect(back)


@bp.post("/<path:page>/-/watch")
@login_required
def watch_page(page: str) -> Response:
    page, moved = canonical_page(page, "notify.watch_page")
    if moved is not None:
        return moved
    subject = subject_of_section(page) if form_field("scope", required=False) == "section" else subject_of_page(page)
    return _watch(subject, url_for("pages.view", page=page))


@bp.post("/-/proposals/<int:number>/watch")
@login_required
def watch_proposal(number: int) -> Response:
    proposal_actions.get(number)
    return _watch(subject_of_proposal(number), url_for("proposals.show", number=number))


@bp.post("/-/calls/<slug>/watch")
@login_required
def watch_call(slug: str) -> Response:
    """Watch a call for input: its new responses appear in the notifications."""
    call = call_actions.get(slug)
    return _watch(subject_of_call(call.slug), url_for("calls.show", slug=call.slug))


@bp.post("/-/account/notifications")
@login_required
def settings() -> Response:
    """The notification settings of /-/account: auto-watching and a mail frequency per kind."""
    chosen = {kind: request.form.get(kind, "") for kind in REASONS}
    if any(value not in FREQUENCIES for value in chosen.values()):
        abort(400, description=_("Choose immediately, daily, weekly or never for each kind of mail."))
    inbox().save_settings(current_user.id, autowatch=request.form.get("autowatch") == "1", frequencies=chosen)
    flash(_("Your notification settings were saved."), "success")
    return redirect(url_for("auth.account") + "#notifications")

