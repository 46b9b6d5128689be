"""``/content.git``: Git's smart HTTP protocol for maintainers (clone, fetch, pull, push).

Reading is anonymous when ``PUBLIC_READ`` is on; otherwise, and for every push, git sends HTTP
Basic credentials of a wiki account: its password, or a personal access token (``wiki.tokens``;
a ``read`` token fetches, a ``write`` one may also push; a replica sends its token as
``Authorization: Bearer``). Pushing needs the role ``editor`` at least;
the hook lets admins push to main and tags and everyone else only to the branches of the proposals
they created. Failed Basic log-ins count towards the same lock-out as the log-in form. The push
rules themselves run inside git, in the ``pre-receive`` hook (``wiki.hooks``), before any ref
moves; the processes start in ``wiki.gitserver``. No browser form posts here, so CSRF protection is
off for this blueprint only.
"""

from __future__ import annotations

import logging
import re
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator
from functools import partial
from pathlib import Path
from typing import IO

from flask import Blueprint, Flask, Response, current_app, request

from ..actions import pushes
from ..actions.context import Actor
from ..gitserver import push_report, run_http_backend
from ..operations import metrics
from ..operations.logs import request_id, security_event
from ..tokens import looks_like_token
from ..users import LoginThrottled, User, UserStore
from .common import store

bp = Blueprint("git_http", __name__, url_prefix="/content.git")

SERVICES = ("git-upload-pack", "git-receive-pack")
PUSH_ROLE = "editor"  # the hook narrows this: only admins push to main and tags
# Fetch negotiation bodies (wants and haves) stay far below this even for large histories.
MAX_FETCH_REQUEST_BYTES = 32 * 1024 * 1024
# Room for the ref-update commands in front of the pack in a push request.
PUSH_COMMANDS_ROOM = 1024 * 1024
GIT_PROTOCOL_RE = re.compile(r"\A[A-Za-z0-9=:._-]{0,200}\Z")
MAX_REPORT_BYTES = 1024 * 1024  # the report and the hook's messages; a push's answer has no pack
MAX_LOGGED_MESSAGES = 5  # of the hook's lines, in a push_refused log line
WIKI_PACKAGE_PARENT = str(Path(__file__).resolve().parent.parent.parent)


def _users() -> UserStore:
    return current_app.extensions["wiki_users"]


def _plain(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(message + "\n", status, {"Content-Type": "text/plain; charset=utf-8", **(headers or {})})


def _challenge(message: str) -> Response:
    """A 401 that makes git ask for (or send) the user name and password."""
    return _plain(401, message, {"WWW-Authenticate": 'Basic realm="Living Wiki content", charset="UTF-8"'})


def _authorize(push: bool) -> User | None | Response:
    """The wiki account behind the request's Basic credentials, ``None`` for anonymous, or a refusal."""
    credentials = request.authorization
    user = None
    if credentials is not None and credentials.type == "bearer" and looks_like_token(credentials.token or ""):
        return _authorize_token(None, credentials.token or "", push)  # a replica's token (PRIMARY_TOKEN)
    if credentials is not None:
        username, password = credentials.username or "", credentials.password or ""
        if credentials.type != "basic" or not username:
            return _challenge("Use HTTP Basic authentication with your wiki user name and password.")
        if looks_like_token(password):  # a personal access token as the password
            return _authorize_token(username, password, push)
        try:  # the same limits as the log-in form (see UserStore.log_in)
            user = _users().log_in(username, password, address=request.remote_addr or "")
        except LoginThrottled:
            return _plain(429, "Too many failed log-in attempts. Wait 15 minutes and try again.",
                          {"Retry-After": "900"})
        if user is None:
            return _challenge("Wrong user name or password.")
    if push:
        if user is None:
            return _challenge(f"Pushing needs a wiki account with the role {PUSH_ROLE!r}.")
        if not user.has_role(PUSH_ROLE):
            return _plain(403, f"Pushing needs the role {PUSH_ROLE!r}; {user.username} has the role {user.role!r}.")
    elif user is None and not current_app.config["PUBLIC_READ"]:
        return _challenge("This wiki is private: log in with your wiki user name and password.")
    return user


def _authorize_token(username: str | None, secret: str, push: bool) -> User | Response:
    """The owner of an active token, given as the password with their user name (git asks for
    both) or alone as ``Authorization: Bearer`` (a replica fetching); a read token fetches but
    does not push."""
    found = current_app.extensions["wiki_tokens"].verify(secret, address=request.remote_addr or "")
    if found is None or (username is not None and found[0].username.casefold() != username.casefold()):
        return _challenge("Wrong user name or token, or the token expired or was revoked.")
    user, token = found
    if push and not token.can_write:
        return _plain(403, "This token may only read: pushing needs a token with the scope 'write'.")
    if push and not user.has_role(PUSH_ROLE):
        return _plain(403, f"Pushing needs the role {PUSH_ROLE!r}; {user.username} has the role {user.role!r}.")
    return user


def _spool_body(limit: int) -> tuple[IO[bytes], int]:
    """The request body in a temporary file, and its size.

    Werkzeug reads exactly Content-Length bytes, or to the end of a chunked body when the server
    marks it terminated, and answers 413 beyond ``limit``. A real file with a known length lets
    the backend read it at its pace (no pipe to deadlock on while it writes its answer).
    """
    request.max_content_length = limit
    spool = tempfile.TemporaryFile(prefix="wiki-git-")
    try:
        shutil.copyfileobj(request.stream, spool, 65536)
    except BaseException:
        spool.close()
        raise
    size = spool.tell()
    spool.seek(0)
    return spool, size


def _serve(service: str, path: str, user: User | None, *, with_body: bool) -> Response:
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    if encoding not in {"", "gzip", "x-gzip"}:
        return _plain(415, "Request bodies may only be gzip-compressed.")
    protocol = request.headers.get("Git-Protocol", "")
    config = current_app.config
    wiki = store()
    push = service == "git-receive-pack"
    cgi = {
        "REQUEST_METHOD": request.method,
        "PATH_INFO": path,
        "QUERY_STRING": "" if with_body else f"service={service}",
        "CONTENT_TYPE": request.headers.get("Content-Type", ""),
        "REMOTE_ADDR": request.remote_addr or "",
        "SERVER_PROTOCOL": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
        "HTTP_CONTENT_ENCODING": encoding,
        "HTTP_GIT_PROTOCOL": protocol if GIT_PROTOCOL_RE.match(protocol) else "",
    }
    if user is not None and push:
        cgi["REMOTE_USER"] = user.username
    git_config = {
        "http.getanyfile": "false",  # the smart protocol only: no raw object files
        "http.uploadpack": "true",
        "http.receivepack": "true" if push and user is not None else "false",
        "receive.fsckObjects": "true",  # malformed objects, '..' or '.git' in trees
        "receive.maxInputSize": str(config["MAX_PUSH_BYTES"]),
        "receive.denyNonFastForwards": "true",
        "receive.denyDeletes": "true",
        "core.hooksPath": str(wiki.path / "hooks"),
    }
    hook_env = {
        "WIKI_HOOK_PYTHON": sys.executable,
        "PYTHONPATH": WIKI_PACKAGE_PARENT,
        "WIKI_HOOK_PUSHER": user.username if user else "",
        "WIKI_HOOK_PUSHER_GROUP": user.group if user else "",
        "WIKI_HOOK_PUSHER_ROLE": user.role if user else "",
        "WIKI_HOOK_GROUPS": ",".join(config["GROUPS"]),
        "WIKI_HOOK_MAX_PAGE_BYTES": str(config["MAX_PAGE_BYTES"]),
        "WIKI_HOOK_MAX_ATTACHMENT_BYTES": str(config["MAX_ATTACHMENT_BYTES"]),
        "WIKI_HOOK_COMMITTER": f"{config['COMMITTER_NAME']} <{config['COMMITTER_EMAIL']}>",
    }
    if push:
        wiki.install_hooks()  # a repository created before the hooks existed gets them now
    body = None
    if with_body:
        limit = config["MAX_PUSH_BYTES"] + PUSH_COMMANDS_ROOM if push else MAX_FETCH_REQUEST_BYTES
        body, size = _spool_body(limit)
        cgi["CONTENT_LENGTH"] = str(size)
    answer = run_http_backend(wiki.path, cgi=cgi, config=git_config, extra_env=hook_env, body=body,
                              on_error=current_app.logger.warning)
    response = Response(answer.body, status=answer.status, headers=answer.headers, direct_passthrough=True)
    return response


@bp.get("/info/refs")
def info_refs() -> Response:
    service = request.args.get("service", "")
    if service not in SERVICES:
        return _plain(403, "Only Git's smart HTTP protocol is served: use git 1.6.6 or newer.")
    user = _authorize(push=service == "git-receive-pack")
    if isinstance(user, Response):
        return user
    return _serve(service, "/info/refs", user, with_body=False)


@bp.post("/git-upload-pack")
def upload_pack() -> Response:
    user = _authorize(push=False)
    if isinstance(user, Response):
        return user
    return _serve("git-upload-pack", "/git-upload-pack", user, with_body=True)


@bp.post("/git-receive-pack")
def receive_pack() -> Response:
    user = _authorize(push=True)
    if isinstance(user, Response):
        return user
    before = pushes.branches()
    response = _serve("git-receive-pack", "/git-receive-pack", user, with_body=True)
    response.response = _reporting_push(response.response, user.username if user else "",
                                        request.remote_addr or "", request_id())
    # The refs move while the answer streams: once it is over, index what the push brought and tell
    # who is concerned. (Not Response.call_on_close: a direct-passthrough response never calls it.)
    response.response = _then(response.response, current_app.extensions["wiki_search"].build_in_background)
    if user is not None:
        response.response = _then(response.response, partial(_tell_pushed, current_app._get_current_object(), user,
                                                              before))
    return response


def _then(answer: Iterable[bytes], done: Callable[[], None]) -> Iterator[bytes]:
    """``answer``, then ``done()`` once it has all been sent."""
    yield from answer
    done()


def _tell_pushed(app: Flask, user: User, before: dict[str, str]) -> None:
    """Once the push is over, tell who is concerned, as if the changes were made in the wiki."""
    actor = Actor(username=user.username, display_name=user.display_name, email=user.commit_email,
                  group=user.group, role=user.role)
    with app.app_context():
        try:
            pushes.pushed(actor, before, pushes.branches())
        except Exception:  # noqa: BLE001 - the push stands; its notifications are lost, and logged
            logging.getLogger(__name__).exception("notifications of a push failed")


def _reporting_push(answer: Iterable[bytes], user: str, client: str, request_id: str) -> Iterator[bytes]:
    """Pass git's answer on and, once it is over, log the push as accepted or refused (and count
    it), with the refs and, for a refusal, git's reason and what the push hook said."""
    kept = bytearray()
    for chunk in answer:
        if len(kept) < MAX_REPORT_BYTES:
            kept += chunk[:MAX_REPORT_BYTES - len(kept)]
        yield chunk
    report = push_report(bytes(kept))
    if report.refused or not report.accepted:
        metrics.count_push("refused")
        security_event("push_refused", user=user, client=client, request_id=request_id,
                       refs=", ".join(f"{ref} ({reason})" for ref, reason in report.refused) or "(no ref updated)",
                       reasons=" | ".join(report.messages[:MAX_LOGGED_MESSAGES]))
    else:
        metrics.count_push("accepted")
        security_event("push_accepted", user=user, client=client, request_id=request_id, level=logging.INFO,
                       refs=", ".join(report.accepted))


@bp.route("", defaults={"rest": ""}, methods=["GET", "POST", "PUT", "DELETE"])
@bp.route("/<path:rest>", methods=["GET", "POST", "PUT", "DELETE"])
def elsewhere(rest: str) -> Response:
    """Anything else under /content.git: point people at ``git clone``."""
    clone_url = request.url_root.rstrip("/") + "/content.git"
    return _plain(404, f"This is the wiki's Git repository. Clone it with: git clone {clone_url}")
