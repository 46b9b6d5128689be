"""Log-in limits behind a reverse proxy (issue 12, item 10).

Every client below reaches the wiki through one proxy at PROXY; with TRUSTED_PROXIES=1 the
wiki believes the address the proxy appends to X-Forwarded-For, with 0 it ignores the header.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from wiki import create_app
from wiki.settings import InvalidSetting
from wiki.users import ADDRESS_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT

from .conftest import PASSWORD, csrf_token, make_app

PROXY = "10.0.0.1"
ATTACKER = "198.51.100.7"
VICTIM = "203.0.113.5"


def behind_proxy(app: Flask, client_address: str) -> FlaskClient:
    """A browser at ``client_address`` whose requests come through the proxy."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = PROXY
    client.environ_base["HTTP_X_FORWARDED_FOR"] = client_address
    return client


def login(client: FlaskClient, username: str, password: str) -> int:
    return client.post("/-/login", data={"username": username, "password": password,
                                         "csrf_token": csrf_token(client)}).status_code


def spray_made_up_names(client: FlaskClient, count: int = 2 * ADDRESS_FAILURE_LIMIT) -> None:
    for number in range(count):
        assert login(client, f"made-up-{number}", "wrong password") == 401


@pytest.fixture(params=[0, 1], ids=["no-trusted-proxy", "one-trusted-proxy"])
def proxied_app(request: pytest.FixtureRequest, tmp_path: Path) -> Flask:
    return make_app(tmp_path / "instance", TRUSTED_PROXIES=request.param)


def test_made_up_names_never_lock_a_real_account_out(proxied_app: Flask) -> None:
    """The issue: 10 made-up names through the proxy locked every account for 15 minutes."""
    spray_made_up_names(behind_proxy(proxied_app, ATTACKER))
    # A real user, from another client and from the attacker's own address (with TRUSTED_PROXIES
    # unset both are the proxy's address), logs in with the right password.
    assert login(behind_proxy(proxied_app, VICTIM), "editor", PASSWORD) == 302
    assert login(behind_proxy(proxied_app, ATTACKER), "editor2", PASSWORD) == 302


def test_trusted_proxy_tells_clients_apart(tmp_path: Path) -> None:
    """With TRUSTED_PROXIES=1 an address over its limit is the attacker's only."""
    app = make_app(tmp_path / "instance", TRUSTED_PROXIES=1)
    attacker, victim = behind_proxy(app, ATTACKER), behind_proxy(app, VICTIM)
    spray_made_up_names(attacker)
    assert login(victim, "editor", "a typo in it") == 401  # the account now has a failure of its own
    assert login(attacker, "editor", PASSWORD) == 429  # the spraying address may not try it again
    assert login(victim, "editor", PASSWORD) == 302  # its owner, elsewhere, still can


def test_without_trusted_proxy_forwarded_for_is_ignored(tmp_path: Path) -> None:
    """With TRUSTED_PROXIES=0 a client cannot pick its address by sending X-Forwarded-For."""
    app = make_app(tmp_path / "instance")
    for number in range(ADDRESS_FAILURE_LIMIT):  # a new forged address for every guess
        assert login(behind_proxy(app, f"192.0.2.{number}"), f"made-up-{number}", "wrong") == 401
    assert login(behind_proxy(app, VICTIM), "editor", "a typo in it") == 401
    # Every request came from PROXY, which is over its limit: no forged header gets around it.
    assert login(behind_proxy(app, "192.0.2.200"), "editor", PASSWORD) == 429


def test_guessing_one_password_is_refused_even_when_right(proxied_app: Flask) -> None:
    attacker = behind_proxy(proxied_app, ATTACKER)
    for number in range(LOGIN_FAILURE_LIMIT):
        assert login(attacker, "editor", f"guess {number}") == 401
    response = attacker.post("/-/login", data={"username": "Editor", "password": PASSWORD,
                                               "csrf_token": csrf_token(attacker)})
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "Too many failed log-in attempts" in html and "15 minutes" in html
    assert login(behind_proxy(proxied_app, VICTIM), "editor", PASSWORD) == 429  # from any address
    assert login(attacker, "editor2", PASSWORD) == 302  # other accounts are not affected


def test_limits_end_after_the_window_and_a_success_clears_the_account(proxied_app: Flask) -> None:
    client = behind_proxy(proxied_app, ATTACKER)
    for _ in range(LOGIN_FAILURE_LIMIT - 1):
        assert login(client, "editor", "wrong password") == 401
    assert login(client, "editor", PASSWORD) == 302  # a success clears the account's failures
    other = behind_proxy(proxied_app, ATTACKER)
    for _ in range(LOGIN_FAILURE_LIMIT - 1):
        assert login(other, "editor", "wrong password") == 401
    assert login(other, "editor", "wrong password") == 401
    assert login(other, "editor", PASSWORD) == 429
    with sqlite3.connect(proxied_app.extensions["wiki_users"].path) as db:
        db.execute("UPDATE failed_logins SET at = at - 16 * 60")
    assert login(other, "editor", PASSWORD) == 302


def test_forwarded_scheme_is_believed_only_from_a_trusted_proxy(tmp_path: Path) -> None:
    for proxies, scheme in ((0, "http"), (1, "https")):
        app = make_app(tmp_path / f"instance-{proxies}", TRUSTED_PROXIES=proxies)
        seen: list[str] = []
        app.before_request(lambda seen=seen: seen.append(request.scheme))
        app.test_client().get("/-/login", headers={"X-Forwarded-Proto": "https", "X-Forwarded-For": VICTIM})
        assert seen == [scheme]


def test_trusted_proxies_comes_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIKI_TRUSTED_PROXIES", "2")
    app = create_app({"TESTING": True, "SECRET_KEY": "x"}, instance_path=str(tmp_path / "instance"))
    assert app.config["TRUSTED_PROXIES"] == 2
    monkeypatch.setenv("WIKI_TRUSTED_PROXIES", "-1")
    with pytest.raises(InvalidSetting, match="TRUSTED_PROXIES"):
        create_app({"TESTING": True, "SECRET_KEY": "x"}, instance_path=str(tmp_path / "instance"))
