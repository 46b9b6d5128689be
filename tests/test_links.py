"""Backlinks, wanted pages, the page tree, and the names reserved for attachment folders."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki import names
from wiki.errors import InvalidPageName
from wiki.store import Author, Store
from wiki.wikilinks import wiki_links

from .conftest import Auth, csrf_token

AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")


def put(store: Store, page: str, text: str) -> None:
    store.save_page(page, text, base=store.head(), author=AUTHOR, summary="")


def test_backlinks_list_the_linking_pages(client: FlaskClient, store: Store) -> None:
    put(store, "Target", "# Target\n")
    put(store, "Linker", "See [[Target]] and [[Target#Part|the part]].\n")
    put(store, "Code_only", "```\n[[Target]]\n```\nand `[[Target]]` in code do not link.\n")
    html = client.get("/Target/-/backlinks").get_data(as_text=True)
    assert 'href="/Linker"' in html
    assert "Code_only" not in html


def test_page_view_links_to_what_links_here(client: FlaskClient) -> None:
    assert 'href="/Mapping/-/backlinks"' in client.get("/Mapping").get_data(as_text=True)


def test_backlinks_follow_renames(client: FlaskClient, store: Store, auth: Auth) -> None:
    put(store, "Goal", "# Goal\n")
    put(store, "Source", "Towards [[Goal]].\n")
    auth.login("editor")
    token = csrf_token(client, "/Source/-/rename")
    assert client.post("/Source/-/rename", data={"csrf_token": token, "new_name": "Renamed_source"}).status_code == 302
    html = client.get("/Goal/-/backlinks").get_data(as_text=True)
    assert 'href="/Renamed_source"' in html and 'href="/Source"' not in html

    token = csrf_token(client, "/Goal/-/rename")
    assert client.post("/Goal/-/rename", data={"csrf_token": token, "new_name": "New_goal"}).status_code == 302
    assert "No page links to" in client.get("/New_goal/-/backlinks").get_data(as_text=True)
    wanted = client.get("/-/wanted").get_data(as_text=True)
    assert 'href="/Goal"' in wanted and 'href="/Renamed_source"' in wanted


def test_wanted_pages_with_who_links_to_them(client: FlaskClient, store: Store) -> None:
    put(store, "One", "[[Not written yet]] and [[Exists]].\n")
    put(store, "Two", "Also [[Not_written_yet]].\n")
    put(store, "Exists", "Here.\n")
    html = client.get("/-/wanted").get_data(as_text=True)
    row = html[html.index('href="/Not_written_yet"'):]
    row = row[: row.index("</tr>")]
    assert 'href="/One"' in row and 'href="/Two"' in row
    assert 'href="/Exists"' not in html
    put(store, "Not_written_yet", "Now it is.\n")
    assert 'href="/Not_written_yet"' not in client.get("/-/wanted").get_data(as_text=True)


@pytest.mark.parametrize(("text", "links"), [
    ("[[A]] [[B c|label]] [[D#frag]]", {"A", "B_c", "D"}),
    ("[[bad:name]] [[ ]]", set()),
    ("`[[Code]]` [[Real]]", {"Real"}),
])
def test_wiki_links_match_the_renderer(app: Flask, text: str, links: set[str]) -> None:
    assert wiki_links(text) == links
    with app.test_request_context():
        assert app.extensions["wiki_renderer"].render(text).links == links


def test_page_tree_shows_sections_counts_and_last_change(client: FlaskClient, store: Store) -> None:
    html = client.get("/-/pages").get_data(as_text=True)
    assert "Mapping" in html and "Questionnaire" in html
    put(store, "Region/Africa/Kenya", "# Kenya\n")
    put(store, "Region/Asia", "# Asia\n")
    html = client.get("/-/pages").get_data(as_text=True)
    region = html[html.index('tree-heading">Region'):]
    assert "2 pages" in region[:400]
    assert "by <bdi>Script</bdi>" in region[:400]
    africa = html[html.index('tree-heading">Africa'):]
    assert "1 page " in africa[:300] or "1 page<" in africa[:300]
    assert html.index('tree-heading">Africa') > html.index('tree-heading">Region')  # nested inside it
    assert 'href="/Region/Africa/Kenya"' in html


def test_breadcrumbs_on_a_page_in_a_section(client: FlaskClient) -> None:
    html = client.get("/Mapping/Cybersecurity").get_data(as_text=True)
    crumbs = html[html.index('class="breadcrumbs"'):]
    assert 'href="/Mapping"' in crumbs[: crumbs.index("</nav>")]


@pytest.mark.parametrize("raw", ["Page.files", "Section.files/Page", "a/B.FILES/c"])
def test_attachment_folder_names_are_not_page_names(raw: str) -> None:
    with pytest.raises(InvalidPageName):
        names.normalize_page_name(raw)


def test_attachment_files_are_never_pages() -> None:
    assert names.page_from_file("Mapping/Cybersecurity.files/notes.md") is None
    assert names.page_from_attachment_file("Mapping/Cybersecurity.files/notes.md") == ("Mapping/Cybersecurity",
                                                                                        "notes.md")
