"""Reviewing the living document: blame, changes, feed, contributions, versions, compare, endorsements.

Each route is driven through the test client; what it writes is read back with the git command
line, and a fresh clone shows the same tags, notes and trailers.
"""

from __future__ import annotations

import re
import subprocess
import threading
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.store import Author, Store

from .conftest import Auth, csrf_token, git, save

ATOM = "{http://www.w3.org/2005/Atom}"
PAGE = "Mapping/Cybersecurity"


def review(app: Flask) -> Store:
    return app.extensions["wiki_store"]


def post(client: FlaskClient, url: str, data: dict[str, str], form_url: str = "/-/versions"):  # noqa: ANN201
    return client.post(url, data={"csrf_token": csrf_token(client, form_url), **data})


def login_as(auth: Auth, client: FlaskClient, user: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    auth.login(user)


def edit_as(auth: Auth, client: FlaskClient, user: str, page: str, text: str, summary: str) -> None:
    login_as(auth, client, user)
    assert save(client, page, text, summary).status_code == 302


@pytest.fixture
def history(app: Flask, client: FlaskClient, auth: Auth) -> Store:
    """Three edits of one page by editors of two groups on top of the seed import."""
    store: Store = app.extensions["wiki_store"]
    base = store.read_page(PAGE).text
    edit_as(auth, client, "editor", PAGE, base + "\nCivil society paragraph.\n", "Add civil society text")
    edit_as(auth, client, "editor2", PAGE, base + "\nCivil society paragraph.\n\nPrivate sector line.\n",
            "Add private sector text")
    edit_as(auth, client, "editor", "Mandate", store.read_page("Mandate").text + "\nMandate note.\n", "Note")
    with client.session_transaction() as session:
        session.clear()
    return store


# --------------------------------------------------------------------------- blame


def test_blame_attributes_lines_and_shares_by_group(app: Flask, client: FlaskClient, history: Store) -> None:
    html = client.get(f"/{PAGE}/-/blame").get_data(as_text=True)
    assert "Share of the text by group" in html
    blame = review(app).blame(PAGE)
    shares = {share.group: share.lines for share in blame.shares}
    assert shares["civil-society"] == 1 and shares["private-sector"] == 1  # text lines; blank lines count for nobody
    lines_with_words = [line for line in history.read_page(PAGE).text.splitlines() if re.search(r"\w", line)]
    assert sum(shares.values()) == blame.total_lines == len(lines_with_words)
    assert 'class="blame-marker group-private-sector"' in html and "Pat Second" in html
    # The git command line agrees on which commit wrote the last line.
    porcelain = git(history.path, "blame", "--porcelain", "main", "--", f"{PAGE}.md")
    last_commit = porcelain.split("\n\t")[-2].rsplit("\n", 1)[-1][:40]
    assert blame.blocks[-1].commit.id == last_commit
    assert git(history.path, "log", "-1", "--format=%(trailers:key=Stakeholder-Group,valueonly)",
               last_commit).strip() == "private-sector"


def test_blame_keeps_origin_across_a_rename(app: Flask, client: FlaskClient, auth: Auth, history: Store) -> None:
    auth.login("editor")
    response = client.post(f"/{PAGE}/-/rename", data={"csrf_token": csrf_token(client, f"/{PAGE}/-/rename"),
                                                       "new_name": "Mapping/Cyber"})
    assert response.status_code == 302
    blame = review(app).blame("Mapping/Cyber")
    groups = {share.group for share in blame.shares}
    assert {"civil-society", "private-sector", "international-organizations"} <= groups
    assert client.get("/Mapping/Cyber/-/blame").status_code == 200
    old = history.page_history("Mapping/Cyber")[1].id  # before the rename: found under its old name
    assert review(app).blame("Mapping/Cyber", old).page == PAGE


def test_blame_of_missing_page_or_bad_revision_is_404(client: FlaskClient) -> None:
    assert client.get("/No_such_page/-/blame").status_code == 404
    assert client.get(f"/{PAGE}/-/blame?rev=zzzz").status_code == 404
    assert client.get(f"/{PAGE}/-/blame?rev=--output=x").status_code == 404


# --------------------------------------------------------------------------- changes and feed


def test_changes_lists_newest_first_and_filters(client: FlaskClient, history: Store) -> None:
    html = client.get("/-/changes").get_data(as_text=True)
    assert html.index("Note") < html.index("Add private sector text") < html.index("Add civil society text")
    only = client.get("/-/changes?group=private-sector").get_data(as_text=True)
    assert "Add private sector text" in only and "Add civil society text" not in only
    by_user = client.get("/-/changes?user=editor").get_data(as_text=True)
    assert "Add civil society text" in by_user and "Note" in by_user and "Add private sector text" not in by_user
    by_page = client.get("/-/changes?page=Mandate").get_data(as_text=True)
    assert "Note" in by_page and "Add civil society text" not in by_page
    by_section = client.get("/-/changes?section=Mapping").get_data(as_text=True)
    assert "Add civil society text" in by_section and ">Note<" not in by_section
    assert f'href="/{PAGE}/-/diff?to=' in only  # each row links to its diff
    future = client.get("/-/changes?since=2099-01-01").get_data(as_text=True)
    assert "No changes match" in future
    past = client.get("/-/changes?until=2000-01-01").get_data(as_text=True)
    assert "No changes match" in past


def test_changes_are_paged(app: Flask, client: FlaskClient, auth: Auth, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wiki.views.changes.CHANGES_PAGE_SIZE", 2)
    auth.login("editor")
    for number in range(3):
        save(client, "Paged", f"text {number}\n", f"Paged edit {number}")
    first = client.get("/-/changes").get_data(as_text=True)
    assert "Paged edit 2" in first and "Paged edit 1" in first and "Paged edit 0" not in first
    assert "p=2" in first
    second = client.get("/-/changes?p=2").get_data(as_text=True)
    assert "Paged edit 0" in second and "Paged edit 2" not in second


@pytest.mark.parametrize(("query", "message"), [
    ("group=nobody", "no stakeholder group"),
    ("user=bad%20name", "not a valid user name"),
    ("since=2014-02-30", "YYYY-MM-DD"),
    ("until=yesterday", "YYYY-MM-DD"),
    ("since=2014-03-01&until=2014-02-01", "after"),
    ("page=..%2Fetc", "page name"),
    ("group=governments&group=civil-society", "more than once"),
    ("since=2999-01-01", "between 1970 and 2099"),
])
def test_changes_reject_bad_filters(client: FlaskClient, query: str, message: str) -> None:
    for url in (f"/-/changes?{query}", f"/-/changes.atom?{query}"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert message in response.get_data(as_text=True)
    assert client.get("/-/changes?p=0").status_code == 400


def test_atom_feed_is_valid_and_filtered(client: FlaskClient, history: Store) -> None:
    response = client.get("/-/changes.atom?group=civil-society")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)
    assert feed.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated", "author"):
        assert feed.find(f"{ATOM}{required}") is not None
    entries = feed.findall(f"{ATOM}entry")
    titles = [entry.findtext(f"{ATOM}title") for entry in entries]
    assert titles == ["Note", "Add civil society text"]
    for entry in entries:
        for required in ("id", "title", "updated", "author", "link", "summary"):
            assert entry.find(f"{ATOM}{required}") is not None, required
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00\Z", entry.findtext(f"{ATOM}updated"))
        assert entry.find(f"{ATOM}category").get("term") == "civil-society"
    assert len({entry.findtext(f"{ATOM}id") for entry in entries}) == len(entries)


# --------------------------------------------------------------------------- contributions


def test_contributions_by_group_and_user_with_svg_charts(app: Flask, client: FlaskClient, auth: Auth,
                                                         history: Store) -> None:
    html = client.get("/-/contributions").get_data(as_text=True)
    assert "<svg" in html and "<rect" in html and html.count("<script") == 1  # only the site's wiki.js
    summary = review(app).contributions()
    groups = {tally.key: tally for tally in summary.groups}
    assert groups["civil-society"].commits == 2 and groups["civil-society"].pages == 2
    assert groups["private-sector"].commits == 1 and groups["private-sector"].added == 2
    users = {tally.key: tally for tally in summary.users}
    assert users["editor"].commits == 2 and users["editor2"].commits == 1
    # A new commit is added to the totals carried forward from the previous tip.
    edit_as(auth, client, "editor2", "Mandate", "Short.\n", "Shorten")
    after = {tally.key: tally for tally in review(app).contributions().groups}
    assert after["private-sector"].commits == 2 and after["private-sector"].removed > 0
    assert "Shorten" not in client.get("/-/contributions").get_data(as_text=True)  # totals, not a log


# --------------------------------------------------------------------------- versions and compare


def test_reviewer_marks_a_version_as_an_annotated_tag(app: Flask, client: FlaskClient, auth: Auth,
                                                      history: Store) -> None:
    auth.login("reviewer")
    response = post(client, "/-/versions", {"title": "Chair's draft, 28 February 2014"})
    assert response.status_code == 302
    name = "chairs-draft-28-february-2014"
    assert git(history.path, "cat-file", "-t", f"refs/tags/{name}").strip() == "tag"
    assert git(history.path, "rev-parse", f"{name}^{{commit}}").strip() == history.head()
    body = git(history.path, "tag", "-l", "--format=%(contents:subject)|%(taggername)|"
               "%(trailers:key=Stakeholder-Group,valueonly)", name)
    assert body.strip() == "Chair's draft, 28 February 2014|Rev Iewer|technical-academic"
    html = client.get("/-/versions").get_data(as_text=True)
    assert name in html and "Chair&#39;s draft" in html
    # Any page can be read at the version by its name.
    assert client.get(f"/{PAGE}?rev={name}").status_code == 200
    assert client.get(f"/{PAGE}/-/blame?rev={name}").status_code == 200
    ok, report = history.fsck()
    assert ok, report


@pytest.mark.parametrize(("data", "code", "message"), [
    ({"title": "Draft", "name": "Bad Name"}, 400, "lowercase letters"),
    ({"title": "Draft", "name": "--force"}, 400, "lowercase letters"),
    ({"title": "Draft", "name": "deadbeef"}, 400, "hexadecimal"),
    ({"title": "Draft", "name": "refs-ok", "rev": "HEAD~1"}, 404, "No such revision"),
    ({"title": ""}, 400, "Give the version a title"),
])
def test_bad_versions_are_refused(client: FlaskClient, auth: Auth, data: dict[str, str], code: int,
                                  message: str) -> None:
    auth.login("reviewer")
    response = post(client, "/-/versions", data)
    assert response.status_code == code
    assert message in response.get_data(as_text=True)


def test_versions_need_the_reviewer_role_and_unique_names(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    assert post(client, "/-/versions", {"title": "Mine"}).status_code == 403
    auth.logout()
    auth.login("reviewer")
    assert post(client, "/-/versions", {"title": "Mine"}).status_code == 302
    again = post(client, "/-/versions", {"title": "Mine"})
    assert again.status_code == 409 and "already exists" in again.get_data(as_text=True)
    assert git(store.path, "tag", "-l").split() == ["mine"]


def test_compare_two_versions_of_the_whole_document(app: Flask, client: FlaskClient, auth: Auth,
                                                    store: Store) -> None:
    auth.login("reviewer")
    assert post(client, "/-/versions", {"title": "Before", "name": "before"}).status_code == 302
    edit_as(auth, client, "editor", PAGE, store.read_page(PAGE).text.replace("Cybersecurity", "Cyber-security", 1),
            "Retitle")
    edit_as(auth, client, "editor2", "Brand_new", "A new page.\n", "Create")
    client.post("/Questionnaire/Role_of_stakeholders/-/rename", data={
        "csrf_token": csrf_token(client, "/Questionnaire/Role_of_stakeholders/-/rename"),
        "new_name": "Questionnaire/Stakeholders"})
    client.post("/Questionnaire/Role_of_developing_countries/-/delete", data={
        "csrf_token": csrf_token(client, "/Questionnaire/Role_of_developing_countries/-/delete")})
    login_as(auth, client, "reviewer")
    assert post(client, "/-/versions", {"title": "After", "name": "after"}).status_code == 302
    comparison = review(app).compare("before", "after")
    found = {item.change.page: (item.change.status, item.change.old_page, item.groups) for item in comparison.pages}
    assert found == {
        PAGE: ("changed", "", ("civil-society",)),
        "Brand_new": ("added", "", ("private-sector",)),
        "Questionnaire/Stakeholders": ("renamed", "Questionnaire/Role_of_stakeholders", ("private-sector",)),
        "Questionnaire/Role_of_developing_countries": ("removed", "", ("private-sector",)),
    }
    html = client.get("/-/compare?from=before&to=after").get_data(as_text=True)
    assert "<ins>Cyber-security</ins>" in html or "<ins>-</ins>" in html  # a word-level diff
    assert "renamed from <bdi>Questionnaire/Role_of_stakeholders</bdi>" in html
    names = git(store.path, "diff", "--name-status", "-M", "before", "after").split()
    assert "Brand_new.md" in names and "Questionnaire/Stakeholders.md" in names
    assert client.get(f"/-/compare?from={comparison.from_commit}").status_code == 200  # to defaults to now


@pytest.mark.parametrize(("query", "code"), [
    ("", 400), ("from=no-such-version", 404), ("from=abcdef0", 404), ("from=HEAD~1", 404),
    ("from=--all", 404), ("from=a&from=b", 400),
])
def test_compare_rejects_bad_revisions(client: FlaskClient, query: str, code: int) -> None:
    response = client.get(f"/-/compare?{query}")
    assert response.status_code == code
    assert "error-message" in response.get_data(as_text=True)


# --------------------------------------------------------------------------- endorsements


def endorse(client: FlaskClient, page: str, action: str = "endorse", rev: str | None = None,
            store: Store | None = None):  # noqa: ANN201
    seen = rev or (store.last_change(page).id if store else "")
    return client.post(f"/{page}/-/endorse", data={
        "csrf_token": csrf_token(client, f"/{page}/-/endorse"), "action": action, "rev": seen})


def test_endorse_is_a_git_note_and_shows_on_the_page(app: Flask, client: FlaskClient, auth: Auth,
                                                     store: Store) -> None:
    auth.login("reviewer")
    response = endorse(client, PAGE, store=store)
    assert response.status_code == 302
    last = store.last_change(PAGE).id
    note = git(store.path, "notes", "--ref=endorsements", "show", last)
    assert re.fullmatch(r"technical-academic reviewer \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ endorse "
                        r"Mapping/Cybersecurity\n", note)
    log = git(store.path, "log", "-1", "--format=%(trailers:key=Wiki-User,valueonly)", "refs/notes/endorsements")
    assert log.strip() == "reviewer"
    html = client.get(f"/{PAGE}").get_data(as_text=True)
    assert "Endorsements: <span class=\"endorsement-status\">partly endorsed</span>" in html
    assert "endorses the current text" in html
    again = endorse(client, PAGE, store=store)
    assert again.status_code == 409 and "already endorses" in again.get_data(as_text=True)
    assert endorse(client, PAGE, "withdraw", store=store).status_code == 302
    assert git(store.path, "notes", "--ref=endorsements", "show", last).count("\n") == 2
    assert "not endorsed" in client.get(f"/{PAGE}").get_data(as_text=True)


def test_consensus_stale_marks_and_diff_links(app: Flask, client: FlaskClient, auth: Auth, store: Store) -> None:
    app.config["GROUPS"] = {"technical-academic": "Technical", "civil-society": "Civil society"}
    users = app.extensions["wiki_users"]
    users.set_role("editor", "reviewer")
    for user in ("reviewer", "editor"):
        login_as(auth, client, user)
        assert endorse(client, PAGE, store=store).status_code == 302
    consensus_rev = store.last_change(PAGE).id
    html = client.get(f"/{PAGE}").get_data(as_text=True)
    assert "Consensus: every stakeholder group endorses the current text." in html
    assert review(app).endorsement_overview(tuple(app.config["GROUPS"]))["consensus"][0].page == PAGE
    save(client, PAGE, "Rewritten.\n", "Rewrite")
    state = review(app).page_endorsements(PAGE, tuple(app.config["GROUPS"]))
    assert state.status == "stale" and not state.consensus and state.last_consensus == consensus_rev
    html = client.get(f"/{PAGE}").get_data(as_text=True)
    assert "stale" in html
    assert f"/{PAGE}/-/diff?from={consensus_rev}" in html  # from the last consensus revision to now
    listing = client.get("/-/endorsements").get_data(as_text=True)
    assert listing.index("Stale (1)") < listing.index(PAGE)
    # Endorsing what one read after the page changed is refused.
    stale = endorse(client, PAGE, rev=consensus_rev)
    assert stale.status_code == 409 and "changed since you read it" in stale.get_data(as_text=True)


def test_endorse_needs_reviewer_and_valid_input(client: FlaskClient, auth: Auth, store: Store) -> None:
    auth.login("editor")
    assert endorse(client, PAGE, store=store).status_code == 403
    auth.logout()
    auth.login("reviewer")
    assert endorse(client, PAGE, "approve", store=store).status_code == 400
    assert endorse(client, "No_such_page", rev=store.head()).status_code == 404
    assert endorse(client, PAGE, rev="--help").status_code == 404
    nothing = endorse(client, PAGE, "withdraw", store=store)
    assert nothing.status_code == 409
    assert "no endorsement of this page to withdraw" in nothing.get_data(as_text=True)


def test_concurrent_endorsements_are_all_kept(app: Flask, store: Store) -> None:
    """Reviewers of several groups endorsing at once: the notes ref moves by compare-and-swap."""
    groups = list(app.config["GROUPS"])
    last = store.last_change(PAGE).id
    errors: list[BaseException] = []

    def run(group: str) -> None:
        worker = Store(store.path)
        try:
            worker.endorse(PAGE, last, action="endorse",
                           author=Author(name=group, email=f"{group}@example.org", username=f"u-{group}", group=group))
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            worker.close()

    threads = [threading.Thread(target=run, args=(group,)) for group in groups]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors
    lines = git(store.path, "notes", "--ref=endorsements", "show", last).splitlines()
    assert sorted(line.split()[0] for line in lines) == sorted(groups)
    assert review(app).page_endorsements(PAGE, tuple(groups)).consensus


# --------------------------------------------------------------------------- a clone carries it all


def test_clone_carries_tags_notes_and_trailers(app: Flask, client: FlaskClient, auth: Auth, history: Store,
                                               tmp_path: Path) -> None:
    auth.login("reviewer")
    assert post(client, "/-/versions", {"title": "Chair's draft", "name": "chairs-draft"}).status_code == 302
    assert endorse(client, PAGE, store=history).status_code == 302
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(history.path), str(clone)], check=True, capture_output=True)
    subprocess.run(["git", "-C", str(clone), "fetch", "--quiet", "origin", "refs/notes/*:refs/notes/*",
                    "refs/tags/*:refs/tags/*"], check=True, capture_output=True)
    repo = clone / ".git"
    assert git(repo, "tag", "-l", "--format=%(refname:short) %(contents:subject)").strip() == \
        "chairs-draft Chair's draft"
    last = history.last_change(PAGE).id
    assert git(repo, "notes", "--ref=endorsements", "show", last) == \
        git(history.path, "notes", "--ref=endorsements", "show", last)
    trailers = git(repo, "log", "--format=%(trailers:key=Stakeholder-Group,valueonly)", "origin/main")
    assert trailers.split() == git(history.path, "log", "--format=%(trailers:key=Stakeholder-Group,valueonly)",
                                   "main").split()
    assert git(repo, "rev-parse", "chairs-draft^{commit}") == git(history.path, "rev-parse", "chairs-draft^{commit}")


def test_page_actions_link_blame_and_endorse(client: FlaskClient, auth: Auth) -> None:
    html = client.get(f"/{PAGE}").get_data(as_text=True)
    assert f'href="/{PAGE}/-/blame"' in html and f'href="/{PAGE}/-/endorse"' not in html
    auth.login("reviewer")
    html = client.get(f"/{PAGE}").get_data(as_text=True)
    assert f'href="/{PAGE}/-/endorse"' in html
