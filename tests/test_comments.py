"""Comment threads anchored to passages (issue 15): starting, answering, resolving, and finding the
passage again through edits, renames, reverts, proposal merges and pushes; stored in Git."""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.store import Store
from wiki.store.comment_model import COMMENTS_REF

from .conftest import Auth, csrf_token, git, make_app, save
from .support.git_http import Wiki, serve

TEXT = ("# Talk\n\nThe free flow of information is **essential** to development.\n\n"
        "Governments should protect privacy online.\n\nA closing paragraph about privacy and trust.\n")
QUOTE = "information is essential"


@pytest.fixture
def editor(client: FlaskClient, auth: Auth) -> FlaskClient:
    auth.login("editor")
    assert save(client, "Talk", TEXT, "Start the talk").status_code == 302
    return client


def start(client: FlaskClient, page: str = "Talk", **fields: str):  # noqa: ANN201
    data = {"csrf_token": csrf_token(client, f"/{page}"), "kind": "comment", "text": "A remark.", **fields}
    data.setdefault("rev", client.application.extensions["wiki_store"].head())
    return client.post(f"/{page}/-/comments", data=data)


def thread_number(response) -> int:  # noqa: ANN001
    assert response.status_code == 303, response.get_data(as_text=True)[-800:]
    return int(response.headers["Location"].rsplit("#thread-", 1)[1])


def marked(html: str) -> list[str]:
    """The highlighted passages of a page, joined across the elements they span."""
    passages: list[str] = []
    end = None
    for match in re.finditer(r'<mark class="comment-mark[^"]*">(.*?)</mark>', html):
        between = re.sub(r"<[^>]+>", "", html[end:match.start()]) if end is not None else "x"
        if passages and not between:
            passages[-1] += match.group(1)
        else:
            passages.append(match.group(1))
        end = match.end()
    return passages


def page_html(client: FlaskClient, url: str = "/Talk") -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def thread_block(html: str, number: int) -> str:
    match = re.search(rf'<article class="thread[^"]*" id="thread-{number}".*?</article>', html, re.S)
    assert match, f"thread {number} not shown"
    return match.group(0)


# --------------------------------------------------------------------------- starting and answering


def test_a_quoted_passage_is_highlighted_with_the_thread_beside_its_paragraph(editor: FlaskClient) -> None:
    number = thread_number(start(editor, quote=QUOTE, kind="objection", text="We *cannot* accept this."))
    html = page_html(editor)
    assert "".join(marked(html)) == "information is essential"
    paragraph = re.search(r'<div class="passage contested" id="passage-2".*?</aside>', html, re.S)
    assert paragraph, "the objection marks its paragraph contested"
    assert "Contested by Civil society" in paragraph.group(0)
    assert "1 open thread" in paragraph.group(0)
    thread = thread_block(paragraph.group(0), number)
    assert "<em>cannot</em>" in thread and "Civil society" in thread and "Eda Editor" in thread


def test_replies_resolve_and_reopen(editor: FlaskClient, client: FlaskClient, auth: Auth) -> None:
    number = thread_number(start(editor, quote="protect privacy online", kind="question", text="Which laws?"))
    token = csrf_token(editor, "/Talk")
    assert editor.post(f"/Talk/-/comments/{number}", data={"csrf_token": token, "action": "reply",
                                                            "text": "Data protection laws."}).status_code == 303
    auth.logout()
    auth.login("editor2")  # neither the author nor a reviewer: may reply and reopen, not resolve
    token = csrf_token(client, "/Talk")
    refused = client.post(f"/Talk/-/comments/{number}", data={"csrf_token": token, "action": "resolve"})
    assert refused.status_code == 409
    assert "author or a reviewer" in refused.get_data(as_text=True)
    auth.logout()
    auth.login("reviewer")
    token = csrf_token(client, "/Talk")
    assert client.post(f"/Talk/-/comments/{number}", data={"csrf_token": token, "action": "resolve"}).status_code == 303
    assert marked(page_html(client)) == []  # resolved threads are not highlighted
    listing = page_html(client, "/Talk/-/comments")
    resolved = listing.split('id="resolved-heading"', 1)[1]
    assert "Data protection laws." in thread_block(resolved, number)
    assert "Resolved by <bdi>Rev Iewer</bdi>" in resolved
    auth.logout()
    auth.login("editor2")
    token = csrf_token(client, "/Talk")
    assert client.post(f"/Talk/-/comments/{number}", data={"csrf_token": token, "action": "reopen"}).status_code == 303
    assert marked(page_html(client)) == ["protect privacy online"]


def test_commenting_on_a_paragraph_by_its_number_works_without_javascript(editor: FlaskClient) -> None:
    form = page_html(editor, "/Talk/-/comments?paragraph=3")
    assert 'name="paragraph" value="3"' in form and "Governments should protect privacy online." in form
    number = thread_number(start(editor, paragraph="3", quote="", kind="support", text="Agreed."))
    html = page_html(editor)
    assert marked(html) == ["Governments should protect privacy online."]
    assert f'id="thread-{number}"' in html
    assert 'href="/Talk/-/comments?paragraph=2#new-comment"' in html  # every paragraph has its margin link


def test_an_ambiguous_quote_needs_an_occurrence_or_a_position(editor: FlaskClient) -> None:
    ambiguous = start(editor, quote="privacy")
    assert ambiguous.status_code == 400
    assert "appears 2 times" in ambiguous.get_data(as_text=True)
    number = thread_number(start(editor, quote="privacy", occurrence="2"))
    store: Store = editor.application.extensions["wiki_store"]
    thread = store.comments.get(number)
    assert thread.anchor.prefix.endswith("paragraph about ")
    hinted = thread_number(start(editor, quote="privacy", position="60"))  # the browser's hint: the nearest
    assert store.comments.get(hinted).anchor.prefix.endswith("protect ")


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"quote": "not on this page"}, 400, "not in that revision"),
    ({"quote": "   "}, 400, "Quote the passage"),
    ({"quote": "privacy", "occurrence": "3"}, 400, "between 1 and 2"),
    ({"quote": "privacy", "occurrence": "x"}, 400, "positive whole number"),
    ({"quote": QUOTE, "kind": "veto"}, 400, "kind of comment"),
    ({"quote": QUOTE, "text": "  "}, 400, "The comment is empty"),
    ({"quote": QUOTE, "rev": "0" * 40}, 404, ""),
    ({"quote": QUOTE, "rev": "no-such-version"}, 404, ""),
    ({"paragraph": "99", "quote": ""}, 400, "no paragraph 99"),
    ({"quote": "x" * 2001}, 400, "2,000 characters"),
])
def test_bad_new_threads_are_refused_with_a_message(editor: FlaskClient, fields: dict[str, str], status: int,
                                                     message: str) -> None:
    response = start(editor, **fields)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert editor.application.extensions["wiki_store"].comments.all() == []


def test_a_page_absent_from_the_revision_and_unknown_threads_are_404(editor: FlaskClient) -> None:
    first = editor.application.extensions["wiki_store"].page_history("Talk")[0].id
    assert start(editor, page="Mandate", quote="x", rev=first).status_code in (400, 404)
    number = thread_number(start(editor, quote=QUOTE))
    token = csrf_token(editor, "/Talk")
    assert editor.post("/Talk/-/comments/999", data={"csrf_token": token, "action": "reply",
                                                     "text": "x"}).status_code == 404
    assert editor.post(f"/Mandate/-/comments/{number}", data={"csrf_token": token, "action": "reply",
                                                              "text": "x"}).status_code == 404
    assert editor.post(f"/Talk/-/comments/{number}", data={"csrf_token": token,
                                                            "action": "delete"}).status_code == 400
    assert editor.get("/No_such_page/-/comments").status_code == 404


def test_commenting_needs_a_login(client: FlaskClient, editor: FlaskClient, auth: Auth) -> None:
    auth.logout()
    response = client.post("/Talk/-/comments", data={"csrf_token": csrf_token(client), "quote": QUOTE,
                                                      "rev": client.application.extensions["wiki_store"].head(),
                                                      "kind": "comment", "text": "Anonymous."})
    assert response.status_code in (302, 401, 403)
    assert client.application.extensions["wiki_store"].comments.all() == []
    assert "Comment on paragraph" not in page_html(client)


def test_a_private_wiki_shows_no_comments_to_anonymous_readers(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", PUBLIC_READ=False)
    client = app.test_client()
    Auth(client).login("editor")
    thread_number(start(client, page="Mandate", quote="Mandate"))
    Auth(client).logout()
    for url in ("/Mandate/-/comments", "/-/comments", "/-/comments.atom", "/Mandate"):
        response = client.get(url)
        assert response.status_code in (302, 401, 403), url
        assert "A remark." not in response.get_data(as_text=True)
    app.extensions["wiki_store"].close()


# --------------------------------------------------------------------------- finding the passage again


def test_an_edit_above_the_passage_keeps_the_thread_on_it(editor: FlaskClient) -> None:
    thread_number(start(editor, quote="protect privacy online"))
    save(editor, "Talk", TEXT.replace("# Talk\n\n", "# Talk\n\nA new first paragraph about privacy online.\n\n"))
    html = page_html(editor)
    assert marked(html) == ["protect privacy online"]
    assert re.search(r'id="passage-4".*?<mark', html, re.S) is not None  # now the fourth paragraph


def test_an_edit_inside_the_passage_follows_it_and_shows_it_as_it_reads_now(editor: FlaskClient) -> None:
    number = thread_number(start(editor, quote="Governments should protect privacy online"))
    save(editor, "Talk", TEXT.replace("should protect privacy", "must protect privacy"))
    html = page_html(editor)
    assert marked(html) == ["Governments must protect privacy online"]
    listing = page_html(editor, "/Talk/-/comments")
    opened = listing.split('id="outdated-heading"', 1)[0]
    assert "Governments must protect privacy online" in thread_block(opened, number)


def test_a_removed_passage_makes_the_thread_outdated_never_hidden(editor: FlaskClient) -> None:
    store: Store = editor.application.extensions["wiki_store"]
    written_on = store.head()
    number = thread_number(start(editor, quote=QUOTE))
    save(editor, "Talk", "# Talk\n\nAn entirely different text now.\n")
    html = page_html(editor)
    outdated = html.split('id="outdated-heading"', 1)[1]
    block = thread_block(outdated, number)
    assert QUOTE in block and f"rev={written_on}" in block
    assert marked(html) == []
    listing = page_html(editor, "/-/comments?state=outdated")
    assert "/Talk/-/comments#thread-" in listing
    assert "information is essential" in listing


def test_a_revert_brings_an_outdated_thread_back(editor: FlaskClient) -> None:
    store: Store = editor.application.extensions["wiki_store"]
    original = store.head()
    thread_number(start(editor, quote=QUOTE))
    save(editor, "Talk", "# Talk\n\nGone.\n")
    assert marked(page_html(editor)) == []
    token = csrf_token(editor, "/Talk/-/history")
    assert editor.post("/Talk/-/revert", data={"csrf_token": token, "rev": original}).status_code in (302, 303)
    assert marked(page_html(editor)) == ["information is essential"]


def test_a_rename_moves_the_threads_with_the_page(editor: FlaskClient) -> None:
    number = thread_number(start(editor, quote=QUOTE))
    token = csrf_token(editor, "/Talk/-/rename")
    assert editor.post("/Talk/-/rename", data={"csrf_token": token, "new_name": "Talks/Main"}).status_code in (302, 303)
    assert marked(page_html(editor, "/Talks/Main")) == ["information is essential"]
    assert f"#thread-{number}" in page_html(editor, "/-/comments?page=Talks/Main")
    assert "Moved with the page to <bdi>Talks/Main</bdi>" in page_html(editor, "/Talks/Main/-/comments")


def test_threads_inside_a_proposal_and_through_its_merge(editor: FlaskClient, client: FlaskClient,
                                                         auth: Auth) -> None:
    store: Store = editor.application.extensions["wiki_store"]
    on_main = thread_number(start(editor, quote="protect privacy online"))
    proposal = store.proposals.create("Reword", "Clearer.", author=_author(store, "editor"))
    pages = store.proposals.pages_of(proposal.number)
    head = pages.save_page("Talk", TEXT.replace("# Talk\n\n", "# Talk\n\nAn inserted paragraph.\n\n"),
                           base=store.head(), author=_author(store, "editor"), summary="Insert").commit
    in_proposal = thread_number(start(editor, quote="An inserted paragraph", rev=head,
                                      proposal=str(proposal.number)))
    html = page_html(editor, f"/Talk?proposal={proposal.number}")
    assert marked(html) == ["An inserted paragraph"]  # the proposal's threads, on the proposal's text
    assert marked(page_html(editor)) == ["protect privacy online"]
    assert store.comments.get(in_proposal).proposal == proposal.number
    store.merge_proposal(proposal.number, groups=(), author=_author(store, "admin"), display_name="Ada",
                         admin=True, reason="Test merge")
    assert "An inserted paragraph." in store.read_page("Talk").text
    assert marked(page_html(editor)) == ["protect privacy online"]
    assert store.comments.get(on_main).page == "Talk"


def test_a_proposal_that_renames_a_page_takes_its_threads_along_when_merged(editor: FlaskClient) -> None:
    store: Store = editor.application.extensions["wiki_store"]
    number = thread_number(start(editor, quote=QUOTE))
    proposal = store.proposals.create("Rename", "Better name.", author=_author(store, "editor"))
    store.proposals.pages_of(proposal.number).rename_page("Talk", "Debate", author=_author(store, "editor"))
    store.merge_proposal(proposal.number, groups=(), author=_author(store, "admin"), display_name="Ada",
                         admin=True, reason="Test merge")
    assert store.comments.get(number).page == "Debate"
    assert marked(page_html(editor, "/Debate")) == ["information is essential"]


def test_a_push_from_a_clone_moves_and_keeps_threads(tmp_path: Path) -> None:
    served: Iterator[Wiki] = serve(tmp_path)
    wiki = next(served)
    try:
        client = wiki.app.test_client()
        Auth(client).login("editor")
        save(client, "Talk", TEXT)
        number = thread_number(start(client, quote=QUOTE))
        clone = wiki.clone()
        wiki.git("mv", "Talk.md", "Debate.md", cwd=clone)
        (clone / "Debate.md").write_text(TEXT.replace("# Talk\n\n", "# Talk\n\nPushed above.\n\n"))
        wiki.git("commit", "-qam", "Rename and edit from a clone", cwd=clone)
        result = wiki.push(clone)
        assert result.returncode == 0, result.stderr
        assert wiki.store.comments.get(number).page == "Debate"
        assert marked(page_html(client, "/Debate")) == ["information is essential"]
        # The comments' branch belongs to the wiki: a push to it is refused.
        wiki.git("fetch", "-q", "origin", f"{COMMENTS_REF}:refs/remotes/origin/meta-comments", cwd=clone)
        wiki.git("checkout", "-q", "-b", "mine", "origin/meta-comments", cwd=clone)
        (clone / "0000" / "1" / "forged.json").write_text("{}")
        wiki.git("add", ".", cwd=clone)
        wiki.git("commit", "-qm", "forge", cwd=clone)
        refused = wiki.push(clone, f"HEAD:{COMMENTS_REF}")
        assert refused.returncode != 0 and "comment threads are written by the wiki" in refused.stderr
    finally:
        served.close()


# --------------------------------------------------------------------------- in Git, and lists


def test_threads_are_files_in_the_repository_and_a_mirror_shows_them(editor: FlaskClient, tmp_path: Path) -> None:
    number = thread_number(start(editor, quote=QUOTE, kind="objection", text="No."))
    store: Store = editor.application.extensions["wiki_store"]
    files = git(store.path, "ls-tree", "-r", "--name-only", COMMENTS_REF).split()
    assert len(files) == 1 and re.fullmatch(rf"0000/{number}/000001-create-[0-9a-f]{{6}}\.json", files[0])
    record = json.loads(git(store.path, "show", f"{COMMENTS_REF}:{files[0]}"))
    assert record["quote"] == QUOTE and record["kind"] == "objection" and record["group"] == "civil-society"
    assert record["rev"] and record["page"] == "Talk" and record["text"] == "No."
    # A wiki started on a copy of the repository (a mirror, a restored backup) shows the same thread.
    copy = tmp_path / "mirror" / "instance"
    copy.mkdir(parents=True)
    git(store.path, "clone", "-q", "--mirror", str(store.path), str(copy / "content.git"))
    mirror = make_app(copy)
    html = mirror.test_client().get("/Talk").get_data(as_text=True)
    assert marked(html) == ["information is essential"] and "Contested by Civil society" in html
    mirror.extensions["wiki_store"].close()


def test_a_language_version_says_how_many_threads_are_open_on_the_original(editor: FlaskClient) -> None:
    thread_number(start(editor, quote=QUOTE))
    form = editor.get("/Talk/-/edit?lang=fr").get_data(as_text=True)
    base = re.search(r'name="base" value="([0-9a-f]*)"', form).group(1)  # type: ignore[union-attr]
    token = csrf_token(editor, "/Talk/-/edit?lang=fr")
    saved = editor.post("/Talk/-/edit?lang=fr", data={"csrf_token": token, "base": base, "summary": "fr",
                                                       "text": "# Débat\n\nLa libre circulation.\n", "follows": "1"})
    assert saved.status_code == 302
    french = page_html(editor, "/Talk?lang=fr")
    assert "La libre circulation." in french and "The original has 1 open comment thread." in french
    assert marked(french) == []


def test_a_restored_backup_shows_the_same_threads(editor: FlaskClient, app: Flask, tmp_path: Path) -> None:
    from wiki import create_app

    number = thread_number(start(editor, quote=QUOTE, kind="objection", text="Kept in the backup."))
    archive = tmp_path / "backup.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    restored = create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                          instance_path=str(tmp_path / "restored"))
    result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    html = restored.test_client().get("/Talk").get_data(as_text=True)
    assert marked(html) == ["information is essential"] and "Kept in the backup." in html
    assert f'id="thread-{number}"' in html
    restored.extensions["wiki_store"].close()


def test_the_document_list_filters_and_its_feed(editor: FlaskClient, client: FlaskClient, auth: Auth) -> None:
    thread_number(start(editor, quote=QUOTE, kind="objection", text="No."))
    thread_number(start(editor, quote="protect privacy online", kind="question", text="Which?"))
    auth.logout()
    auth.login("reviewer")
    thread_number(start(client, page="Mandate", quote="Mandate", text="Fine."))
    everything = page_html(client, "/-/comments")
    assert everything.count("#thread-") == 3
    assert page_html(client, "/-/comments?kind=objection").count("#thread-") == 1
    assert page_html(client, "/-/comments?group=technical-academic").count("#thread-") == 1
    assert page_html(client, "/-/comments?page=Talk").count("#thread-") == 2
    assert page_html(client, "/-/comments?section=Talk").count("#thread-") == 2
    assert page_html(client, "/-/comments?state=resolved").count("#thread-") == 0
    for bad in ("group=nobody", "kind=veto", "state=lost", "p=0"):
        assert client.get(f"/-/comments?{bad}").status_code == 400
    feed = client.get("/-/comments.atom?kind=objection")
    assert feed.mimetype == "application/atom+xml"
    entries = ET.fromstring(feed.data).findall("{http://www.w3.org/2005/Atom}entry")
    assert len(entries) == 1 and "No." in ET.tostring(entries[0], encoding="unicode")


def test_a_new_comment_changes_what_anonymous_readers_get(editor: FlaskClient, client: FlaskClient,
                                                          auth: Auth, app: Flask) -> None:
    auth.logout()
    before = page_html(client)
    auth.login("editor")
    thread_number(start(client, quote=QUOTE))
    auth.logout()
    after = page_html(client)
    assert before != after and marked(after) == ["information is essential"]
    shutil.rmtree(Path(app.instance_path) / "nothing", ignore_errors=True)


def _author(store: Store, username: str):  # noqa: ANN202
    from wiki.store import Author
    return Author(name=username, email=f"{username}@example.org", username=username,
                  group={"editor": "civil-society", "admin": "international-organizations"}[username])
