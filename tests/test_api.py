"""The JSON API (issue 16): reads, writes through the editor's three-way merge, tokens and sessions,
problem+json errors, paging, ETags, body limits, and the OpenAPI document in step with the routes."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate

from wiki.api.openapi import document, operations
from wiki.tokens import digest

from .conftest import PASSWORD, Auth, csrf_token, git, make_app
from .xss import inspect_html

API = "/-/api/v1"


def token(app: Flask, user: str = "editor", scope: str = "write") -> str:
    owner = app.extensions["wiki_users"].require(user)
    return app.extensions["wiki_tokens"].create(owner, f"{user} {scope}", scope, int(time.time()) + 3600)[1]


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


def assert_problem(response, status: int, slug: str | None = None) -> dict:  # noqa: ANN001
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert {"type", "title", "status", "detail"} <= set(problem) and problem["status"] == status
    if slug:
        assert problem["type"].endswith(f"/-/api#problem-{slug}")
    return problem


# --------------------------------------------------------------------------- the document


def test_the_document_is_valid_openapi_and_matches_the_routes(app: Flask, client: FlaskClient) -> None:
    served = client.get(f"{API}/openapi.json").get_json()
    validate(served)
    assert served == document("/-/api/v1")
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule.removeprefix(API))
            routes |= {(path, method.lower(), rule.endpoint.removeprefix("api."))
                       for method in rule.methods - {"HEAD", "OPTIONS"}}
    documented = {(path, method, endpoint) for endpoint, (path, method, _) in operations().items()}
    assert routes == documented


def test_the_reference_page_shows_every_operation_without_script(client: FlaskClient) -> None:
    html = client.get("/-/api", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Référence de l’API" in html and "<script>" not in html and inspect_html(html) == []
    for path, method, _ in operations().values():
        assert f"{method.upper()} {path}" in html
    assert 'id="problem-edit-conflict"' in html and 'id="schema-Page"' in html


# --------------------------------------------------------------------------- reading


def test_read_a_page_with_its_revision_blob_and_html(app: Flask, client: FlaskClient) -> None:
    store = app.extensions["wiki_store"]
    page = client.get(f"{API}/pages/Mandate").get_json()
    assert page["text"] == store.read_page("Mandate").text and page["revision"] == store.head()
    assert page["blob_id"] == git(store.path, "rev-parse", "main:Mandate.md").strip()
    assert "<h1" in page["html"] and page["last_change"]["id"] == store.last_change("Mandate").id
    assert client.get(f"{API}/pages/Working modalities").get_json()["page"] == "Working_modalities"


def test_etags_and_not_modified(app: Flask, client: FlaskClient) -> None:
    first = client.get(f"{API}/pages/Home")
    etag = first.headers["ETag"]
    again = client.get(f"{API}/pages/Home", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    secret = token(app)
    text = first.get_json()["text"] + "\nMore.\n"
    assert client.put(f"{API}/pages/Home", json={"text": text, "base": first.get_json()["revision"]},
                      headers=bearer(secret)).status_code == 200
    changed = client.get(f"{API}/pages/Home", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag and changed.get_json()["text"] == text
    proposals = client.get(f"{API}/proposals")
    assert client.get(f"{API}/proposals", headers={"If-None-Match": proposals.headers["ETag"]}).status_code == 304


def test_lists_are_paged_with_a_next_link(app: Flask, client: FlaskClient) -> None:
    every = [item["page"] for item in client.get(f"{API}/pages?limit=100").get_json()["items"]]
    seen, url = [], f"{API}/pages?limit=2"
    while url:
        response = client.get(url)
        answer = response.get_json()
        assert len(answer["items"]) <= 2 and answer["total"] == len(every)
        seen += [item["page"] for item in answer["items"]]
        url = answer["next"]
        assert (response.headers.get("Link") is not None) == (url is not None)
    assert seen == every and len(every) > 2


def test_history_diff_blame_compare_and_changes(app: Flask, client: FlaskClient) -> None:
    store = app.extensions["wiki_store"]
    before = store.head()
    secret = token(app)
    text = store.read_page("Mandate").text.replace("working group", "standing group", 1)
    client.put(f"{API}/pages/Mandate", json={"text": text, "base": before, "summary": "Rename the group"},
               headers=bearer(secret))
    history = client.get(f"{API}/history/Mandate").get_json()
    assert history["items"][0]["subject"] == "Rename the group" and history["items"][0]["group"] == "civil-society"
    diff = client.get(f"{API}/diff/Mandate").get_json()
    words = [s["text"] for hunk in diff["hunks"] for line in hunk for s in line["segments"] if s["changed"]]
    assert "standing" in words and "working" in words and diff["added"] == diff["removed"] == 1
    blame = client.get(f"{API}/blame/Mandate").get_json()
    assert {share["group"] for share in blame["shares"]} == {"civil-society", "international-organizations"}
    compare = client.get(f"{API}/compare?from={before}").get_json()
    assert [(item["page"], item["groups"]) for item in compare["items"]] == [("Mandate", ["civil-society"])]
    changes = client.get(f"{API}/changes?group=civil-society").get_json()
    assert [item["commit"]["subject"] for item in changes["items"]] == ["Rename the group"]
    assert client.get(f"{API}/changes?group=governments").get_json()["items"] == []
    assert_problem(client.get(f"{API}/changes?since=yesterday"), 400)


def test_search_versions_endorsements_translations(app: Flask, client: FlaskClient) -> None:
    found = client.get(f"{API}/search?q=mandate&limit=1").get_json()
    assert found["total"] >= 1 and len(found["items"]) == 1 and found["items"][0]["snippet"]
    reviewer = token(app, "reviewer")
    version = client.post(f"{API}/versions", json={"title": "Chair's draft, 28 February 2014"},
                          headers=bearer(reviewer))
    assert version.status_code == 201 and version.get_json()["name"] == "chairs-draft-28-february-2014"
    assert client.get(f"{API}/versions").get_json()["items"][0]["name"] == "chairs-draft-28-february-2014"
    assert client.get(f"{API}/pages/Home?rev=chairs-draft-28-february-2014").status_code == 200
    change = app.extensions["wiki_store"].last_change("Home").id
    endorsed = client.post(f"{API}/endorsements/Home", json={"action": "endorse", "rev": change},
                           headers=bearer(reviewer))
    assert endorsed.status_code == 200 and endorsed.get_json()["group"] == "technical-academic"
    state = client.get(f"{API}/endorsements/Home").get_json()
    assert [g["group"] for g in state["groups"]] == ["technical-academic"] and state["status"] == "partly endorsed"
    assert_problem(client.post(f"{API}/endorsements/Home", json={"action": "endorse", "rev": change},
                               headers=bearer(reviewer)), 409)
    versions = client.get(f"{API}/translations/Home").get_json()["versions"]
    assert {v["language"] for v in versions} == {"ar", "zh", "fr", "ru", "es"}
    assert all(v["state"] == "missing" for v in versions)


# --------------------------------------------------------------------------- writing


def test_a_stale_base_with_overlapping_changes_is_a_409_with_conflict_markers(app: Flask, client: FlaskClient) -> None:
    store = app.extensions["wiki_store"]
    read = client.get(f"{API}/pages/Mandate").get_json()
    first = read["text"].replace("# Mandate", "# Mandate (ours)", 1)
    second = read["text"].replace("# Mandate", "# Mandate (theirs)", 1)
    assert client.put(f"{API}/pages/Mandate", json={"text": first, "base": read["revision"]},
                      headers=bearer(token(app, "editor"))).status_code == 200
    head = store.head()
    response = client.put(f"{API}/pages/Mandate", json={"text": second, "base": read["revision"]},
                          headers=bearer(token(app, "editor2")))
    problem = assert_problem(response, 409, "edit-conflict")
    assert problem["merged_text"].startswith("<<<<<<< your version\n# Mandate (theirs)\n=======\n# Mandate (ours)\n")
    assert ">>>>>>> their version" in problem["merged_text"]
    assert problem["their_text"] == first and problem["head"] == head and store.head() == head  # nothing saved
    markers = client.put(f"{API}/pages/Mandate", json={"text": problem["merged_text"], "base": problem["head"]},
                         headers=bearer(token(app, "editor2")))
    assert_problem(markers, 422, "unprocessable")


def test_a_stale_base_with_other_lines_changed_merges(app: Flask, client: FlaskClient) -> None:
    read = client.get(f"{API}/pages/Mandate").get_json()
    lines = read["text"].split("\n")
    ours, theirs = list(lines), list(lines)
    ours[0] += " (ours)"
    theirs[-2] += " (theirs)"
    client.put(f"{API}/pages/Mandate", json={"text": "\n".join(ours), "base": read["revision"]},
               headers=bearer(token(app)))
    result = client.put(f"{API}/pages/Mandate", json={"text": "\n".join(theirs), "base": read["revision"]},
                        headers=bearer(token(app, "editor2")))
    assert result.status_code == 200 and result.get_json()["merged"] is True
    text = client.get(f"{API}/pages/Mandate").get_json()["text"]
    assert "(ours)" in text and "(theirs)" in text


def test_token_writes_are_attributed_to_the_owner_and_group(app: Flask, client: FlaskClient) -> None:
    response = client.put(f"{API}/pages/Api/Attributed", json={"text": "# Attributed\n", "summary": "By token"},
                          headers=bearer(token(app, "editor2")))
    assert response.status_code == 201 and response.get_json()["created"] is True
    log = git(app.config["CONTENT_REPO"], "log", "-1", "--format=%an|%ae|%s|%(trailers:key=Stakeholder-Group,"
              "valueonly)|%(trailers:key=Wiki-User,valueonly)", "main").replace("\n", "")
    assert log == "Pat Second|editor2@example.org|By token|private-sector|editor2"
    assert response.get_json()["commit"] == app.extensions["wiki_store"].head()


def test_rename_delete_and_their_errors(app: Flask, client: FlaskClient) -> None:
    secret = token(app)
    client.put(f"{API}/pages/Api/Old", json={"text": "x\n"}, headers=bearer(secret))
    renamed = client.post(f"{API}/rename/Api/Old", json={"new_name": "Api/New name"}, headers=bearer(secret))
    assert renamed.status_code == 200 and renamed.get_json()["page"] == "Api/New_name"
    assert_problem(client.post(f"{API}/rename/Api/New_name", json={"new_name": "Home"}, headers=bearer(secret)), 409)
    assert_problem(client.post(f"{API}/rename/Api/New_name", json={"new_name": "a/../b"}, headers=bearer(secret)), 400)
    assert client.delete(f"{API}/pages/Api/New_name", headers=bearer(secret)).status_code == 200
    assert_problem(client.get(f"{API}/pages/Api/New_name"), 404, "not-found")
    assert_problem(client.delete(f"{API}/pages/Api/New_name", headers=bearer(secret)), 404)
    assert client.get(f"{API}/history/Api/New_name").get_json()["items"]  # the history stays


def test_updates_need_a_base_and_bad_bodies_are_refused(app: Flask, client: FlaskClient) -> None:
    auth = bearer(token(app))
    assert_problem(client.put(f"{API}/pages/Home", json={"text": "x"}, headers=auth), 428, "precondition-required")
    for bad in ({}, {"text": 5}, {"text": "x", "colour": "red"}, {"text": "x", "base": "not a revision!"}):
        problem = assert_problem(client.put(f"{API}/pages/Home", json=bad, headers=auth), 400, "bad-request")
        assert problem["errors"]
    assert_problem(client.put(f"{API}/pages/Home", data="{", headers={**auth, "Content-Type": "application/json"}),
                   400)
    assert_problem(client.put(f"{API}/pages/Home", data="text", headers={**auth, "Content-Type": "text/plain"}), 415)
    assert_problem(client.put(f"{API}/pages/Bad:name", json={"text": "x"}, headers=auth), 400)
    assert_problem(client.get(f"{API}/pages?limit=1000"), 400)
    assert_problem(client.get(f"{API}/pages?colour=red"), 400)
    assert_problem(client.patch(f"{API}/pages/Home"), 405, "method-not-allowed")
    assert_problem(client.get(f"{API}/no-such-thing"), 404)


def test_bodies_over_the_limits_are_413(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", MAX_PAGE_BYTES=10_000)
    client, auth = app.test_client(), bearer(token(app))
    base = app.extensions["wiki_store"].head()
    too_long_text = client.put(f"{API}/pages/Home", json={"text": "x" * 10_001, "base": base}, headers=auth)
    assert_problem(too_long_text, 413, "too-large")
    huge_body = client.put(f"{API}/pages/Home", data=b'{"text": "' + b"x" * 100_000 + b'"}',
                           headers={**auth, "Content-Type": "application/json"})
    assert_problem(huge_body, 413, "too-large")
    assert app.extensions["wiki_store"].head() == base


def test_proposals_through_the_api(app: Flask, client: FlaskClient) -> None:
    editor, admin = bearer(token(app, "editor")), bearer(token(app, "admin"))
    created = client.post(f"{API}/proposals", json={"title": "Shorter mandate", "rationale": "Why."}, headers=editor)
    assert created.status_code == 201
    number = created.get_json()["number"]
    store = app.extensions["wiki_store"]
    saved = client.put(f"{API}/pages/Mandate?proposal={number}", json={"text": "# Mandate\n\nShorter.\n",
                                                                        "base": store.head()}, headers=editor)
    assert saved.status_code == 200 and saved.get_json()["revision"] == store.proposals.get(number).head
    assert store.read_page("Mandate").text != "# Mandate\n\nShorter.\n"  # the agreed text stays
    trailers = git(app.config["CONTENT_REPO"], "log", "-1", "--format=%(trailers:key=Proposal,valueonly)",
                   f"refs/heads/proposals/{number}").strip()
    assert trailers == str(number)
    assert client.post(f"{API}/proposals/{number}/comments", json={"text": "Agreed?"},
                       headers=bearer(token(app, "reader"))).status_code == 201
    detail = client.get(f"{API}/proposals/{number}").get_json()
    assert detail["pages"] == [{"page": "Mandate", "status": "changed"}]
    assert [e["kind"] for e in detail["events"]] == ["create", "comment"]
    position = client.post(f"{API}/proposals/{number}/positions", json={"action": "endorse", "rev": detail["head"]},
                           headers=admin)
    assert position.status_code == 200
    assert position.get_json()["consensus"]["endorsing"] == ["international-organizations"]
    assert_problem(client.post(f"{API}/proposals/{number}/merge", json={}, headers=admin), 409)
    merged = client.post(f"{API}/proposals/{number}/merge", json={"reason": "Deadline"}, headers=admin)
    assert merged.status_code == 200 and merged.get_json()["commit"] == store.head()
    assert store.read_page("Mandate").text == "# Mandate\n\nShorter.\n"
    assert client.get(f"{API}/proposals?state=merged").get_json()["items"][0]["number"] == number
    late = client.put(f"{API}/pages/Mandate?proposal={number}", json={"text": "x\n", "base": store.head()},
                      headers=editor)
    assert "merged" in assert_problem(late, 409)["detail"]
    assert_problem(client.get(f"{API}/proposals/999"), 404)


# --------------------------------------------------------------------------- who may


def test_wrong_expired_and_revoked_tokens_are_401(app: Flask, client: FlaskClient) -> None:
    secret, store = token(app), app.extensions["wiki_tokens"]
    for header in ("Bearer lwt_wrongwrongwrongwrongwrong", "Basic ZWRpdG9yOnBhc3N3b3Jk", "Bearer "):
        response = client.get(f"{API}/pages/Home", headers={"Authorization": header})
        assert_problem(response, 401, "unauthorized")
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get(f"{API}/pages/Home", headers=bearer(secret)).status_code == 200
    store.revoke(store.all()[0].id, owner=None)
    assert_problem(client.get(f"{API}/pages/Home", headers=bearer(secret)), 401)
    expired = token(app)
    import sqlite3

    with sqlite3.connect(app.config["USER_DATABASE"]) as db:
        db.execute("UPDATE api_tokens SET expires_at = 1 WHERE token_hash = ?", (digest(expired),))
    response = client.put(f"{API}/pages/New", json={"text": "x"}, headers=bearer(expired))
    assert_problem(response, 401) and 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_read_tokens_and_roles_that_do_not_allow_a_change_are_403(app: Flask, client: FlaskClient) -> None:
    head = app.extensions["wiki_store"].head()
    read_only = client.put(f"{API}/pages/New", json={"text": "x"}, headers=bearer(token(app, "admin", "read")))
    assert "only read" in assert_problem(read_only, 403, "forbidden")["detail"]
    reader = client.put(f"{API}/pages/New", json={"text": "x"}, headers=bearer(token(app, "reader")))
    assert "role" in assert_problem(reader, 403)["detail"]
    assert_problem(client.post(f"{API}/versions", json={"title": "v"}, headers=bearer(token(app, "editor"))), 403)
    assert app.extensions["wiki_store"].head() == head


def test_a_browser_session_needs_its_csrf_token_to_change_anything(app: Flask, client: FlaskClient) -> None:
    """A cookie alone never authorizes an API change (a page on another site could send one)."""
    Auth(client).login("editor")
    assert client.get(f"{API}/pages/Home").status_code == 200
    forged = client.put(f"{API}/pages/Forged", json={"text": "x"})
    assert "CSRF" in assert_problem(forged, 403)["detail"]
    with_form_field = client.put(f"{API}/pages/Forged", json={"text": "x", "csrf_token": "guess"})
    assert_problem(with_form_field, 403)
    token_value = csrf_token(client, "/-/account")
    allowed = client.put(f"{API}/pages/Forged", json={"text": "x\n"}, headers={"X-CSRFToken": token_value})
    assert allowed.status_code == 201 and app.extensions["wiki_store"].page_exists("Forged")


def test_a_private_wiki_needs_a_token_to_read(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", PUBLIC_READ=False)
    client = app.test_client()
    assert_problem(client.get(f"{API}/pages/Home"), 401)
    assert_problem(client.get(f"{API}/openapi.json"), 401)
    assert client.get(f"{API}/pages/Home", headers=bearer(token(app, "reader", "read"))).status_code == 200
    assert client.post("/-/login", data={"username": "reader", "password": PASSWORD,
                                         "csrf_token": csrf_token(client)}).status_code == 302
    assert client.get(f"{API}/pages/Home").status_code == 200  # a logged-in browser reads too


@pytest.mark.parametrize("language", ["fr", "ar"])
def test_problems_are_in_the_callers_language(client: FlaskClient, language: str) -> None:
    problem = assert_problem(client.get(f"{API}/pages/Nope", headers={"Accept-Language": language}), 404)
    assert "Nope" in problem["detail"] and problem["title"] != "Not found"


def test_comment_threads_through_the_api(app: Flask, client: FlaskClient) -> None:
    editor = bearer(token(app, "editor"))
    read = client.get(f"{API}/pages/Mandate").get_json()
    started = client.post(f"{API}/comments", json={"page": "Mandate", "rev": read["revision"], "quote": "working group",
                                                   "kind": "question", "text": "Which group?"}, headers=editor)
    assert started.status_code == 201
    thread = started.get_json()
    assert (thread["passage"], thread["kind"], thread["group"], thread["outdated"]) == (
        "working group", "question", "civil-society", False)
    replied = client.post(f"{API}/comments/{thread['number']}/replies", json={"text": "The CSTD's."},
                          headers=bearer(token(app, "reader")))
    assert [entry["user"] for entry in replied.get_json()["entries"]] == ["editor", "reader"]
    assert client.get(f"{API}/comments/{thread['number']}").get_json()["entries"][1]["text"] == "The CSTD's."
    assert [t["number"] for t in client.get(f"{API}/comments?page=Mandate").get_json()["items"]] == [thread["number"]]
    assert client.get(f"{API}/comments?kind=objection").get_json()["items"] == []
    missing = client.post(f"{API}/comments", json={"page": "Mandate", "rev": read["revision"], "quote": "not there",
                                                   "text": "x"}, headers=editor)
    assert "not in that revision" in assert_problem(missing, 400)["detail"]
    assert_problem(client.post(f"{API}/comments/999/replies", json={"text": "x"}, headers=editor), 404)
    assert_problem(client.post(f"{API}/comments/{thread['number']}/replies", json={"text": "x"},
                               headers=bearer(token(app, "editor", "read"))), 403)
    log = git(app.config["CONTENT_REPO"], "log", "-1", "--format=%an|%(trailers:key=Stakeholder-Group,valueonly)",
              "refs/heads/meta/comments").strip()
    assert log == "Rita Reader|governments"
