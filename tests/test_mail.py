"""E-mail (issue 27, second part) with a real SMTP server on 127.0.0.1 (aiosmtpd): immediate mail
in the recipient's language, threaded, with absolute links and RFC 8058 one-click unsubscribe;
digests per period without duplicates across processes and restarts; the outbox surviving the
mail server's absence; mentions; addresses confirmed by a signed link."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.notify.scheduler import run_due

from .conftest import Auth, csrf_token, make_app
from .support.mail import Mailbox, body, smtp_server
from .support.servers import ROOT, free_port, instance_env

SITE = "https://wiki.example.org"


def mail_app(instance: Path, port: int, **config: object) -> Flask:
    return make_app(instance, MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_FROM="wiki@example.org",
                    SITE_URL=SITE, MAIL_RETRY_SECONDS=0, **config)


def login_as(auth: Auth, client: FlaskClient, user: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    auth.login(user)


def start(client: FlaskClient, title: str, rationale: str = "Because.") -> int:
    response = client.post("/-/proposals/new", data={"title": title, "rationale": rationale,
                                                     "csrf_token": csrf_token(client, "/-/proposals/new")})
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"/-/proposals/(\d+)", response.headers["Location"]).group(1))


def run(app: Flask, now: datetime | None = None) -> dict[str, object]:
    with app.app_context():
        report = run_due(app, now=now)
    assert report is not None
    return report


@pytest.fixture
def mailer(tmp_path: Path, smtp: tuple[Mailbox, int]) -> Flask:
    app = mail_app(tmp_path / "instance", smtp[1])
    app.extensions["wiki_users"].set_language("reviewer", "fr")
    yield app
    app.extensions["wiki_store"].close()


def test_a_reviewer_is_mailed_at_once_in_french_threaded_and_can_unsubscribe_in_one_click(
        mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    client = mailer.test_client()
    auth = Auth(client)
    auth.login("editor")
    number = start(client, "Clarify the mandate")
    assert mailbox.messages == []  # queued, not sent during the request
    assert run(mailer)["mail"] == 2  # the reviewer and the admin: "awaits my group" goes out at once
    [message] = mailbox.to("reviewer@example.org")
    text = body(message)
    assert "editor a proposé « Clarify the mandate »" in text and "Attend votre groupe" in text
    assert f"{SITE}/-/proposals/{number}" in text
    assert re.fullmatch(r"\[Living Wiki\] Proposition 1\s:\sClarify the mandate", message["Subject"])
    assert message["In-Reply-To"] == message["References"] == "<proposal.1@example.org>"
    assert message["Message-ID"].endswith("@example.org>")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = re.fullmatch(r"<(https://wiki\.example\.org(/-/unsubscribe/[^>]+))>", message["List-Unsubscribe"])
    assert unsubscribe
    assert run(mailer)["mail"] == 0  # nothing is sent twice
    # a second proposal: the same thread of mail only when it is the same proposal
    start(client, "Another one")
    run(mailer)
    assert {m["References"] for m in mailbox.to("reviewer@example.org")} == {"<proposal.1@example.org>",
                                                                              "<proposal.2@example.org>"}
    # a forged link changes nothing; the page offers a lower frequency; one click (no session, no CSRF) stops it
    anonymous = mailer.test_client()
    path = unsubscribe.group(2)
    assert anonymous.post(path[:-3] + "xyz", data={"List-Unsubscribe": "One-Click"}).status_code == 400
    page = anonymous.get(path)
    assert page.status_code == 200 and 'value="daily"' in page.get_data(as_text=True)
    assert anonymous.post(path, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    mailbox.clear()
    start(client, "A third one")
    run(mailer)
    assert mailbox.to("reviewer@example.org") == [] and len(mailbox.to("admin@example.org")) == 1
    # the page of the link sets a lower frequency instead
    assert anonymous.post(path, data={"frequency": "weekly"}).status_code == 200
    inbox = mailer.extensions["wiki_inbox"]
    assert inbox.settings(mailer.extensions["wiki_users"].require("reviewer").id).as_dict()["awaiting"] == "weekly"


def test_mentions_are_mailed_to_who_wants_them_at_once(mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    client = mailer.test_client()
    auth = Auth(client)
    auth.login("editor2")
    client.post("/-/account/notifications", data={"autowatch": "1", "mention": "immediately", "awaiting": "never",
                                                  "mine": "daily", "watching": "daily",
                                                  "csrf_token": csrf_token(client, "/-/account")})
    login_as(auth, client, "editor")
    number = start(client, "Clarify the mandate")
    client.post(f"/-/proposals/{number}/comment", data={"text": "@editor2, what do you think?",
                                                        "csrf_token": csrf_token(client, f"/-/proposals/{number}")})
    run(mailer)
    [message] = mailbox.to("editor2@example.org")
    assert "editor commented on proposal “Clarify the mandate”" in body(message)
    assert "You were mentioned" in body(message)


def test_the_outbox_survives_the_mail_servers_absence_and_a_restart(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet
    app = mail_app(tmp_path / "instance", port)
    client = app.test_client()
    Auth(client).login("editor")
    start(client, "Sent later")
    assert run(app)["mail"] == 0  # refused: the write went through, the mail waits
    outbox = app.extensions["wiki_outbox"]
    assert outbox.pending() == 2
    app.extensions["wiki_store"].close()
    with smtp_server(port) as (mailbox, _port):
        restarted = make_restart(tmp_path / "instance", port)
        assert run(restarted)["mail"] == 2
        assert run(restarted)["mail"] == 0
        assert len(mailbox.messages) == 2
        restarted.extensions["wiki_store"].close()


def make_restart(instance: Path, port: int) -> Flask:
    """The same instance started again (its accounts exist already)."""
    from wiki import create_app

    return create_app({"TESTING": True, "SECRET_KEY": "test-secret", "SCHEDULER_SECONDS": 0, "MAIL_SERVER": "127.0.0.1",
                       "MAIL_PORT": port, "MAIL_FROM": "wiki@example.org", "SITE_URL": SITE, "MAIL_RETRY_SECONDS": 0},
                      instance_path=str(instance))


def test_digests_per_period_once_across_two_processes_and_a_restart(tmp_path: Path,
                                                                   smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    instance = tmp_path / "instance"
    app = mail_app(instance, port)
    client = app.test_client()
    auth = Auth(client)
    auth.login("editor")
    start(client, "For the digest")  # every group's members are told; editors and readers get daily digests
    # the notifications are from yesterday: the daily period that ended
    yesterday = datetime.now(UTC) - timedelta(days=1)
    with app.extensions["wiki_users"].database.connect() as db:
        db.execute("UPDATE notifications SET updated_at = ?", (yesterday.timestamp(),))
    app.extensions["wiki_store"].close()
    # two processes at once, then a third (a restart): each digest once
    env = instance_env(instance, WIKI_MAIL_SERVER="127.0.0.1", WIKI_MAIL_PORT=str(port), WIKI_SITE_URL=SITE,
                       WIKI_MAIL_FROM="wiki@example.org", WIKI_SECRET_KEY="test-secret", WIKI_SCHEDULER_SECONDS="0")
    command = [sys.executable, "-m", "flask", "--app", "wiki", "scheduled"]
    runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            for _ in range(2)]
    outputs = [process.communicate(timeout=120)[0] for process in runs]
    assert all(process.returncode == 0 for process in runs), outputs
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0, again.stderr
    digests = [message for message in mailbox.messages if "Your daily digest" in message["Subject"]]
    recipients = sorted(message["To"] for message in digests)
    # the reader (governments), editor2 (private-sector): daily digests; the editor acted; reviewers and
    # admins had "awaits my group" at once, the rest of their kinds would be in digests too but are empty
    assert recipients == ["editor2@example.org", "reader@example.org"], (recipients, outputs, again.stdout)
    assert "For the digest" in body(digests[0]) and f"{SITE}/-/proposals/1" in body(digests[0])
    assert sorted(message["To"] for message in mailbox.messages if message not in digests) == [
        "admin@example.org", "reviewer@example.org"]  # their immediate mail, once too
    # one click in a digest stops every kind of mail that digest gathered
    [digest] = [message for message in digests if message["To"] == "reader@example.org"]
    link = re.fullmatch(r"<https://wiki\.example\.org(/-/unsubscribe/[^>]+)>", digest["List-Unsubscribe"]).group(1)
    restarted = make_restart(instance, port)
    assert restarted.test_client().post(link, data={"List-Unsubscribe": "One-Click"}).status_code == 200
    reader = restarted.extensions["wiki_users"].require("reader")
    assert restarted.extensions["wiki_inbox"].settings(reader.id).as_dict() == dict.fromkeys(
        ("awaiting", "mention", "mine", "watching"), "never")
    restarted.extensions["wiki_store"].close()


def test_an_address_is_confirmed_by_a_signed_link(mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    client = mailer.test_client()
    Auth(client).login("editor")
    token = csrf_token(client, "/-/account")
    assert client.post("/-/account/email", data={"email": "not an address", "csrf_token": token}).status_code == 400
    response = client.post("/-/account/email", data={"email": "eda@new.example.org", "csrf_token": token})
    assert response.status_code == 302
    users = mailer.extensions["wiki_users"]
    assert users.require("editor").email == "editor@example.org"  # unchanged until confirmed
    assert "Waiting for confirmation: eda@new.example.org" in client.get("/-/account").get_data(as_text=True)
    run(mailer)
    [message] = mailbox.to("eda@new.example.org")
    link = re.search(r"https://wiki\.example\.org(/-/account/email/confirm/\S+)", body(message)).group(1)
    assert client.get(link[:-4] + "AAAA").status_code == 400  # forged
    assert users.require("editor").email == "editor@example.org"
    assert client.get(link).status_code == 302
    assert users.require("editor").email == "eda@new.example.org"
    assert client.get(link).status_code == 400  # used: nothing waits for it any more


def test_no_mail_without_a_server_and_a_server_needs_the_sites_address(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    client = app.test_client()
    Auth(client).login("editor")
    start(client, "Inbox only")
    assert app.extensions["wiki_outbox"].pending() == 0
    assert "This wiki sends no mail" in client.get("/-/account").get_data(as_text=True)
    app.extensions["wiki_store"].close()
    with pytest.raises(SystemExit, match="SITE_URL"):
        make_app(tmp_path / "other", MAIL_SERVER="127.0.0.1")


def test_notifications_mail_digests_and_the_lease_on_both_engines(backend: str, tmp_path: Path,
                                                                  smtp: tuple[Mailbox, int]) -> None:
    """The same SQL on SQLite and PostgreSQL: inbox rows, watches, the outbox, digests, the lease."""
    from wiki.notify.scheduler import Lease

    from .support.postgres import app_on

    mailbox, port = smtp
    app = app_on(backend, tmp_path / "instance", SCHEDULER_SECONDS=0, MAIL_SERVER="127.0.0.1", MAIL_PORT=port,
                 MAIL_FROM="wiki@example.org", SITE_URL=SITE, MAIL_RETRY_SECONDS=0)
    client = app.test_client()
    auth = Auth(client)
    auth.login("editor")
    number = start(client, "On both engines")
    client.post(f"/-/proposals/{number}/comment", data={"text": "Over to @reader.",
                                                        "csrf_token": csrf_token(client, f"/-/proposals/{number}")})
    assert run(app)["mail"] == 2  # the reviewer's and the admin's "awaits my group"
    login_as(auth, client, "reader")
    assert "You were mentioned" in client.get("/-/notifications").get_data(as_text=True)
    client.post("/-/notifications/read", data={"csrf_token": csrf_token(client, "/-/notifications")})
    assert "unread)" not in client.get("/-/notifications").get_data(as_text=True)
    assert client.post("/Home/-/watch", data={"csrf_token": csrf_token(client, "/Home")}).status_code == 302
    tomorrow = datetime.now(UTC) + timedelta(days=1)  # today's period has ended by then
    report = run(app, now=tomorrow)
    assert report["digests"] == 2 and report["mail"] == 2  # the reader's and editor2's daily digests
    assert run(app, now=tomorrow)["digests"] == 0
    database = app.extensions["wiki_users"].database
    first, second = Lease(database), Lease(database)
    second.owner += ":other"
    assert first.take() and not second.take()
    first.give_back()
    assert second.take()
    second.give_back()
    assert len(mailbox.messages) == 4
    app.extensions["wiki_store"].close()


def test_the_servers_scheduler_sends_by_itself_once_across_two_processes(tmp_path: Path,
                                                                         smtp: tuple[Mailbox, int]) -> None:
    """Each serving process runs the due jobs every SCHEDULER_SECONDS; the lease lets one at a time
    send, so two processes of one instance send each mail once."""
    from wiki.notify.scheduler import periods

    from .support.servers import wait_until

    mailbox, port = smtp
    first = mail_app(tmp_path / "instance", port, SCHEDULER_SECONDS=0.2)
    second = make_restart(tmp_path / "instance", port)
    second.extensions["wiki_scheduler"].seconds = 0.2
    try:
        for app in (first, second):
            app.test_client().get("/")  # a request starts the process's scheduler
        client = first.test_client()
        Auth(client).login("editor")
        for title in ("One", "Two", "Three"):
            start(client, title)
        wait_until(lambda: len(mailbox.messages) >= 6, lambda: f"{len(mailbox.messages)} mails sent", seconds=20)
        time.sleep(1)  # a second sender would have sent its copies by now
        subjects = sorted((message["To"], message["Subject"]) for message in mailbox.messages)
        assert len(subjects) == len(set(subjects)) == 6, subjects
    finally:
        for app in (first, second):
            app.extensions["wiki_scheduler"].stop()
            app.extensions["wiki_store"].close()
    # the periods a run looks at: the last seven UTC days and the last two ISO weeks, oldest first
    names = [name for name, *_ in periods(datetime(2026, 12, 9, 8, 0, tzinfo=UTC))]
    assert names[:2] == ["weekly:2026-W48", "weekly:2026-W49"] and names[-1] == "daily:2026-12-08"
    assert names[2] == "daily:2026-12-02"
