"""Accounts in the browser (issue 29): /-/admin/users creates users, changes roles and groups,
disables and re-enables them and issues password-set links that work once and expire; every
change is recorded. Through HTTP, as an admin's browser sends the forms."""

from __future__ import annotations

import re
import time

from flask import Flask
from flask.testing import FlaskClient

from wiki.accounts import AccountAdmin
from wiki.users import UserStore

from .support.app import PASSWORD, Auth, csrf_token

LINK_RE = re.compile(r'id="password-link"[^>]*value="[^"]*(/-/set-password/[^"]+)"')


def post(client: FlaskClient, url: str, **data: str):  # noqa: ANN201
    return client.post(url, data={**data, "csrf_token": csrf_token(client, "/-/admin/users")})


def create(client: FlaskClient, username: str = "delegate", **fields: str) -> str:
    """Create a user as the logged-in admin; the path of its password-set link."""
    data = {"username": username, "display_name": "Dee Legate", "email": "dee@example.org",
            "group": "governments", "role": "editor", **fields}
    response = post(client, "/-/admin/users", **data)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    match = LINK_RE.search(response.get_data(as_text=True))
    assert match, "the new user's password-set link is shown"
    return match.group(1)


def set_password(client: FlaskClient, link: str, password: str = "a brand new password"):  # noqa: ANN201
    page = client.get(link)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
    assert page.status_code == 200 and token
    return client.post(link, data={"new_password": password, "confirm_password": password,
                                   "csrf_token": token.group(1)})


def test_admin_creates_a_user_who_sets_a_password_and_logs_in(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("admin")
    link = create(client)
    listing = client.get("/-/admin/users").get_data(as_text=True)
    assert "Dee Legate" in listing and "set-password" not in listing  # the link is shown only once
    auth.logout()
    assert Auth(client).login("delegate", "anything at all").status_code == 401  # no usable password yet
    assert set_password(client, link).status_code == 302
    assert client.get(link).status_code == 404  # used once
    assert Auth(client).login("delegate", "a brand new password").status_code == 302
    user = app.extensions["wiki_users"].require("delegate")
    assert (user.role, user.group, user.email, user.last_login_at is not None) == (
        "editor", "governments", "dee@example.org", True)


def test_secretariat_group_is_offered_and_bad_input_is_a_400(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("admin")
    secretariat = app.config["SECRETARIAT_GROUP"]
    assert f'value="{secretariat}"' in client.get("/-/admin/users").get_data(as_text=True)
    create(client, "staffer", group=secretariat)
    for bad in ({"username": "has space"}, {"group": "nope"}, {"role": "king"}, {"username": "staffer"},
                {"email": "not-an-address"}, {"username": "Guest-0123456789ab"}):  # an invited guest's id
        data = {"username": "fresh", "display_name": "", "email": "", "group": "governments", "role": "reader", **bad}
        response = post(client, "/-/admin/users", **data)
        assert response.status_code == 400 and 'class="flash flash-error"' in response.get_data(as_text=True)
    assert app.extensions["wiki_users"].by_username("fresh") is None


def test_role_group_disable_enable_recorded(app: Flask, client: FlaskClient, auth: Auth) -> None:
    users: UserStore = app.extensions["wiki_users"]
    other = FlaskClient(app, use_cookies=True)
    assert Auth(other).login("editor").status_code == 302
    assert other.get("/-/account").status_code == 200
    auth.login("admin")
    assert post(client, "/-/admin/users/editor", role="reviewer", group="private-sector").status_code == 302
    assert (users.require("editor").role, users.require("editor").group) == ("reviewer", "private-sector")
    assert post(client, "/-/admin/users/editor/disable").status_code == 302
    assert other.get("/-/account").status_code == 302  # its session ended
    assert Auth(FlaskClient(app, use_cookies=True)).login("editor").status_code == 401
    assert post(client, "/-/admin/users/editor/password-link").status_code == 400  # enable it first
    assert post(client, "/-/admin/users/editor/enable").status_code == 302
    assert Auth(FlaskClient(app, use_cookies=True)).login("editor").status_code == 302
    assert post(client, "/-/admin/users/admin/disable").status_code == 400  # never oneself
    assert post(client, "/-/admin/users/admin", role="reader", group="international-organizations"
                ).status_code == 400
    assert post(client, "/-/admin/users/nobody/disable").status_code == 404
    events = AccountAdmin(users).events()
    assert [(e.actor, e.username, e.action, e.detail) for e in reversed(events)] == [
        ("admin", "editor", "role", "reviewer"), ("admin", "editor", "group", "private-sector"),
        ("admin", "editor", "disabled", ""), ("admin", "editor", "enabled", "")]
    page = client.get("/-/admin/users").get_data(as_text=True)
    assert "disabled the account <bdi>editor</bdi>" in page


def test_a_disabled_accounts_tokens_stop_working(app: Flask, client: FlaskClient, auth: Auth) -> None:
    users = app.extensions["wiki_users"]
    _, secret = app.extensions["wiki_tokens"].create(users.require("editor"), "t", "read", int(time.time()) + 3600)
    headers = {"Authorization": f"Bearer {secret}"}
    assert client.get("/-/api/v1/pages", headers=headers).status_code == 200
    AccountAdmin(users).disable("admin", "editor")
    assert client.get("/-/api/v1/pages", headers=headers).status_code == 401


def test_password_links_expire_and_a_new_one_voids_the_old(app: Flask, client: FlaskClient) -> None:
    admin = AccountAdmin(app.extensions["wiki_users"])
    first = admin.issue_link("admin", "reader")
    second = admin.issue_link("admin", "reader")
    assert client.get(f"/-/set-password/{first}").status_code == 404
    assert client.get(f"/-/set-password/{second}").status_code == 200
    with admin.database.connect() as db:
        db.execute("UPDATE password_links SET expires_at = ?", (int(time.time()) - 1,))
    assert client.get(f"/-/set-password/{second}").status_code == 404
    assert Auth(client).login("reader", PASSWORD).status_code == 302  # the old password still works


def test_set_password_link_works_on_a_private_wiki(tmp_path) -> None:  # noqa: ANN001
    from .support.app import make_app

    app = make_app(tmp_path / "instance", PUBLIC_READ=False)
    secret = AccountAdmin(app.extensions["wiki_users"]).issue_link("admin", "reader")
    client = app.test_client()
    assert client.get("/-/admin/users").status_code == 302
    response = set_password(client, f"/-/set-password/{secret}", "short")
    assert response.status_code == 400  # too short: a message, the link still works
    assert set_password(client, f"/-/set-password/{secret}").status_code == 302
    assert Auth(client).login("reader", "a brand new password").status_code == 302


def test_the_editing_mode_is_remembered_by_the_account(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    token = csrf_token(client, "/Home/-/edit")
    assert 'data-account-mode=""' in client.get("/Home/-/edit").get_data(as_text=True)
    assert client.post("/-/account/editor-mode", data={"mode": "visual", "csrf_token": token}).status_code == 204
    assert 'data-account-mode="visual"' in client.get("/Home/-/edit").get_data(as_text=True)
    assert app.extensions["wiki_users"].require("editor").editor_mode == "visual"
    assert client.post("/-/account/editor-mode", data={"mode": "wysiwyg", "csrf_token": token}).status_code == 400
    assert client.post("/-/account/editor-mode", data={"csrf_token": token}).status_code == 400
    assert app.extensions["wiki_users"].require("editor").editor_mode == "visual"
