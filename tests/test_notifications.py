"""Notifications and watchlists over HTTP (issue 27, first part): the inbox and its unread count,
marking read, /-/awaiting, watching pages and proposals, auto-watching, mentions, the settings."""

from __future__ import annotations

import re

from flask import Flask
from flask.testing import FlaskClient

from wiki.notify import Activity, Inbox, subject_of_page, subject_of_proposal

from .conftest import PASSWORD, Auth, csrf_token, save


def post(client: FlaskClient, url: str, data: dict[str, str] | None = None, form: str = "/-/notifications"):  # noqa: ANN201
    return client.post(url, data={"csrf_token": csrf_token(client, form), **(data or {})})


def login_as(auth: Auth, client: FlaskClient, user: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    auth.login(user)


def start(client: FlaskClient, title: str = "Clarify the mandate", rationale: str = "Because.") -> int:
    response = post(client, "/-/proposals/new", {"title": title, "rationale": rationale}, form="/-/proposals/new")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return int(re.search(r"/-/proposals/(\d+)", response.headers["Location"]).group(1))


def inbox_html(client: FlaskClient) -> str:
    response = client.get("/-/notifications")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def unread_in_header(client: FlaskClient) -> int:
    match = re.search(r"Notifications \((\d+) unread\)", client.get("/-/awaiting").get_data(as_text=True))
    return int(match.group(1)) if match else 0


def awaiting_in_header(client: FlaskClient) -> int:
    """The count beside the header's Proposals link (absent when nothing awaits my group)."""
    html = client.get("/-/changes").get_data(as_text=True)
    match = re.search(r'Proposals <span class="nav-count" aria-hidden="true">(\d+)</span>'
                      r'<span class="visually-hidden">\((\d+) awaits? my group\)</span></a>', html)
    assert match is None or match.group(1) == match.group(2)
    return int(match.group(1)) if match else 0


def test_a_new_proposal_awaits_every_group_and_its_reviewer_is_told(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    number = start(client, "Clarify the mandate")
    assert "Clarify the mandate" not in inbox_html(client)  # whoever acts is not told
    login_as(auth, client, "reviewer")
    assert unread_in_header(client) == 1
    assert awaiting_in_header(client) == 1
    html = inbox_html(client)
    assert "Awaits your group" in html and "Eda Editor" not in html and "editor proposed" in html
    assert f'href="/-/proposals/{number}"' in html
    awaiting = client.get("/-/awaiting").get_data(as_text=True)
    assert "Clarify the mandate" in awaiting and "has not decided" in awaiting
    # mark it read: the count drops; the row stays, read
    row = re.search(r'name="id" value="(\d+)"', html).group(1)
    assert post(client, "/-/notifications/read", {"id": row}).status_code == 302
    assert unread_in_header(client) == 0
    assert "Mark read" not in inbox_html(client)
    # the group endorses: the proposal no longer awaits it
    head = re.search(r'name="rev" value="([0-9a-f]+)"', client.get(f"/-/proposals/{number}").get_data(as_text=True))
    post(client, f"/-/proposals/{number}/endorse", {"action": "endorse", "rev": head.group(1)},
         form=f"/-/proposals/{number}")
    assert "Clarify the mandate" not in client.get("/-/awaiting").get_data(as_text=True)
    assert awaiting_in_header(client) == 0
    with client.session_transaction() as session:
        session.clear()
    assert "nav-count" not in client.get("/-/changes").get_data(as_text=True)  # visitors have no group


def test_answers_to_my_proposal_and_mentions_make_rows_unread_again(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    number = start(client)
    post(client, "/-/notifications/read")  # mark all read (nothing yet)
    login_as(auth, client, "reader")
    post(client, f"/-/proposals/{number}/comment", {"text": "What about @editor2 and @Reviewer?"},
         form=f"/-/proposals/{number}")
    login_as(auth, client, "editor")
    html = inbox_html(client)
    assert "Yours" in html and "reader commented on proposal" in html
    assert post(client, "/-/notifications/read").status_code == 302  # mark all read
    assert unread_in_header(client) == 0
    login_as(auth, client, "editor2")
    assert "You were mentioned" in inbox_html(client)
    login_as(auth, client, "reviewer")  # awaited, then mentioned: one row, the latest activity's reason
    html = inbox_html(client)
    assert html.count('class="notification unread"') == 1 and "You were mentioned" in html
    # the reader commented, so the reader watches the proposal now (the default setting)
    login_as(auth, client, "editor")
    post(client, f"/-/proposals/{number}/comment", {"text": "Answered."}, form=f"/-/proposals/{number}")
    assert unread_in_header(client) == 0
    login_as(auth, client, "reader")
    assert "You watch it" in inbox_html(client) and unread_in_header(client) == 1


def test_watching_a_page_and_stopping(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor2")
    assert ">Watch<" in client.get("/Home").get_data(as_text=True)
    response = post(client, "/Home/-/watch", {"watch": "1"}, form="/Home")
    assert response.status_code == 302 and response.headers["Location"].endswith("/Home")
    assert "Stop watching" in client.get("/Home").get_data(as_text=True)
    login_as(auth, client, "admin")
    assert save(client, "Home", "# Home\n\nChanged for the watchers.\n").status_code == 302
    login_as(auth, client, "editor2")
    html = inbox_html(client)
    assert "You watch it" in html and "admin changed Home" in html and 'href="/Home"' in html
    post(client, "/Home/-/watch", {"watch": "0"}, form="/Home")
    post(client, "/-/notifications/read")
    login_as(auth, client, "admin")
    save(client, "Home", "# Home\n\nChanged again.\n")
    login_as(auth, client, "editor2")
    assert unread_in_header(client) == 0


def test_watching_a_proposal_and_no_autowatch(client: FlaskClient, auth: Auth, app: Flask) -> None:
    auth.login("editor")
    number = start(client)
    login_as(auth, client, "editor2")
    response = post(client, "/-/account/notifications", {"awaiting": "never", "mine": "daily",
                                                         "watching": "weekly", "mention": "immediately"},
                    form="/-/account")  # autowatch unticked
    assert response.status_code == 302
    html = client.get("/-/account").get_data(as_text=True)
    assert re.search(r'<option value="weekly" selected>', html) and 'id="autowatch" name="autowatch" type="checkbox" ' \
        'value="1">' in html
    post(client, f"/-/proposals/{number}/comment", {"text": "A remark."}, form=f"/-/proposals/{number}")
    users = app.extensions["wiki_users"]
    inbox: Inbox = app.extensions["wiki_inbox"]
    assert not inbox.watching(users.require("editor2").id, subject_of_proposal(number))
    assert post(client, f"/-/proposals/{number}/watch", form=f"/-/proposals/{number}").status_code == 302
    assert inbox.watching(users.require("editor2").id, subject_of_proposal(number))
    assert post(client, "/-/proposals/999/watch", form="/-/proposals").status_code == 404


def test_bad_input_is_a_4xx(client: FlaskClient, auth: Auth) -> None:
    assert client.get("/-/notifications").status_code == 302  # log in first
    auth.login("reader")
    assert post(client, "/-/notifications/read", {"id": "x1"}).status_code == 400
    assert post(client, "/-/notifications/read", {"id": "99999"}).status_code == 302  # not yours, nothing changes
    assert post(client, "/-/account/notifications", {"awaiting": "hourly"}, form="/-/account").status_code == 400
    assert client.get("/-/notifications?p=0").status_code == 400


def test_telling_200_watchers_reaches_each_once(app: Flask) -> None:
    """Creating a proposal with 200 reviewers watching: the inbox rows are one statement."""
    users = app.extensions["wiki_users"]
    inbox: Inbox = app.extensions["wiki_inbox"]
    ids = [users.create(f"watcher{n}", PASSWORD, group="governments", role="reviewer").id for n in range(200)]
    for user_id in ids:
        inbox.watch(user_id, subject_of_page("Home"))
    for attempt in range(7):  # the time it takes is measured by make bench (bench/parts/notifications.py)
        activity = Activity(subject_of_proposal(attempt + 1), "proposed", "editor", "A title", proposal=attempt + 1,
                            owners=("editor",), groups=("governments",), watched=(subject_of_page("Home"),))
        told = inbox.deliver(activity)
        assert len(told) == 201  # the 200 watchers and the reader, a member of the group
    assert inbox.unread(ids[0]) == 7


def test_watching_a_section_tells_of_its_pages(client: FlaskClient, auth: Auth) -> None:
    auth.login("editor2")
    html = client.get("/Mapping").get_data(as_text=True)
    assert "Watch with subpages" in html
    post(client, "/Mapping/-/watch", {"watch": "1", "scope": "section"}, form="/Mapping")
    assert "Stop watching subpages" in client.get("/Mapping").get_data(as_text=True)
    assert ">Watch<" in client.get("/Mapping").get_data(as_text=True)  # the page alone is not watched
    login_as(auth, client, "admin")
    assert save(client, "Mapping/Cybersecurity", "# Cybersecurity\n\nChanged under the section.\n").status_code == 302
    login_as(auth, client, "editor2")
    html = inbox_html(client)
    assert "admin changed Mapping/Cybersecurity" in html and "You watch it" in html


def test_awaiting_lists_open_objections_and_questions_on_my_groups_proposals(client: FlaskClient, auth: Auth,
                                                                             app: Flask) -> None:
    auth.login("editor")  # civil society
    number = start(client, "Reword the mandate")
    store = app.extensions["wiki_store"]
    head = store.proposals.get(number).head
    login_as(auth, client, "reader")
    for kind, text in (("objection", "We object to this."), ("question", "Why this word?"), ("comment", "Fine.")):
        response = client.post("/Mandate/-/comments", data={
            "csrf_token": csrf_token(client, "/Mandate"), "rev": head, "text": text, "kind": kind,
            "paragraph": "1", "proposal": str(number)})
        assert response.status_code == 303, response.get_data(as_text=True)[:300]
    login_as(auth, client, "editor")
    html = client.get("/-/awaiting").get_data(as_text=True)
    section = html.split("Open objections and questions on your group", 1)[1]
    assert ">Objection<" in section and ">Question<" in section and ">Comment<" not in section
    assert f'href="/-/proposals/{number}"' in section
    login_as(auth, client, "editor2")  # another group: not theirs
    html = client.get("/-/awaiting").get_data(as_text=True)
    assert "None open." in html.split("Open objections and questions on your group", 1)[1]
