"""Cross-site scripting: the corpus (tests/xss_payloads.txt + variants) through every place a user
string reaches HTML, checked in the HTML the wiki sends. tests/e2e/test_xss_browser.py checks the
same pages in Chromium."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask

from wiki.render import Renderer

from .conftest import PASSWORD, Auth, csrf_token
from .xss import (
    MARKDOWN_WRAPPERS,
    dangerous_url,
    fill_wiki,
    inspect_feed,
    inspect_html,
    make_xss_app,
    payloads,
    valid_display_names,
)


def test_the_corpus_is_large_and_the_checker_catches_what_it_should() -> None:
    assert len(payloads()) >= 150
    assert sum(1 for p in payloads() if "javascript" in p.lower() or "&#106;" in p) >= 50
    assert sum(1 for p in payloads() if "data:" in p.lower() or "data&" in p.lower()) >= 15
    for bad in ['<script>alert(1)</script>', '<img src=x onerror=alert(1)>', '<a href="jav&#x09;ascript:x">',
                '<a href=" JAVASCRIPT:x">', '<iframe src=x>', '<a href="data:text/html,x">', '<svg onload=x>']:
        assert inspect_html(bad), bad
    assert inspect_html('<script src="/-/static/wiki.js" defer></script><a href="/Home">x</a>') == []
    assert dangerous_url("\x01java\tscript:alert(1)") and not dangerous_url("/javascript:x")


@pytest.mark.parametrize("wrapper", MARKDOWN_WRAPPERS)
def test_rendered_markdown_is_inert(wrapper: str) -> None:
    renderer = Renderer(lambda page: "/" + page)
    problems = []
    for payload in payloads():
        rendered = renderer.render(wrapper.format(payload))
        html = renderer.mark_missing(rendered, rendered.links)
        problems += [f"{payload!r}: {problem}" for problem in inspect_html(html)]
    assert problems == []


def test_every_place_a_user_string_reaches_is_inert(tmp_path: Path) -> None:
    app = make_xss_app(tmp_path / "i")
    sinks = fill_wiki(app)
    problems = []
    for role in ("anonymous", "admin"):
        client = app.test_client()
        if role == "admin":
            Auth(client).login("admin")
        for sink, urls in sinks.items():
            for url in urls:
                response = client.get(url)
                if response.status_code >= 500:
                    problems.append(f"{sink}: {url} answered {response.status_code}")
                problems += [f"{sink}: {url}: {p}" for p in inspect_html(response.get_data(as_text=True))]
        for feed in ("/-/changes.atom", "/-/changes.atom?page=Xss/Summaries", "/-/changes.atom?page=Xss/People"):
            response = client.get(feed)
            assert response.status_code == 200, feed
            problems += [f"feed {feed}: {p}" for p in inspect_feed(response.get_data(as_text=True))]
    assert problems == []


def test_the_live_preview_is_inert(client, auth) -> None:  # noqa: ANN001
    auth.login("editor")
    token = csrf_token(client, "/Home/-/edit")
    corpus = list(payloads())
    for wrapper in MARKDOWN_WRAPPERS:
        text = "\n\n".join(wrapper.format(p) for p in corpus).replace("\x00", "")
        response = client.post("/-/preview", data={"csrf_token": token, "text": text})
        assert response.status_code == 200
        assert inspect_html(response.get_json()["html"]) == [], wrapper


def test_flash_messages_forms_and_query_strings_are_inert(app: Flask) -> None:
    """User input echoed back: flashed errors, re-filled form fields, query parameters in links."""
    client = app.test_client()
    Auth(client).login("reviewer")
    token = csrf_token(client, "/")
    problems = []
    for index, payload in enumerate(payloads()):
        answers = [
            client.get("/-/new", query_string={"name": payload}),
            client.get("/-/login", query_string={"next": payload}),
            client.get("/-/changes", query_string={"user": payload, "page": payload, "group": payload}),
            client.get("/-/compare", query_string={"from": payload, "to": payload}),
            client.get("/Home", query_string={"rev": payload}),
        ]
        if index % 4 == 0:  # the form posts commit or write flash messages: a quarter of the corpus
            answers += [
                client.post("/Home/-/rename", data={"csrf_token": token, "new_name": payload}),
                client.post("/-/versions", data={"csrf_token": token, "title": payload, "name": payload}),
                client.post("/-/login", data={"csrf_token": token, "username": payload[:40], "password": "x"}),
            ]
        for response in answers:
            if response.status_code >= 500:
                problems.append(f"{payload!r}: {response.request.path} answered {response.status_code}")
            problems += [f"{payload!r}: {response.request.path}: {p}"
                         for p in inspect_html(response.get_data(as_text=True))]
        Auth(client).login("reviewer")  # the failed log-in above ended nothing, but keep the session sure
    assert problems == []


def test_display_names_and_group_names_in_the_page_header(tmp_path: Path) -> None:
    app = make_xss_app(tmp_path / "i")
    users = app.extensions["wiki_users"]
    groups = [slug for slug in app.config["GROUPS"] if slug.startswith("xss-")]
    problems = []
    for index, display in enumerate(valid_display_names()[:25]):
        users.create(f"x{index}", PASSWORD, group=groups[index], role="editor", display_name=display)
        client = app.test_client()
        assert Auth(client).login(f"x{index}").status_code == 302
        for url in ("/", "/-/account", "/Home/-/edit"):
            problems += [f"{display!r}: {url}: {p}" for p in inspect_html(client.get(url).get_data(as_text=True))]
    assert problems == []


def test_pushed_commits_with_control_characters_keep_the_feed_well_formed(app: Flask) -> None:
    """A commit made outside the wiki (a push) may carry any bytes in its subject and author name."""
    repo = app.config["CONTENT_REPO"]
    run = lambda *args, **kw: subprocess.run(["git", f"--git-dir={repo}", *args], capture_output=True,  # noqa: E731
                                             check=True, text=True, **kw).stdout.strip()
    tree = run("rev-parse", "main^{tree}")
    env = {"GIT_AUTHOR_NAME": "Evil\x01 <script>alert(1)</script>", "GIT_AUTHOR_EMAIL": "e@example.org",
           "GIT_COMMITTER_NAME": "c", "GIT_COMMITTER_EMAIL": "c@example.org", "PATH": "/usr/bin:/bin"}
    commit = run("commit-tree", tree, "-p", "main", "-m", "Subject \x1b[31m\x0b with <b>markup</b> \x7f",
                 env=env)
    run("update-ref", "refs/heads/main", commit)
    client = app.test_client()
    feed = client.get("/-/changes.atom")
    assert feed.status_code == 200 and inspect_feed(feed.get_data(as_text=True)) == []
    for url in ("/-/changes", "/Home/-/history"):
        assert inspect_html(client.get(url).get_data(as_text=True)) == []


@pytest.mark.parametrize(("name", "data"), [
    ("drawing.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'),
    ("page.txt", b"<html><script>alert(1)</script></html>\n"),
    ("table.csv", b"a,b\n<script>alert(1)</script>,=HYPERLINK(\"javascript:alert(1)\")\n"),
])
def test_attachments_with_script_are_never_served_as_active_content(app: Flask, name: str, data: bytes) -> None:
    """An uploaded or pushed file is sent so no browser runs it: as a download, sandboxed, not sniffed."""
    from wiki.store import Author

    store = app.extensions["wiki_store"]
    store.save_page("Files", "# Files\n", base=store.head(), author=Author("A", "a@example.org", "a", "governments"),
                    summary="files")
    store.save_attachment("Files", name, data, author=Author("A", "a@example.org", "a", "governments"))
    response = app.test_client().get(f"/Files/-/attachments/{name}")
    assert response.status_code == 200
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.mimetype not in {"text/html", "application/xhtml+xml"}
    assert response.headers.get("Content-Disposition", "").startswith("attachment")
    assert "sandbox" in response.headers["Content-Security-Policy"]
