"""Read replicas (issue 18): an instance with ``PRIMARY_URL`` serves every read from a mirror of
the primary's content repository and sends every write to the primary.

The mirror is fetched every ``REPLICA_FETCH_SECONDS`` by a thread in each worker (one fetch at a
time), and soon after the primary posts to ``/-/replica/notify`` following a commit (a primary
lists its replicas in ``REPLICAS``). A notification must carry the shared secret
``REPLICA_NOTIFY_SECRET`` (``Authorization: Bearer``); notifications coming faster than one per
``REPLICA_NOTIFY_SECONDS`` are coalesced into one fetch, so nobody can make a replica hammer its
primary. A private primary is fetched with ``PRIMARY_TOKEN`` (a read token of an account there).
Accounts and sessions live in the shared PostgreSQL (``DATABASE_URL``) and the session cookie is
signed with the shared ``SECRET_KEY``, so a user logged in on one server is logged in on all.
When the primary cannot be reached, the replica keeps serving reads, tells writers that editing
is unavailable, and logs the failure once (and once more when fetching works again);
:func:`fetch_state` tells other code (readiness, metrics) when the last fetch worked.
"""

from __future__ import annotations

import hmac
import os
import threading
import time
import urllib.error
import urllib.request

from flask import Blueprint, Flask, abort, current_app, redirect, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .errors import WikiError
from .store import replication
from .store.replication import FetchState

bp = Blueprint("replica", __name__, url_prefix="/-")
# Reads that open an editor: on a replica they go to the primary too.
EDITOR_ENDPOINTS = frozenset({"pages.edit", "pages.rename", "pages.delete", "proposals.new", "proposals.update",
                              "site.new_page"})
# Requests a replica answers itself even when they change something: logging in and out make and
# end a session in the shared database (so it holds on every server), the language menu only sets
# a cookie, and the notification only asks for a fetch. Everything else that writes goes to the primary.
LOCAL_ENDPOINTS = frozenset({"auth.login", "auth.logout", "language.choose", "replica.notify", "static"})
REACHABLE_FOR_SECONDS = 3.0
PROBE_TIMEOUT = 10.0
GIT_ADVERTISEMENT = "application/x-git-upload-pack-advertisement"


def _plain(status: int, message: str) -> Response:
    return Response(message + "\n", status, {"Content-Type": "text/plain; charset=utf-8"})


@bp.post("/replica/notify")
def notify() -> Response:
    """The primary committed: fetch soon (several notifications within ``REPLICA_NOTIFY_SECONDS``
    make one fetch). Only the primary, which knows ``REPLICA_NOTIFY_SECRET``, may ask."""
    if not current_app.config.get("PRIMARY_URL"):
        abort(404)
    secret = current_app.config.get("REPLICA_NOTIFY_SECRET") or ""
    if not secret:
        return _plain(403, "Notifications are off on this replica: set REPLICA_NOTIFY_SECRET on it and on "
                           "its primary. The replica fetches every REPLICA_FETCH_SECONDS meanwhile.")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {secret}".encode()):
        return _plain(403, "Only the primary notifies a replica: send Authorization: Bearer REPLICA_NOTIFY_SECRET.")
    follower: Follower = current_app.extensions["wiki_replica"]
    follower.ensure_running()
    follower.wanted.set()
    return Response(status=204)


def fetch_state(app: Flask) -> FetchState | None:
    """What this replica's fetches did lately, shared by its processes (``None`` on a primary).

    ``time.time() - state.last_success`` is the replica's lag; ``state.error`` says why fetching
    fails, when it does. For ``/-/ready``, ``/-/metrics`` and the admin status page.
    """
    if not app.config.get("PRIMARY_URL"):
        return None
    return replication.state(app.extensions["wiki_store"].reader)


def probe_primary(primary: str, token: str | None, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Why the content repository of the wiki at ``primary`` cannot be fetched from here (one
    line), or ``None`` when it answers as a Living Wiki does."""
    try:
        url = replication.content_url(primary) + "/info/refs?service=git-upload-pack"
    except WikiError as error:
        return error.message
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=timeout) as response:
            if not response.headers.get("Content-Type", "").startswith(GIT_ADVERTISEMENT):
                return f"{primary} answered, but not with a wiki's content repository; is it a Living Wiki?"
    except urllib.error.HTTPError as error:
        if error.code in (401, 403) and token:
            return (f"The primary {primary} refused the token (HTTP {error.code}): it is wrong, expired or "
                    "revoked; make a read token there (Account > Tokens) and pass it with --token.")
        if error.code in (401, 403):
            return (f"The primary {primary} refused access (HTTP {error.code}): it is private; pass a read "
                    "token of one of its accounts with --token (kept as PRIMARY_TOKEN).")
        return f"The primary {primary} answered HTTP {error.code} to a fetch; is it a Living Wiki?"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return f"Cannot reach the primary {primary}: {getattr(error, 'reason', error)}."
    return None


class Follower:
    """This process's fetch loop and its view of whether the primary answers."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.interval = float(app.config["REPLICA_FETCH_SECONDS"])
        self.min_gap = float(app.config["REPLICA_NOTIFY_SECONDS"])
        self.wanted = threading.Event()
        self.attempts = 0  # fetches this process started (a notification flood must not raise it)
        self._thread: threading.Thread | None = None
        self._pid = 0
        self._started = float("-inf")
        self._reachable = (0.0, False)

    @property
    def primary(self) -> str:
        """The primary's address as the setting says now (a changed ``PRIMARY_URL`` is followed)."""
        return str(self.app.config["PRIMARY_URL"]).rstrip("/")

    def ensure_running(self) -> None:
        if self._thread is None or not self._thread.is_alive() or self._pid != os.getpid():
            self._pid = os.getpid()
            self._thread = threading.Thread(target=self._loop, name="replica-fetch", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        while True:
            self.wanted.wait(self.interval)
            rest = self._started + self.min_gap - time.monotonic()
            if rest > 0:
                time.sleep(rest)  # notifications within the gap are coalesced into this fetch
            self.wanted.clear()
            self._started = time.monotonic()
            self.fetch()

    def fetch(self) -> FetchState | None:
        """Fetch once; log when fetching starts failing or works again (not on every poll)."""
        self.attempts += 1
        store = self.app.extensions["wiki_store"]
        result = replication.fetch(store.reader, self.primary, token=self.app.config.get("PRIMARY_TOKEN"))
        if result is None:
            return None  # another process of this replica is fetching
        before, after = result
        if after.error and not before.error:
            since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(before.last_success)) \
                if before.last_success else "never"
            self.app.logger.warning("replica: cannot fetch from the primary %s: %s (reads go on; last fetched: %s)",
                                    self.primary, after.error, since)
        elif before.error and not after.error:
            self.app.logger.info("replica: fetching from the primary %s works again", self.primary)
        return after

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
    """On a primary: tell the replicas in ``REPLICAS`` to fetch, off the request's path, with the
    shared secret."""

    def __init__(self, replicas: list[str], secret: str) -> None:
        self.replicas = [url.rstrip("/") for url in replicas]
        self.headers = {"Authorization": f"Bearer {secret}"}
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
                request = urllib.request.Request(f"{url}/-/replica/notify", method="POST", headers=self.headers)
                try:
                    urllib.request.urlopen(request, timeout=2).close()
                except OSError:
                    pass  # a replica that is down catches up with its own timer


def init_app(app: Flask) -> None:
    app.config.setdefault("PRIMARY_URL", None)
    app.config.setdefault("PRIMARY_TOKEN", None)
    app.config.setdefault("REPLICAS", [])
    app.config.setdefault("REPLICA_FETCH_SECONDS", 2.0)
    app.config.setdefault("REPLICA_NOTIFY_SECRET", None)
    app.config.setdefault("REPLICA_NOTIFY_SECONDS", 1.0)
    app.register_blueprint(bp)
    app.extensions["csrf"].exempt(bp)  # a trigger with no effect but a fetch
    store = app.extensions["wiki_store"]
    if app.config["REPLICAS"] and app.config["REPLICA_NOTIFY_SECRET"]:
        notifier = Notifier(list(app.config["REPLICAS"]), str(app.config["REPLICA_NOTIFY_SECRET"]))
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
