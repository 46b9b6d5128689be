"""What the storage layer guarantees from outside: a worker whose git child died keeps answering,
no page name or action loses another page, and commits git can store never break a view."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.store import Author, Store

from .conftest import Auth, csrf_token, edit_form, git, save
from .support.gitrepo import fast_import, git_children
from .support.servers import BIN, ROOT, gunicorn, http_status

ANN = Author(name="Ann Example", email="ann@example.org", username="ann", group="governments")


def test_a_gunicorn_worker_whose_git_child_was_killed_keeps_answering(tmp_path: Path) -> None:
    env = {**os.environ, "WIKI_INSTANCE_PATH": str(tmp_path / "instance")}
    init = subprocess.run([BIN / "flask", "--app", "wiki", "init"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=ROOT)
    assert init.returncode == 0, init.stderr
    with gunicorn(tmp_path / "instance", workers=1, env=env) as server:
        base = server.base
        pages = Store(tmp_path / "instance" / "content.git").list_pages()
        assert http_status(f"{base}/{pages[0]}") == 200
        workers = [int(pid) for pid in subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True,
                                                      text=True).stdout.split()]
        killed = [child for worker in workers for child in git_children(worker)]
        assert killed, "the worker keeps a git cat-file process"
        for child in killed:
            os.kill(child, signal.SIGKILL)
        time.sleep(0.2)
        statuses = [http_status(f"{base}/{page}") for page in pages[1:]]  # pages not read yet: real object reads
        statuses += [http_status(f"{base}/{pages[0]}/-/history"), http_status(f"{base}/-/pages")]
        assert statuses == [200] * len(statuses)


# --------------------------------------------------------------------------- names and actions


@pytest.mark.parametrize("name", ["Home.md/Child", "Mandate.md/Sub/Page", "New.MD/x", "Folder.md"])
def test_a_page_name_that_would_turn_a_page_into_a_folder_is_refused(client: FlaskClient, auth: Auth,
                                                                      store: Store, name: str) -> None:
    auth.login("editor")
    before = store.list_pages()
    response = client.post(f"/{name}/-/edit", data={"csrf_token": csrf_token(client, "/Home/-/edit"),
                                                    "text": "child\n", "base": store.head(), "summary": ""})
    assert response.status_code == 400
    assert "cannot end with &#39;.md&#39;" in response.get_data(as_text=True)
    assert store.list_pages() == before


def test_a_rename_onto_a_page_file_name_is_refused(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    before = store.list_pages()
    response = client.post("/Mandate/-/rename", data={"csrf_token": csrf_token(client, "/Mandate/-/rename"),
                                                      "new_name": "Home.md/Mandate", "summary": ""})
    assert response.status_code == 400 and store.list_pages() == before


def test_a_stale_edit_after_a_rename_offers_the_new_name_and_keeps_the_text(
        app: Flask, client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    form = edit_form(client, "Mandate")
    original = store.read_page("Mandate").text
    store.rename_page("Mandate", "The_Mandate", author=ANN)
    store.save_page("The_Mandate", original + "\nAdded after the rename.\n", base=store.head(), author=ANN,
                    summary="")
    mine = original.replace("\n", "\nMy line.\n", 1)
    response = client.post("/Mandate/-/edit", data={**form, "text": mine, "summary": "mine"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "renamed to &#39;The_Mandate&#39;" in html and "My line." in html
    assert 'formaction="/The_Mandate/-/edit"' in html and 'name="base_page" value="Mandate"' in html
    assert not store.page_exists("Mandate")
    # The user picks the new name: their change is merged with the one made there meanwhile.
    response = client.post("/The_Mandate/-/edit", data={**form, "text": mine, "summary": "mine",
                                                         "base_page": "Mandate"})
    assert response.status_code == 302
    text = store.read_page("The_Mandate").text
    assert "My line." in text and "Added after the rename." in text
    assert not store.page_exists("Mandate")


def test_a_stale_edit_after_a_delete_can_recreate_the_page(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    form = edit_form(client, "Mandate")
    store.delete_page("Mandate", author=ANN)
    response = client.post("/Mandate/-/edit", data={**form, "text": "# Mandate\n\nKept.\n", "summary": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "was deleted" in html and "Kept." in html
    assert not store.page_exists("Mandate")
    response = client.post("/Mandate/-/edit", data={**form, "text": "# Mandate\n\nKept.\n", "summary": "",
                                                     "base_page": "Mandate", "recreate": "1"})
    assert response.status_code == 302 and store.read_page("Mandate").text == "# Mandate\n\nKept.\n"


def test_revert_does_not_recreate_a_case_twin(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    old = store.head()
    store.delete_page("Mandate", author=ANN)
    assert save(client, "MANDATE", "# Twin\n").status_code == 302
    head = store.head()
    response = client.post("/Mandate/-/revert", data={"csrf_token": csrf_token(client, "/Mandate/-/history"),
                                                      "rev": old})
    assert response.status_code == 409 and store.head() == head
    assert app_check(store) == []


def app_check(store: Store) -> list[str]:
    return store.check()


# --------------------------------------------------------------------------- what git can store


def test_commits_git_can_store_never_break_a_view(client: FlaskClient, store: Store) -> None:
    fast_import(store.path, [
        ("Far future\n", {"Mandate.md": "# Mandate\n\nfar\n"}, 99999999999999, "Far"),
        ("Sep \x1f\x1e arators\n\nStakeholder-Group: gov\x1fernments\n", {"Mandate.md": "# Mandate\n\nsep\n"},
         1700000000, "Sep\x1e"),
    ])
    git(store.path, "notes", "--ref=refs/notes/stakeholder-groups", "add", "-m", "garbage \x1e note", store.head())
    for url in ("/-/changes", "/-/changes.atom", "/-/contributions", "/-/pages", "/-/document", "/Mandate",
                "/Mandate/-/history", "/Mandate/-/blame", "/Mandate/-/diff", "/-/search?q=far", "/-/endorsements",
                f"/-/compare?from={store.page_history('Mandate')[-1].id}"):
        assert client.get(url).status_code == 200, url
