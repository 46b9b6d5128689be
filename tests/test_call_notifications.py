"""Notifications of calls for input (issue 30): who watches a call hears of its new responses (by
name only with consent), and everyone who has not answered hears, a day before, that its deadline
nears: once per (call, deadline), mailed through a real SMTP server to those who want it at once."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.actions import calls as call_actions
from wiki.notify.scheduler import run_due

from .support.app import Auth, csrf_token, make_app
from .support.call_fixtures import open_call, respond, secretariat
from .support.mail import Mailbox, body, smtp_server

SITE = "https://wiki.example.org"


def login_as(client: FlaskClient, user: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    Auth(client).login(user)


def inbox(client: FlaskClient, user: str) -> str:
    login_as(client, user)
    return client.get("/-/notifications").get_data(as_text=True)


def mark_all_read(client: FlaskClient) -> None:
    client.post("/-/notifications/read", data={"csrf_token": csrf_token(client, "/-/notifications")})


def watch(client: FlaskClient, slug: str, on: str = "1"):  # noqa: ANN201
    return client.post(f"/-/calls/{slug}/watch", data={"watch": on, "csrf_token": csrf_token(client, "/-/account")})


def run(app: Flask) -> dict[str, object]:
    with app.app_context():
        report = run_due(app)
    assert report is not None
    return report


def test_watchers_hear_of_new_responses_named_only_with_consent(app: Flask, client: FlaskClient) -> None:
    secretariat(app)
    slug = open_call(app).slug  # its opener watches it
    login_as(client, "reviewer")
    answer = watch(client, slug)
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/-/calls/{slug}")
    respond(app, "reader", slug, {"q1": "Named."})
    page = inbox(client, "reviewer")
    assert "reader responded to the call for input “Questionnaire on the mapping”" in page
    assert f'href="/-/calls/{slug}"' in page and "You watch it" in page
    assert "responded to the call" in inbox(client, "sec")
    assert "responded" not in inbox(client, "reader")  # not told of their own response

    login_as(client, "reviewer")
    mark_all_read(client)
    respond(app, "editor", slug, {"q1": "Unnamed."}, consent="aggregate")
    page = inbox(client, "reviewer")
    assert "Someone who asked not to be named responded to the call for input" in page
    assert "editor" not in page.split("<main", 1)[-1].split("</main>")[0]
    assert "(1 unread)" in page

    mark_all_read(client)
    respond(app, "editor", slug, {"q1": "Changed, still unnamed."}, consent="aggregate")
    assert "(1 unread)" not in inbox(client, "reviewer")  # a change is not news

    assert watch(client, slug, "0").status_code == 302
    respond(app, "editor2", slug, {"q1": "After unwatching."})
    assert "editor2" not in inbox(client, "reviewer")


def test_watching_needs_a_login_and_an_existing_call(app: Flask, client: FlaskClient) -> None:
    slug = open_call(app).slug
    answer = client.post(f"/-/calls/{slug}/watch", data={"watch": "1"})
    assert answer.status_code in (302, 400)  # anonymous: to the login form (or a CSRF refusal)
    login_as(client, "reader")
    assert watch(client, "no-such-call").status_code == 404


@pytest.fixture
def mail_app(tmp_path: Path) -> Iterator[tuple[Flask, Mailbox]]:
    with smtp_server() as (mailbox, port):
        app = make_app(tmp_path / "instance", MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="wiki@example.org",
                       SITE_URL=SITE, MAIL_RETRY_SECONDS=0)
        yield app, mailbox
        app.extensions["wiki_store"].close()


def test_a_deadline_nearing_tells_everyone_who_has_not_answered_once(mail_app: tuple[Flask, Mailbox]) -> None:
    app, mailbox = mail_app
    call = open_call(app, deadline=int(time.time()) + 5 * 3600)
    respond(app, "reader", call.slug, {"q1": "Done already."})
    far = open_call(app, "Later call", deadline=int(time.time()) + 10 * 86400)
    assert mailbox.messages == []  # watchers of new responses hear of them in a digest by default
    report = run(app)
    assert report["call_deadlines"] == {"reminders": 1}
    assert run(app)["call_deadlines"] == {"reminders": 0}  # once per (call, deadline)
    [message] = mailbox.to("reviewer@example.org")  # reviewers and admins: "awaits my group" at once
    text = body(message)
    assert "The deadline of the call for input “Questionnaire on the mapping” is in less than a day" in text
    assert f"{SITE}/-/calls/{call.slug}" in text
    assert "Call for input: Questionnaire on the mapping" in message["Subject"]
    assert message["In-Reply-To"] == f"<call.{call.slug}@example.org>"
    assert mailbox.to("admin@example.org") and not mailbox.to("reader@example.org")  # the reader answered
    client = app.test_client()
    assert "is in less than a day" in inbox(client, "editor")  # daily digest by default, in the inbox now
    assert "is in less than a day" not in inbox(client, "reader")
    assert far.title not in inbox(client, "editor")

    with app.test_request_context():  # a moved deadline is a new one: reminded again when it nears
        call_actions.set_deadline(secretariat(app), call.slug, int(time.time()) + 8 * 3600)
    assert run(app)["call_deadlines"] == {"reminders": 1}


def test_a_closed_call_is_not_reminded_of(app: Flask) -> None:
    call = open_call(app, deadline=int(time.time()) + 3600)
    with app.test_request_context():
        call_actions.close(secretariat(app), call.slug)
    assert run(app)["call_deadlines"] == {"reminders": 0}
