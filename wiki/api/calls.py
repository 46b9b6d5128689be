"""API operations on calls for input (issue 30): list and read calls, open one (the secretariat),
read the responses as the web shows them (names only where consent allows), and send or change
one's own response. The call actions do the work (``wiki.actions.calls``), and the reading rules
are those of ``wiki.actions.call_reading``, so the API cannot show more than the web does."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import Response, abort, url_for
from flask_babel import gettext as _

from ..actions import call_reading
from ..actions import calls as actions
from ..actions.context import store
from ..auth import current_actor
from ..errors import N_, InvalidContent, PageNotFound
from ..store.call_model import Call, Question
from . import serialize
from .access import require, unauthorized
from .blueprint import body, bp, paging, query
from .caching import json_response, read


def parse_deadline(text: str) -> int:
    """An ISO 8601 date and time as seconds since the epoch: without a zone it is UTC; a date alone
    is the end of that day (as for proposals). A malformed one is a 400; whether it has passed
    is the action's rule."""
    text = text.strip()
    try:
        if len(text) > 40:
            raise ValueError
        moment = datetime.fromisoformat(text)
        if "T" not in text.upper() and " " not in text:
            moment = moment.replace(hour=23, minute=59, second=59)
        return int((moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp())
    except (ValueError, OverflowError):
        raise InvalidContent(N_("The deadline must be a date and time in ISO 8601, such as 2026-12-20T17:00Z."),
                             ) from None


def question(item: Question) -> dict[str, Any]:
    return {"id": item.id, "kind": item.kind, "text": item.text, "options": list(item.options),
            "translations": dict(item.translations)}


def call(item: Call) -> dict[str, Any]:
    counted = call_reading.visible(current_actor(), item, counted_only=True)
    return {"slug": item.slug, "title": item.title, "description": item.description,
            "questions": [question(q) for q in item.questions], "deadline": serialize.iso(item.deadline),
            "deadline_timestamp": item.deadline, "audience": item.audience, "state": item.state,
            "open": item.open_at(actions.now()), "created": item.created, "created_by": item.created_by,
            "language": item.language, "titles": dict(item.titles), "descriptions": dict(item.descriptions),
            "responses": len(counted), "url": url_for("calls.show", slug=item.slug, _external=True)}


def response(item: call_reading.Shown) -> dict[str, Any]:
    """A response as its reader may see it: who answered only where ``item.named``."""
    answer = item.response
    return {"call": answer.call, "respondent": answer.respondent if item.named else None, "named": item.named,
            "name": item.name, "organization": item.organization, "group": answer.group, "consent": answer.consent,
            "language": answer.language,
            "answers": {key: value if isinstance(value, str) else list(value) for key, value in answer.answers.items()},
            "submitted": answer.submitted, "updated": answer.updated, "late": answer.late, "pending": item.pending,
            "guest": answer.guest}


@bp.get("/calls")
def list_calls() -> Response:
    offset, limit = paging()
    state = str(query("state", ""))

    def compute() -> dict[str, Any]:
        found = [item for item in actions.all_calls() if not state or item.state == state]
        return serialize.page_of(found, call, offset=offset, limit=limit)

    return read(compute, by_token=False)  # calls live on their own ref


@bp.get("/calls/<slug>")
def read_call(slug: str) -> Response:
    return read(lambda: call(actions.get(slug)), by_token=False)


@bp.post("/calls")
def create_call() -> Response:
    require("reader")  # then the action's own rule: the secretariat and admins
    data = body()
    raw = data["questions"]
    questions = [dict(item) for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
    created = actions.create(current_actor(), title=str(data["title"]), description=str(data.get("description", "")),
                             questions=questions, deadline=parse_deadline(str(data["deadline"])),
                             audience=str(data.get("audience", "users")), language=str(data.get("language", "en")))
    return json_response(call(created), 201)


@bp.get("/calls/<slug>/responses")
def list_responses(slug: str) -> Response:
    offset, limit = paging()
    group, language, words = str(query("group", "")), str(query("language", "")), str(query("q", ""))

    def compute() -> dict[str, Any]:
        found = call_reading.visible(current_actor(), actions.get(slug), group=group, language=language, query=words)
        return serialize.page_of(found, response, offset=offset, limit=limit)

    return read(compute, by_token=False)  # who sees which name depends on the reader


@bp.get("/calls/<slug>/responses/mine")
def read_my_response(slug: str) -> Response:
    actor = current_actor()
    if not actor.logged_in:
        abort(unauthorized(_("Send a personal access token to read your own response.")))
    item = actions.get(slug)

    def compute() -> dict[str, Any]:
        own = store().calls.response(item.slug, actions.Respondent(actor).id)
        if own is None:
            raise PageNotFound(N_("You have not responded to this call yet."))
        return response(call_reading.shown(actor, item, own))

    return read(compute, by_token=False)


@bp.put("/calls/<slug>/responses/mine")
def submit_response(slug: str) -> Response:
    """Send or change the caller's response; 201 the first time, 200 after."""
    require("reader")
    actor = current_actor()
    item = actions.get(slug)
    respondent = actions.respondent_for(actor, item)
    data = body()
    answers = data["answers"]
    first = store().calls.response(item.slug, respondent.id) is None
    saved, _changed = actions.submit(respondent, item.slug, answers=dict(answers) if isinstance(answers, dict) else {},
                                     consent=str(data["consent"]), organization=str(data.get("organization", "")),
                                     language=str(data.get("language", "en")))
    return json_response(response(call_reading.shown(actor, actions.get(slug), saved)), 201 if first else 200)
