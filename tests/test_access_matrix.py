"""Who may do what: every route × every role × public reading on and off, from one table.

Plus the log-in rules an attacker probes: lockout after repeated failures (per account and per
address), a fresh session at login, redirects only to this site's paths, and a password change
ending every other session. (Basic cases live in test_views.py; these extend them.)
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import PASSWORD, Auth, csrf_token, git, make_app
from .routes import ROLES, ROUTES
from .support.matrix import call, check_matrix, prepare


@pytest.mark.parametrize("public", [True, False], ids=["public", "private"])
@pytest.mark.parametrize("role", ROLES)
def test_access_matrix(tmp_path: Path, role: str, public: bool) -> None:
    check_matrix(make_app(tmp_path / "i", PUBLIC_READ=public), role, public)


def test_every_route_is_in_the_table(app: Flask) -> None:
    """A new route must get a row in tests/routes.py, so it is covered by the matrix and headers."""
    tabled = {(route.endpoint, route.method) for route in ROUTES}
    missing = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            if (rule.endpoint, method) not in tabled:
                missing.append(f"{method} {rule.rule} ({rule.endpoint})")
    assert missing == [], "add these routes to tests/routes.py"


def test_refused_changes_change_nothing(tmp_path: Path) -> None:
    """Readers and anonymous visitors posting every changing form leave the branch where it was."""
    app = make_app(tmp_path / "i")
    values = prepare(app)
    head = app.extensions["wiki_store"].head()
    for role in ("anonymous", "reader"):
        for route in ROUTES:
            if route.method == "POST" and route.endpoint.startswith("pages."):
                client = app.test_client()
                if role != "anonymous":
                    Auth(client).login(role)
                assert call(client, route, values).status_code in (302, 403)
    assert app.extensions["wiki_store"].head() == head


# --------------------------------------------------------------------------- logging in


def login(client: FlaskClient, username: str, password: str, **extra: str):  # noqa: ANN201
    return client.post("/-/login", data={"username": username, "password": password,
                                         "csrf_token": csrf_token(client), **extra})


def test_password_spraying_from_one_address_does_not_lock_other_accounts_out(client: FlaskClient) -> None:
    """Ten failures from one address, each against a different account, slow that address down for
    the accounts it guessed at, never for an account with no failures (a shared proxy or office)."""
    for number in range(9):
        assert login(client, f"user{number}", "wrong password").status_code == 401
    assert login(client, "editor2", "wrong password").status_code == 401
    response = login(client, "editor2", PASSWORD)  # failed from here, and the address is over its limit
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "Too many failed log-in attempts" in html and "15 minutes" in html
    assert "Pat Second" not in client.get("/").get_data(as_text=True)
    assert login(client, "editor", PASSWORD).status_code == 302  # no failures of its own: let in


def test_lockout_per_account_holds_across_addresses(app: Flask) -> None:
    """Guessing one account's password from many addresses still locks that account."""
    for number in range(10):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"198.51.100.{number}"
        assert login(client, "editor", f"guess {number}").status_code == 401
    fresh = app.test_client()
    fresh.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    assert login(fresh, "Editor", PASSWORD).status_code == 429  # the name's case does not dodge it
    assert login(fresh, "editor2", PASSWORD).status_code == 302  # other accounts are not locked


def test_login_answers_the_same_for_unknown_users(client: FlaskClient) -> None:
    unknown = login(client, "no-such-user", "wrong password").get_data(as_text=True)
    known = login(client, "editor", "wrong password").get_data(as_text=True)
    assert "Wrong user name or password." in unknown and "Wrong user name or password." in known


def test_login_starts_a_new_session(client: FlaskClient) -> None:
    """Nothing from before login carries over (no session fixation): a new CSRF token, too."""
    before = csrf_token(client)
    cookie_before = client.get_cookie("session").value
    assert login(client, "editor", PASSWORD).status_code == 302
    assert client.get_cookie("session").value != cookie_before
    assert csrf_token(client, "/-/account") != before
    anonymous = FlaskClient(client.application)
    anonymous.set_cookie("session", cookie_before)
    assert anonymous.get("/-/account").status_code == 302  # the pre-login cookie is not logged in


@pytest.mark.parametrize("target", [
    "//evil.example/", "///evil.example", "https://evil.example", "http:evil.example", "/\\evil.example",
    "\\\\evil.example", "/\t/evil.example", " //evil.example", "javascript:alert(1)", "data:text/html,x",
    "%2F%2Fevil.example", "/%0d%0aSet-Cookie:x=1", "evil.example", "",
])
def test_redirect_after_login_stays_on_this_site(client: FlaskClient, target: str) -> None:
    response = login(client, "editor", PASSWORD, next=target)
    location = response.headers["Location"]
    assert response.status_code == 302
    assert location.startswith("/") and not location.startswith("//") and "\\" not in location
    assert "\n" not in location and "\r" not in location and "evil.example" not in location.split("?")[0][:2]


def test_redirect_after_login_keeps_own_paths(client: FlaskClient) -> None:
    response = client.get("/Home/-/edit")
    assert response.status_code == 302
    login_url = response.headers["Location"]
    next_path = login_url.split("next=", 1)[1]
    assert login(client, "editor", PASSWORD, next=unquote(next_path)).headers["Location"] == "/Home/-/edit"


def test_password_change_ends_other_sessions_even_replayed_cookies(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    Auth(first).login("editor")
    Auth(second).login("editor")
    stolen = first.get_cookie("session").value  # a copy of the cookie taken before the change
    response = first.post("/-/account", data={"csrf_token": csrf_token(first, "/-/account"),
                                              "current_password": PASSWORD, "new_password": "a new password!",
                                              "confirm_password": "a new password!"})
    assert response.status_code == 302
    assert first.get("/-/account").status_code == 200
    assert second.get("/-/account").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    assert replay.get("/-/account").status_code == 302
    assert Auth(app.test_client()).login("editor", PASSWORD).status_code == 401
    assert Auth(app.test_client()).login("editor", "a new password!").status_code == 302


def test_edits_are_attributed_to_the_logged_in_user_not_the_form(app: Flask, client: FlaskClient) -> None:
    """Author, group and user name come from the session: form fields cannot act as another group."""
    Auth(client).login("editor")
    html = client.get("/Home/-/edit").get_data(as_text=True)
    base = re.search(r'name="base" value="([0-9a-f]+)"', html).group(1)
    client.post("/Home/-/edit", data={"csrf_token": csrf_token(client, "/"), "base": base, "text": "mine\n",
                                      "group": "governments", "author": "Ada Admin", "username": "admin"})
    log = git(app.config["CONTENT_REPO"], "log", "-1", "--format=%an|%(trailers:key=Stakeholder-Group,valueonly)"
              "|%(trailers:key=Wiki-User,valueonly)", "main").replace("\n", "")
    assert log == "Eda Editor|civil-society|editor"
