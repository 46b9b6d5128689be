"""Password-set links by mail (issue 29), with a real SMTP server on 127.0.0.1 (aiosmtpd), through
HTTP: a user who forgot their password asks on the login page and gets a link in their mailbox (the
same answer whether or not the account exists, limited per client address and per account); an
admin's link is mailed when the wiki sends mail and shown once when it does not."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.accounts import RESET_PER_ACCOUNT, RESET_PER_ADDRESS
from wiki.notify.scheduler import run_due

from .support.app import PASSWORD, Auth, csrf_token, make_app
from .support.mail import Mailbox, body

SITE = "https://wiki.example.org"
LINK_RE = re.compile(r"https://wiki\.example\.org(/-/set-password/\S+)")


@pytest.fixture
def mailer(tmp_path: Path, smtp: tuple[Mailbox, int]) -> Flask:
    app = make_app(tmp_path / "instance", MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp[1], MAIL_FROM="wiki@example.org",
                   SITE_URL=SITE, MAIL_RETRY_SECONDS=0)
    yield app
    app.extensions["wiki_store"].close()


def send_mail(app: Flask) -> None:
    with app.app_context():
        assert run_due(app) is not None


def ask(client: FlaskClient, typed: str, address: str = "192.0.2.1"):  # noqa: ANN201
    return client.post("/-/forgot-password", data={"account": typed, "csrf_token": csrf_token(client)},
                       environ_base={"REMOTE_ADDR": address})


def answer(response) -> str:  # noqa: ANN001
    """The page's main content, without the per-session CSRF token."""
    html = response.get_data(as_text=True)
    return re.sub(r'name="csrf_token" value="[^"]+"', "", html[html.index("<main"):])


def set_password(client: FlaskClient, link: str, password: str) -> int:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(link).get_data(as_text=True)).group(1)
    return client.post(link, data={"new_password": password, "confirm_password": password,
                                   "csrf_token": token}).status_code


def test_a_forgotten_password_is_reset_by_mail(mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    mailer.extensions["wiki_users"].set_language("reviewer", "fr")
    client = mailer.test_client()
    login = client.get("/-/login").get_data(as_text=True)
    assert 'href="/-/forgot-password"' in login and "Forgot your password?" in login
    assert "Mail me a link" in client.get("/-/forgot-password").get_data(as_text=True)
    known = ask(client, "reviewer")
    by_address = ask(client, "EDITOR@example.org", "192.0.2.2")
    unknown = ask(client, "nobody-here", "192.0.2.3")
    assert known.status_code == by_address.status_code == unknown.status_code == 200
    assert answer(known) == answer(unknown) == answer(by_address)  # nobody learns which accounts exist
    assert known.headers["Cache-Control"] == "no-store"
    send_mail(mailer)
    assert len(mailbox.messages) == 2
    [message] = mailbox.to("reviewer@example.org")
    assert "Définir votre mot de passe" in message["Subject"] and "reviewer" in body(message)  # in French
    link = LINK_RE.search(body(message)).group(1)
    assert LINK_RE.search(body(mailbox.to("editor@example.org")[0]))
    # the mailed secret does not stay in the database once sent
    with mailer.extensions["wiki_users"].database.connect() as db:
        payloads = [row["payload"] for row in db.execute("SELECT payload FROM mail_outbox")]
    assert payloads and not any(link.rsplit("/", 1)[1] in payload for payload in payloads)
    assert all("secret" not in json.loads(payload) for payload in payloads)
    assert set_password(client, link, "a forgotten one, reset") == 302
    assert client.get(link).status_code == 404  # once
    assert Auth(client).login("reviewer", PASSWORD).status_code == 401
    assert Auth(client).login("reviewer", "a forgotten one, reset").status_code == 302


def test_requests_are_limited_per_address_and_per_account(mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    client = mailer.test_client()
    for number in range(RESET_PER_ACCOUNT + 2):  # from different addresses: the account gets at most its limit
        assert ask(client, "editor", f"198.51.100.{number}").status_code == 200
        send_mail(mailer)  # each mail leaves before the next request (which would supersede it)
    assert len(mailbox.to("editor@example.org")) == RESET_PER_ACCOUNT
    for _number in range(RESET_PER_ADDRESS):  # one address, any names: a 429 after its limit
        assert ask(client, "made-up-name", "203.0.113.9").status_code == 200
    refused = ask(client, "reader", "203.0.113.9")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "3600"
    assert "Too many password reset requests" in refused.get_data(as_text=True)
    assert ask(client, "reader", "203.0.113.10").status_code == 200  # another address still may
    assert ask(client, " ", "203.0.113.11").status_code == 400


def test_a_disabled_account_gets_no_mail(mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    client = mailer.test_client()
    Auth(client).login("admin")
    admin_token = csrf_token(client, "/-/admin/users")
    assert client.post("/-/admin/users/reader/disable", data={"csrf_token": admin_token}).status_code == 302
    assert ask(client, "reader").status_code == 200
    assert ask(client, "editor").status_code == 200
    send_mail(mailer)
    assert mailbox.to("reader@example.org") == []
    assert "A password-set link was mailed to <bdi>editor</bdi>, who asked for it." in client.get(
        "/-/admin/users").get_data(as_text=True)  # recorded


def test_an_admins_link_is_mailed_when_the_wiki_sends_mail(mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    client = mailer.test_client()
    Auth(client).login("admin")
    form = {"username": "delegate", "display_name": "Dee Legate", "email": "dee@example.org", "group": "governments",
            "role": "editor", "csrf_token": csrf_token(client, "/-/admin/users")}
    created = client.post("/-/admin/users", data=form)
    html = created.get_data(as_text=True)
    assert created.status_code == 200 and "set-password" not in html  # mailed, not shown
    assert "A link to set the password was mailed to dee@example.org" in html
    # an account without an address: the link is shown, once
    shown = client.post("/-/admin/users", data={**form, "username": "nomail", "email": ""}).get_data(as_text=True)
    assert 'id="password-link"' in shown
    send_mail(mailer)
    [message] = mailbox.to("dee@example.org")
    assert "An administrator of" in body(message)
    link = LINK_RE.search(body(message)).group(1)
    Auth(client).logout()
    assert set_password(client, link, "delegates choose well") == 302
    assert Auth(client).login("delegate", "delegates choose well").status_code == 302


def test_a_newer_link_drops_the_older_mail_still_queued(mailer: Flask, smtp: tuple[Mailbox, int]) -> None:
    mailbox, _port = smtp
    client = mailer.test_client()
    assert ask(client, "reviewer").status_code == 200
    assert ask(client, "reviewer", "192.0.2.2").status_code == 200  # again, before the first mail left
    send_mail(mailer)
    [message] = mailbox.to("reviewer@example.org")  # only the newer link's mail, and its link works
    assert client.get(LINK_RE.search(body(message)).group(1)).status_code == 200

    mailbox.clear()
    assert ask(client, "reviewer", "192.0.2.3").status_code == 200
    admin = mailer.test_client()
    Auth(admin).login("admin")
    issued = admin.post("/-/admin/users/reviewer/password-link",
                        data={"csrf_token": csrf_token(admin, "/-/admin/users")})
    assert issued.status_code == 200  # an admin's link supersedes the reset mail still waiting
    send_mail(mailer)
    [message] = mailbox.to("reviewer@example.org")
    assert "An administrator of" in body(message)
    assert set_password(client, LINK_RE.search(body(message)).group(1), "the newest link works") == 302

    mailbox.clear()
    assert ask(client, "editor", "192.0.2.4").status_code == 200
    assert admin.post("/-/admin/users/editor/disable",
                      data={"csrf_token": csrf_token(admin, "/-/admin/users")}).status_code == 302
    send_mail(mailer)
    assert mailbox.to("editor@example.org") == []  # disabling voided the link: its mail does not leave


def test_without_mail_there_is_no_reset_form(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    client = app.test_client()
    assert "Forgot your password?" not in client.get("/-/login").get_data(as_text=True)
    assert client.get("/-/forgot-password").status_code == 404
    assert ask(client, "editor").status_code == 404
    app.extensions["wiki_store"].close()
