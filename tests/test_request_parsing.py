"""Requests parsed strictly before any view runs (issue 24, items 7 and 9): JSON bodies with a
depth limit and without duplicate member names, and route numbers in ASCII digits only."""

from __future__ import annotations

import json

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.store import Author

from .conftest import Auth
from .support.app import bearer

API = "/-/api/v1"




def nested(depth: int) -> str:
    """``{"text": [[[ ... ]]]}`` with arrays ``depth`` deep, then the text."""
    return '{"text": ' + "[" * depth + '"x"' + "]" * depth + "}"


BODIES = [
    # (raw body, words of the 400 problem's detail)
    (nested(1000), "more than 32 levels deep"),
    (nested(100_000), "more than 32 levels deep"),
    ('{"a": ' * 5000 + "1" + "}" * 5000, "more than 32 levels deep"),
    ('{"text": "x", "text": "y"}', "'text' twice"),
    ('{"text": "x", "summary": {"a": 1, "a": 2}}', "'a' twice"),
    ('{"text": NaN}', "NaN is not a JSON value"),
    ('{"text": -Infinity}', "-Infinity is not a JSON value"),
    ('{"text": "unterminated', "not valid JSON"),
]


@pytest.mark.parametrize("who", ["anonymous", "token"])
@pytest.mark.parametrize(("raw", "words"), BODIES, ids=range(len(BODIES)))
def test_bad_json_bodies_are_400_with_a_message(app: Flask, client: FlaskClient, who: str, raw: str,
                                                 words: str) -> None:
    head = app.extensions["wiki_store"].head()
    headers = bearer(app) if who == "token" else {}
    response = client.put(f"{API}/pages/Home", data=raw.encode(), headers=headers,
                          content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/problem+json"
    assert words in response.get_json()["detail"]
    assert app.extensions["wiki_store"].head() == head


def test_brackets_inside_strings_do_not_count_as_depth(app: Flask, client: FlaskClient) -> None:
    """A page may well contain ``[[[`` or ``{{{``: only structure counts, not text."""
    page = client.get(f"{API}/pages/Home").get_json()
    text = page["text"] + "\n" + "[" * 500 + ' \\" ' + "{" * 500 + "\n"
    response = client.put(f"{API}/pages/Home", data=json.dumps({"text": text, "base": page["revision"]}),
                          headers=bearer(app), content_type="application/json")
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert client.get(f"{API}/pages/Home").get_json()["text"] == text


@pytest.mark.parametrize("path", [
    "/-/proposals/\uff11",               # FULLWIDTH DIGIT ONE
    "/-/proposals/\u0661",               # ARABIC-INDIC DIGIT ONE
    "/-/proposals/\u0967",               # DEVANAGARI DIGIT ONE
    "/-/proposals/99999999999999999999999",
    f"{API}/proposals/\uff11",
    f"{API}/comments/\u0661",
])
@pytest.mark.parametrize("who", ["anonymous", "editor"])
def test_route_numbers_are_ascii_digits_only(app: Flask, client: FlaskClient, path: str, who: str) -> None:
    if who == "editor":
        Auth(client).login("editor")
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)


def test_ascii_numbers_still_route(app: Flask, client: FlaskClient) -> None:
    """The same addresses with ASCII digits reach their views."""
    number = app.extensions["wiki_store"].proposals.create(
        "Reword", "Clearer.", author=Author("A", "a@example.org", "editor", "governments")).number
    assert client.get(f"/-/proposals/{number}").status_code == 200
    assert client.get(f"{API}/proposals/{number}").get_json()["number"] == number
    assert client.get(f"{API}/proposals/-1").status_code == 404
