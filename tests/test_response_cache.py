"""Anonymous page views answered from stored response bytes (issue 26): the same status, headers
and body as the normal path, keyed by everything the page depends on, never for a logged-in reader."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from wiki.response_cache import ResponseCache
from wiki.store import Author, Store

from .conftest import Auth

AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")


def cache(app: Flask) -> ResponseCache:
    return app.extensions["wiki_response_cache"]


def exact(response: TestResponse) -> tuple[str, list[tuple[str, str]], bytes]:
    """Status, headers in order and body; ``X-Request-Id`` aside, which is each request's own."""
    headers = [(name, value) for name, value in response.headers.to_wsgi_list() if name != "X-Request-Id"]
    return response.status, headers, response.get_data()


@pytest.mark.parametrize(("url", "headers", "cookie"), [
    ("/", {}, ""),
    ("/Home", {}, ""),
    ("/Mapping/Cybersecurity", {"Accept-Language": "ar,en;q=0.5"}, ""),
    ("/Home?lang=fr", {}, ""),
    ("/Mandate", {}, "zh"),
])
def test_the_fast_path_answers_exactly_what_the_normal_path_did(app: Flask, client: FlaskClient, url: str,
                                                                 headers: dict[str, str], cookie: str) -> None:
    if cookie:
        client.set_cookie("lang", cookie)  # the language menu's cookie
    normal = client.get(url, headers=headers)
    assert normal.status_code == 200 and normal.headers["Cache-Control"].startswith("public")
    hits = cache(app).hits
    fast = client.get(url, headers=headers)
    assert cache(app).hits == hits + 1  # answered by the middleware
    assert exact(fast) == exact(normal)
    assert fast.headers["X-Request-Id"] != normal.headers["X-Request-Id"]
    if cookie:
        assert f'<html lang="{cookie}"' in fast.get_data(as_text=True)
    for name in ("Content-Security-Policy", "Cache-Control", "Vary", "ETag"):
        assert fast.headers[name] == normal.headers[name]


def test_the_language_is_part_of_the_key(app: Flask, client: FlaskClient) -> None:
    english = client.get("/Home").get_data(as_text=True)
    arabic = client.get("/Home", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert 'dir="rtl"' in arabic and 'dir="rtl"' not in english
    assert client.get("/Home").get_data(as_text=True) == english
    client.set_cookie("lang", "ar")
    assert 'dir="rtl"' in client.get("/Home").get_data(as_text=True)
    assert 'dir="rtl"' in client.get("/Home").get_data(as_text=True)


def test_a_commit_or_an_endorsement_is_seen_on_the_next_view(app: Flask, client: FlaskClient, store: Store) -> None:
    client.get("/Home")
    client.get("/Home")
    store.save_page("Home", "# Home\n\nThe wombat digs.\n", base=store.head(), author=AUTHOR, summary="wombat")
    assert "The wombat digs." in client.get("/Home").get_data(as_text=True)
    hits = cache(app).hits
    assert "The wombat digs." in client.get("/Home").get_data(as_text=True)
    assert cache(app).hits == hits + 1
    before = client.get("/Home").get_data(as_text=True)
    store.endorse("Home", store.head(), action="endorse", author=AUTHOR)
    page = client.get("/Home").get_data(as_text=True)
    assert cache(app).hits == hits + 2 and page != before  # the notes tip moved: a new key, the page again


def test_logged_in_readers_sessions_and_revalidations_take_the_normal_path(app: Flask, client: FlaskClient,
                                                                           auth: Auth) -> None:
    client.get("/Home")
    kept = client.get("/Home")
    hits = cache(app).hits
    auth.login("editor")
    page = client.get("/Home").get_data(as_text=True)
    assert "/Home/-/edit" in page and cache(app).hits == hits
    assert client.get("/Home", headers={"Authorization": "Bearer x"}).status_code in (200, 401)
    assert cache(app).hits == hits
    fresh = app.test_client()
    assert fresh.get("/Home", headers={"If-None-Match": kept.headers["ETag"]}).status_code == 304
    assert cache(app).hits == hits


def test_site_pages_and_other_answers_are_not_kept(app: Flask, client: FlaskClient) -> None:
    hits = cache(app).hits
    for url in ("/-/search?q=home", "/-/pages", "/Nowhere", "/Home/-/history", "/Home?rev=HEAD"):
        client.get(url)
        client.get(url)
    assert cache(app).hits == hits
