"""Per-user limits on writes (issue 24): threads, replies, proposals and uploads per hour, counted
across workers, answered 429 with Retry-After on the web and in the API; moderators are free."""

from __future__ import annotations

from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.limits import WINDOW_SECONDS, Limiter, RateLimited

from .conftest import PASSWORD, csrf_token, make_app, save
from .support.app import bearer

API = "/-/api/v1"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082")


def limited_app(tmp_path: Path, **limits: int) -> Flask:
    settings = {f"LIMIT_{name.upper()}_PER_HOUR": value for name, value in limits.items()}
    return make_app(tmp_path / "instance", **settings)


def login(app: Flask, username: str, language: str = "en") -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = language
    response = client.post("/-/login", data={"username": username, "password": PASSWORD,
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 302
    return client




def start_thread(client: FlaskClient, paragraph: int = 1):  # noqa: ANN201
    return client.post("/Home/-/comments", data={
        "csrf_token": csrf_token(client, "/Home"), "rev": client.application.extensions["wiki_store"].head(),
        "paragraph": str(paragraph), "kind": "comment", "text": "A remark."})


def test_the_counter_refuses_past_the_limit_and_frees_a_place_an_hour_after_the_oldest(tmp_path: Path) -> None:
    limiter = Limiter(tmp_path / "limits.sqlite3", {"threads": 2, "replies": 0})
    limiter.hit("threads", "rita", now=1000.0)
    limiter.hit("threads", "rita", now=1600.0)
    with pytest.raises(RateLimited) as refused:
        limiter.hit("threads", "rita", now=1700.0)
    assert refused.value.code == 429 and refused.value.retry_after == 1000 + WINDOW_SECONDS - 1700
    limiter.hit("threads", "other", now=1700.0)  # each person has their own counter
    with pytest.raises(RateLimited):  # a refused attempt is not counted, nor does it extend the wait
        limiter.hit("threads", "rita", now=999.5 + WINDOW_SECONDS)
    limiter.hit("threads", "rita", now=1000.0 + WINDOW_SECONDS)
    for _ in range(50):
        limiter.hit("replies", "rita", now=2000.0)  # 0: no limit


def test_counters_are_shared_by_every_worker_of_the_instance(tmp_path: Path) -> None:
    first = Limiter(tmp_path / "limits.sqlite3", {"threads": 2})
    second = Limiter(tmp_path / "limits.sqlite3", {"threads": 2})
    first.hit("threads", "rita")
    second.hit("threads", "rita")
    with pytest.raises(RateLimited):
        first.hit("threads", "rita")


@pytest.mark.parametrize("value", [-1, "ten", 1.5, True])
def test_a_wrong_setting_stops_the_start_with_its_name(tmp_path: Path, value: object) -> None:
    with pytest.raises(SystemExit, match="LIMIT_THREADS_PER_HOUR"):
        make_app(tmp_path / "instance", LIMIT_THREADS_PER_HOUR=value)


def test_a_reader_starting_too_many_threads_gets_a_429_with_retry_after_in_their_language(tmp_path: Path) -> None:
    app = limited_app(tmp_path, threads=3)
    reader = login(app, "reader", "fr")
    for paragraph in (1, 2, 3):
        assert start_thread(reader, paragraph).status_code == 303
    refused = start_thread(reader, 1)
    assert refused.status_code == 429
    assert 3500 <= int(refused.headers["Retry-After"]) <= WINDOW_SECONDS
    assert "Vous avez ouvert 3 fils de commentaires" in refused.get_data(as_text=True)
    assert len(app.extensions["wiki_store"].comments.all()) == 3  # nothing written
    assert start_thread(login(app, "editor"), 1).status_code == 303  # another user is not held back
    for _ in range(4):
        assert start_thread(login(app, "admin"), 1).status_code == 303  # moderators are not limited


def test_the_api_answers_a_too_many_requests_problem_and_shares_the_web_counter(tmp_path: Path) -> None:
    app = limited_app(tmp_path, threads=2, replies=2)
    client, headers = app.test_client(), bearer(app, "reader")
    assert start_thread(login(app, "reader"), 1).status_code == 303
    head = app.extensions["wiki_store"].head()
    created = client.post(f"{API}/comments", json={"page": "Home", "rev": head, "paragraph": 1, "text": "x"},
                          headers=headers)
    assert created.status_code == 201
    refused = client.post(f"{API}/comments", json={"page": "Home", "rev": head, "paragraph": 1, "text": "x"},
                          headers=headers)
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert refused.mimetype == "application/problem+json"
    assert refused.get_json()["type"].endswith("#problem-too-many-requests")
    assert "2 comment threads" in refused.get_json()["detail"]
    number = created.get_json()["number"]
    for expected in (201, 201, 429):
        assert client.post(f"{API}/comments/{number}/replies", json={"text": "again"},
                           headers=headers).status_code == expected


def test_replies_proposals_and_uploads_have_their_own_limits(tmp_path: Path) -> None:
    app = limited_app(tmp_path, replies=1, proposals=1, uploads=1)
    editor = login(app, "editor")
    assert start_thread(editor).status_code == 303
    number = app.extensions["wiki_store"].comments.all()[0].number
    for expected in (303, 429):
        assert editor.post(f"/Home/-/comments/{number}", data={
            "csrf_token": csrf_token(editor, "/Home"), "action": "reply", "text": "Yes."}).status_code == expected
    for expected in (302, 429):
        assert editor.post("/-/proposals/new", data={"csrf_token": csrf_token(editor, "/-/proposals/new"),
                                                     "title": "A change"}).status_code == expected
    assert save(editor, "Files", "Files here.").status_code == 302
    for expected, name in ((302, "a.png"), (429, "b.png")):
        response = editor.post("/Files/-/attachments", data={
            "csrf_token": csrf_token(editor, "/Files/-/attachments"), "file": (BytesIO(PNG), name)},
            content_type="multipart/form-data")
        assert response.status_code == expected, response.get_data(as_text=True)[-500:]
