"""Search covers the responses to calls for input (issue 30): text answers are found like pages,
each hit naming the call and the question, and who answered only where they consented to be
cited; results follow the calls branch as responses come and change."""

from __future__ import annotations

import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.actions import call_search
from wiki.actions import calls as call_actions
from wiki.store.call_model import Response

from .support.call_fixtures import open_call, respond
from .xss import inspect_html


def answers_section(client: FlaskClient, query: str) -> str:
    html = client.get(f"/-/search?q={query}").get_data(as_text=True)
    assert inspect_html(html) == []
    return html.partition('<section class="search-answers"')[2]


def test_answers_are_found_with_the_call_and_question_and_names_only_with_consent(app: Flask,
                                                                                   client: FlaskClient) -> None:
    call = open_call(app)
    respond(app, "reader", call.slug, {"q1": "Spectrum *auctions* need rules.", "q2": "Government"})
    respond(app, "editor", call.slug, {"q1": "Spectrum sharing, please."}, consent="aggregate",
            organization="Hidden NGO")
    found = answers_section(client, "spectrum")
    assert "In responses to calls for input" in found and "2 answers match" in found
    assert "Questionnaire on the mapping" in found
    assert "Question 1: <bdi>What should the mapping cover next?</bdi>" in found
    assert "by <bdi>Rita Reader</bdi>" in found
    assert "Eda Editor" not in found and "editor" not in found and "Hidden NGO" not in found
    assert "a respondent of Civil society" in found
    assert f"/-/calls/{call.slug}/responses?by=question&amp;question=q1&amp;q=spectrum" in found
    assert "<mark>Spectrum</mark> auctions need rules" in found  # Markdown made plain text
    assert answers_section(client, "government") == ""  # options chosen are not text answers
    assert "1 answer matches" in answers_section(client, '"spectrum sharing"')

    respond(app, "editor", call.slug, {"q1": "Nothing on that any more."}, consent="aggregate")
    assert "1 answer matches" in answers_section(client, "spectrum")  # the change is searched at once
    assert "1 answer matches" in answers_section(client, "any more")


def test_late_responses_are_searched_once_accepted(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    call = open_call(app)
    with monkeypatch.context() as patched:
        patched.setattr(call_actions, "now", lambda: call.deadline + 60)
        respond(app, "reader", call.slug, {"q1": "A latecomer's view."})
    with app.test_request_context():
        assert call_search.search("latecomer").total == 0
        call_actions.accept_late(call_actions.Actor(username="admin", group="governments", role="admin"),
                                 call.slug, "reader")
        assert call_search.search("latecomer").total == 1


def test_a_call_of_500_responses_of_18_questions_is_searched_within_bounds(app: Flask) -> None:
    questions = [{"text": f"Question {number}?"} for number in range(1, 19)]
    call = open_call(app, "Large", questions=questions, deadline=int(time.time()) + 86400)
    store = app.extensions["wiki_store"]  # responses through the store: 500 accounts are not needed here
    for number in range(500):
        answers = {f"q{q}": f"Answer {number} to {q}: " + "words " * 150 for q in range(1, 19)}
        answers["q18"] += " needle" if number % 100 == 0 else ""
        respondent = f"person{number}"
        store.calls.save_response(call.slug, respondent, lambda current, previous, answers=answers, who=respondent:
                                  Response(call=current.slug, respondent=who, name=who, organization="",
                                           group="governments", consent="aggregate", language="en", answers=answers,
                                           submitted=1, updated=1), author=call_actions.Actor().author)
    with app.test_request_context():
        results = call_search.search("needle")
        assert results.total == 5 and len(results.hits) == 5
        assert {hit.question.id for hit in results.hits} == {"q18"} and all(not hit.name for hit in results.hits)
        assert call_search.search("words", limit=3).total == 9000


def test_a_cached_search_follows_the_responses(app: Flask, client: FlaskClient) -> None:
    """Anonymous search results may be kept by browsers and proxies under their ETag: it must change
    when the responses do, or a respondent who withdrew consent to be cited stays named there."""
    call = open_call(app)
    respond(app, "reader", call.slug, {"q1": "Spectrum auctions need rules."})
    first = client.get("/-/search?q=spectrum")
    assert "Rita Reader" in first.get_data(as_text=True) and first.headers["ETag"]
    respond(app, "reader", call.slug, {"q1": "Spectrum auctions need rules."}, consent="aggregate")
    again = client.get("/-/search?q=spectrum", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 200 and "Rita Reader" not in again.get_data(as_text=True)
