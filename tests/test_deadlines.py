"""Deadlines and the silence procedure (issue 27, third part): a proposal's deadline and procedure
on the web form and in the API, kept in its create event in git; reminders a day before; under
silence, adoption at the deadline by a merge commit with a Silence-Procedure trailer, and an
objection before the deadline breaking the silence for good."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

from flask import Flask
from flask.testing import FlaskClient

from wiki.notify.scheduler import run_due

from .conftest import Auth, csrf_token, git

GROUPS = ("governments", "private-sector", "civil-society", "technical-academic", "international-organizations")


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def login_as(auth: Auth, client: FlaskClient, user: str) -> None:
    with client.session_transaction() as session:
        session.clear()
    auth.login(user)


def new_proposal(client: FlaskClient, **fields: str):  # noqa: ANN201
    return client.post("/-/proposals/new", data={"title": "Timed", "rationale": "Why.", **fields,
                                                 "csrf_token": csrf_token(client, "/-/proposals/new")})


def number_of(response) -> int:  # noqa: ANN001
    return int(re.search(r"/-/proposals/(\d+)", response.headers["Location"]).group(1))


def token(app: Flask, user: str) -> str:
    _, secret = app.extensions["wiki_tokens"].create(app.extensions["wiki_users"].require(user), "t", "write",
                                                     int(time.time()) + 3600)
    return secret


def run(app: Flask) -> dict[str, object]:
    with app.app_context():
        report = run_due(app)
    assert report is not None
    return report


def test_a_deadline_is_given_on_the_form_and_in_the_api_and_kept_in_git(app: Flask, client: FlaskClient,
                                                                       auth: Auth) -> None:
    auth.login("editor")
    past = stamp(datetime.now(UTC) - timedelta(hours=1))
    for bad, message in ((past, "has passed"), ("next tuesday", "ISO 8601"), ("2026-13-45", "ISO 8601")):
        response = new_proposal(client, deadline=bad)
        assert response.status_code == 400 and message in response.get_data(as_text=True), bad
    response = new_proposal(client, procedure="silence")
    assert response.status_code == 400 and "needs a deadline" in response.get_data(as_text=True)
    assert new_proposal(client, procedure="bogus").status_code == 400
    later = datetime.now(UTC) + timedelta(days=3)
    response = new_proposal(client, deadline=later.strftime("%Y-%m-%dT%H:%M"), procedure="silence")
    number = number_of(response)
    expected = later.strftime("%Y-%m-%dT%H:%M:00Z")
    page = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert f'<time dir="auto" datetime="{expected}">' in page
    assert "adopted at the deadline unless a group objects" in page
    assert "deadline" in client.get("/-/proposals").get_data(as_text=True)
    event = git(app.config["CONTENT_REPO"], "show", f"refs/heads/meta/proposals:{number}/" + git(
        app.config["CONTENT_REPO"], "ls-tree", "--name-only", f"refs/heads/meta/proposals:{number}/").split()[0])
    assert f"deadline: {expected}" in event and "procedure: silence" in event
    # the API: the same rules, the same record
    api = app.test_client()
    headers = {"Authorization": f"Bearer {token(app, 'editor')}"}
    answer = api.post("/-/api/v1/proposals", json={"title": "By API", "deadline": past}, headers=headers)
    assert answer.status_code == 400, answer.get_json()
    assert api.post("/-/api/v1/proposals", json={"title": "By API", "deadline": "soon"},
                    headers=headers).status_code == 400
    answer = api.post("/-/api/v1/proposals", json={"title": "By API", "deadline": "2999-01-02",
                                                   "procedure": "silence"}, headers=headers)
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["deadline"] == "2999-01-02T23:59:59Z" and answer.get_json()["procedure"] == "silence"
    listed = api.get("/-/api/v1/proposals?state=open", headers=headers).get_json()
    assert {row["deadline"] for row in listed["items"]} >= {expected, "2999-01-02T23:59:59Z"}


def test_a_reminder_goes_to_the_groups_awaited_a_day_before_once(app: Flask, client: FlaskClient,
                                                                 auth: Auth) -> None:
    auth.login("editor")
    number = number_of(new_proposal(client, deadline=stamp(datetime.now(UTC) + timedelta(hours=5))))
    login_as(auth, client, "reviewer")
    client.post("/-/notifications/read", data={"csrf_token": csrf_token(client, "/-/notifications")})
    login_as(auth, client, "admin")
    head = re.search(r'name="rev" value="([0-9a-f]+)"', client.get(f"/-/proposals/{number}").get_data(as_text=True))
    client.post(f"/-/proposals/{number}/endorse", data={"action": "endorse", "rev": head.group(1),
                                                        "csrf_token": csrf_token(client, f"/-/proposals/{number}")})
    client.post("/-/notifications/read", data={"csrf_token": csrf_token(client, "/-/notifications")})
    assert run(app)["deadlines"] == {"reminders": 1, "adopted": 0}
    assert run(app)["deadlines"] == {"reminders": 0, "adopted": 0}  # once per deadline
    inbox = client.get("/-/notifications").get_data(as_text=True)
    assert "Awaits your group" not in inbox and "You watch it" in inbox  # the admin's group endorsed (and watches)
    login_as(auth, client, "reviewer")
    inbox = client.get("/-/notifications").get_data(as_text=True)
    assert "The deadline for positions on proposal “Timed” is in less than a day" in inbox
    assert "Awaits your group" in inbox
    assert "Notifications (1 unread)" in inbox


def draft(app: Flask, client: FlaskClient, number: int) -> str:
    """Change Home inside the proposal; its new head."""
    html = client.get(f"/Home/-/edit?proposal={number}").get_data(as_text=True)
    base = re.search(r'name="base" value="([0-9a-f]*)"', html).group(1)
    response = client.post(f"/Home/-/edit?proposal={number}", data={
        "csrf_token": csrf_token(client, f"/Home/-/edit?proposal={number}"), "text": "# Home\n\nAdopted in silence.\n",
        "base": base, "summary": "silence"})
    assert response.status_code == 302
    return app.extensions["wiki_store"].proposals.get(number).head


def test_silence_adopts_the_proposal_at_its_deadline(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    number = number_of(new_proposal(client, deadline=stamp(deadline), procedure="silence"))
    head = draft(app, client, number)
    login_as(auth, client, "reviewer")
    client.post(f"/-/proposals/{number}/endorse", data={"action": "endorse", "rev": head,
                                                        "csrf_token": csrf_token(client, f"/-/proposals/{number}")})
    assert run(app)["deadlines"] == {"reminders": 1, "adopted": 0}  # before the deadline: nothing adopted
    time.sleep(max(0.0, deadline.timestamp() - time.time()) + 1.1)
    assert run(app)["deadlines"] == {"reminders": 0, "adopted": 1}
    assert run(app)["deadlines"] == {"reminders": 0, "adopted": 0}
    repo = app.config["CONTENT_REPO"]
    message = git(repo, "log", "-1", "--format=%B", "main")
    assert f"Silence-Procedure: {stamp(deadline)}" in message and f"Proposal: {number}" in message
    assert "Endorsed-By: technical-academic" in message
    assert sorted(re.findall(r"Silent-Group: (\S+)", message)) == sorted(g for g in GROUPS if g != "technical-academic")
    assert len(git(repo, "log", "-1", "--format=%P", "main").split()) == 2  # a real merge commit
    assert "Adopted in silence." in client.get("/Home").get_data(as_text=True)
    page = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "Merged into the agreed text." in page and "Adopted under the silence procedure" in page
    login_as(auth, client, "editor")
    assert "was adopted under the silence procedure" in client.get("/-/notifications").get_data(as_text=True)


def test_an_objection_before_the_deadline_breaks_the_silence(app: Flask, client: FlaskClient, auth: Auth) -> None:
    auth.login("editor")
    deadline = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=6)
    number = number_of(new_proposal(client, deadline=stamp(deadline), procedure="silence"))
    head = draft(app, client, number)
    login_as(auth, client, "reviewer")
    form = {"rev": head, "csrf_token": csrf_token(client, f"/-/proposals/{number}")}
    client.post(f"/-/proposals/{number}/endorse", data={**form, "action": "object", "reason": "Not in silence."})
    client.post(f"/-/proposals/{number}/endorse", data={**form, "action": "withdraw"})  # broken for good
    login_as(auth, client, "admin")
    inbox = client.get("/-/notifications").get_data(as_text=True)
    assert "reviewer broke the silence on proposal “Timed”: it stays open for consensus" in inbox
    time.sleep(max(0.0, deadline.timestamp() - time.time()) + 1.1)
    assert run(app)["deadlines"]["adopted"] == 0
    page = client.get(f"/-/proposals/{number}").get_data(as_text=True)
    assert "the silence was broken by an objection from" in page and "Merged into the agreed text." not in page
    assert "Adopted in silence." not in client.get("/Home").get_data(as_text=True)
    with app.test_request_context():
        from wiki.actions import deadlines
        from wiki.store.proposals import ProposalRefused

        try:
            deadlines.adopt(number)
        except ProposalRefused as error:
            assert "broke the silence" in error.message
        else:
            raise AssertionError("adopted although the silence was broken")
