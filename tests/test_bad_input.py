"""Bad input, as tables: every row answers 4xx with a clear message and changes nothing.

Each table row is (what is sent, expected status, words the message must contain). After every
row the branch must still be where it was: a refused request never commits.
"""

from __future__ import annotations

import io
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote, unquote, urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import Auth, csrf_token, edit_form, git, make_app, save


@pytest.fixture
def editor(client: FlaskClient) -> FlaskClient:
    Auth(client).login("editor")
    return client


@pytest.fixture
def unchanged(app: Flask) -> Iterator[None]:
    """The branch must not move during the test."""
    store = app.extensions["wiki_store"]
    head = store.head()
    yield
    assert store.head() == head, "a refused request committed something"
    ok, report = store.fsck()
    assert ok, report


def message_of(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


# --------------------------------------------------------------------------- page names in URLs

BAD_NAMES = [
    # (URL path after "/", status, words in the message)
    ("../etc/passwd", 400, "'..'"),
    ("a/../../etc/passwd", 400, "'..'"),
    ("a/%2E%2E/b", 400, "'..'"),
    ("a%00b", 400, "U+0000"),
    ("a%01b", 400, "U+0001"),
    ("a%1Bb", 400, "U+001B"),
    ("a%7Fb", 400, "U+007F"),
    ("Evil%E2%80%AEtxt.md", 400, "Bidirectional"),  # right-to-left override
    ("a%E2%81%A6b", 400, "Bidirectional"),  # left-to-right isolate
    ("%EF%BB%BFHome", 400, "Bidirectional"),  # byte order mark
    (".git/config", 400, "start with '.'"),
    ("Mapping/.git", 400, "start with '.'"),
    ("repo.git", 400, ".git"),
    ("Repo.GIT/x", 400, ".git"),
    ("a/-/-/history", 400, "reserved"),
    ("-rf", 400, "start with '.' or '-'"),
    ("--output=x", 400, "start with '.' or '-'"),
    ("a" * 201, 400, "longer than 200"),
    ("/".join(["a"] * 9), 400, "at most 8 levels"),
    ("a//b", 400, "empty part"),
    ("a/", 400, "empty part"),
    ("a.", 400, "end with"),
    ("a:b", 400, "':'"),
    ("C:%5CWindows", 400, "not allowed"),
    ("a%5Cb", 400, "'\\\\'"),
    ("a%3Cscript%3E", 400, "'<'"),
    ("a%22b", 400, "'\"'"),
    ("a%E2%80%A8b", 400, "U+2028"),  # line separator
    ("a%EE%80%80b", 400, "U+E000"),  # private use
]


@pytest.mark.parametrize(("name", "status", "words"), BAD_NAMES)
def test_bad_page_names(editor: FlaskClient, unchanged: None, name: str, status: int, words: str) -> None:
    """Each name in the URL of every page action, then (when it is invalid) as form input: creating
    a page by name, renaming a page to it, posting an edit to it."""
    for action in ("", "/-/history", "/-/edit", "/-/diff", "/-/rename"):
        response = editor.get(f"/{name}{action}")
        assert response.status_code == status, (action, message_of(response)[:300])
        if words:
            assert words in message_of(response).replace("&#39;", "'").replace("&#34;", '"').replace("&lt;", "<")
    if status != 400:
        return
    raw = unquote(name)
    assert editor.get("/-/new", query_string={"name": raw}).status_code == 400
    token = csrf_token(editor, "/")
    renamed = editor.post("/Home/-/rename", data={"csrf_token": token, "new_name": raw})
    assert renamed.status_code == 400, raw
    posted = editor.post(f"/{name}/-/edit", data={"csrf_token": token, "text": "x\n", "base": ""})
    assert posted.status_code == 400


def test_encoded_absolute_paths_are_just_missing_pages(editor: FlaskClient, unchanged: None) -> None:
    """Slashes merge: /%2Fetc%2Fpasswd is the (missing) page etc/passwd, never the file /etc/passwd."""
    for url in ("/%2Fetc%2Fpasswd", "/%2F%2Fetc/passwd", "/etc/passwd"):
        response = editor.get(url)
        assert response.status_code in (301, 308, 404) and "root:" not in message_of(response)


@pytest.mark.parametrize("name", ["Café", "Mapping/Ünïcödé", "한국어"])
def test_nfd_twins_are_the_same_page(app: Flask, editor: FlaskClient, name: str) -> None:
    """An NFD spelling (as macOS types it) is the NFC page: a redirect when reading, one file in Git."""
    save(editor, name, "nfc text\n")
    nfd = unicodedata.normalize("NFD", name)
    assert nfd != name
    response = editor.get(f"/{nfd}")
    assert response.status_code == 301 and response.headers["Location"].endswith(
        "/" + "/".join(quote(part) for part in name.split("/")))
    head = app.extensions["wiki_store"].head()
    token = csrf_token(editor, "/")
    refused = editor.post(f"/{nfd}/-/edit", data={"csrf_token": token, "text": "nfd text\n", "base": head})
    assert refused.status_code == 400 and "address" in message_of(refused)  # not a redirect that drops the text
    assert editor.post("/Home/-/rename", data={"csrf_token": token, "new_name": nfd}).status_code == 409
    files = git(app.config["CONTENT_REPO"], "-c", "core.quotePath=false", "ls-tree", "-r", "--name-only", "main")
    assert files.count(name.split("/")[-1]) == 1 and app.extensions["wiki_store"].head() == head


@pytest.mark.parametrize(("existing", "twin"), [("Home", "home"), ("Home", "HOME"), ("Mapping/Cybersecurity",
                                                 "mapping/cybersecurity"), ("Straße", "STRASSE")])
def test_case_only_twins_are_refused(app: Flask, editor: FlaskClient, existing: str, twin: str) -> None:
    """On a case-insensitive clone (macOS, Windows) two such files would overwrite each other."""
    if existing == "Straße":
        save(editor, existing, "street\n")
    head = app.extensions["wiki_store"].head()
    response = save(editor, twin, "twin\n")
    assert response.status_code == 409 and "differ only by case" in message_of(response)
    token = csrf_token(editor, "/")
    renamed = editor.post("/Working_modalities/-/rename", data={"csrf_token": token, "new_name": twin})
    assert renamed.status_code == 409 and "differ only by case" in message_of(renamed)
    assert app.extensions["wiki_store"].head() == head


# --------------------------------------------------------------------------- page content


def test_content_over_the_limit_is_413_with_the_limit(tmp_path: Path) -> None:
    app = make_app(tmp_path / "i", MAX_PAGE_BYTES=10_000, MAX_ATTACHMENT_BYTES=10_000)
    client = app.test_client()
    Auth(client).login("editor")
    head = app.extensions["wiki_store"].head()
    within_form = save(client, "Home", "é" * 5_001)  # 10,002 bytes: counted in bytes, not characters
    assert within_form.status_code == 413 and "the limit is 10,000 bytes" in message_of(within_form)
    huge = save(client, "Home", "x" * 200_000)  # beyond what the server reads at all
    assert huge.status_code == 413 and "larger than this wiki accepts" in message_of(huge)
    assert app.extensions["wiki_store"].head() == head


def urlencoded(fields: dict[str, str], **raw: bytes) -> bytes:
    return urlencode(fields).encode() + b"".join(b"&" + key.encode() + b"=" + value for key, value in raw.items())


@pytest.mark.parametrize(("raw_text", "words"), [
    (b"caf%E9", "UTF-8"),  # Latin-1, percent-encoded
    (b"%FF%FE%00%00", "UTF-8"),  # a UTF-32 byte order mark
    (b"%C0%AF", "UTF-8"),  # an overlong encoding of '/'
    (b"%ED%A0%80", "UTF-8"),  # a UTF-16 surrogate
    (b"caf\xe9", "UTF-8"),  # a raw byte that is not UTF-8
])
def test_invalid_utf8_in_a_form_is_refused(editor: FlaskClient, unchanged: None, raw_text: bytes,
                                           words: str) -> None:
    fields = edit_form(editor, "Home")
    response = editor.post("/Home/-/edit", data=urlencoded({**fields, "summary": "s"}, text=raw_text),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 400
    assert words in message_of(response)


@pytest.mark.parametrize(("text", "words"), [
    ("PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary"),  # the start of a zip file
    ("\x7fELF\x02\x01\x01\x00", "binary"),
    ("text with a NUL \x00 inside", "NUL"),
])
def test_binary_content_is_refused(editor: FlaskClient, unchanged: None, text: str, words: str) -> None:
    response = save(editor, "Home", text)
    assert response.status_code == 400 and words in message_of(response)


def test_control_characters_in_a_summary_never_reach_the_commit(app: Flask, editor: FlaskClient) -> None:
    """A NUL in a commit message makes `git fsck --strict` fail (nulInCommit): it must not get there."""
    save(editor, "Home", "new text\n", summary="a\x00b\x1b[31mc\u202ed")
    subject = git(app.config["CONTENT_REPO"], "log", "-1", "--format=%s", "main").strip()
    assert subject == "abcd" or subject == "ab[31mcd"
    ok, report = app.extensions["wiki_store"].fsck()
    assert ok, report


# --------------------------------------------------------------------------- revisions and parameters

OPTION_LIKE = ["--all", "-p", "--output=/tmp/x", "--exec=sh", "HEAD", "main", "HEAD~1", "main^{tree}", "@{-1}",
               ":/Home", "..", "a..b", "0" * 39 + "g", "", " ", "deadbeef\n--all", "%00"]
HUGE = ["9" * 40, "f" * 64, "1" * 65, "9" * 1000, "0" * 4]


@pytest.mark.parametrize("rev", OPTION_LIKE + HUGE)
def test_revisions_that_look_like_options_or_are_unknown(editor: FlaskClient, unchanged: None, rev: str) -> None:
    for url in ("/Home?rev={}", "/Home/-/diff?from={}", "/Home/-/diff?to={}", "/Home/-/diff?from={}&to={}"):
        if rev == "" and "diff" in url:
            continue  # an empty from/to means "the default", not a revision
        response = editor.get(url.format(quote(rev), quote(rev)))
        assert response.status_code == 404, (url, rev)
        assert re.search(r"No such revision|did not exist|no version named", message_of(response))
    token = csrf_token(editor, "/")
    assert editor.post("/Home/-/revert", data={"csrf_token": token, "rev": rev}).status_code in (400, 404)


@pytest.mark.parametrize("kind", ["blob", "tree", "tag"])
def test_object_ids_that_are_not_commits(app: Flask, editor: FlaskClient, kind: str) -> None:
    repo = app.config["CONTENT_REPO"]
    if kind == "tag":
        git(repo, "tag", "-a", "-m", "t", "t1", "main")
        object_id = git(repo, "rev-parse", "t1").strip()
    else:
        object_id = git(repo, "rev-parse", "main:Home.md" if kind == "blob" else "main^{tree}").strip()
    head = app.extensions["wiki_store"].head()
    # A short tag id is peeled to its commit by `rev-parse ...^{commit}`: that commit is fine to show.
    for rev in (object_id,) if kind == "tag" else (object_id, object_id[:8]):
        for url in (f"/Home?rev={rev}", f"/Home/-/diff?from={rev}", f"/Home/-/diff?to={rev}"):
            assert editor.get(url).status_code == 404, url
        token = csrf_token(editor, "/")
        assert editor.post("/Home/-/revert", data={"csrf_token": token, "rev": rev}).status_code == 404
        assert editor.post("/Home/-/edit", data={"csrf_token": token, "rev": rev, "text": "x\n",
                                                 "base": rev}).status_code == 404
    assert app.extensions["wiki_store"].head() == head


@pytest.mark.parametrize(("query", "status", "words"), [
    ("p=0", 400, "positive whole number"),
    ("p=-1", 400, "positive whole number"),
    ("p=1e3", 400, "positive whole number"),
    ("p=99999999999999999999", 400, "positive whole number"),
    ("p=%EF%BC%91", 400, "positive whole number"),  # a full-width digit one
    ("p=%C2%B2", 400, "positive whole number"),  # a superscript two: str.isdigit() says yes, int() says no
    ("p=1&p=2", 400, "more than once"),
])
def test_page_numbers(editor: FlaskClient, query: str, status: int, words: str) -> None:
    response = editor.get(f"/Home/-/history?{query}")
    assert response.status_code == status and words in message_of(response)


@pytest.mark.parametrize("query", ["view=--all", "view=split&view=inline", "to=a&to=b", "from=--all&to=HEAD"])
def test_bad_query_parameters(editor: FlaskClient, unchanged: None, query: str) -> None:
    assert editor.get(f"/Home/-/diff?{query}").status_code in (400, 404)


@pytest.mark.parametrize("query", ["_method=POST", "_external=1", "_scheme=javascript", "_anchor=x",
                                   "_external=1&_scheme=https", "a=1&a=2"])
def test_canonical_redirects_keep_the_query_and_ignore_url_builder_options(editor: FlaskClient, query: str) -> None:
    """Redirecting /Working modalities to /Working_modalities must not let the query steer url_for."""
    response = editor.get(f"/Working modalities/-/history?{query}")
    assert response.status_code == 301
    location = response.headers["Location"]
    assert location.startswith("/Working_modalities/-/history") and "#" not in location and "_" not in location[28:]
    kept = "&".join(part for part in query.split("&") if not part.startswith("_"))
    assert location == "/Working_modalities/-/history" + (f"?{kept}" if kept else "")


# --------------------------------------------------------------------------- forms

EDIT_FORMS = [
    # (how the form is broken, status, words)
    ("missing text", 400, "missing the field 'text'"),
    ("missing base", 400, "missing the field 'base'"),
    ("text twice", 400, "more than once"),
    ("base twice", 400, "more than once"),
    ("summary twice", 400, "more than once"),
    ("text as a file", 400, "missing the field 'text'"),
    ("JSON body", 400, "CSRF"),
    ("no CSRF token", 400, "CSRF"),
    ("CSRF token of another session", 400, "CSRF"),
    ("base not hex", 404, "no version named"),  # a version name's spelling, but no such version
    ("base is an option", 404, "No such revision"),
]


@pytest.mark.parametrize(("case", "status", "words"), EDIT_FORMS)
def test_broken_edit_forms(app: Flask, editor: FlaskClient, unchanged: None, case: str, status: int,
                           words: str) -> None:
    fields = {**edit_form(editor, "Home"), "text": "defaced\n", "summary": "s"}
    kwargs: dict[str, object] = {}
    if case.startswith("missing"):
        del fields[case.split()[1]]
    elif case.endswith("twice"):
        name = case.split()[0]
        fields[name] = [fields[name], "other\n"]  # type: ignore[assignment]
    elif case == "text as a file":
        fields["text"] = (io.BytesIO(b"defaced\n"), "page.md")  # type: ignore[assignment]
        kwargs["content_type"] = "multipart/form-data"
    elif case == "JSON body":
        response = editor.post("/Home/-/edit", json=fields)
        assert response.status_code == status and words in message_of(response)
        return
    elif case == "no CSRF token":
        del fields["csrf_token"]
    elif case == "CSRF token of another session":
        other = app.test_client()
        Auth(other).login("editor2")
        fields["csrf_token"] = csrf_token(other, "/")
    elif case == "base not hex":
        fields["base"] = "not-a-revision"
    elif case == "base is an option":
        fields["base"] = "--all"
    response = editor.post("/Home/-/edit", data=fields, **kwargs)
    assert response.status_code == status, message_of(response)[:500]
    assert words in message_of(response).replace("&#39;", "'")


@pytest.mark.parametrize(("url", "fields", "status", "words"), [
    ("/Home/-/rename", {}, 400, "missing the field 'new_name'"),
    ("/Home/-/rename", {"new_name": ["A", "B"]}, 400, "more than once"),
    ("/Home/-/rename", {"new_name": ""}, 400, "empty"),
    ("/Home/-/revert", {}, 400, "missing the field 'rev'"),
    ("/Home/-/revert", {"rev": ["a" * 40, "b" * 40]}, 400, "more than once"),
    ("/Home/-/delete", {"summary": ["a", "b"]}, 400, "more than once"),
    ("/-/login", {"username": "editor"}, 400, "missing the field 'password'"),
    ("/-/login", {"username": ["editor", "admin"], "password": "x"}, 400, "more than once"),
    ("/-/account", {"current_password": "x"}, 400, "missing the field 'new_password'"),
])
def test_broken_forms(editor: FlaskClient, unchanged: None, url: str, fields: dict[str, object], status: int,
                      words: str) -> None:
    response = editor.post(url, data={"csrf_token": csrf_token(editor, "/"), **fields})
    assert response.status_code == status and words in message_of(response).replace("&#39;", "'")


@pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("url", ["/Home", "/Home/-/edit", "/Home/-/history", "/-/pages"])
def test_other_methods_are_405(editor: FlaskClient, unchanged: None, method: str, url: str) -> None:
    response = editor.open(url, method=method)
    assert response.status_code == 405 and "does not accept" in message_of(response)


def test_json_clients_get_json_errors(editor: FlaskClient) -> None:
    response = editor.get("/.git/config", headers={"Accept": "application/json"})
    assert response.status_code == 400 and "start with '.'" in response.get_json()["error"]
