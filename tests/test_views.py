"""Every route through Flask's test client: reading, editing, history, diffs, permissions."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import PASSWORD, Auth, csrf_token, edit_form, git, make_app, save


def test_home_and_seed_pages_render(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Living Wiki" in html and 'class="wikilink"' in html
    for page in ["Home", "Mandate", "Working_modalities", "Questionnaire/Role_of_stakeholders", "Mapping/Template"]:
        assert client.get(f"/{page}").status_code == 200, page
    assert "wikilink-missing" not in client.get("/Home").get_data(as_text=True)  # seed links all resolve


def test_page_list_by_section(client: FlaskClient) -> None:
    html = client.get("/-/pages").get_data(as_text=True)
    assert 'href="/Mapping/Cybersecurity"' in html and ">Questionnaire</a></h2>" in html


def test_missing_page_offers_creation(client: FlaskClient, auth: Auth) -> None:
    response = client.get("/Not_yet")
    assert response.status_code == 404 and "/-/login?next=" in response.get_data(as_text=True)
    auth.login("editor")
    assert 'href="/Not_yet/-/edit"' in client.get("/Not_yet").get_data(as_text=True)


def test_spaces_in_urls_redirect_to_canonical_name(client: FlaskClient) -> None:
    response = client.get("/Working modalities")
    assert response.status_code == 301 and response.headers["Location"].endswith("/Working_modalities")
    hostile = client.get("/Working modalities?_external=1&_scheme=javascript&_anchor=x&rev=abcd")
    assert hostile.headers["Location"] == "/Working_modalities?rev=abcd"


@pytest.mark.parametrize("url", ["/.git/config", "/a/.hidden", "/-x", "/a%00b", "/x%E2%80%AEy", "/" + "a" * 300,
                                 "/con:tent", "/a/-/-/history"])
def test_bad_page_names_are_400_with_a_message(client: FlaskClient, url: str) -> None:
    response = client.get(url)
    assert response.status_code in (400, 404)
    assert response.status_code != 500
    assert "<h1>" in response.get_data(as_text=True)


def test_unknown_action_and_revision_are_404(client: FlaskClient) -> None:
    assert client.get("/Home/-/frobnicate").status_code == 404
    for rev in ["0" * 40, "deadbeef", "--all", "HEAD", "a" * 200]:
        assert client.get(f"/Home?rev={rev}").status_code == 404, rev
        assert client.get(f"/Home/-/diff?from={rev}").status_code == 404, rev


def test_edit_needs_login_and_editor_role(client: FlaskClient, auth: Auth) -> None:
    response = client.get("/Home/-/edit")
    assert response.status_code == 302 and "/-/login?next=" in response.headers["Location"]
    auth.login("reader")
    assert client.get("/Home/-/edit").status_code == 403
    token = csrf_token(client, "/")
    assert client.post("/Home/-/edit", data={"csrf_token": token, "text": "x", "base": ""}).status_code == 403


def test_save_creates_attributed_commit(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    response = save(client, "Mapping/Data_protection", "# Data protection\n\nA **new** page.\n",
                    summary="Start the data protection page")
    assert response.status_code == 302 and response.headers["Location"].endswith("/Mapping/Data_protection")
    html = client.get("/Mapping/Data_protection").get_data(as_text=True)
    assert "<strong>new</strong>" in html and "Your changes were saved." in html
    repo = app.config["CONTENT_REPO"]
    log = git(repo, "log", "-1", "--format=%an <%ae>|%s|%(trailers:key=Stakeholder-Group,valueonly)"
              "|%(trailers:key=Wiki-User,valueonly)", "main").replace("\n", "")
    assert log == "Eda Editor <editor@example.org>|Start the data protection page|civil-society|editor"


def test_unicode_page_names(client: FlaskClient, auth: Auth, app: Flask) -> None:
    auth.login("editor")
    for page in ["الحوكمة_الإنترنت", "互联网治理", "Mapping/Кибербезопасность"]:
        assert save(client, page, f"# {page}\n").status_code == 302
        assert client.get(f"/{page}").status_code == 200
        assert f"{page}.md" in git(app.config["CONTENT_REPO"], "-c", "core.quotePath=false", "ls-tree", "-r",
                                   "--name-only", "main")


def test_csrf_is_required(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    fields = edit_form(client, "Home")
    del fields["csrf_token"]
    response = client.post("/Home/-/edit", data={**fields, "text": "defaced"})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert "defaced" not in client.get("/Home").get_data(as_text=True)
    assert client.post("/-/logout").status_code == 400


def test_form_errors_are_400(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    fields = edit_form(client, "Home")
    missing_text = {"csrf_token": fields["csrf_token"], "base": fields["base"]}
    assert client.post("/Home/-/edit", data=missing_text).status_code == 400
    response = client.post("/Home/-/edit", data={**fields, "text": ["a", "b"]})
    assert response.status_code == 400 and "more than once" in response.get_data(as_text=True)
    assert client.post("/Home/-/edit", data={**fields, "text": "x", "base": "--all"}).status_code == 404


def test_page_over_size_limit_is_413(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", MAX_PAGE_BYTES=5000)
    client = app.test_client()
    Auth(client).login("editor")
    response = save(client, "Home", "x" * 5001)
    assert response.status_code == 413 and "limit is 5,000 bytes" in response.get_data(as_text=True)


def test_concurrent_edits_merge_or_conflict_without_loss(client: FlaskClient, app: Flask) -> None:
    other = app.test_client()
    Auth(client).login("editor")
    Auth(other).login("editor2")
    save(client, "Shared", "alpha\nbeta\ngamma\ndelta\nepsilon\nzeta\n")
    mine, theirs = edit_form(client, "Shared"), edit_form(other, "Shared")
    assert mine["base"] == theirs["base"]
    assert client.post("/Shared/-/edit", data={**mine, "text": "ALPHA\nbeta\ngamma\ndelta\nepsilon\nzeta\n"}
                       ).status_code == 302
    merged = other.post("/Shared/-/edit", data={**theirs, "text": "alpha\nbeta\ngamma\ndelta\nepsilon\nZETA\n"},
                        follow_redirects=True)
    assert "were merged" in merged.get_data(as_text=True)
    assert git(app.config["CONTENT_REPO"], "show", "main:Shared.md") == "ALPHA\nbeta\ngamma\ndelta\nepsilon\nZETA\n"

    stale = edit_form(other, "Shared")
    save(client, "Shared", "ALPHA\nbeta by one\ngamma\ndelta\nepsilon\nZETA\n")
    head = git(app.config["CONTENT_REPO"], "rev-parse", "main").strip()
    conflict = other.post("/Shared/-/edit", data={**stale, "text": "ALPHA\nbeta by two\ngamma\ndelta\nepsilon\nZETA\n"})
    html = conflict.get_data(as_text=True)
    assert conflict.status_code == 409
    assert git(app.config["CONTENT_REPO"], "rev-parse", "main").strip() == head  # nothing committed
    assert "beta by two" in html and "beta by one" in html and "&lt;&lt;&lt;&lt;&lt;&lt;&lt; your version" in html
    assert f'name="base" value="{head}"' in html  # the next save is based on what they saw
    marked = re.search(r'<textarea id="text" name="text"[^>]*>(.*?)</textarea>', html, re.S).group(1)
    refused = other.post("/Shared/-/edit", data={**stale, "base": head, "text": marked.replace("&lt;", "<")
                                                 .replace("&gt;", ">").replace("&#39;", "'")})
    assert refused.status_code == 422 and "conflict markers" in refused.get_data(as_text=True)


def test_history_diff_and_revert(client: FlaskClient, auth: Auth, app: Flask) -> None:
    auth.login("editor")
    save(client, "Doc", "The group meets twice a year.\n", summary="first-edit")
    save(client, "Doc", "The group meets three times a year.\n", summary="second-edit")
    html = client.get("/Doc/-/history").get_data(as_text=True)
    assert html.index("second-edit") < html.index("first-edit")
    assert "Civil society" in html and "Eda Editor" in html
    ids = re.findall(r'name="to" value="([0-9a-f]{40})"', html)
    assert len(ids) == 2
    diff = client.get(f"/Doc/-/diff?from={ids[1]}&to={ids[0]}").get_data(as_text=True)
    assert "<del>twice</del>" in diff and "<ins>three times</ins>" in diff
    split = client.get(f"/Doc/-/diff?from={ids[1]}&to={ids[0]}&view=split")
    assert split.status_code == 200 and 'class="diff diff-split"' in split.get_data(as_text=True)
    assert client.get("/Doc/-/diff?view=weird").status_code == 400
    assert "<ins>three times</ins>" in client.get("/Doc/-/diff").get_data(as_text=True)  # default: last change
    old = client.get(f"/Doc?rev={ids[1]}").get_data(as_text=True)
    assert "twice a year" in old and "old version" in old
    response = client.post("/Doc/-/revert", data={"csrf_token": csrf_token(client, "/"), "rev": ids[1]})
    assert response.status_code == 302
    assert git(app.config["CONTENT_REPO"], "show", "main:Doc.md") == "The group meets twice a year.\n"
    assert git(app.config["CONTENT_REPO"], "rev-list", "--count", "main", "--", "Doc.md").strip() == "3"


def test_history_is_paged(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", HISTORY_PAGE_SIZE=2)
    client = app.test_client()
    Auth(client).login("editor")
    for number in range(5):
        save(client, "Paged", f"version {number}\n", summary=f"v{number}")
    first = client.get("/Paged/-/history").get_data(as_text=True)
    assert "v4" in first and "v3" in first and "v2" not in first and "?p=2" in first
    third = client.get("/Paged/-/history?p=3").get_data(as_text=True)
    assert "v0" in third and "v1" not in third
    assert client.get("/Paged/-/history?p=9").status_code == 404
    assert client.get("/Paged/-/history?p=-1").status_code == 400
    assert client.get("/Paged/-/history?p=99999999999").status_code == 400


def test_rename_and_delete(client: FlaskClient, auth: Auth, app: Flask) -> None:
    auth.login("editor")
    save(client, "Draft", "draft text\n", summary="draft")
    token = csrf_token(client, "/")
    response = client.post("/Draft/-/rename", data={"csrf_token": token, "new_name": "Mapping/Final text"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/Mapping/Final_text")
    history = client.get("/Mapping/Final_text/-/history").get_data(as_text=True)
    assert "draft" in history and "Rename Draft to Mapping/Final_text" in history
    assert client.get("/Draft").status_code == 404
    bad = client.post("/Mapping/Final_text/-/rename", data={"csrf_token": token, "new_name": "../x"})
    assert bad.status_code == 400 and "not" in bad.get_data(as_text=True)
    taken = client.post("/Mapping/Final_text/-/rename", data={"csrf_token": token, "new_name": "Home"})
    assert taken.status_code == 409
    assert client.post("/Mapping/Final_text/-/delete", data={"csrf_token": token}).status_code == 302
    assert client.get("/Mapping/Final_text").status_code == 404
    assert "Mapping/Final_text.md" not in git(app.config["CONTENT_REPO"], "ls-tree", "-r", "--name-only", "main")
    assert client.get("/Mapping/Final_text/-/history").status_code == 200


def test_new_page_form(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    assert client.get("/-/new?name=Mapping/Spam policy").headers["Location"].endswith("/Mapping/Spam_policy/-/edit")
    assert client.get("/-/new?name=Home").headers["Location"].endswith("/Home")
    assert client.get("/-/new?name=../etc").status_code == 400


def test_login_logout_and_safe_redirects(client: FlaskClient, auth: Auth) -> None:
    assert auth.login("editor", "wrong password").status_code == 401
    response = auth.login("editor")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "Eda Editor" in client.get("/").get_data(as_text=True)
    auth.logout()
    assert "Eda Editor" not in client.get("/").get_data(as_text=True)
    for target, expected in [("/Mapping", "/Mapping"), ("//evil.example", "/"), ("https://evil.example", "/"),
                             ("/\\evil.example", "/"), ("javascript:alert(1)", "/")]:
        response = client.post("/-/login", data={"username": "editor", "password": PASSWORD, "next": target,
                                                  "csrf_token": csrf_token(client)})
        assert response.headers["Location"] == expected, target
        auth.logout()


def test_login_is_rate_limited(client: FlaskClient, auth: Auth) -> None:
    for _ in range(10):
        auth.login("editor", "wrong password")
    response = auth.login("editor")
    assert response.status_code == 429 and "Too many failed" in response.get_data(as_text=True)


def test_password_change_ends_other_sessions(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    Auth(first).login("editor")
    Auth(second).login("editor")
    response = first.post("/-/account", data={"csrf_token": csrf_token(first, "/-/account"),
                                              "current_password": PASSWORD, "new_password": "a new password!",
                                              "confirm_password": "a new password!"})
    assert response.status_code == 302
    assert first.get("/-/account").status_code == 200
    assert second.get("/-/account").status_code == 302  # logged out


def test_private_wiki_needs_login(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", PUBLIC_READ=False)
    client = app.test_client()
    for url in ["/", "/Home", "/Home/-/history", "/-/pages"]:
        response = client.get(url)
        assert response.status_code == 302 and "/-/login" in response.headers["Location"], url
    assert client.get("/-/login").status_code == 200
    with client.get("/-/static/wiki.css") as static:
        assert static.status_code == 200
    Auth(client).login("reader")
    assert client.get("/Home").status_code == 200


def test_security_headers_and_cookies(client: FlaskClient, auth: Auth) -> None:
    response = client.get("/Home")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    cookie = auth.login("editor").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie


def test_secure_cookies_setting(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", SECURE_COOKIES=True)
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_hostile_content_is_inert_in_the_page(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    save(client, "Evil", '<script>alert(1)</script>\n[x](javascript:alert(1))\n<img src=x onerror=alert(1)>\n',
         summary='<script>alert("summary")</script>')
    html = client.get("/Evil").get_data(as_text=True)
    assert "<script>alert" not in html and "javascript:" not in html and "onerror" not in html
    history = client.get("/Evil/-/history").get_data(as_text=True)
    assert '<script>alert("summary")' not in history and "&lt;script&gt;" in history


def test_whole_document_prints_every_page_at_a_version(client: FlaskClient, auth: Auth, app: Flask) -> None:
    store = app.extensions["wiki_store"]
    first = store.head()
    auth.login("editor")
    save(client, "Mapping/Cybersecurity", "# Cybersecurity\n\nRevised after the draft.\n")
    current = client.get("/-/document").get_data(as_text=True)
    pages = store.list_pages()
    assert all(f">{page}</a></li>" in current for page in pages)  # the contents list names every page
    assert current.index('id="document-page-1"') < current.index("Revised after the draft.")
    assert current.count('class="document-page page-body"') == len(pages)
    old = client.get(f"/-/document?rev={first}").get_data(as_text=True)
    assert "Revised after the draft." not in old and "Starting draft" in old
    mapping = client.get("/-/document?section=Mapping").get_data(as_text=True)
    assert mapping.count('class="document-page page-body"') == 3  # Mapping, its template and one issue
    assert client.get("/-/document?rev=deadbeef").status_code == 404
    assert client.get("/-/document?section=../x").status_code == 400


def test_whole_document_too_large_asks_for_a_section(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wiki.views.site.MAX_DOCUMENT_PAGES", 3)
    response = client.get("/-/document")
    assert response.status_code == 413 and "Choose a section" in response.get_data(as_text=True)
    assert client.get("/-/document?section=Mapping").status_code == 200


def test_logout_ends_the_session_even_for_a_copied_cookie(app: Flask) -> None:
    owner = app.test_client()
    Auth(owner).login("editor")
    cookie = owner.get_cookie("session")
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/-/account").status_code == 200  # a copied cookie works while the login is open
    Auth(owner).logout()
    assert thief.get("/-/account").status_code == 302  # ... and not after its owner logged out


def test_a_deleted_account_cookie_does_not_log_in_a_new_account_with_its_id(app: Flask) -> None:
    users = app.extensions["wiki_users"]
    users.create("temp", PASSWORD, group="governments", role="editor")
    old = app.test_client()
    Auth(old).login("temp")
    cookie = old.get_cookie("session").value
    users.delete("temp")
    users.create("newcomer", PASSWORD, group="governments", role="admin")  # may reuse the id
    stranger = app.test_client()
    stranger.set_cookie("session", cookie)
    assert stranger.get("/-/account").status_code == 302


def test_a_login_ends_after_thirty_days(app: Flask) -> None:
    import sqlite3

    client = app.test_client()
    Auth(client).login("editor")
    assert client.get("/-/account").status_code == 200
    with sqlite3.connect(app.config["USER_DATABASE"]) as db:
        db.execute("UPDATE logins SET created_at = created_at - 31 * 24 * 3600")
    assert client.get("/-/account").status_code == 302
