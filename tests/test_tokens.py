"""Personal access tokens (issue 16): made, listed and revoked on /-/account/tokens, seen and
revoked by admins on /-/admin/tokens, stored hashed, and working as the password for Git."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.tokens import TOKEN_PREFIX, TokenStore, digest

from .conftest import Auth, csrf_token, make_app
from .support.git_http import Wiki, serve

SECRET_RE = re.compile(r'id="token-secret"[^>]*value="(lwt_[A-Za-z0-9_-]+)"')


def in_days(days: int) -> str:
    return (datetime.now(UTC).date() + timedelta(days=days)).isoformat()


def create(client: FlaskClient, name: str = "script", scope: str = "read", expires: str | None = None):  # noqa: ANN201
    return client.post("/-/account/tokens", data={"csrf_token": csrf_token(client, "/-/account/tokens"),
                                                  "name": name, "scope": scope, "expires": expires or in_days(30)})


def new_token(app: Flask, user: str = "editor", scope: str = "read") -> str:
    client = app.test_client()
    Auth(client).login(user)
    response = create(client, scope=scope)
    assert response.status_code == 200, response.get_data(as_text=True)
    return SECRET_RE.search(response.get_data(as_text=True)).group(1)


def tokens_db(app: Flask) -> sqlite3.Connection:
    return sqlite3.connect(app.config["USER_DATABASE"])


def test_a_token_is_shown_once_and_stored_hashed(app: Flask, client: FlaskClient) -> None:
    Auth(client).login("editor")
    response = create(client, name="Publishing <script>", scope="write")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    secret = SECRET_RE.search(html).group(1)
    assert secret.startswith(TOKEN_PREFIX) and len(secret) > 40
    assert "Publishing &lt;script&gt;" in html
    rows = tokens_db(app).execute("SELECT * FROM api_tokens").fetchall()
    assert len(rows) == 1 and secret not in repr(rows) and digest(secret) in repr(rows)
    listing = client.get("/-/account/tokens").get_data(as_text=True)
    assert secret not in listing and secret[:12] in listing and "never" in listing and "write" in listing
    assert secret not in response.request.url  # no secret in any URL


@pytest.mark.parametrize(("name", "scope", "expires", "message"), [
    ("", "read", in_days(3), "Give the token a name"),
    ("x" * 81, "read", in_days(3), "at most 80 characters"),
    ("ok", "admin", in_days(3), "The scope must be"),
    ("ok", "read", in_days(-1), "must be in the future"),
    ("ok", "read", in_days(400), "at most 366 days"),
    ("ok", "read", "next week", "YYYY-MM-DD"),
    ("bad\u202ename", "read", in_days(3), "invisible formatting"),
])
def test_bad_token_forms_are_refused_with_a_message(client: FlaskClient, name: str, scope: str, expires: str,
                                                     message: str) -> None:
    Auth(client).login("editor")
    response = create(client, name=name, scope=scope, expires=expires)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert "lwt_" not in response.get_data(as_text=True).split("token-secret")[0][-200:]


def test_tokens_need_a_login_and_forms_need_csrf(app: Flask, client: FlaskClient) -> None:
    assert client.get("/-/account/tokens").status_code == 302
    Auth(client).login("editor")
    response = client.post("/-/account/tokens", data={"name": "x", "scope": "read", "expires": in_days(3)})
    assert response.status_code == 400 and TokenStore(app.extensions["wiki_users"]).all() == []


def test_revoking_own_and_others_tokens(app: Flask) -> None:
    secret = new_token(app, "editor")
    store: TokenStore = app.extensions["wiki_tokens"]
    token = store.all()[0]
    assert store.verify(secret) is not None
    other = app.test_client()
    Auth(other).login("editor2")
    form = {"csrf_token": csrf_token(other, "/-/account/tokens")}
    assert other.post(f"/-/account/tokens/{token.id}/revoke", data=form).status_code == 404  # not theirs
    assert other.get("/-/admin/tokens").status_code == 403
    assert store.verify(secret) is not None
    owner = app.test_client()
    Auth(owner).login("editor")
    response = owner.post(f"/-/account/tokens/{token.id}/revoke",
                          data={"csrf_token": csrf_token(owner, "/-/account/tokens")})
    assert response.status_code == 302 and store.verify(secret) is None
    assert "revoked" in owner.get("/-/account/tokens").get_data(as_text=True)


def test_an_admin_lists_and_revokes_anyones_tokens(app: Flask) -> None:
    secret = new_token(app, "reviewer")
    admin = app.test_client()
    Auth(admin).login("admin")
    listing = admin.get("/-/admin/tokens").get_data(as_text=True)
    assert "reviewer" in listing and secret not in listing and secret[:12] in listing
    token = app.extensions["wiki_tokens"].all()[0]
    form = {"csrf_token": csrf_token(admin, "/-/admin/tokens")}
    response = admin.post(f"/-/admin/tokens/{token.id}/revoke", data=form)
    assert response.status_code == 302 and app.extensions["wiki_tokens"].verify(secret) is None


def test_expired_tokens_and_deleted_users_are_refused(app: Flask) -> None:
    store: TokenStore = app.extensions["wiki_tokens"]
    first, second = new_token(app, "editor"), new_token(app, "editor2")
    with tokens_db(app) as db:
        db.execute("UPDATE api_tokens SET expires_at = ? WHERE token_hash = ?", (int(time.time()) - 1, digest(first)))
    assert store.verify(first) is None and store.verify(second) is not None
    app.extensions["wiki_users"].delete("editor2")
    assert store.verify(second) is None and [t.username for t in store.all()] == ["editor"]


def test_last_use_is_recorded(app: Flask) -> None:
    secret = new_token(app)
    store: TokenStore = app.extensions["wiki_tokens"]
    assert store.all()[0].last_used_at is None
    user, token = store.verify(secret, address="192.0.2.7")
    assert user.username == "editor" and token.scope == "read"
    assert store.all()[0].last_used_at is not None and store.all()[0].last_used_from == "192.0.2.7"


def test_tokens_on_both_engines(backend: str, tmp_path: Path) -> None:  # noqa: F811
    """The table and every query work on SQLite and PostgreSQL alike."""
    config = {"DATABASE_URL": backend} if backend.startswith("postgresql") else {}
    app = make_app(tmp_path / "instance", **config)
    store: TokenStore = app.extensions["wiki_tokens"]
    user = app.extensions["wiki_users"].require("editor")
    token, secret = store.create(user, "both", "write", int(time.time()) + 3600)
    assert store.verify(secret, address="192.0.2.1")[1].id == token.id
    assert [t.name for t in store.of_user(user.id)] == ["both"]
    assert store.revoke(token.id, owner=user.id).state() == "revoked" and store.verify(secret) is None
    app.extensions["wiki_users"].delete("editor")
    assert store.all() == []


# --------------------------------------------------------------------------- Git over HTTP


def clone_with(wiki: Wiki, user: str, password: str) -> Path:
    target = wiki.tmp / f"clone-{len(list(wiki.tmp.glob('clone-*')))}"
    wiki.git("clone", "-q", wiki.url(user, password), str(target))
    return target


@pytest.fixture
def private_wiki(tmp_path: Path) -> Iterator[Wiki]:
    yield from serve(tmp_path, PUBLIC_READ=False)


def test_a_read_token_clones_but_cannot_push(private_wiki: Wiki) -> None:
    secret = new_token(private_wiki.app, "admin", scope="read")
    clone = clone_with(private_wiki, "admin", secret)
    private_wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nPushed with a read token.\n"}, "Try")
    refused = private_wiki.push(clone, user="admin", password=secret)
    assert refused.returncode != 0 and "403" in refused.stderr
    assert "Pushed with a read token." not in private_wiki.store.read_page("Mandate").text


def test_a_write_token_pushes_as_its_owner(private_wiki: Wiki) -> None:
    secret = new_token(private_wiki.app, "admin", scope="write")
    clone = clone_with(private_wiki, "admin", secret)
    private_wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nPushed with a token.\n"}, "Token push")
    result = private_wiki.push(clone, user="admin", password=secret)
    assert result.returncode == 0, result.stderr
    assert private_wiki.store.page_history("Mandate")[0].group == "international-organizations"


@pytest.mark.parametrize("case", ["wrong", "other user", "revoked", "editor pushing"])
def test_refused_tokens_over_git(private_wiki: Wiki, case: str) -> None:
    app = private_wiki.app
    secret = new_token(app, "editor", scope="write")
    user = "editor"
    if case == "wrong":
        secret = secret[:-4] + "AAAA"
    elif case == "other user":
        user = "admin"
    elif case == "revoked":
        app.extensions["wiki_tokens"].revoke(app.extensions["wiki_tokens"].all()[0].id, owner=None)
    if case == "editor pushing":
        clone = clone_with(private_wiki, user, secret)
        private_wiki.commit(clone, {"Mandate.md": b"x\n"}, "Try")
        result = private_wiki.push(clone, user=user, password=secret)  # to main: for admins only
        assert result.returncode != 0 and "you can push only to the branches of proposals" in result.stderr
        return
    result = private_wiki.git("clone", "-q", private_wiki.url(user, secret), str(private_wiki.tmp / "refused"),
                              check=False)
    assert result.returncode != 0 and "Authentication failed" in result.stderr


def test_a_revocation_elsewhere_is_seen_at_once(app: Flask) -> None:
    """Tokens are checked on a kept connection: a revocation by another process (another gunicorn
    worker, the admin page served elsewhere) refuses the token on the very next request."""
    from wiki.users import UserStore

    secret = new_token(app)
    store: TokenStore = app.extensions["wiki_tokens"]
    assert store.verify(secret) is not None
    elsewhere = TokenStore(UserStore(app.config["USER_DATABASE"], app.config["GROUPS"]))
    elsewhere.revoke(elsewhere.all()[0].id, owner=None)
    assert store.verify(secret) is None
