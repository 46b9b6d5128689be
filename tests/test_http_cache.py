"""HTTP caching (issue 18): the headers the wiki sends, and Debian's nginx as a caching reverse proxy
in front of gunicorn on 127.0.0.1 serving anonymous readers from its cache, never a logged-in one."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from wiki import create_app
from wiki.store import Author

from .conftest import CSRF_RE, PASSWORD, Auth, save
from .support.browser import Browser
from .support.nginx import nginx
from .support.servers import gunicorn

AUTHOR = Author(name="Editor", email="e@example.org", username="writer", group="civil-society")


def test_anonymous_reads_are_public_with_an_etag_and_revalidate_without_rendering(client: FlaskClient,
                                                                                  app) -> None:  # noqa: ANN001
    first = client.get("/Mandate")
    assert first.headers["Cache-Control"].startswith("public, max-age=")
    assert "stale-while-revalidate=" in first.headers["Cache-Control"]
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in first.headers["Vary"].split(",")}
    etag = first.headers["ETag"]
    again = client.get("/Mandate", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert client.get("/Mandate?lang=fr").headers["ETag"] != etag  # the URL is part of it
    assert client.get("/Mandate", headers={"Accept-Language": "ar"}).headers["ETag"] != etag  # and the language
    store = app.extensions["wiki_store"]
    store.save_page("Home", "# Home\n\nAny commit makes new ETags.\n", base=store.head(), author=AUTHOR, summary="s")
    assert client.get("/Mandate", headers={"If-None-Match": etag}).status_code == 200


@pytest.mark.parametrize("url", ["/-/login", "/Mandate/-/edit", "/-/proposals", "/-/versions"])
def test_forms_logins_and_uncovered_views_are_never_public(client: FlaskClient, url: str) -> None:
    assert not client.get(url).headers.get("Cache-Control", "").startswith("public")


def test_logged_in_and_flash_answers_are_private(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    assert client.get("/Mandate").headers["Cache-Control"] == "private, no-cache"
    assert "ETag" not in client.get("/Mandate").headers
    response = save(client, "Mandate", "# Mandate\n\nSaved.\n")
    flashed = client.get(response.headers["Location"])  # carries "Your changes were saved."
    assert flashed.headers["Cache-Control"] == "private, no-cache"


@pytest.fixture
def behind_nginx(tmp_path: Path):  # noqa: ANN201
    """gunicorn behind nginx running deploy/nginx/living-wiki.conf.template, as the docs deploy it."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'cache-secret'\nPASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n"
                                        "HTTP_CACHE_MAX_AGE = 1\nHTTP_CACHE_STALE = 1\nTRUSTED_PROXIES = 1\n",
                                        encoding="utf-8")
    app = create_app(instance_path=str(instance))
    app.extensions["wiki_users"].create("writer", PASSWORD, group="civil-society", role="editor",
                                        display_name="Wendy Writer")
    app.extensions["wiki_users"].create("other", PASSWORD, group="governments", role="editor",
                                        display_name="Oscar Other")
    with gunicorn(instance) as backend, nginx(tmp_path / "nginx", backend.port) as front:
        yield front, app


def _get(port: int, path: str) -> tuple[int, dict[str, str], str]:
    return Browser(port).request("GET", path)


def test_nginx_serves_anonymous_readers_from_its_cache_and_never_a_logged_in_page(behind_nginx) -> None:  # noqa: ANN001
    port, app = behind_nginx
    _get(port, "/Mandate")
    deadline = time.monotonic() + 5  # nginx files an answer in its cache just after sending it
    while (answer := _get(port, "/Mandate"))[1].get("X-Cache-Status") != "HIT":
        assert time.monotonic() < deadline, answer[1]
        time.sleep(0.02)
    assert answer[0] == 200
    # An edit reaches anonymous readers within max-age (1 s here) and the stale window.
    writer = Browser(port)
    writer.login("writer")
    page = writer.request("GET", "/Mandate/-/edit")
    assert page[1].get("X-Cache-Status") == "BYPASS" and "Wendy Writer" in page[2]
    base = page[2].split('name="base" value="', 1)[1].split('"', 1)[0]
    saved = writer.request("POST", "/Mandate/-/edit", {"csrf_token": CSRF_RE.search(page[2]).group(1), "base": base,
                                                       "summary": "cache", "text": "# Mandate\n\nFresh words.\n"})
    assert saved[0] == 302
    deadline = time.monotonic() + 5
    while "Fresh words." not in _get(port, "/Mandate")[2]:
        assert time.monotonic() < deadline, "the edit did not reach anonymous readers"
        time.sleep(0.2)
    # Logged-in readers are never served a cached page, nor anyone else's.
    for user, name in (("writer", "Wendy Writer"), ("other", "Oscar Other")):
        browser = Browser(port)
        browser.login(user)
        for _ in range(2):
            status, headers, body = browser.request("GET", "/Mandate")
            assert headers.get("X-Cache-Status") == "BYPASS" and name in body and "Log out" in body
    anonymous = _get(port, "/Mandate")[2]
    assert 'href="/-/account"' not in anonymous and "Log out" not in anonymous
