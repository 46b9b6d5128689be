"""The record of consensus tells the truth (issue 23): the history of the agreed text lists an
adopted proposal once, as its adoption; the groups' consensus carries to the pages it changed; and
every position a group took stays in the proposal's record."""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient

from wiki.store import Author, Store

from .conftest import PASSWORD
from .support.app import Auth, bearer, csrf_token

API = "/-/api/v1"
REVIEWERS = {"governments": "gov", "private-sector": "priv", "civil-society": "civ",
             "technical-academic": "reviewer", "international-organizations": "admin"}




def test_a_proposal_adopted_by_all_five_groups_is_one_entry_of_the_agreed_texts_record(
        app: Flask, client: FlaskClient) -> None:
    users = app.extensions["wiki_users"]
    for group, name in REVIEWERS.items():
        if users.by_username(name) is None:
            users.create(name, PASSWORD, group=group, role="reviewer", display_name=name.title(),
                         email=f"{name}@example.org")
    tokens = {group: bearer(app, name) for group, name in REVIEWERS.items()}
    editor = bearer(app, "editor")
    store = app.extensions["wiki_store"]
    before = store.head()
    agreed = client.get(f"{API}/pages/Mandate").get_json()

    number = client.post(f"{API}/proposals", headers=editor, json={"title": "Clearer mandate"}).get_json()["number"]
    first = agreed["text"].replace("# Mandate", "# Mandate\n\nFirst draft sentence.", 1)
    draft = client.put(f"{API}/pages/Mandate?proposal={number}", headers=editor,
                       json={"text": first, "base": agreed["revision"]})
    assert draft.status_code == 200, draft.get_data(as_text=True)
    second = first + "\nSecond draft paragraph.\n"
    assert client.put(f"{API}/pages/Mandate?proposal={number}", headers=editor,
                      json={"text": second, "base": draft.get_json()["revision"]}).status_code == 200
    head = client.get(f"{API}/proposals/{number}").get_json()["head"]

    def position(group: str, action: str, reason: str = "") -> None:
        answer = client.post(f"{API}/proposals/{number}/positions", headers=tokens[group],
                             json={"action": action, "rev": head, "reason": reason})
        assert answer.status_code == 200, answer.get_data(as_text=True)

    position("private-sector", "object", "The second paragraph overreaches.")
    awaiting = client.get(f"{API}/proposals?awaiting=private-sector&state=open").get_json()["items"]
    assert [item["number"] for item in awaiting] == [number]
    page = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "Blocked by an objection from" in page
    listed = client.get("/-/proposals?state=open").get_data(as_text=True)
    assert 'title="The second paragraph overreaches.">objects</span>' in listed  # not an empty "Awaiting"
    position("private-sector", "withdraw")
    for group in REVIEWERS:
        position(group, "endorse")
    page = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "Consensus reached" in page

    merged = client.post(f"{API}/proposals/{number}/merge", headers=tokens["technical-academic"], json={})
    assert merged.status_code == 200, merged.get_data(as_text=True)
    merge = merged.get_json()["commit"]

    history = client.get(f"{API}/history/Mandate").get_json()["items"]
    assert history[0]["id"] == merge and history[1]["id"] == before
    diff = client.get(f"{API}/diff/Mandate").get_data(as_text=True)
    assert "First draft sentence." in diff and "Second draft paragraph." in diff
    endorsements = client.get(f"{API}/endorsements/Mandate").get_json()
    assert endorsements["consensus"] is True, endorsements
    record = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "The second paragraph overreaches." in record and "withdrew its position" in record
    html_history = client.get("/Mandate/-/history").get_data(as_text=True)
    assert f'href="/-/proposals/{number}"' in html_history and "Adopted:" in html_history
    blame = client.get("/Mandate/-/blame").get_data(as_text=True)
    assert f"adopted with proposal {number}" in blame  # the drafter's line says in which adoption it came
    assert "2 drafts in the proposal" in html_history and "Second draft" not in html_history.split("<details")[0]


def test_a_new_instance_changes_by_consensus_and_the_secretariat_edits_directly(tmp_path: Path) -> None:
    from wiki import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "test", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                     instance_path=str(tmp_path / "instance"))
    runner = app.test_cli_runner()
    made = runner.invoke(args=["init"])
    assert made.exit_code == 0 and "secretariat" in made.output, made.output
    assert "PROPOSALS_REQUIRED = True" in (tmp_path / "instance" / "config.py").read_text(encoding="utf-8")
    assert app.extensions["wiki_users"].by_username("admin").group == "secretariat"
    for name, group in (("sec", "secretariat"), ("eda", "civil-society")):
        created = runner.invoke(args=["users", "create", name, "--group", group, "--role", "editor",
                                      "--display-name", name.title(), "--password-stdin"], input=PASSWORD + "\n")
        assert created.exit_code == 0, created.output
    client = app.test_client()
    store = app.extensions["wiki_store"]
    body = {"text": "# Mandate\n\nAn editorial fix.\n", "base": store.head()}
    refused = client.put(f"{API}/pages/Mandate", headers=bearer(app, "eda"), json=body)
    assert refused.status_code == 409
    saved = client.put(f"{API}/pages/Mandate", headers=bearer(app, "sec"), json=body)
    assert saved.status_code == 200, saved.get_data(as_text=True)
    raw = store.reader.run("cat-file", "commit", saved.get_json()["commit"]).stdout.decode()
    assert "Stakeholder-Group: secretariat" in raw
    history = client.get("/Mandate/-/history", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Secrétariat" in history
    created = client.post(f"{API}/proposals", headers=bearer(app, "eda"), json={"title": "A change"}).get_json()
    assert "secretariat" not in str(created)  # never awaited, never counted
    awaiting = client.get(f"{API}/proposals?awaiting=secretariat")
    assert awaiting.status_code == 400  # the secretariat is never awaited: not a stakeholder group
    store.close()


def test_only_the_author_the_secretariat_and_admins_close_and_reopen(app: Flask, client: FlaskClient) -> None:
    store = app.extensions["wiki_store"]
    number = client.post(f"{API}/proposals", headers=bearer(app, "editor"), json={"title": "Mine"}).get_json()["number"]
    drafter = Author(name="Pat Second", email="editor2@example.org", username="editor2", group="private-sector")
    store.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\nA drafter's line.\n",
                                               base=store.head(), summary="draft", author=drafter)

    def post(user: str, action: str, reason: str) -> int:
        browser = app.test_client()
        Auth(browser).login(user)
        token = csrf_token(browser, f"/-/proposals/{number}")
        return browser.post(f"/-/proposals/{number}/{action}", data={"reason": reason, "csrf_token": token}).status_code

    assert post("editor2", "close", "Not mine to close") == 403  # a drafter is not the author
    assert post("editor", "close", "") == 400
    assert post("editor", "close", "Superseded by proposal 2") == 302
    assert store.proposals.get(number).state == "closed"
    assert post("editor2", "reopen", "Please") == 403
    assert post("admin", "reopen", "The chair asked") == 302
    assert store.proposals.get(number).state == "open"


def test_an_objection_and_a_merge_sent_at_once_never_both_land(app: Flask) -> None:
    """Issue 24, item 3: consensus is read and the merge lands under one lock with the positions."""

    from wiki.store.proposals import ProposalRefused

    store = app.extensions["wiki_store"]
    groups = tuple(app.config["GROUPS"])
    people = {group: Author(name=group, email=f"{group}@example.org", username=f"u-{group}", group=group)
              for group in groups}
    for round_ in range(6):
        proposal = store.proposals.create(f"Race {round_}", "", author=people["civil-society"])
        store.proposals.pages_of(proposal.number).save_page(
            "Mandate", store.read_page("Mandate").text + f"\nRound {round_}.\n", base=store.head(), summary="draft",
            author=people["civil-society"])
        head = store.proposals.get(proposal.number).head
        for group in groups:
            store.proposals.position(proposal.number, "endorse", head, reason="", author=people[group])
        outcomes = race(store, proposal.number, head, people, groups)
        merged = isinstance(outcomes["merge"], str)
        assert not (merged and outcomes["object"] == "recorded"), outcomes
        assert merged or isinstance(outcomes["merge"], ProposalRefused)
        if merged:
            raw = store.reader.run("cat-file", "commit", outcomes["merge"]).stdout.decode()
            assert "Endorsed-By: private-sector" in raw


def race(store: Store, number: int, head: str, people: dict[str, Author], groups: tuple[str, ...]
         ) -> dict[str, object]:
    """An objection and a merge of proposal ``number`` sent at the same moment; what each got."""
    import threading

    from wiki.store.proposals import ProposalRefused

    outcomes: dict[str, object] = {}
    start = threading.Barrier(2)

    def object_() -> None:
        start.wait()
        try:
            store.proposals.position(number, "object", head, reason="No.", author=people["private-sector"])
            outcomes["object"] = "recorded"
        except ProposalRefused as error:
            outcomes["object"] = error

    def merge() -> None:
        start.wait()
        try:
            outcomes["merge"] = store.merge_proposal(number, groups=groups, author=people["governments"],
                                                     display_name="Gov", admin=False)
        except ProposalRefused as error:
            outcomes["merge"] = error

    threads = [threading.Thread(target=object_), threading.Thread(target=merge)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


def test_a_stale_position_says_what_it_was_and_links_the_changes_since(app: Flask, client: FlaskClient) -> None:
    store = app.extensions["wiki_store"]
    drafter = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    proposal = store.proposals.create("Stale", "", author=drafter)
    pages = store.proposals.pages_of(proposal.number)
    pages.save_page("Mandate", store.read_page("Mandate").text + "\nFirst.\n", base=store.head(), summary="one",
                    author=drafter)
    seen = store.proposals.get(proposal.number).head
    governments = Author(name="Gov", email="g@example.org", username="gov", group="governments")
    store.proposals.position(proposal.number, "object", seen, reason="Too long.", author=governments)
    pages.save_page("Mandate", store.read_page("Mandate", seen).text + "\nSecond.\n", base=seen, summary="two",
                    author=drafter)
    page = client.get(f"/-/proposals/{proposal.number}").get_data(as_text=True)
    assert "spoke on an earlier version (stale): objected" in page and "Too long." in page
    assert f"from={seen}" in page  # the link to what changed since that position


def test_an_admins_merge_without_consensus_is_shown_as_an_override(app: Flask, client: FlaskClient) -> None:
    created = client.post(f"{API}/proposals", headers=bearer(app, "editor"), json={"title": "Quick"})
    number = created.get_json()["number"]
    store = app.extensions["wiki_store"]
    drafter = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    store.proposals.pages_of(number).save_page("Mandate", store.read_page("Mandate").text + "\nQuick.\n",
                                               base=store.head(), summary="draft", author=drafter)
    merged = client.post(f"{API}/proposals/{number}/merge", headers=bearer(app, "admin"),
                         json={"reason": "The session closes today"})
    assert merged.status_code == 200, merged.get_data(as_text=True)
    page = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "without the consensus of every group" in page and "The session closes today" in page
