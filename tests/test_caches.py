"""The caches that make views fast never serve a stale answer: others' commits show at once."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.store import Author, Store

from .conftest import Auth, csrf_token, git, save, seeded_store

ANN = Author(name="Ann Example", email="ann@example.org", username="ann", group="governments")
BOB = Author(name="Bob Example", email="bob@example.org", username="bob", group="civil-society")


@pytest.fixture
def repo(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path, {"Home": "# Home\n\nWelcome.\n", "Mapping/Cybersecurity": "one\ntwo\n"}, ANN)
    yield store
    store.close()


def push_from_clone(repo: Path, tmp_path: Path, changes: dict[str, str | None], message: str,
                    name: str = "clone") -> None:
    """Commit ``changes`` (path -> text, ``None`` removes) in a clone and push it, as a maintainer would."""
    clone = tmp_path / name
    if not clone.exists():
        subprocess.run(["git", "clone", "-q", str(repo), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "pull", "-q", "origin", "main"], check=True)
    for path, text in changes.items():
        file = clone / path
        if text is None:
            subprocess.run(["git", "-C", str(clone), "rm", "-q", path], check=True)
            continue
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        subprocess.run(["git", "-C", str(clone), "add", path], check=True)
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=Max Maintainer", "-c", "user.email=max@example.org",
                    "commit", "-qm", message], check=True)
    subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", "HEAD:main"], check=True)


def git_history(repo: Store, page_file: str) -> list[str]:
    """git's own answer for the agreed text's history: first parents only (merges are adoptions)."""
    return git(repo.path, "log", "--first-parent", "--format=%H", "main", "--", page_file).split()


def test_history_and_last_change_extend_across_outside_commits(repo: Store, tmp_path: Path) -> None:
    """A cached history is extended with the commits since, and matches git's own answer."""
    for number in range(3):
        repo.save_page("Home", f"# Home\n\nVersion {number}.\n", base=repo.head(), author=ANN, summary=f"v{number}")
    assert [c.id for c in repo.page_history("Home")] == git_history(repo, "Home.md")
    assert repo.last_change("Mapping/Cybersecurity").subject == "Import"
    push_from_clone(repo.path, tmp_path, {"Home.md": "pushed\n"}, "pushed home")
    push_from_clone(repo.path, tmp_path, {"Mapping/Other.md": "other\n"}, "another page")
    repo.save_page("Mapping/Cybersecurity", "one\ntwo\nthree\n", base=repo.head(), author=BOB, summary="grow")
    history = repo.page_history("Home")
    assert [c.id for c in history] == git_history(repo, "Home.md")
    assert history[0].subject == "pushed home" and history[0].author_name == "Max Maintainer"
    assert history[0].path == "Home.md"
    assert repo.last_change("Home").subject == "pushed home"
    assert repo.last_change("Mapping/Cybersecurity").subject == "grow"
    assert repo.last_change("Mapping/Other").subject == "another page"
    fresh = Store(repo.path)  # no caches: the answers agree
    assert fresh.page_history("Home") == history
    assert fresh.last_change("Mapping/Cybersecurity") == repo.last_change("Mapping/Cybersecurity")
    fresh.close()


def test_extended_history_follows_a_rename_and_a_deletion(repo: Store, tmp_path: Path) -> None:
    assert len(repo.page_history("Mapping/Cyber_security")) == 0
    assert repo.last_change("Mapping/Cyber_security") is None
    repo.rename_page("Mapping/Cybersecurity", "Mapping/Cyber_security", author=BOB)
    history = repo.page_history("Mapping/Cyber_security")
    assert [c.subject for c in history] == ["Rename Mapping/Cybersecurity to Mapping/Cyber_security", "Import"]
    assert repo.last_change("Mapping/Cyber_security").subject.startswith("Rename")
    repo.delete_page("Mapping/Cyber_security", author=ANN, summary="gone")
    assert repo.page_history("Mapping/Cyber_security")[0].subject == "gone"
    assert repo.last_change("Mapping/Cyber_security").subject == "gone"


def test_a_merge_pushed_from_outside_is_answered_by_git(repo: Store, tmp_path: Path) -> None:
    assert repo.page_history("Home")[0].subject == "Import"
    clone = tmp_path / "merge"
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    ident = ["-c", "user.name=M", "-c", "user.email=m@example.org"]
    subprocess.run(["git", "-C", str(clone), "checkout", "-qb", "side"], check=True)
    (clone / "Home.md").write_text("side\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(clone), *ident, "commit", "-qam", "side edit"], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", "main"], check=True)
    (clone / "Other.md").write_text("main side\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(clone), "add", "Other.md"], check=True)
    subprocess.run(["git", "-C", str(clone), *ident, "commit", "-qm", "main edit"], check=True)
    subprocess.run(["git", "-C", str(clone), *ident, "merge", "-q", "--no-edit", "side"], check=True)
    subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", "main"], check=True)
    assert [c.id for c in repo.page_history("Home")] == git_history(repo, "Home.md")
    assert repo.last_change("Home").subject.startswith("Merge branch 'side'")  # the merge adopted the side's text


def test_missing_pages(repo: Store) -> None:
    assert repo.missing_pages({"Home", "Mapping", "Mapping/Cybersecurity", "Nope"}) == {"Mapping", "Nope"}


def test_anonymous_view_cache_sees_outside_commits(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    """The cached page is keyed by the branch tip: a push shows on the very next view."""
    first = client.get("/Home").get_data(as_text=True)
    assert client.get("/Home").get_data(as_text=True) == first  # served from the cache
    repo = Path(app.config["CONTENT_REPO"])
    push_from_clone(repo, tmp_path, {"Home.md": "# Home\n\nPushed text, see [[Fresh page]].\n"}, "push home")
    body = client.get("/Home").get_data(as_text=True)
    assert "Pushed text" in body and "push home" in body and "wikilink-missing" in body
    push_from_clone(repo, tmp_path, {"Fresh_page.md": "# Fresh\n"}, "create the linked page")
    body = client.get("/Home").get_data(as_text=True)
    assert "Pushed text" in body and "wikilink-missing" not in body  # the link is no longer red


def test_anonymous_cache_is_not_shown_to_users_or_with_flashes(client: FlaskClient, auth: Auth) -> None:
    anonymous = client.get("/Home").get_data(as_text=True)
    assert "/Home/-/edit" not in anonymous
    auth.login("editor")
    assert "/Home/-/edit" in client.get("/Home").get_data(as_text=True)
    response = save(client, "Home", "# Home\n\nSaved by the editor.\n", summary="editor save")
    assert response.status_code == 302
    body = client.get("/Home").get_data(as_text=True)
    assert "Your changes were saved." in body and "Saved by the editor." in body
    auth.logout()
    body = client.get("/Home").get_data(as_text=True)
    assert "Logged out." in body and "Saved by the editor." in body  # the flash, not a cached page
    assert "Logged out." not in client.get("/Home").get_data(as_text=True)
    assert "Log in" in client.get("/Home?x=1").get_data(as_text=True)


def test_anonymous_view_cache_sees_new_endorsements(app: Flask, client: FlaskClient, store: Store) -> None:
    """Endorsements live on their own notes ref; its tip is part of the key."""
    page = "Mapping/Cybersecurity"
    assert "not endorsed" in client.get(f"/{page}").get_data(as_text=True)
    reviewer = app.test_client()
    Auth(reviewer).login("reviewer")
    response = reviewer.post(f"/{page}/-/endorse", data={
        "csrf_token": csrf_token(reviewer, f"/{page}/-/endorse"), "action": "endorse",
        "rev": store.last_change(page).id})
    assert response.status_code == 302
    assert "partly endorsed" in client.get(f"/{page}").get_data(as_text=True)


def test_blame_is_reused_across_commits_to_other_pages(app: Flask, store: Store,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    review = store
    page = "Mapping/Cybersecurity"
    store.save_page(page, "first line\n", base=store.head(), author=ANN, summary="ann writes")
    runs: list[str] = []
    original = store.blames._line_commits
    monkeypatch.setattr(store.blames, "_line_commits", lambda *args: runs.append(args[0]) or original(*args))
    before = review.blame(page)
    store.save_page("Home", "# Home\n\nelsewhere\n", base=store.head(), author=BOB, summary="bob elsewhere")
    after = review.blame(page)
    assert len(runs) == 1 and after.blocks == before.blocks and after.commit == store.head()
    store.save_page(page, "first line\nsecond line\n", base=store.head(), author=BOB, summary="bob adds")
    changed = review.blame(page)
    assert len(runs) == 2
    assert [block.commit.subject for block in changed.blocks] == ["ann writes", "bob adds"]
