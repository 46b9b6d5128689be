"""Read replicas (issue 18): an instance with ``PRIMARY_URL`` serves every read from a mirror of
the primary's content repository and sends every write to the primary.

The mirror is fetched every ``REPLICA_FETCH_SECONDS`` by a thread in each worker (one fetch at a
time), and at once when the primary posts to ``/-/replica/notify`` after a commit (a primary lists
its replicas in ``REPLICAS``). Accounts and sessions live in the shared PostgreSQL
(``DATABASE_URL``) and the session cookie is signed with the shared ``SECRET_KEY``, so a user
logged in on one server is logged in on all. When the primary cannot be reached, the replica
keeps serving reads and tells writers that editing is unavailable.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request

from flask import Blueprint, Flask, abort, current_app, redirect, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .store import replication

bp = Blueprint("replica", __name__, url_prefix="/-")
# Reads that open an editor: on a replica they go to the primary too.
EDITOR_ENDPOINTS = frozenset({"pages.edit", "pages.rename", "pages.delete", "proposals.new", "proposals.update",
                              "site.new_page"})
# Requests a replica answers itself even when they change something: logging in and out make and
# end a session in the shared database (so it holds on every server), the language menu only sets
# a cookie, and the notification only asks for a fetch. Everything else that writes goes to the primary.
LOCAL_ENDPOINTS = frozenset({"auth.login", "auth.logout", "language.choose", "replica.notify", "static"})
REACHABLE_FOR_SECONDS = 3.0


@bp.post("/replica/notify")
def notify() -> Response:
    """The primary committed: fetch now (idempotent; at most one fetch runs at a time)."""
    if not current_app.config.get("PRIMARY_URL"):
        abort(404)
    current_app.extensions["wiki_replica"].wanted.set()
    return Response(status=204)


class Follower:
    """This process's fetch loop and its view of whether the primary answers."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.primary = app.config["PRIMARY_URL"].rstrip("/")
        self.interval = float(app.config["REPLICA_FETCH_SECONDS"])
        self.wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._reachable = (0.0, False)

    def ensure_running(self) -> None:
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="replica-fetch", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        store = self.app.extensions["wiki_store"]
        while True:
            self.wanted.wait(self.interval)
            self.wanted.clear()
            replication.fetch(store.reader)

    def primary_reachable(self) -> bool:
        checked, answer = self._reachable
        if time.monotonic() - checked < REACHABLE_FOR_SECONDS:
            return answer
        try:
            with urllib.request.urlopen(f"{self.primary}/-/language?lang=en", timeout=2) as response:
                answer = response.status < 500
        except urllib.error.HTTPError as error:
            answer = error.code < 500
        except OSError:
            answer = False
        self._reachable = (time.monotonic(), answer)
        return answer


class Notifier:
    """On a primary: tell the replicas in ``REPLICAS`` to fetch, off the request's path."""

    def __init__(self, replicas: list[str]) -> None:
        self.replicas = [url.rstrip("/") for url in replicas]
        self.wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._pid = 0

    def changed(self) -> None:
        self.wanted.set()
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="replica-notify", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while self.wanted.wait(timeout=60):
            self.wanted.clear()
            for url in self.replicas:
                try:
                    urllib.request.urlopen(urllib.request.Request(f"{url}/-/replica/notify", method="POST"),
                                           timeout=2).close()
                except OSError:
                    pass  # a replica that is down catches up with its own timer


def init_app(app: Flask) -> None:
    app.config.setdefault("PRIMARY_URL", None)
    app.config.setdefault("REPLICAS", [])
    app.config.setdefault("REPLICA_FETCH_SECONDS", 2.0)
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(bp)  # a trigger with no effect but a fetch
    store = app.extensions["wiki_store"]
    if app.config["REPLICAS"]:
        notifier = Notifier(list(app.config["REPLICAS"]))
        committed = store.committer.on_commit
        store.committer.on_commit = lambda: (committed(), notifier.changed())
    if not app.config["PRIMARY_URL"]:
        return
    follower = app.extensions["wiki_replica"] = Follower(app)

    def send_writes_to_the_primary() -> Response | None:
        follower.ensure_running()
        endpoint = request.endpoint or ""
        if endpoint in LOCAL_ENDPOINTS or endpoint.startswith("git_http."):
            if endpoint == "git_http.receive_pack" or request.args.get("service") == "git-receive-pack":
                abort(403, description=_("This server is a read replica: push to the primary, %(url)s.",
                                         url=follower.primary))
            return None
        if request.method in ("GET", "HEAD", "OPTIONS") and endpoint not in EDITOR_ENDPOINTS:
            return None
        if not follower.primary_reachable():
            abort(503, description=_("Editing is unavailable: the primary server cannot be reached. "
                                     "Reading continues here."))
        return redirect(follower.primary + request.full_path.rstrip("?"), 307)

    # First of all hooks: a write is the primary's to check (CSRF included), not this server's.
    app.before_request_funcs.setdefault(None, []).insert(0, send_writes_to_the_primary)
