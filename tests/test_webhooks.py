"""Webhooks: events reach a real receiving HTTP server on 127.0.0.1, signed; a receiver that is down
or slow never holds up a save; the queue survives a restart; pushes produce events; URL checks."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki import create_app
from wiki.store import Author
from wiki.store.committer import Plan
from wiki.webhooks import COMMENTS_REF, UnsafeWebhookURL, check_url
from wiki.webhooks.service import Settings

from .conftest import Auth, csrf_token, make_app, save
from .support.git_http import Wiki
from .support.git_http import serve as serve_wiki
from .support.postgres import app_on
from .support.servers import free_port
from .support.webhooks import FAST, WAIT, Received, Receiver, wait_for

SECRET = "a-test-secret-of-some-length"
AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(free_port()).start()
    yield server
    if server.hold is not None:
        server.hold.set()
    server.stop()


def register(client: FlaskClient, url: str, events: tuple[str, ...] = ("commit",), secret: str = SECRET):  # noqa: ANN201
    Auth(client).login("admin")
    return client.post("/-/admin/webhooks", data={"url": url, "events": list(events), "secret": secret,
                                                  "csrf_token": csrf_token(client, "/-/admin/webhooks")})


def verified(item: Received, secret: str = SECRET) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), item.body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(item.headers.get("X-Wiki-Signature-256", ""), expected)


# --------------------------------------------------------------------------- events, signed


def test_events_arrive_signed_with_their_payloads(hooked_app: Flask, receiver: Receiver) -> None:
    admin = hooked_app.test_client()
    answer = register(admin, receiver.url, events=("commit", "proposal", "endorsement", "comment", "version"))
    assert answer.status_code == 302
    page = admin.get("/-/admin/webhooks").get_data(as_text=True)
    assert receiver.url.replace("&", "&amp;") in page and SECRET not in page

    editor = hooked_app.test_client()
    Auth(editor).login("editor")
    assert save(editor, "Hooked/Page", "# Hooked\n\ntext\n", summary="A hooked save").status_code == 302
    commit = wait_for(lambda: receiver.events("commit"), "the commit event")[0]
    store = hooked_app.extensions["wiki_store"]
    assert commit["commit"] == store.head() and commit["pages"] == ["Hooked/Page"]
    assert commit["message"] == "A hooked save" and commit["group"] == "civil-society"
    assert commit["author"]["username"] == "editor" and commit["timestamp"].endswith("Z")
    assert commit["url"].startswith("http://localhost/-/compare?from=")
    assert all(verified(item) for item in receiver.requests)
    assert not verified(receiver.requests[0], "another secret")

    # an endorsement, a named version, a proposal and a comment: each its own event
    reviewer = hooked_app.test_client()
    Auth(reviewer).login("reviewer")
    reviewer.post("/Hooked/Page/-/endorse", data={"action": "endorse", "rev": store.head(),
                                                  "csrf_token": csrf_token(reviewer, "/Hooked/Page/-/endorse")})
    endorsement = wait_for(lambda: receiver.events("endorsement"), "the endorsement event")[0]
    assert (endorsement["page"], endorsement["group"], endorsement["action"]) == (
        "Hooked/Page", "technical-academic", "endorse")
    assert endorsement["url"] == "http://localhost/Hooked/Page/-/endorse"
    store.create_version("hooked-draft", "Hooked draft", None, author=AUTHOR)
    version = wait_for(lambda: receiver.events("version"), "the version event")[0]
    assert (version["name"], version["title"], version["commit"]) == ("hooked-draft", "Hooked draft", store.head())
    proposal = store.proposals.create("Hook proposal", "Because.", author=AUTHOR)
    created = wait_for(lambda: receiver.events("proposal"), "the proposal event")[0]
    assert (created["proposal"], created["action"], created["title"]) == (proposal.number, "create", "Hook proposal")
    assert created["url"] == f"http://localhost/-/proposals/{proposal.number}"
    comment = {"kind": "comment", "page": "Hooked/Page", "text": "A remark"}
    store.committer.commit_to_ref(COMMENTS_REF, lambda tip: Plan({"notes/1.json": json.dumps(comment).encode()},
                                                                 "Comment"), author=AUTHOR)
    remark = wait_for(lambda: receiver.events("comment"), "the comment event")[0]
    assert remark["data"] == comment and remark["group"] == "governments" and remark["page"] == "Hooked/Page"
    assert remark["url"] == "http://localhost/Hooked/Page/-/comments"
    # a thread through the comments' own store: its reply file names no page, the thread does
    discussions = hooked_app.extensions["wiki_discussions"]
    with hooked_app.test_request_context():
        anchor = discussions.anchor(store.page_blob_id("Hooked/Page"), store.head(), paragraph=1)
    number = store.comments.start("Hooked/Page", anchor, "question", "Why?", proposal=None, author=AUTHOR)
    store.comments.reply(number, "Because.", author=AUTHOR)
    thread = wait_for(lambda: [e for e in receiver.events("comment") if e.get("thread") == number][1:],
                      "the thread's two events")
    assert {event["data"]["event"] for event in receiver.events("comment") if event.get("thread") == number} == {
        "create", "reply"}
    assert thread[0]["page"] == "Hooked/Page" and thread[0]["url"].endswith("/Hooked/Page/-/comments")
    assert len(receiver.events("commit")) == 1  # nothing sent twice
    assert len({item.headers["X-Wiki-Delivery"] for item in receiver.requests}) == len(receiver.requests)
    # The sender records a delivery just after the receiver answers: wait for the record too.
    log = wait_for(lambda: (lambda page: page if "7 delivered" in page else None)(
        admin.get("/-/admin/webhooks").get_data(as_text=True)), "seven deliveries recorded")
    assert "204" in log and "7 delivered" in log


def test_only_the_chosen_events_are_sent(hooked_app: Flask, receiver: Receiver) -> None:
    admin = hooked_app.test_client()
    assert register(admin, receiver.url, events=("version",)).status_code == 302
    store = hooked_app.extensions["wiki_store"]
    store.save_page("Quiet", "# Quiet\n", base=store.head(), author=AUTHOR, summary="not sent")
    store.create_version("quiet-one", "Quiet one", None, author=AUTHOR)
    wait_for(lambda: receiver.events("version"), "the version event")
    assert receiver.events("commit") == []


# --------------------------------------------------------------------------- down, slow, restarted


def test_a_dead_endpoint_never_stops_saves_and_is_retried(hooked_app: Flask) -> None:
    port = free_port()  # nothing listens there yet
    admin = hooked_app.test_client()
    assert register(admin, f"http://127.0.0.1:{port}/hook").status_code == 302
    editor = hooked_app.test_client()
    Auth(editor).login("editor")
    for number in range(3):
        assert save(editor, f"Down/Page_{number}", f"# Page {number}\n").status_code == 302
    queue = hooked_app.extensions["wiki_webhooks"].queue
    webhook = queue.endpoints()[0].id
    wait_for(lambda: len({a.delivery for a in queue.log(webhook) if a.status is None}) == 3, "three failed attempts")
    page = admin.get("/-/admin/webhooks").get_data(as_text=True)
    assert "ConnectionRefusedError" in page and "will be retried" in page
    receiver = Receiver(port).start()  # the endpoint comes back: the retries deliver everything
    try:
        wait_for(lambda: len(receiver.events("commit")) >= 3, "the retried deliveries")
        assert sorted(event["pages"][0] for event in receiver.events("commit")) == [
            "Down/Page_0", "Down/Page_1", "Down/Page_2"]
        wait_for(lambda: queue.counts(webhook).get("delivered") == 3, "the deliveries marked delivered")
        attempts = [a for a in queue.log(webhook) if a.status == 204]
        assert len(attempts) == 3 and all(a.attempt >= 2 for a in attempts)
    finally:
        receiver.stop()


def test_a_slow_endpoint_never_holds_up_saves(hooked_app: Flask, receiver: Receiver) -> None:
    receiver.hold = threading.Event()  # the receiver answers nothing until released
    admin = hooked_app.test_client()
    assert register(admin, receiver.url).status_code == 302
    editor = hooked_app.test_client()
    Auth(editor).login("editor")
    assert save(editor, "Slow/First", "# First\n").status_code == 302
    assert receiver.entered.wait(WAIT)  # the sender is now stuck in the receiver
    for number in range(5):  # and saves go on meanwhile
        assert save(editor, f"Slow/Page_{number}", f"# Page {number}\n").status_code == 302
    assert receiver.requests == []  # none answered yet: the saves did not wait for the receiver
    receiver.hold.set()
    wait_for(lambda: {event["pages"][0] for event in receiver.events("commit")} >=
             {"Slow/First", *(f"Slow/Page_{n}" for n in range(5))}, "every event after the receiver recovered")


def test_the_queue_survives_a_restart(tmp_path: Path) -> None:
    port = free_port()
    first = make_app(tmp_path / "instance", **FAST)
    admin = first.test_client()
    assert register(admin, f"http://127.0.0.1:{port}/hook").status_code == 302
    store = first.extensions["wiki_store"]
    store.save_page("Restart/Page", "# Before the restart\n", base=store.head(), author=AUTHOR, summary="queued")
    queue = first.extensions["wiki_webhooks"].queue
    wait_for(lambda: queue.log(queue.endpoints()[0].id), "a failed attempt")
    first.extensions["wiki_webhooks"].stop()  # the process ends with the event still queued
    first.extensions["wiki_store"].close()

    receiver = Receiver(port).start()
    second = create_app({"TESTING": True, "SECRET_KEY": "test-secret", **FAST},
                        instance_path=str(tmp_path / "instance"))
    try:
        second.test_client().get("/-/pages")  # a request starts the new process's sender
        events = wait_for(lambda: receiver.events("commit"), "the event queued before the restart")
        assert events[0]["message"] == "queued" and events[0]["pages"] == ["Restart/Page"]
    finally:
        second.extensions["wiki_webhooks"].stop()
        receiver.stop()


def test_two_processes_never_send_one_event_twice(tmp_path: Path, receiver: Receiver) -> None:
    one = make_app(tmp_path / "instance", **FAST)
    two = create_app({"TESTING": True, "SECRET_KEY": "test-secret", **FAST}, instance_path=str(tmp_path / "instance"))
    try:
        assert register(one.test_client(), receiver.url).status_code == 302
        for app in (one, two):
            app.extensions["wiki_webhooks"].start()
        for number in range(6):  # writes from both "workers"
            store = (one, two)[number % 2].extensions["wiki_store"]
            store.save_page(f"Twice/Page_{number}", "# Page\n", base=store.head(), author=AUTHOR, summary="w")
        wait_for(lambda: len(receiver.events("commit")) >= 6, "six events")
        time.sleep(0.5)  # a duplicate would arrive now, if any sender sent one twice
        assert sorted(event["commit"] for event in receiver.events("commit")) == sorted(
            {event["commit"] for event in receiver.events("commit")})
        assert len(receiver.events("commit")) == 6
    finally:
        for app in (one, two):
            app.extensions["wiki_webhooks"].stop()


def test_the_queue_on_both_engines(backend: str, tmp_path: Path, receiver: Receiver) -> None:  # noqa: F811
    app = app_on(backend, tmp_path / "instance", **FAST)
    try:
        assert register(app.test_client(), receiver.url).status_code == 302
        store = app.extensions["wiki_store"]
        store.save_page("Engine/Page", "# Engine\n", base=store.head(), author=AUTHOR, summary="engine")
        event = wait_for(lambda: receiver.events("commit"), "the commit event")[0]
        assert event["pages"] == ["Engine/Page"] and verified(receiver.requests[0])
        queue = app.extensions["wiki_webhooks"].queue
        # Recorded just after the receiver answered: wait for the record, not only the request.
        wait_for(lambda: queue.counts(queue.endpoints()[0].id) == {"delivered": 1} or None, "the delivery recorded")
    finally:
        app.extensions["wiki_webhooks"].stop()


def test_backoff_doubles_up_to_the_cap() -> None:
    settings = Settings(retry_seconds=10, max_retry_seconds=60)
    assert [round(settings.backoff(n) / 10) for n in (1, 2, 3)] == [1, 2, 4]
    assert settings.backoff(10) <= 66


# --------------------------------------------------------------------------- pushes


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Wiki]:
    yield from serve_wiki(tmp_path, **FAST)


def test_a_push_over_http_produces_a_commit_event(served: Wiki, receiver: Receiver) -> None:
    try:
        assert register(served.app.test_client(), receiver.url).status_code == 302
        clone = served.clone()
        pushed = served.commit(clone, {"Pushed.md": b"# Pushed\n"}, "Pushed over HTTP")
        assert served.push(clone).returncode == 0
        event = wait_for(lambda: receiver.events("commit"), "the pushed commit's event")[0]
        assert (event["commit"], event["message"], event["pages"]) == (pushed, "Pushed over HTTP", ["Pushed"])
        assert event["author"]["email"] == "maintainer@example.org"
    finally:
        served.app.extensions["wiki_webhooks"].stop()


# --------------------------------------------------------------------------- which URLs


def resolver(addresses: list[str]) -> Callable[[str, int], list[str]]:
    return lambda host, port: addresses


@pytest.mark.parametrize(("url", "addresses", "allow_private", "refused"), [
    ("https://hooks.example.org/x", ["93.184.215.14"], False, ""),
    ("http://hooks.example.org:8080/x?y=1", ["2606:2800:21f:cb07:6820:80da:af6b:8b2c"], False, ""),
    ("ftp://hooks.example.org/x", ["93.184.215.14"], False, "http:// or https://"),
    ("javascript:alert(1)", [], False, "http:// or https://"),
    ("https://user:pw@hooks.example.org/", ["93.184.215.14"], False, "user name or password"),
    ("https:///nohost", [], False, "no host name"),
    ("https://hooks.example.org/ x", ["93.184.215.14"], False, "spaces"),
    ("https://unknown.invalid/", [], False, "cannot be resolved"),
    ("http://127.0.0.1:5000/", [], False, "private or loopback"),
    ("http://localhost/", ["127.0.0.1", "::1"], False, "private or loopback"),
    ("http://10.1.2.3/", [], False, "private or loopback"),
    ("http://[::1]/", [], False, "private or loopback"),
    ("http://rebind.example.org/", ["93.184.215.14", "192.168.1.5"], False, "private or loopback"),
    ("http://[::ffff:10.0.0.1]/", [], False, "private or loopback"),
    ("http://127.0.0.1:5000/", [], True, ""),
    ("http://10.1.2.3/", [], True, ""),
    ("http://169.254.169.254/latest/meta-data/", [], True, "link-local, cloud metadata"),
    ("http://[fd00:ec2::254]/", [], True, "link-local, cloud metadata"),
    ("http://[::ffff:169.254.169.254]/", [], True, "link-local, cloud metadata"),
    ("http://metadata.google.internal/", ["169.254.169.254"], True, "cloud metadata"),
    ("http://sneaky.example.org/", ["93.184.215.14", "169.254.10.1"], True, "link-local"),
    ("http://[fe80::1]/", [], True, "link-local"),
    ("http://0.0.0.0/", [], True, "link-local"),
    ("http://224.0.0.1/", [], True, "link-local"),
    ("http://100.100.100.200/", [], True, "cloud metadata"),
])
def test_webhook_urls(url: str, addresses: list[str], allow_private: bool, refused: str) -> None:
    if not refused:
        target = check_url(url, allow_private=allow_private, resolve=resolver(addresses))
        assert target.addresses
        return
    with pytest.raises(UnsafeWebhookURL) as caught:
        check_url(url, allow_private=allow_private, resolve=resolver(addresses))
    assert refused in str(caught.value)


def test_a_refused_url_is_a_400_with_its_reason_and_nothing_is_added(app: Flask, client: FlaskClient) -> None:
    answer = register(client, "http://127.0.0.1:9/hook")
    assert answer.status_code == 400
    assert "WEBHOOKS_ALLOW_PRIVATE" in answer.get_data(as_text=True)
    assert app.extensions["wiki_webhooks"].queue.endpoints() == []


@pytest.mark.parametrize(("fields", "message"), [
    ({"events": ["commit"], "secret": "short"}, "16 to 200 characters"),
    ({"events": []}, "Choose one or more"),
    ({"events": ["commit", "bogus"]}, "Choose one or more"),
])
def test_bad_forms_are_refused(app: Flask, client: FlaskClient, fields: dict, message: str) -> None:
    Auth(client).login("admin")
    answer = client.post("/-/admin/webhooks", data={"url": "http://93.184.215.14/x", **fields,
                                                    "csrf_token": csrf_token(client, "/-/admin/webhooks")})
    assert answer.status_code == 400 and message in answer.get_data(as_text=True)
    assert app.extensions["wiki_webhooks"].queue.endpoints() == []


def test_a_delivery_to_an_address_that_became_private_is_refused(hooked_app: Flask) -> None:
    """DNS rebinding: the URL is checked again when sent, and nothing reaches the private address."""
    from wiki.webhooks.sender import send

    outcome = send("http://127.0.0.1:9/x", b"{}", {}, timeout=1, allow_private=False)
    assert outcome.status is None and "private or loopback" in outcome.error
    outcome = send("http://rebind.example.org/x", b"{}", {}, timeout=1, allow_private=True,
                   resolve=resolver(["169.254.169.254"]))
    assert outcome.status is None and "refused" in outcome.error


def test_a_delivery_tries_each_checked_address(receiver: Receiver) -> None:
    """A name with several addresses: the first that takes the connection gets the request."""
    from wiki.webhooks.sender import send

    outcome = send(f"http://multi.example.org:{receiver.port}/hook", b'{"a": 1}', {"X-Wiki-Event": "commit"},
                   timeout=2, allow_private=True, resolve=resolver(["127.0.0.3", "127.0.0.1"]))
    assert outcome.delivered and outcome.error == ""
    assert receiver.requests[0].body == b'{"a": 1}'
    assert receiver.requests[0].headers["Host"] == f"multi.example.org:{receiver.port}"


def test_a_command_line_write_leaves_sending_to_the_servers(hooked_app: Flask) -> None:
    """A write outside any request (flask import-repo, a script) queues nothing and starts no thread:
    a serving process notices the ref movement and sends."""
    service = hooked_app.extensions["wiki_webhooks"]
    service.queue.add_endpoint("http://127.0.0.1:9/hook", ["commit"], SECRET, site_url="", created_by="admin")
    store = hooked_app.extensions["wiki_store"]
    store.save_page("Script/Page", "# Script\n", base=store.head(), author=AUTHOR, summary="from a script")
    assert service._thread is None
    hooked_app.test_client().get("/-/pages")  # a request: this process serves, so it sends
    assert service._thread is not None and service._thread.is_alive()
