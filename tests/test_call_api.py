"""Calls for input through the JSON API (issue 30): the secretariat opens a call, respondents send
and change their responses until the deadline, readers see names only where consent allows, and
bad input is a problem with a message while nothing is saved."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.actions import calls as call_actions
from wiki.store.call_model import CALLS_REF

from .support.app import bearer
from .support.call_fixtures import QUESTIONS, open_call, respond, secretariat

API = "/-/api/v1"


def future(days: int = 7) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def calls_tip(app: Flask) -> str | None:
    return app.extensions["wiki_store"].reader.read_ref(CALLS_REF)


def problem(response, status: int) -> str:  # noqa: ANN001
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    return response.get_json()["detail"]


@pytest.fixture
def sec(app: Flask) -> dict[str, str]:
    secretariat(app)
    return bearer(app, "sec")


def test_the_secretariat_opens_a_call_and_everyone_reads_it(app: Flask, client: FlaskClient,
                                                            sec: dict[str, str]) -> None:
    answer = client.post(f"{API}/calls", headers=sec, json={
        "title": "Questionnaire on the mapping", "description": "Tell us.", "questions": QUESTIONS,
        "deadline": future(), "language": "en"})
    assert answer.status_code == 201, answer.get_data(as_text=True)
    created = answer.get_json()
    assert created["slug"] == "questionnaire-on-the-mapping" and created["open"] is True
    assert [(q["id"], q["kind"]) for q in created["questions"]] == [("q1", "text"), ("q2", "choice"),
                                                                    ("q3", "choices")]
    assert created["questions"][1]["options"] == ["Government", "Business", "Civil society"]
    assert created["responses"] == 0 and created["created_by"] == "sec"
    assert created["url"].endswith("/-/calls/questionnaire-on-the-mapping")
    listed = client.get(f"{API}/calls").get_json()
    assert [item["slug"] for item in listed["items"]] == ["questionnaire-on-the-mapping"]
    assert client.get(f"{API}/calls/questionnaire-on-the-mapping").get_json() == created
    assert client.get(f"{API}/calls?state=closed").get_json()["items"] == []
    problem(client.get(f"{API}/calls/no-such-call"), 404)


def test_a_deadline_without_a_zone_is_utc_and_a_date_alone_ends_that_day(client: FlaskClient,
                                                                           sec: dict[str, str]) -> None:
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    made = client.post(f"{API}/calls", headers=sec, json={
        "title": "Dates", "questions": [{"text": "Why?"}], "deadline": day.isoformat()}).get_json()
    assert made["deadline"] == f"{day.isoformat()}T23:59:59Z"
    made = client.post(f"{API}/calls", headers=sec, json={
        "title": "Zones", "questions": [{"text": "Why?"}], "deadline": f"{day.isoformat()}T12:00:00+02:00"}).get_json()
    assert made["deadline"] == f"{day.isoformat()}T10:00:00Z"


@pytest.mark.parametrize("who, status", [("anonymous", 401), ("editor", 403), ("admin", 201)])
def test_only_the_secretariat_and_admins_open_calls(app: Flask, client: FlaskClient, who: str, status: int) -> None:
    headers = bearer(app, who) if who != "anonymous" else {}
    answer = client.post(f"{API}/calls", headers=headers, json={
        "title": "Who may open", "questions": [{"text": "Why?"}], "deadline": future()})
    assert answer.status_code == status, answer.get_data(as_text=True)
    if status != 201:
        assert calls_tip(app) is None


def test_a_read_token_cannot_open_a_call(app: Flask, client: FlaskClient) -> None:
    secretariat(app)
    answer = client.post(f"{API}/calls", headers=bearer(app, "sec", "read"), json={
        "title": "Read only", "questions": [{"text": "Why?"}], "deadline": future()})
    assert "write" in problem(answer, 403) and calls_tip(app) is None


@pytest.mark.parametrize("change, message", [
    ({"deadline": "2001-01-01T00:00:00Z"}, "in the future"),
    ({"deadline": "next tuesday"}, "ISO 8601"),
    ({"questions": [{"text": "Pick", "kind": "choice", "options": ["only one"]}]}, "at least two options"),
    ({"questions": [{"text": "Free", "kind": "text", "options": ["a", "b"]}]}, "no options"),
    ({"questions": []}, "questions"),
    ({"title": " "}, "title"),
    ({"audience": "everyone"}, "audience"),
    # lone UTF-16 surrogates (JSON can escape them; no text holds them): a 500 before, at the commit
    ({"title": "Half \ud800 a character"}, "Unicode"),
    ({"description": "\udfff"}, "Unicode"),
    ({"questions": [{"text": "Why\ud83d?"}]}, "Unicode"),
    ({"questions": [{"text": "Pick", "kind": "choice", "options": ["\ud800", "b"]}]}, "Unicode"),
])
def test_bad_calls_are_refused_with_a_message_and_nothing_saved(app: Flask, client: FlaskClient,
                                                                sec: dict[str, str], change: dict,
                                                                message: str) -> None:
    data = {"title": "Bad", "questions": [{"text": "Why?"}], "deadline": future(), **change}
    detail = problem(client.post(f"{API}/calls", headers=sec, json=data), 400)
    assert message in detail
    assert calls_tip(app) is None


def test_respond_change_and_read_with_consent(app: Flask, client: FlaskClient) -> None:
    slug = open_call(app).slug
    reader, editor = bearer(app, "reader"), bearer(app, "editor")  # governments; civil society
    url = f"{API}/calls/{slug}/responses/mine"
    first = client.put(url, headers=reader, json={
        "answers": {"q1": "More on **access**.", "q2": "Government", "q3": ["Security", "Access"]},
        "consent": "cite", "organization": "Ministry of Examples", "language": "fr"})
    assert first.status_code == 201, first.get_data(as_text=True)
    mine = first.get_json()
    assert mine["answers"] == {"q1": "More on **access**.", "q2": "Government", "q3": ["Access", "Security"]}
    assert mine["respondent"] == "reader" and mine["group"] == "governments" and mine["language"] == "fr"
    changed = client.put(url, headers=reader, json={"answers": {"q1": "More on rights 🌍."}, "consent": "cite"})
    assert changed.status_code == 200 and changed.get_json()["answers"] == {"q1": "More on rights 🌍."}  # a pair: text
    assert client.put(url, headers=editor, json={"answers": {"q1": "Less, but better."}, "consent": "aggregate",
                                                 "organization": "Hidden NGO"}).status_code == 201
    assert client.get(url, headers=reader).get_json()["answers"] == {"q1": "More on rights 🌍."}

    listed = client.get(f"{API}/calls/{slug}/responses").get_json()  # anonymous
    assert listed["total"] == 2
    by_group = {item["group"]: item for item in listed["items"]}
    cited, counted = by_group["governments"], by_group["civil-society"]
    assert (cited["respondent"], cited["name"], cited["organization"]) == ("reader", "Rita Reader", "")
    assert (counted["respondent"], counted["name"], counted["organization"], counted["named"]) == (None, "", "",
                                                                                                  False)
    assert counted["group"] == "civil-society" and counted["answers"] == {"q1": "Less, but better."}
    body = client.get(f"{API}/calls/{slug}/responses").get_data(as_text=True)
    assert "Eda Editor" not in body and "Hidden NGO" not in body and '"editor"' not in body
    as_editor = client.get(f"{API}/calls/{slug}/responses?group=civil-society", headers=editor).get_json()["items"]
    assert as_editor[0]["name"] == "Eda Editor" and as_editor[0]["organization"] == "Hidden NGO"  # their own
    secretariat(app)
    as_secretariat = client.get(f"{API}/calls/{slug}/responses", headers=bearer(app, "sec")).get_json()["items"]
    assert sorted(item["respondent"] for item in as_secretariat) == ["editor", "reader"]
    assert client.get(f"{API}/calls/{slug}").get_json()["responses"] == 2


def test_responses_filter_by_group_language_and_words_and_page(app: Flask, client: FlaskClient) -> None:
    slug = open_call(app).slug
    respond(app, "reader", slug, {"q1": "Spectrum policy"}, language="fr")
    respond(app, "editor", slug, {"q1": "Open standards"}, consent="aggregate")
    respond(app, "editor2", slug, {"q1": "Spectrum auctions", "q2": "Business"})
    base = f"{API}/calls/{slug}/responses"

    def groups(query: str) -> list[str]:
        return [item["group"] for item in client.get(f"{base}?{query}").get_json()["items"]]

    assert groups("group=civil-society") == ["civil-society"]
    assert groups("language=fr") == ["governments"]
    assert sorted(groups("q=spectrum")) == ["governments", "private-sector"]
    assert groups("q=editor") == []  # an aggregate respondent's name is not searchable by others
    first = client.get(f"{base}?limit=1")
    assert first.get_json()["next"] and 'rel="next"' in first.headers["Link"]
    assert len(groups("offset=2&limit=1")) == 1 and groups("offset=3") == []
    assert problem(client.get(f"{base}?language=xx"), 400)


@pytest.mark.parametrize("data, message", [
    ({"answers": {"q9": "Hello"}, "consent": "cite"}, "no question q9"),
    ({"answers": {"q2": "Academia"}, "consent": "cite"}, "does not offer the option"),
    ({"answers": {"q3": ["Access", "Peace"]}, "consent": "cite"}, "does not offer the option"),
    ({"answers": {"q2": ["Government", "Business"]}, "consent": "cite"}, "takes one option"),
    ({"answers": {"q1": ["a list"]}, "consent": "cite"}, "must be text"),
    ({"answers": {"q1": "x" * 100_001}, "consent": "cite"}, "100,000 bytes"),
    ({"answers": {"q1": "é" * 50_001}, "consent": "cite"}, "100,000 bytes"),
    ({"answers": {"q1": "Fine"}}, "consent"),
    ({"answers": {"q1": "Fine"}, "consent": "maybe"}, "consent"),
    ({"answers": {}, "consent": "cite"}, "at least one question"),
    ({"answers": {"bogus": "x"}, "consent": "cite"}, "bogus"),
    ({"answers": {"q1": "a \ud800 b"}, "consent": "cite"}, "Unicode"),
    ({"answers": {"q2": "\ud800"}, "consent": "cite"}, "Unicode"),
    ({"answers": {"q1": "Fine"}, "consent": "cite", "organization": "\udc80"}, "Unicode"),
])
def test_bad_responses_are_refused_with_a_message_and_nothing_saved(app: Flask, client: FlaskClient, data: dict,
                                                                    message: str) -> None:
    slug = open_call(app).slug
    before = calls_tip(app)
    detail = problem(client.put(f"{API}/calls/{slug}/responses/mine", headers=bearer(app, "reader"), json=data), 400)
    assert message in detail
    assert calls_tip(app) == before
    problem(client.get(f"{API}/calls/{slug}/responses/mine", headers=bearer(app, "reader")), 404)


def test_anonymous_and_read_only_callers_cannot_respond(app: Flask, client: FlaskClient) -> None:
    slug = open_call(app).slug
    url, data = f"{API}/calls/{slug}/responses/mine", {"answers": {"q1": "Hi"}, "consent": "cite"}
    problem(client.put(url, json=data), 401)
    problem(client.get(url), 401)
    problem(client.put(url, headers=bearer(app, "reader", "read"), json=data), 403)
    problem(client.put(f"{API}/calls/no-such-call/responses/mine", headers=bearer(app, "reader"), json=data), 404)
    assert client.get(f"{API}/calls/{slug}/responses").get_json()["items"] == []


def test_changes_after_the_deadline_or_to_a_closed_call_are_a_409(app: Flask, client: FlaskClient,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    call = open_call(app)
    reader = bearer(app, "reader")
    url = f"{API}/calls/{call.slug}/responses/mine"
    assert client.put(url, headers=reader, json={"answers": {"q1": "On time"}, "consent": "cite"}).status_code == 201
    monkeypatch.setattr(call_actions, "now", lambda: call.deadline + 60)
    before = calls_tip(app)
    detail = problem(client.put(url, headers=reader, json={"answers": {"q1": "Too late"}, "consent": "cite"}), 409)
    assert "deadline" in detail and calls_tip(app) == before
    assert client.get(url, headers=reader).get_json()["answers"] == {"q1": "On time"}
    assert client.get(f"{API}/calls/{call.slug}").get_json()["open"] is False
    monkeypatch.undo()
    with app.test_request_context():
        call_actions.close(secretariat(app), call.slug)
    detail = problem(client.put(url, headers=reader, json={"answers": {"q1": "Closed"}, "consent": "cite"}), 409)
    assert "closed" in detail


def test_a_first_response_after_the_deadline_is_kept_as_late_and_not_counted(app: Flask, client: FlaskClient,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    call = open_call(app)
    monkeypatch.setattr(call_actions, "now", lambda: call.deadline + 60)
    late = client.put(f"{API}/calls/{call.slug}/responses/mine", headers=bearer(app, "reader"),
                      json={"answers": {"q1": "Late"}, "consent": "cite"})
    assert late.status_code == 201 and late.get_json()["late"] is True and late.get_json()["pending"] is True
    assert client.get(f"{API}/calls/{call.slug}/responses").get_json()["items"] == []  # not shown to others
    assert client.get(f"{API}/calls/{call.slug}").get_json()["responses"] == 0


def test_reads_answer_with_etags(app: Flask, client: FlaskClient) -> None:
    slug = open_call(app).slug
    first = client.get(f"{API}/calls/{slug}/responses")
    assert client.get(f"{API}/calls/{slug}/responses",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    respond(app, "reader", slug, {"q1": "New"})
    assert client.get(f"{API}/calls/{slug}/responses",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 200
