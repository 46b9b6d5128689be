"""Replicas fail loudly (issue 25, item 3) and only their primary can make them fetch (issue 24, item 8).

`flask --app wiki replica` exits 1 with one line when the primary is down or private without a
token, and takes a read token for a private primary; fetches go to ``PRIMARY_URL`` as it is now;
a replica whose fetches fail says so once in its log (and once when they work again) and tells
other code when it last fetched; ``/-/replica/notify`` needs the shared secret and a flood of
notifications makes at most one fetch per ``REPLICA_NOTIFY_SECONDS``. Primaries are real wikis
served over HTTP on 127.0.0.1.
"""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import BaseWSGIServer, make_server

from wiki import create_app
from wiki.replica import fetch_state
from wiki.store import Author, Store

from .conftest import make_app
from .support.servers import free_port, wait_until

ROOT = Path(__file__).resolve().parent.parent
FLASK = str(Path(sys.executable).parent / "flask")
SECRET = "notify-secret-for-tests"
EDITOR = Author(name="Eda", email="eda@example.org", username="editor", group="civil-society")


class Served:
    """A wiki served on 127.0.0.1 that can be stopped and started again on the same port."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.port = 0
        self.server: BaseWSGIServer | None = None
        self.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def store(self) -> Store:
        return self.app.extensions["wiki_store"]

    def start(self) -> None:
        self.server = make_server("127.0.0.1", self.port, self.app, threaded=True)
        self.port = self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Served]]:
    served: list[Served] = []

    def start(name: str, **config: object) -> Served:
        served.append(Served(make_app(tmp_path / name, **config)))
        return served[-1]

    yield start
    for each in served:
        each.stop()
        each.store.close()


def replica_app(instance: Path, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                       **config}, instance_path=str(instance))


# --------------------------------------------------------------------------- flask --app wiki replica


def test_replica_against_a_closed_port_exits_1_with_one_line(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "WIKI_INSTANCE_PATH": str(tmp_path / "replica")}
    done = subprocess.run([FLASK, "--app", "wiki", "replica", "--primary", f"http://127.0.0.1:{port}"], cwd=ROOT,
                          env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done
    assert done.stdout == "" and done.stderr.count("\n") == 1, done
    assert done.stderr.startswith(f"Error: Cannot reach the primary http://127.0.0.1:{port}: "), done.stderr
    assert "Connection refused" in done.stderr
    assert "PRIMARY_URL" not in (tmp_path / "replica" / "config.py").read_text()


def test_a_private_primary_needs_a_token(serve: Callable[..., Served], tmp_path: Path) -> None:
    primary = serve("primary", PUBLIC_READ=False)
    primary.store.save_page("Mandate", "# Mandate\n\nPrivate text.\n", base=primary.store.head(), author=EDITOR,
                            summary="Private edit")
    owner = primary.app.extensions["wiki_users"].require("reader")
    _, token = primary.app.extensions["wiki_tokens"].create(owner, "replica", "read", int(time.time()) + 3600)
    replica = replica_app(tmp_path / "replica")
    runner = replica.test_cli_runner()

    refused = runner.invoke(args=["replica", "--primary", primary.base])
    assert refused.exit_code == 1 and refused.output.count("\n") == 1, refused.output
    assert refused.output.startswith(f"Error: The primary {primary.base} refused access (HTTP 401): it is private")
    wrong = runner.invoke(args=["replica", "--primary", primary.base, "--token", token[:-4] + "AAAA"])
    assert wrong.exit_code == 1 and "refused the token (HTTP 401)" in wrong.output, wrong.output
    assert not (tmp_path / "replica" / "config.py").exists()

    made = runner.invoke(args=["replica", "--primary", primary.base, "--token", token])
    assert made.exit_code == 0, made.output
    assert replica.extensions["wiki_store"].head() == primary.store.head()
    config = tmp_path / "replica" / "config.py"
    assert f"PRIMARY_TOKEN = {token!r}" in config.read_text() and stat.S_IMODE(config.stat().st_mode) == 0o600
    # The replica's own fetches use the token too: a later edit arrives.
    primary.store.save_page("Mandate", "# Mandate\n\nSecond private text.\n", base=primary.store.head(),
                            author=EDITOR, summary="Second")
    restarted = replica_app(tmp_path / "replica")
    after = restarted.extensions["wiki_replica"].fetch()
    assert after is not None and after.error == ""
    assert restarted.extensions["wiki_store"].head() == primary.store.head()


# --------------------------------------------------------------------------- following, failing, lag


def test_fetches_follow_primary_url_and_failures_are_logged_once(serve: Callable[..., Served], tmp_path: Path,
                                                                 caplog: pytest.LogCaptureFixture) -> None:
    first, second = serve("first"), serve("second")
    second.store.save_page("Mandate", "# Mandate\n\nOnly on the second primary.\n", base=second.store.head(),
                           author=EDITOR, summary="Second primary")
    assert replica_app(tmp_path / "replica").test_cli_runner().invoke(
        args=["replica", "--primary", first.base]).exit_code == 0
    config = tmp_path / "replica" / "config.py"
    config.write_text(config.read_text().replace(first.base, second.base))  # the primary moved

    caplog.set_level(logging.INFO, logger="wiki")
    replica = replica_app(tmp_path / "replica", REPLICA_FETCH_SECONDS=0.1, REPLICA_NOTIFY_SECONDS=0.1)
    follower = replica.extensions["wiki_replica"]
    store = replica.extensions["wiki_store"]
    assert replica.test_client().get("/Mandate").status_code == 200  # starts the fetch loop
    wait_until(lambda: store.head() == second.store.head(), "the replica did not follow PRIMARY_URL", seconds=10)
    worked = fetch_state(replica)
    assert worked is not None and worked.error == "" and worked.last_success > time.time() - 5

    second.stop()
    attempts = follower.attempts
    wait_until(lambda: follower.attempts >= attempts + 5, "the replica stopped polling", seconds=10)
    failing = fetch_state(replica)
    assert failing is not None and "127.0.0.1" in failing.error
    assert failing.last_success <= time.time() - 0.3 and failing.last_attempt > failing.last_success
    warnings = [record for record in caplog.records if "cannot fetch" in record.getMessage()]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert second.base in warnings[0].getMessage()

    second.start()
    wait_until(lambda: not fetch_state(replica).error, "the replica did not recover", seconds=10)
    attempts = follower.attempts
    wait_until(lambda: follower.attempts >= attempts + 3, "the replica stopped polling", seconds=10)
    assert len([record for record in caplog.records if "cannot fetch" in record.getMessage()]) == 1
    assert len([record for record in caplog.records if "works again" in record.getMessage()]) == 1
    assert fetch_state(replica).last_success > failing.last_success
    assert fetch_state(first.app) is None  # a primary has no fetch state


# --------------------------------------------------------------------------- /-/replica/notify


def test_notify_needs_the_shared_secret(serve: Callable[..., Served], tmp_path: Path) -> None:
    primary = serve("primary")
    replica = replica_app(tmp_path / "replica", PRIMARY_URL=primary.base, REPLICA_NOTIFY_SECRET=SECRET,
                          REPLICA_FETCH_SECONDS=60)
    client = replica.test_client()
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": SECRET},
                    {"Authorization": f"Basic {SECRET}"}):
        answer = client.post("/-/replica/notify", headers=headers)
        assert answer.status_code == 403 and "Only the primary notifies" in answer.get_data(as_text=True)
    assert client.post("/-/replica/notify", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 204

    silent = replica_app(tmp_path / "silent", PRIMARY_URL=primary.base, REPLICA_FETCH_SECONDS=60)
    answer = silent.test_client().post("/-/replica/notify", headers={"Authorization": "Bearer anything"})
    assert answer.status_code == 403 and "set REPLICA_NOTIFY_SECRET" in answer.get_data(as_text=True)


def test_a_flood_of_notifications_makes_one_fetch_a_second(serve: Callable[..., Served], tmp_path: Path) -> None:
    primary = serve("primary")
    replica = replica_app(tmp_path / "replica", PRIMARY_URL=primary.base, REPLICA_NOTIFY_SECRET=SECRET,
                          REPLICA_FETCH_SECONDS=60, REPLICA_NOTIFY_SECONDS=1)
    follower = replica.extensions["wiki_replica"]
    client = replica.test_client()
    started = time.monotonic()
    while time.monotonic() - started < 2.5:
        assert client.post("/-/replica/notify", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 204
        time.sleep(0.01)
    time.sleep(1.2)  # the last coalesced fetch runs
    assert 2 <= follower.attempts <= 4, follower.attempts  # ~250 notifications over 2.5 s


def test_the_primary_notifies_its_replicas_with_the_secret(serve: Callable[..., Served], tmp_path: Path) -> None:
    replica_port = free_port()
    primary = serve("primary", REPLICAS=[f"http://127.0.0.1:{replica_port}"], REPLICA_NOTIFY_SECRET=SECRET)
    replica = Served(replica_app(tmp_path / "replica", PRIMARY_URL=primary.base, REPLICA_NOTIFY_SECRET=SECRET,
                                 REPLICA_FETCH_SECONDS=60))
    replica.stop()
    replica.port = replica_port
    replica.start()
    try:
        primary.store.save_page("Mandate", "# Mandate\n\nNotified.\n", base=primary.store.head(), author=EDITOR,
                                summary="Notify")
        wait_until(lambda: replica.store.head() == primary.store.head(),
                   "the replica was not told (its own timer waits 60 s)", seconds=5)
    finally:
        replica.stop()
        replica.store.close()
