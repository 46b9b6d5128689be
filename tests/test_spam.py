"""Issue 24, item 1: the secretariat and admins hide a thread as spam (web and API) and can show it
again; hiding is an event in the thread's history on the comments branch, never a deletion."""

from __future__ import annotations

import json
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import PASSWORD, csrf_token, git, save
from .support.app import bearer

API = "/-/api/v1"
TEXT = "# Talk\n\nThe free flow of information is essential.\n\nGovernments should protect privacy online.\n"


def login(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    assert client.post("/-/login", data={"username": username, "password": PASSWORD,
                                         "csrf_token": csrf_token(client)}).status_code == 302
    return client




@pytest.fixture
def spam(app: Flask) -> int:
    """An objection posted by a reader on Talk's second paragraph: its number."""
    editor = login(app, "editor")
    assert save(editor, "Talk", TEXT).status_code == 302
    reader = login(app, "reader")
    response = reader.post("/Talk/-/comments", data={
        "csrf_token": csrf_token(reader, "/Talk"), "rev": app.extensions["wiki_store"].head(),
        "quote": "protect privacy online", "kind": "objection", "text": "BUY CHEAP PILLS"})
    assert response.status_code == 303
    return int(response.headers["Location"].rsplit("#thread-", 1)[1])


def hide(client: FlaskClient, number: int, action: str = "hide", reason: str = "advertising"):  # noqa: ANN201
    return client.post(f"/Talk/-/comments/{number}", data={"csrf_token": csrf_token(client, "/Talk"),
                                                            "action": action, "reason": reason})


def shown_everywhere(client: FlaskClient, number: int) -> dict[str, bool]:
    """Where thread ``number`` appears for this client."""
    return {
        "page": f'id="thread-{number}"' in client.get("/Talk").get_data(as_text=True),
        "page comments": f'id="thread-{number}"' in client.get("/Talk/-/comments").get_data(as_text=True),
        "all comments": "BUY CHEAP PILLS" in client.get("/-/comments?state=all").get_data(as_text=True)
        or f"#thread-{number}" in client.get("/-/comments?state=all").get_data(as_text=True),
        "feed": "BUY CHEAP PILLS" in client.get("/-/comments.atom?state=all").get_data(as_text=True),
        "api list": any(item["number"] == number for item in
                        client.get(f"{API}/comments?state=all").get_json()["items"]),
        "api read": client.get(f"{API}/comments/{number}").status_code == 200,
    }


def test_an_admin_hides_spam_for_everyone_else_and_git_keeps_it(app: Flask, spam: int) -> None:
    admin, reader = login(app, "admin"), login(app, "reader")
    assert "contested" in app.test_client().get("/Talk").get_data(as_text=True)
    assert hide(admin, spam).status_code == 303
    for client in (app.test_client(), reader, login(app, "editor"), login(app, "reviewer")):
        assert not any(shown_everywhere(client, spam).values()), shown_everywhere(client, spam)
    anonymous_page = app.test_client().get("/Talk").get_data(as_text=True)
    assert "contested" not in anonymous_page and "comment-mark" not in anonymous_page  # an objection no more
    assert hide(reader, spam, "reply").status_code == 404  # nor can it be answered
    # Moderators still see it, marked, with who hid it and why.
    assert all(shown_everywhere(admin, spam).values())
    page = admin.get("/Talk").get_data(as_text=True)
    block = re.search(rf'<article class="thread[^"]*thread-hidden[^"]*" id="thread-{spam}".*?</article>', page, re.S)
    assert block and "hidden as spam" in block.group(0) and "Hidden as spam by <bdi>Ada Admin</bdi>" in block.group(0)
    assert "advertising" in block.group(0) and 'value="unhide"' in block.group(0)
    # The record: the create event is still there, and the hide event was added after it.
    repo = app.extensions["wiki_store"].path
    files = git(repo, "ls-tree", "-r", "--name-only", "refs/heads/meta/comments", f"0000/{spam}/").split()
    events = [json.loads(git(repo, "show", f"refs/heads/meta/comments:{name}")) for name in sorted(files)]
    assert [event["event"] for event in events] == ["create", "hide"]
    assert events[0]["text"] == "BUY CHEAP PILLS" and events[1]["user"] == "admin"

    assert hide(admin, spam, "unhide").status_code == 303
    assert all(shown_everywhere(reader, spam).values())
    assert "contested" in app.test_client().get("/Talk").get_data(as_text=True)
    assert "Shown again by <bdi>Ada Admin</bdi>" in reader.get("/Talk").get_data(as_text=True)


@pytest.mark.parametrize("username", ["reader", "editor", "reviewer"])
def test_only_moderators_hide_threads(app: Flask, spam: int, username: str) -> None:
    client = login(app, username)
    refused = hide(client, spam)
    assert refused.status_code == 403 and "Only the secretariat and admins" in refused.get_data(as_text=True)
    api = client.post(f"{API}/comments/{spam}/visibility", json={"hidden": True}, headers=bearer(app, username))
    assert api.status_code == 403 and api.mimetype == "application/problem+json"
    assert not app.extensions["wiki_store"].comments.get(spam).hidden


def test_the_api_hides_and_shows_a_thread_with_a_reason(app: Flask, spam: int) -> None:
    client, headers = app.test_client(), bearer(app, "admin")
    hidden = client.post(f"{API}/comments/{spam}/visibility", json={"hidden": True, "reason": "spam"},
                         headers=headers)
    assert hidden.status_code == 200 and hidden.get_json()["hidden"] is True
    assert hidden.get_json()["entries"][-1]["event"] == "hide" and hidden.get_json()["entries"][-1]["text"] == "spam"
    again = client.post(f"{API}/comments/{spam}/visibility", json={"hidden": True}, headers=headers)
    assert again.status_code == 200 and len(again.get_json()["entries"]) == 2  # already hidden: nothing added
    assert client.get(f"{API}/comments/{spam}", headers=bearer(app, "reader")).status_code == 404
    assert client.get(f"{API}/comments/{spam}", headers=headers).get_json()["hidden"] is True
    assert client.post(f"{API}/comments/{spam}/visibility", json={"hidden": "yes"}, headers=headers).status_code == 400
    shown = client.post(f"{API}/comments/{spam}/visibility", json={"hidden": False}, headers=headers)
    assert shown.status_code == 200 and shown.get_json()["hidden"] is False
    assert client.get(f"{API}/comments/{spam}", headers=bearer(app, "reader")).status_code == 200
