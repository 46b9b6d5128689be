"""Amendment proposals over HTTP (issue 14): draft in a proposal, read it, decide per group,
merge by consensus or close; bad input answered with 4xx."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.store import Store

from .conftest import CSRF_RE, Auth, csrf_token, git


def post(client: FlaskClient, url: str, data: dict[str, str], form: str = "/-/proposals"):  # noqa: ANN201
    return client.post(url, data={"csrf_token": csrf_token(client, form), **data})


def login_as(auth: Auth, client: FlaskClient, user: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    auth.login(user)


def start(client: FlaskClient, title: str = "Clarify the mandate", page: str = "") -> int:
    response = post(client, "/-/proposals/new", {"title": title, "rationale": "Because **two** is vague.",
                                                 **({"page": page} if page else {})}, form="/-/proposals/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"proposal=(\d+)|/-/proposals/(\d+)", response.headers["Location"]).group(0).split("=")[-1]
               .split("/")[-1])


def edit_in(client: FlaskClient, number: int, page: str, text: str) -> None:
    html = client.get(f"/{page}/-/edit?proposal={number}").get_data(as_text=True)
    base = re.search(r'name="base" value="([0-9a-f]*)"', html).group(1)
    response = client.post(f"/{page}/-/edit?proposal={number}", data={
        "csrf_token": CSRF_RE.search(html).group(1), "text": text, "base": base, "summary": "in the proposal"})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/{page}?proposal={number}")


def test_draft_read_decide_and_merge_by_consensus(app: Flask, client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    number = start(client, page="Mandate")
    agreed = store.read_page("Mandate").text
    edit_in(client, number, "Mandate", agreed + "\nA sentence agreed by all.\n")
    assert store.read_page("Mandate").text == agreed  # the agreed text waits
    assert "A sentence agreed by all." in client.get(f"/Mandate?proposal={number}").get_data(as_text=True)
    page = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "Clarify the mandate" in page and "<strong>two</strong>" in page and "A sentence agreed by all." in page
    assert client.get("/-/proposals?awaiting=governments").get_data(as_text=True).count("Clarify the mandate") == 1
    head = store.proposals.get(number).head
    # Reviewers of the five groups: two from the fixtures, three made here.
    users = app.extensions["wiki_users"]
    users.create("gov", "correct horse battery", group="governments", role="reviewer", display_name="Gov Reviewer")
    users.create("civ", "correct horse battery", group="civil-society", role="reviewer", display_name="Civ Reviewer")
    users.create("priv", "correct horse battery", group="private-sector", role="reviewer", display_name="Priv")
    for user in ("reviewer", "admin", "priv"):
        login_as(auth, client, user)
        assert post(client, f"/-/proposals/{number}/endorse", {"action": "endorse", "rev": head}).status_code == 302
    assert "Clarify the mandate" not in client.get("/-/proposals?awaiting=technical-academic").get_data(as_text=True)
    # Civil society objects first, then withdraws and endorses.
    login_as(auth, client, "civ")
    refused = post(client, f"/-/proposals/{number}/endorse", {"action": "object", "rev": head})
    assert refused.status_code == 400  # an objection needs a reason
    assert post(client, f"/-/proposals/{number}/endorse",
                {"action": "object", "rev": head, "reason": "Not yet."}).status_code == 302
    assert "Not yet." in client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert post(client, f"/-/proposals/{number}/merge", {}).status_code == 409
    assert post(client, f"/-/proposals/{number}/endorse", {"action": "withdraw", "rev": head}).status_code == 302
    assert post(client, f"/-/proposals/{number}/endorse", {"action": "endorse", "rev": head}).status_code == 302
    login_as(auth, client, "gov")
    assert post(client, f"/-/proposals/{number}/endorse", {"action": "endorse", "rev": head}).status_code == 302
    assert post(client, f"/-/proposals/{number}/comment", {"text": "Agreed in the session."}).status_code == 302
    response = post(client, f"/-/proposals/{number}/merge", {})
    assert response.status_code == 302
    assert "A sentence agreed by all." in store.read_page("Mandate").text
    message = git(store.path, "log", "-1", "--format=%B", "main")
    for trailer in (f"Proposal: {number}", "Endorsed-By: governments", "Endorsed-By: civil-society",
                    "Endorsed-By: technical-academic", "Endorsed-By: private-sector",
                    "Endorsed-By: international-organizations", "Merged-By: Gov Reviewer",
                    "Stakeholder-Group: governments"):
        assert trailer in message
    shown = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "Merged into the agreed text." in shown and "Agreed in the session." in shown
    assert post(client, f"/-/proposals/{number}/merge", {}).status_code == 409  # merged already


def test_a_moved_head_is_refused_with_a_message(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    number = start(client)
    edit_in(client, number, "Mandate", "# Mandate\n\nFirst draft.\n")
    seen = store.proposals.get(number).head
    edit_in(client, number, "Mandate", "# Mandate\n\nSecond draft.\n")
    login_as(auth, client, "reviewer")
    response = post(client, f"/-/proposals/{number}/endorse", {"action": "endorse", "rev": seen})
    assert response.status_code == 409 and "changed since you read it" in response.get_data(as_text=True)


def test_an_admin_merges_without_consensus_only_with_a_reason(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    number = start(client)
    edit_in(client, number, "Home", "# Home\n\nProposed home.\n")
    login_as(auth, client, "admin")
    assert post(client, f"/-/proposals/{number}/merge", {}).status_code == 409
    assert post(client, f"/-/proposals/{number}/merge", {"reason": "End of the mandate"}).status_code == 302
    assert "Override-Reason: End of the mandate" in git(store.path, "log", "-1", "--format=%B", "main")


def test_close_by_its_author_the_secretariat_or_an_admin_with_a_reason(client: FlaskClient, auth: Auth,
                                                                        store: Store) -> None:
    auth.login("editor")
    number = start(client)
    for other in ("editor2", "reviewer"):  # another group's editor or reviewer may not close it (issue 24)
        login_as(auth, client, other)
        assert post(client, f"/-/proposals/{number}/close", {"reason": "no"}).status_code == 403
    login_as(auth, client, "editor")
    assert post(client, f"/-/proposals/{number}/close", {}).status_code == 400
    assert post(client, f"/-/proposals/{number}/close", {"reason": "Out of scope."}).status_code == 302
    assert store.proposals.get(number).state == "closed"
    assert "Out of scope." in client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert client.get(f"/Home/-/edit?proposal={number}").status_code == 409
    assert "Clarify the mandate" in client.get("/-/proposals?state=closed").get_data(as_text=True)
    assert "Clarify the mandate" not in client.get("/-/proposals?state=open").get_data(as_text=True)


def test_update_brings_main_in(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    number = start(client)
    edit_in(client, number, "Mandate", store.read_page("Mandate").text + "\nProposed.\n")
    home = client.get("/Home/-/edit").get_data(as_text=True)
    client.post("/Home/-/edit", data={"csrf_token": CSRF_RE.search(home).group(1), "summary": "",
                                      "base": store.head(), "text": "# Home\n\nChanged on main.\n"})
    assert "commit this proposal does not include" in client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert post(client, f"/-/proposals/{number}/update", {}).status_code == 302
    assert "Changed on main." in store.read_page("Home", store.proposals.get(number).head).text


def test_feed_and_filters(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    start(client, title="Feed me")
    feed = client.get("/-/proposals.atom")
    assert feed.mimetype == "application/atom+xml" and "Feed me" in feed.get_data(as_text=True)
    assert "Feed me" in client.get("/-/proposals?group=civil-society").get_data(as_text=True)
    assert "Feed me" not in client.get("/-/proposals?group=governments").get_data(as_text=True)


@pytest.mark.parametrize("url", ["/-/proposals/999", "/-/proposals/abc", "/Home?proposal=999", "/Home?proposal=x",
                                 "/Home/-/edit?proposal=999"])
def test_unknown_proposals_are_404(client: FlaskClient, auth: Auth, url: str) -> None:
    auth.login("editor")
    assert client.get(url).status_code in ((400, 404) if url.endswith("abc") else (404,))


@pytest.mark.parametrize("query", ["state=bogus", "group=nobody", "awaiting=nobody"])
def test_bad_filters_are_400(client: FlaskClient, query: str) -> None:
    assert client.get(f"/-/proposals?{query}").status_code == 400


def test_the_group_is_the_sessions_never_a_form_field(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    number = start(client)
    login_as(auth, client, "reviewer")
    head = store.proposals.get(number).head
    post(client, f"/-/proposals/{number}/endorse", {"action": "endorse", "rev": head, "group": "governments"})
    assert [p.group for p in store.proposals.get(number).positions] == ["technical-academic"]


def test_proposals_of_a_private_wiki_are_invisible_to_anonymous_readers(tmp_path) -> None:  # noqa: ANN001
    from .conftest import make_app

    app = make_app(tmp_path / "private", PUBLIC_READ=False)
    store = app.extensions["wiki_store"]
    from wiki.store import Author

    store.proposals.create("Secret", "Hidden rationale", author=Author("A", "a@example.org", "editor", "governments"))
    anonymous = app.test_client()
    for url in ("/-/proposals", "/-/proposals/1", "/-/proposals.atom", "/Home?proposal=1"):
        response = anonymous.get(url)
        assert response.status_code == 302 and "Secret" not in response.get_data(as_text=True)


def test_recent_changes_link_a_merge_to_its_proposal(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    number = start(client)
    edit_in(client, number, "Home", "# Home\n\nProposed home.\n")
    login_as(auth, client, "admin")
    assert post(client, f"/-/proposals/{number}/merge", {"reason": "Agreed in the room"}).status_code == 302
    assert f'href="/-/proposals/{number}"' in client.get("/-/changes").get_data(as_text=True)


def test_sections_that_require_proposals_keep_the_text_and_start_one(tmp_path) -> None:  # noqa: ANN001
    from .conftest import make_app

    app = make_app(tmp_path / "required", PROPOSALS_REQUIRED=["Mapping"])
    client, store = app.test_client(), app.extensions["wiki_store"]
    auth = Auth(client)
    auth.login("editor")
    agreed = store.read_page("Mapping/Cybersecurity").text
    html = client.get("/Mapping/Cybersecurity/-/edit").get_data(as_text=True)
    assert "Start a proposal with this text" in html
    base = re.search(r'name="base" value="([0-9a-f]*)"', html).group(1)
    token = CSRF_RE.search(html).group(1)
    typed = agreed + "\nA change that needs consensus.\n"
    refused = client.post("/Mapping/Cybersecurity/-/edit", data={"csrf_token": token, "text": typed, "base": base,
                                                                  "summary": "Needs consensus"})
    assert refused.status_code == 409 and "A change that needs consensus." in refused.get_data(as_text=True)
    assert store.read_page("Mapping/Cybersecurity").text == agreed
    started = client.post("/-/proposals/new", data={"csrf_token": token, "text": typed, "base": base, "title": "",
                                                    "summary": "Needs consensus", "page": "Mapping/Cybersecurity"})
    assert started.status_code == 302 and "proposal=1" in started.headers["Location"]
    proposal = store.proposals.get(1)
    assert proposal.title == "Needs consensus"
    assert "A change that needs consensus." in store.read_page("Mapping/Cybersecurity", proposal.head).text
    assert store.read_page("Mapping/Cybersecurity").text == agreed
    for url in ("/Mapping/Cybersecurity/-/rename", "/Mapping/Cybersecurity/-/delete"):
        assert client.get(url).status_code == 409
    assert client.post("/Home/-/rename", data={"csrf_token": token, "new_name": "Mapping/Home"}).status_code == 409
    home = client.get("/Home/-/edit").get_data(as_text=True)  # other sections are edited directly
    assert "Start a proposal with this text" not in home
    login_as(auth, client, "admin")
    assert "Start a proposal with this text" not in client.get("/Mapping/Cybersecurity/-/edit").get_data(as_text=True)


def test_an_update_with_overlaps_opens_the_conflict_editor_and_loses_nothing(client: FlaskClient, auth: Auth,
                                                                             store: Store) -> None:
    auth.login("editor")
    number = start(client)
    agreed = store.read_page("Mandate").text
    first_line = agreed.split("\n", 1)[0]
    edit_in(client, number, "Mandate", agreed.replace(first_line, "# The mandate as proposed", 1))
    html = client.get("/Mandate/-/edit").get_data(as_text=True)
    client.post("/Mandate/-/edit", data={"csrf_token": CSRF_RE.search(html).group(1), "summary": "",
                                         "base": store.head(), "text": agreed.replace(first_line, "# Agreed title", 1)})
    response = post(client, f"/-/proposals/{number}/update", {})
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/-/proposals/{number}/update")
    editor = client.get(f"/-/proposals/{number}/update").get_data(as_text=True)
    assert "&lt;&lt;&lt;&lt;&lt;&lt;&lt; your version" in editor and "The mandate as proposed" in editor
    assert "Agreed title" in editor
    head = store.proposals.get(number).head
    marked = "<<<<<<< your version\nx\n"
    still = post(client, f"/-/proposals/{number}/update", {"path-0": "Mandate.md", "text-0": marked},
                 form=f"/-/proposals/{number}/update")
    assert still.status_code == 422 and store.proposals.get(number).head == head
    settled = agreed.replace(first_line, "# The agreed title as proposed", 1)
    done = post(client, f"/-/proposals/{number}/update", {"path-0": "Mandate.md", "text-0": settled},
                form=f"/-/proposals/{number}/update")
    assert done.status_code == 302
    proposal = store.proposals.get(number)
    assert store.read_page("Mandate", proposal.head).text == settled
    assert store.proposals.preview(proposal).behind == 0 and not store.proposals.preview(proposal).conflicts


def test_search_can_be_limited_to_a_proposal(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    number = start(client)
    edit_in(client, number, "Mandate", "# Mandate\n\nThe zanzibar clause, proposed.\n")
    edit_in(client, number, "New_page", "# New page\n\nAnother zanzibar mention.\n")
    within = client.get(f"/-/search?q=zanzibar&proposal={number}").get_data(as_text=True)
    assert f'href="/Mandate?proposal={number}"' in within and f'href="/New_page?proposal={number}"' in within
    assert "<mark>zanzibar</mark>" in within.lower() or "zanzibar</mark>" in within
    # The proposal replaced the Mandate's text: the agreed text's words are not found in it.
    assert "?proposal=" not in client.get(f"/-/search?q=enhanced+cooperation&proposal={number}").get_data(as_text=True)
    assert "?proposal=" not in client.get("/-/search?q=zanzibar").get_data(as_text=True)  # nor it in the agreed text
    assert client.get("/-/search?q=x&proposal=999").status_code == 404


def test_pages_are_renamed_and_deleted_inside_a_proposal(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    number = start(client)
    view = client.get(f"/Mandate?proposal={number}").get_data(as_text=True)
    assert f'href="/Mandate/-/rename?proposal={number}"' in view and f'href="/Mandate/-/edit?proposal={number}"' in view
    token = CSRF_RE.search(client.get(f"/Mandate/-/rename?proposal={number}").get_data(as_text=True)).group(1)
    renamed = client.post(f"/Mandate/-/rename?proposal={number}", data={"csrf_token": token, "new_name": "The_Mandate"})
    assert renamed.status_code == 302 and renamed.headers["Location"].endswith(f"/The_Mandate?proposal={number}")
    deleted = client.post(f"/Home/-/delete?proposal={number}", data={"csrf_token": token})
    assert deleted.status_code == 302
    head = store.proposals.get(number).head
    assert store.page_exists("The_Mandate", head) and not store.page_exists("Mandate", head)
    assert not store.page_exists("Home", head)
    assert store.page_exists("Mandate") and store.page_exists("Home")  # the agreed text is untouched
    changed = {page for page, _, _ in store.proposals.preview(store.proposals.get(number)).pages}
    assert changed == {"Mandate", "The_Mandate", "Home"}
