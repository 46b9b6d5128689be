"""Calls for input in the browser: the list, opening and running a call (the secretariat), answering
it (a private draft, then a response that can change until the deadline), and reading the
responses by question or by respondent. Thin over :mod:`wiki.actions.calls`."""

from __future__ import annotations

from dataclasses import replace
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.wrappers import Response as HttpResponse

from ..actions import call_reading as reading
from ..actions import calls as actions
from ..actions.context import groups
from ..auth import current_actor, role_required
from ..errors import N_, WikiError
from ..i18n import language as interface_language
from ..store.call_model import CONSENTS, KINDS, LANGUAGES, RESPONDENT_RE, Call, Response, version
from .common import BadForm, form_field, page_number, query_arg

T = TypeVar("T")

bp = Blueprint("calls", __name__)

DEFAULT_QUESTION_ROWS = 3
MAX_QUESTION_ROWS = 60
GUESTS_KEY = "call_guests"  # session: {call slug: guest id} for invited guests who answered


# --------------------------------------------------------------------------- the list and a new call


@bp.get("/-/calls")
def index() -> str:
    now = actions.now()
    calls = actions.all_calls()
    open_calls = [call for call in calls if call.open_at(now)]
    actor = current_actor()
    return render_template("calls/index.html", ui_language=interface_language(), now=now, open_calls=open_calls,
                           past_calls=[call for call in calls if not call.open_at(now)],
                           standing=actions.standing(actor, open_calls), may_run=actions.may_run(actor))


def _question_rows(call: Call | None = None) -> list[dict[str, str]]:
    """The question blocks of the new/edit form, from the form sent (or the call, or blanks)."""
    if request.method == "POST":
        count = _count(form_field("count", required=False, default="0"))
        rows = [{"id": request.form.get(f"question-{index}-id", ""),
                 "text": request.form.get(f"question-{index}-text", ""),
                 "kind": request.form.get(f"question-{index}-kind", "text"),
                 "options": request.form.get(f"question-{index}-options", "")} for index in range(count)]
        if request.form.get("add"):
            rows.append({"id": "", "text": "", "kind": "text", "options": ""})
        return rows
    if call is not None:
        return [{"id": question.id, "text": question.text, "kind": question.kind,
                 "options": "\n".join(question.options)} for question in call.questions]
    return [{"id": "", "text": "", "kind": "text", "options": ""} for _ in range(DEFAULT_QUESTION_ROWS)]


def _count(raw: str) -> int:
    if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_QUESTION_ROWS:
        raise BadForm(N_("The form has too many questions (at most %(limit)s)."), limit=MAX_QUESTION_ROWS)
    return int(raw)


def _questions(rows: list[dict[str, str]]) -> list[dict[str, object]]:
    """The questions the form describes; blank blocks are left out."""
    return [{"id": row["id"], "text": row["text"], "kind": row["kind"],
             "options": [line.strip() for line in row["options"].splitlines() if line.strip()]}
            for row in rows if row["text"].strip() or row["options"].strip()]


def _call_form(template: str, call: Call | None, **extra: object) -> str:
    form = request.form if request.method == "POST" else {}
    return render_template(template, call=call, rows=_question_rows(call), kinds=KINDS, languages=LANGUAGES,
                           title=form.get("title", call.title if call else ""),
                           description=form.get("description", call.description if call else ""),
                           deadline=form.get("deadline", ""),
                           audience=form.get("audience", call.audience if call else "users"),
                           call_language=form.get("language", interface_language()),
                           base=version(call) if call else "", **extra)


@bp.route("/-/calls/new", methods=["GET", "POST"])
@role_required("reader")
def new() -> HttpResponse | str | tuple[str, int]:
    actor = current_actor()
    if not actions.may_run(actor):
        abort(403, description=_("Only the secretariat and admins can open and run calls for input."))
    if request.method == "GET" or request.form.get("add"):
        return _call_form("calls/new.html", None)
    try:
        call = actions.create(actor, title=form_field("title"), description=form_field("description", required=False),
                              questions=_questions(_question_rows()), deadline=form_field("deadline"),
                              audience=form_field("audience", required=False, default="users"),
                              language=form_field("language", required=False, default="en"))
    except WikiError as error:
        if isinstance(error, BadForm):
            raise
        flash(error.message, "error")
        return _call_form("calls/new.html", None), error.code
    if call.audience == "invited":
        flash(_("The call is open. Send its invitation link (under “Run the call” below) to those you invite to "
                "answer without an account; people with an account answer at its address."), "success")
    else:
        flash(_("The call is open. Share its address with those you invite to answer."), "success")
    return redirect(url_for("calls.show", slug=call.slug))


@bp.route("/-/calls/<slug>/edit", methods=["GET", "POST"])
@role_required("reader")
def edit(slug: str) -> HttpResponse | str | tuple[str, int]:
    actor = current_actor()
    call = actions.get(slug)
    if not actions.may_run(actor):
        abort(403, description=_("Only the secretariat and admins can open and run calls for input."))
    if request.method == "GET" or request.form.get("add"):
        return _call_form("calls/edit.html", call)
    try:
        actions.edit(actor, slug, title=form_field("title"), description=form_field("description", required=False),
                     questions=_questions(_question_rows()), audience=form_field("audience", required=False,
                                                                                 default=call.audience),
                     base=form_field("base", required=False) or None)
    except WikiError as error:
        if isinstance(error, BadForm):
            raise
        flash(error.message, "error")
        return _call_form("calls/edit.html", call), error.code
    flash(_("The call was changed."), "success")
    return redirect(url_for("calls.show", slug=slug))


# --------------------------------------------------------------------------- one call


def _respondent(call: Call, *, name: str = "", group: str = "") -> actions.Respondent:
    """Who answers: the logged-in user, or the invited guest this browser answered as."""
    actor = current_actor()
    guest = session.get(GUESTS_KEY, {}).get(call.slug, "") if not actor.logged_in else ""
    key = actions.guest_key(call, guest) if guest else ""
    invitation = query_arg("invitation") or request.form.get("invitation")
    return actions.respondent_for(actor, call, invitation=invitation, guest=guest, key=key, name=name, group=group,
                                  address=request.remote_addr or "")


def _form_values(call: Call, response: Response | None, draft: dict[str, object] | None) -> dict[str, object]:
    """What the answer form shows (the draft, else the response sent, else blanks): text answers
    by question, the options chosen by question, organization, consent, language."""
    if draft is not None:
        answers = draft.get("answers") if isinstance(draft.get("answers"), dict) else {}
        base = {key: str(draft.get(key) or "") for key in ("organization", "consent", "language")}
    elif response is not None:
        answers = dict(response.answers)
        base = {"organization": response.organization, "consent": response.consent, "language": response.language}
    else:
        answers, base = {}, {"organization": "", "consent": "", "language": interface_language()}
    texts, chosen = {}, {}
    for question in call.questions:
        value = answers.get(question.id)  # type: ignore[union-attr]
        if question.kind == "text":
            texts[question.id] = value if isinstance(value, str) else ""
        else:
            chosen[question.id] = [value] if isinstance(value, str) else [str(item) for item in value or ()]
    return {**base, "texts": texts, "chosen": chosen}


@bp.get("/-/calls/<slug>")
def show(slug: str) -> str:
    call = actions.get(slug)
    actor = current_actor()
    invitation = query_arg("invitation") or request.form.get("invitation")
    guest_id = request.args.get("respondent", "")
    if guest_id and not actor.logged_in and RESPONDENT_RE.match(guest_id) and \
            actions.same_secret(actions.guest_key(call, guest_id), request.args.get("key", "")):
        session.setdefault(GUESTS_KEY, {})[slug] = guest_id  # a guest back from their link
        session.modified = True
    respondent, refusal = None, ""
    try:
        respondent = _respondent(call)
    except WikiError as error:
        refusal = error.message
    response = draft = None
    if respondent is not None:
        response = actions.response_of(slug, respondent.id)
        draft = actions.draft(respondent, slug)
        if respondent.guest:  # the name and group they gave stay in the form (a new group would move the response)
            given = draft or {}
            respondent = replace(respondent, name=str(given.get("name") or (response.name if response else "")),
                                 group=str(given.get("group") or (response.group if response else "")))
    may_run = actions.may_run(actor)
    may_answer = respondent is not None and call.state == "open" and (call.open_at(actions.now()) or response is None)
    items = reading.visible(actor, call)  # once: the late ones to accept and the counts (pending ones uncounted)
    late = [item for item in items if item.pending] if may_run else []
    return render_template(
        "calls/show.html", call=call, ui_language=interface_language(), now=actions.now(), respondent=respondent,
        refusal=refusal, response=response, may_answer=may_answer, has_draft=draft is not None,
        values=_form_values(call, response, draft),
        consents=CONSENTS, languages=LANGUAGES, groups=groups(), may_run=may_run, invitation=invitation or "",
        invitation_url=(url_for("calls.show", slug=slug, invitation=actions.invitation_token(call), _external=True)
                        if may_run and call.audience == "invited" else ""),
        guest_link=_guest_link(call, respondent), late=late,
        counts=reading.counts_by_group(items))


def _guest_link(call: Call, respondent: actions.Respondent | None) -> str:
    if respondent is None or not respondent.guest or respondent.guest not in session.get(GUESTS_KEY, {}).values():
        return ""
    return url_for("calls.show", slug=call.slug, invitation=actions.invitation_token(call),
                   respondent=respondent.guest, key=actions.guest_key(call, respondent.guest), _external=True)


def _answers_from_form(call: Call) -> dict[str, object]:
    answers: dict[str, object] = {}
    for question in call.questions:
        field = f"answer-{question.id}"
        if question.kind == "choices":
            answers[question.id] = request.form.getlist(field)
        else:
            values = request.form.getlist(field)
            if len(values) > 1:
                raise BadForm(N_("The form field %(name)s was sent more than once."), name=repr(field))
            answers[question.id] = values[0] if values else ""
    return answers


@bp.post("/-/calls/<slug>/respond")
def respond(slug: str) -> HttpResponse | tuple[str, int]:
    call = actions.get(slug)
    respondent = _respondent(call, name=form_field("name", required=False), group=form_field("group", required=False))
    form = {"answers": _answers_from_form(call), "organization": form_field("organization", required=False),
            "consent": form_field("consent", required=False), "language": form_field("language", required=False,
                                                                                     default="en")}
    if respondent.guest:
        form.update(name=respondent.name, group=respondent.group)
    if form_field("action", required=False) == "draft":
        actions.save_draft(respondent, slug, form)
        _remember_guest(call, respondent)
        flash(_("Your draft is saved. Only you can see it until you submit it."), "success")
        return redirect(_answer_url(slug))
    try:
        saved, changed = actions.submit(respondent, slug, answers=form["answers"], consent=str(form["consent"]),  # type: ignore[arg-type]
                                        organization=str(form["organization"]), language=str(form["language"]))
    except WikiError as error:
        if error.code not in (400, 409, 429):
            raise
        actions.save_draft(respondent, slug, form)  # nothing typed is lost
        _remember_guest(call, respondent)
        flash(error.message + " " + _("Your answers are kept as a draft."), "error")
        return show(slug), error.code
    _remember_guest(call, respondent)
    if saved.late:
        flash(_("Your response came after the deadline: it is kept, and counted once the secretariat accepts it."),
              "warning")
    elif changed:
        flash(_("Your response is submitted. You can change it until the deadline."), "success")
    else:
        flash(_("Nothing changed in your response."), "info")
    return redirect(_answer_url(slug))


def _answer_url(slug: str) -> str:
    """The call's answer form again; a guest's keeps their invitation, without which the page would
    ask them to log in (and hide the link back to their response)."""
    invitation = request.form.get("invitation") or ""
    return url_for("calls.show", slug=slug, **({"invitation": invitation} if invitation else {})) + "#answer"


def _remember_guest(call: Call, respondent: actions.Respondent) -> None:
    if respondent.guest:
        session.setdefault(GUESTS_KEY, {})[call.slug] = respondent.guest
        session.modified = True


@bp.post("/-/calls/<slug>/manage")
@role_required("reader")
def manage(slug: str) -> HttpResponse | tuple[str, int]:
    """The secretariat's actions on a call: move the deadline, close, reopen, accept a late
    response, renew the invitation link."""
    actor = current_actor()
    action = form_field("action")
    messages = {
        "deadline": (lambda: actions.set_deadline(actor, slug, form_field("deadline")), _("The deadline was moved.")),
        "close": (lambda: actions.close(actor, slug), _("The call is closed.")),
        "reopen": (lambda: actions.reopen(actor, slug, form_field("deadline")), _("The call is open again.")),
        "accept": (lambda: actions.accept_late(actor, slug, form_field("respondent")),
                   _("The late response is accepted and counted.")),
        "invitation": (lambda: actions.renew_invitation(actor, slug),
                       _("The invitation link was renewed; the old one no longer works.")),
    }
    if action not in messages:
        raise BadForm(N_("Unknown action %(name)s."), name=repr(action[:40]))
    run, done = messages[action]
    try:
        run()
    except WikiError as error:
        if error.code in (401, 403, 404):
            raise
        flash(error.message, "error")
        return show(slug), error.code
    flash(done, "success")
    return redirect(url_for("calls.show", slug=slug) + "#manage")


@bp.route("/-/calls/<slug>/translate", methods=["GET", "POST"])
@role_required("reader")
def translate(slug: str) -> HttpResponse | str:
    actor = current_actor()
    call = actions.get(slug)
    if not actions.may_run(actor):
        abort(403, description=_("Only the secretariat and admins can open and run calls for input."))
    target = query_arg("lang") or request.form.get("lang") or ""
    if target not in LANGUAGES:
        raise BadForm(N_("The language must be one of: %(values)s."), values=", ".join(LANGUAGES))
    if request.method == "POST":
        questions = {question.id: form_field(f"question-{question.id}", required=False)
                     for question in call.questions}
        actions.translate(actor, slug, target, title=form_field("title", required=False),
                          description=form_field("description", required=False), questions=questions)
        flash(_("The translation is saved."), "success")
        return redirect(url_for("calls.show", slug=slug))
    existing = {"title": dict(call.titles).get(target, ""), "description": dict(call.descriptions).get(target, ""),
                "questions": {question.id: dict(question.translations).get(target, "") for question in call.questions}}
    return render_template("calls/translate.html", call=call, target=target, languages=LANGUAGES, existing=existing)


# --------------------------------------------------------------------------- reading responses


def _filters() -> dict[str, str]:
    found = {}
    for name in ("by", "group", "language", "q", "question"):
        value = query_arg(name) or ""
        found[name] = value[:reading.MAX_QUERY_CHARS]
    if found["by"] not in ("", "question", "respondent"):
        raise BadForm(N_("Show responses by question or by respondent."))
    found["by"] = found["by"] or "question"
    return found


@bp.get("/-/calls/<slug>/responses")
def responses(slug: str) -> str:
    call = actions.get(slug)
    actor = current_actor()
    filters = _filters()
    items = reading.visible(actor, call, group=filters["group"], language=filters["language"], query=filters["q"])
    query_args = {key: value for key, value in filters.items() if value and key in ("group", "language", "q")}
    context: dict[str, object] = {"call": call, "filters": filters, "groups": groups(), "languages": LANGUAGES,
                                  "ui_language": interface_language(), "total": len(items),
                                  "counts": reading.counts_by_group(items), "may_run": actions.may_run(actor),
                                  "query_args": query_args}
    if filters["by"] == "question":
        summaries = reading.by_question(call, items)
        chosen = filters["question"] or (call.questions[0].id if call.questions else "")
        context.update(summaries=summaries, chosen=next((summary for summary in summaries
                                                         if summary.question.id == chosen), None))
        if context["chosen"] is None:
            abort(404, description=_("The call has no question %(id)s.", id=chosen[:20]))
        answers = [(group, *pair) for group, pairs in context["chosen"].answers_by_group.items() for pair in pairs]
        shown, page = _page(answers)
        by_group: dict[str, list[tuple[reading.Shown, object]]] = {}
        for group, item, answer in shown:  # a page of answers, still under their groups' headings
            by_group.setdefault(group, []).append((item, answer))
        context.update(page, answers_shown=by_group,
                       pager_args={"by": "question", "question": context["chosen"].question.id, **query_args})
        return render_template("calls/by_question.html", **context)
    shown, page = _page(items)
    context.update(page, items=shown, pager_args={"by": "respondent", **query_args})
    return render_template("calls/by_respondent.html", **context)


def _page(rows: list[T]) -> tuple[list[T], dict[str, object]]:
    """The requested page of ``rows`` (``?p=``), and what the pager needs: each answer is rendered,
    so a page shows at most :data:`reading.PAGE_SIZE` of them, however many a call received."""
    number = page_number()
    start = (number - 1) * reading.PAGE_SIZE
    return rows[start:start + reading.PAGE_SIZE], {"page_number": number,
                                                   "has_next": start + reading.PAGE_SIZE < len(rows)}


@bp.get("/-/calls/<slug>/responses/<respondent>/history")
def history(slug: str, respondent: str) -> str:
    call = actions.get(slug)
    found = actions.response_of(slug, respondent)
    if found is None:
        abort(404, description=_("There is no such response."))
    item = reading.shown(current_actor(), call, found)
    if item.pending and not (actions.may_run(current_actor()) or respondent == current_actor().username.lower()):
        abort(404, description=_("There is no such response."))
    commits = actions.history(slug, respondent)
    chosen = query_arg("commit") or ""
    changes = reading.response_change(call, respondent, chosen, commits) if chosen else None
    return render_template("calls/history.html", call=call, item=item, commits=commits, named=item.named,
                           chosen=chosen, changes=changes, ui_language=interface_language())


def guest_label(response: Response, label: str) -> str:
    """``label`` (a name, or the group's words), saying that an invited guest answered: a guest
    names themselves and picks their group, so their response must not pass for a delegate's."""
    if not response.guest:
        return label
    if isinstance(label, Markup):  # HTML (names isolated in <bdi>): the words around it escaped
        return Markup.escape(_("%(respondent)s, invited guest")) % {"respondent": label}
    return _("%(respondent)s, invited guest", respondent=label)


def respondent_label(item: reading.Shown) -> str:
    """How a response is signed for this reader: the name (and organization) with consent, else
    the group alone ("A civil society respondent"); an invited guest's says so. Name and organization
    are isolated from each other: a Latin name beside an Arabic organization scrambled both
    ("((DRO) … Amina")."""
    from ..templating import group_name

    if item.named and item.name:
        if item.organization:
            label: str = Markup("<bdi>{}</bdi> (<bdi>{}</bdi>)").format(item.name, item.organization)
        else:
            label = item.name
    else:
        label = _("A respondent (%(group)s)", group=group_name(item.response.group))
    return guest_label(item.response, label)


bp.add_app_template_global(respondent_label, "respondent_label")
bp.add_app_template_filter(reading.answer_html, "answer_html")
bp.add_app_template_filter(reading.answer_text, "answer_choices")

