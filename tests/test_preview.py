"""The editor's live preview endpoint: editors only, CSRF-protected, size-limited, sanitized."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from .conftest import Auth, csrf_token


def preview(client: FlaskClient, text: str, token: str | None = None, **headers: str):  # noqa: ANN201
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post("/-/preview", data={"text": text}, headers={"Accept": "application/json", **headers})


def test_preview_renders_like_the_page_with_the_same_sanitizer(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    token = csrf_token(client, "/Home/-/edit")
    response = preview(client, "# Title\n\n**bold** [[Mandate]] [[No such page]]\n\n<script>alert(1)</script>"
                                "<a href=\"javascript:alert(1)\" onclick=\"x()\">x</a>", token)
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert '<h1 id="title">Title</h1>' in html and "<strong>bold</strong>" in html
    assert '<a class="wikilink" href="/Mandate">Mandate</a>' in html
    assert '<a class="wikilink wikilink-missing" href="/No_such_page">' in html
    assert "<script" not in html and "javascript:" not in html and "onclick" not in html


def test_preview_needs_the_csrf_token(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    response = preview(client, "text")
    assert response.status_code == 400
    assert "CSRF" in response.get_json()["error"]


def test_preview_is_for_editors(client: FlaskClient, auth: Auth) -> None:
    token = csrf_token(client)
    assert preview(client, "text", token).status_code == 302  # anonymous: sent to log in
    auth.login("reader")
    response = preview(client, "text", csrf_token(client, "/"))
    assert response.status_code == 403


def test_preview_refuses_text_over_the_page_size_limit(tmp_path, auth: Auth) -> None:  # noqa: ANN001
    from .conftest import make_app

    app: Flask = make_app(tmp_path / "small", MAX_PAGE_BYTES=20_000)
    client = app.test_client()
    Auth(client).login("editor")
    token = csrf_token(client, "/Home/-/edit")
    assert preview(client, "é" * 10_000, token).status_code == 200
    response = preview(client, "é" * 10_001, token)
    assert response.status_code == 413
    assert "error" in response.get_json()
    app.extensions["wiki_store"].close()


def test_preview_only_answers_posts(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    assert client.get("/-/preview").status_code == 404  # no GET there, and "/-/..." is no page: nothing rendered
