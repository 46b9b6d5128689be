"""The test app and its people: a wiki on a temporary instance with one user per role, logins
through the real form, the edit form's hidden fields, and the real git command line."""

from __future__ import annotations

import re
import subprocess
import time
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from wiki import create_app
from wiki.store import Author, Store

PASSWORD = "correct horse battery"
USERS = {
    # name: (role, group, display name)
    "reader": ("reader", "governments", "Rita Reader"),
    "editor": ("editor", "civil-society", "Eda Editor"),
    "editor2": ("editor", "private-sector", "Pat Second"),
    "reviewer": ("reviewer", "technical-academic", "Rev Iewer"),
    "admin": ("admin", "international-organizations", "Ada Admin"),
}
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')


def make_app(instance: Path, **config: object) -> Flask:
    settings: dict[str, object] = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",  # fast in tests; production uses scrypt
        "SCHEDULER_SECONDS": 0,  # tests run the scheduled jobs themselves (run_due, `flask scheduled`)
    }
    settings.update(config)
    app = create_app(settings, instance_path=str(instance))
    users = app.extensions["wiki_users"]
    for name, (role, group, display) in USERS.items():
        users.create(name, PASSWORD, group=group, role=role, display_name=display, email=f"{name}@example.org")
    return app


def csrf_token(client: FlaskClient, url: str = "/-/login") -> str:
    """The CSRF token of the client's session, read from a form the way a browser would."""
    response = client.get(url)
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class Auth:
    """Log the test client in and out through the real login form."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client

    def login(self, username: str = "editor", password: str = PASSWORD):  # noqa: ANN201
        return self.client.post("/-/login", data={
            "username": username, "password": password, "csrf_token": csrf_token(self.client),
        })

    def logout(self):  # noqa: ANN201
        return self.client.post("/-/logout", data={"csrf_token": csrf_token(self.client, "/")})


def bearer(app: Flask, username: str = "editor", scope: str = "write") -> dict[str, str]:
    """The Authorization header of a new personal access token of ``username`` (an hour long)."""
    owner = app.extensions["wiki_users"].require(username)
    secret = app.extensions["wiki_tokens"].create(owner, f"{username} {scope}", scope, int(time.time()) + 3600)[1]
    return {"Authorization": f"Bearer {secret}"}


def edit_form(client: FlaskClient, page: str) -> dict[str, str]:
    """The hidden fields of a page's edit form (CSRF token and base revision)."""
    html = client.get(f"/{page}/-/edit").get_data(as_text=True)
    base = re.search(r'name="base" value="([0-9a-f]*)"', html)
    token = CSRF_RE.search(html)
    assert base and token, html[:500]
    return {"csrf_token": token.group(1), "base": base.group(1)}


def save(client: FlaskClient, page: str, text: str, summary: str = "", **overrides: str):  # noqa: ANN201
    data = {**edit_form(client, page), "text": text, "summary": summary, **overrides}
    return client.post(f"/{page}/-/edit", data=data)


def git(repo: Path | str, *args: str) -> str:
    """Run the real git command line against a repository and return its output."""
    return subprocess.run(["git", f"--git-dir={repo}", *args], check=True, capture_output=True,
                          text=True).stdout


def seeded_store(tmp_path: Path, pages: dict[str, str], author: Author, **options: object) -> Store:
    """A new content repository under ``tmp_path`` whose first commit imports ``pages`` (path: text)."""
    store = Store(tmp_path / "content.git", **options)
    store.create()
    seed = tmp_path / "seed"
    for page, text in pages.items():
        (seed / f"{page}.md").parent.mkdir(parents=True, exist_ok=True)
        (seed / f"{page}.md").write_text(text, encoding="utf-8")
    store.import_pages(seed, author=author, message="Import")
    return store
