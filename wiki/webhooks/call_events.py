"""Webhook events of calls for input (issue 30), from commits on ``refs/heads/meta/calls``:

- ``response``: one per response folder a commit added or changed (``<slug>/responses/<name>/``),
  new or changed, with the call, the respondent's group, consent and language; who answered
  (``respondent``, ``name``, ``organization``) only when they consented to be cited, as on the web;
- ``call``: one per call file added or changed (opened, edited, deadline moved, closed, reopened,
  translated: the commit's subject says which).

The event's ``id`` numbers the responses of the commit rather than naming them, for the same
reason. The response is read from the commit's own tree through the calls store, so its cache (keyed by
the folder's tree id) serves the next reader too.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ..errors import WikiError
from ..store import MovedCommit, Store
from ..store.call_model import RESPONDENT_RE, SLUG_RE, Call, call_path
from .queue import QueuedEvent


def _iso(timestamp: int | float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def call_events(store: Store, moved: MovedCommit) -> list[QueuedEvent]:
    """The ``call`` and ``response`` events of one commit of the calls branch, in path order."""
    commit = moved.commit
    calls: dict[str, str] = {}  # slug -> status of call.json
    responses: dict[tuple[str, str], bool] = {}  # (slug, respondent) -> new (its response.json added)
    for item in moved.files:
        parts = item.path.split("/")
        if len(parts) == 2 and parts[1] == "call.json" and SLUG_RE.match(parts[0]) and item.status != "D":
            calls[parts[0]] = item.status
        elif (len(parts) == 4 and parts[1] == "responses" and SLUG_RE.match(parts[0])
              and RESPONDENT_RE.match(parts[2])):
            key = (parts[0], parts[2])
            responses[key] = responses.get(key, False) or (parts[3] == "response.json" and item.status == "A")
    base: dict[str, object] = {"commit": commit.id, "timestamp": _iso(commit.timestamp), "message": commit.subject}
    events = []
    for slug, status in sorted(calls.items()):
        call = _call(store, commit.id, slug)
        if call is None:
            continue
        events.append(QueuedEvent("call", {
            **base, "event": "call", "id": f"{commit.id}:{slug}", "call": slug,
            "action": "opened" if status == "A" else "changed", "title": call.title,
            "deadline": _iso(call.deadline), "state": call.state, "audience": call.audience,
            "questions": len(call.questions), "user": commit.username, "group": commit.group,
        }, call_path(slug)))
    for number, ((slug, respondent), new) in enumerate(sorted(responses.items()), start=1):
        response = store.calls.response(slug, respondent, tip=commit.id)
        call = _call(store, commit.id, slug)
        if response is None or call is None:
            continue  # a folder the wiki did not write, or removed
        named = response.consent == "cite"
        events.append(QueuedEvent("response", {
            **base, "event": "response", "id": f"{commit.id}:{slug}:{number}", "call": slug,
            "call_title": call.title, "action": "created" if new else "changed",
            "respondent": respondent if named else None, "name": response.name if named else "",
            "organization": response.organization if named else "", "group": response.group,
            "consent": response.consent, "language": response.language, "late": response.late,
            "answered": sorted(response.answers, key=_question_number),
        }, f"{call_path(slug)}/responses?by=respondent"))
    return events


def _call(store: Store, tip: str, slug: str) -> Call | None:
    try:
        return store.calls.get(slug, tip=tip)
    except WikiError:
        return None


def _question_number(question_id: str) -> int:
    return int(question_id[1:]) if question_id[1:].isdigit() else 0

