"""Webhooks of calls for input (issue 30): ``call`` and ``response`` events from the movement of
refs/heads/meta/calls reach a real receiving HTTP server, signed; a response's payload names who
answered only when they consented to be cited."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator

import pytest
from flask import Flask

from wiki.actions import calls as call_actions

from .support.app import Auth, csrf_token
from .support.call_fixtures import open_call, respond, secretariat
from .support.servers import free_port
from .support.webhooks import Receiver, wait_for

SECRET = "a-test-secret-of-some-length"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(free_port()).start()
    yield server
    server.stop()


def register(app: Flask, url: str, events: tuple[str, ...]) -> None:
    client = app.test_client()
    Auth(client).login("admin")
    answer = client.post("/-/admin/webhooks", data={"url": url, "events": list(events), "secret": SECRET,
                                                     "csrf_token": csrf_token(client, "/-/admin/webhooks")})
    assert answer.status_code == 302, answer.get_data(as_text=True)


def test_calls_and_responses_arrive_as_events_with_consent_honoured(hooked_app: Flask, receiver: Receiver) -> None:
    register(hooked_app, receiver.url, ("call", "response"))
    call = open_call(hooked_app)
    opened = wait_for(lambda: receiver.events("call"), "the call event")[0]
    assert (opened["call"], opened["action"], opened["title"], opened["questions"]) == (
        call.slug, "opened", "Questionnaire on the mapping", 3)
    assert opened["state"] == "open" and opened["user"] == "sec" and opened["url"].endswith(f"/-/calls/{call.slug}")

    respond(hooked_app, "reader", call.slug, {"q1": "More on access.", "q2": "Government"},
            organization="Ministry of Examples")
    respond(hooked_app, "editor", call.slug, {"q1": "Less."}, consent="aggregate", organization="Hidden NGO")
    respond(hooked_app, "reader", call.slug, {"q1": "More on rights.", "q3": ["Rights"]})
    events = wait_for(lambda: receiver.events("response")[2:] and receiver.events("response"), "three responses")
    first, hidden, changed = events
    assert (first["action"], first["respondent"], first["name"], first["group"], first["consent"]) == (
        "created", "reader", "Rita Reader", "governments", "cite")
    assert first["organization"] == "Ministry of Examples" and first["answered"] == ["q1", "q2"]
    assert first["url"] == f"http://localhost/-/calls/{call.slug}/responses?by=respondent"
    assert (hidden["action"], hidden["respondent"], hidden["name"], hidden["organization"]) == (
        "created", None, "", "")
    assert hidden["group"] == "civil-society" and hidden["consent"] == "aggregate"
    assert "editor" not in str(hidden) and "Hidden NGO" not in str(hidden) and "Eda" not in str(hidden)
    assert (changed["action"], changed["respondent"], changed["answered"]) == ("changed", "reader", ["q1", "q3"])
    assert len({event["id"] for event in events}) == 3

    with hooked_app.test_request_context():
        call_actions.close(secretariat(hooked_app), call.slug)
    closed = wait_for(lambda: receiver.events("call")[1:], "the closing event")[0]
    assert (closed["action"], closed["state"], closed["message"]) == ("changed", "closed", "Close the call")
    for item in receiver.requests:
        expected = "sha256=" + hmac.new(SECRET.encode(), item.body, hashlib.sha256).hexdigest()
        assert item.headers["X-Wiki-Signature-256"] == expected


def test_response_events_only_go_where_they_were_chosen(hooked_app: Flask, receiver: Receiver) -> None:
    register(hooked_app, receiver.url, ("response",))
    call = open_call(hooked_app)
    respond(hooked_app, "reader", call.slug, {"q1": "Hello"})
    wait_for(lambda: receiver.events("response"), "the response event")
    assert receiver.events("call") == [] and receiver.events("commit") == []
