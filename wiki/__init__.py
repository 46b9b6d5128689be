"""Living Wiki: a Flask wiki whose Markdown pages live in a bare Git repository."""

from __future__ import annotations

import fcntl
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# First: importing these has dataclasses and regular expressions use what was compiled ahead
# (python -m wiki.precompile), before Flask and the wiki define or compile any.
from . import dataclass_code, regex_code  # noqa: F401

# isort: split
from flask import Flask, url_for
from flask_wtf.csrf import CSRFProtect

from . import settings
from .discussion import Discussions
from .places import PlaceIndex
from .render import Renderer
from .render.kept import KeptRenderings
from .routing import LazyBuilderRule
from .search import SearchIndex
from .store import Author, Store, replication
from .tokens import TokenStore
from .users import DEFAULT_GROUPS, SECRETARIAT_NAME, UserStore

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(test_config: dict[str, Any] | None = None, *, instance_path: str | None = None) -> Flask:
    """Build the app: defaults, ``<instance>/config.py``, ``WIKI_*`` variables, then ``test_config``."""
    instance = Path(instance_path or os.environ.get("WIKI_INSTANCE_PATH") or PROJECT_ROOT / "instance")
    app = Flask(__name__, instance_path=str(instance.resolve()), instance_relative_config=True,
                static_url_path="/-/static")
    app.url_rule_class = LazyBuilderRule  # URL builders compiled on first use, not at every start
    app.config.from_mapping(
        SITE_NAME="Living Wiki",
        PUBLIC_READ=True,
        CONTENT_REPO=None,
        USER_DATABASE=None,
        DATABASE_URL=None,  # postgresql://…: accounts, login sessions and limits there instead of USER_DATABASE
        CONTENT_SEED=str(PROJECT_ROOT / "content"),
        GROUPS=dict(DEFAULT_GROUPS),
        SEED_GROUP="international-organizations",
        MAX_PAGE_BYTES=1_000_000,
        MAX_PUSH_BYTES=100_000_000,  # the largest pack a `git push` to /content.git may send
        HISTORY_PAGE_SIZE=50,
        PASSWORD_HASH_METHOD="scrypt",
        SECURE_COOKIES=False,
        COMMITTER_NAME="Living Wiki",
        COMMITTER_EMAIL="wiki@living-wiki.invalid",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=None,
        SEARCH_DATABASE=None,
        RENDER_DATABASE=None,  # pages' HTML kept for every worker and the next start: <instance>/rendered.sqlite3
        ANCHOR_DATABASE=None,  # where threads' places are kept for every worker: <instance>/anchors.sqlite3
        ANCHOR_BUDGET_SECONDS=0.5,  # time one request may spend placing threads; the rest wait for the background
        ANCHOR_BUDGET_WORK=10_000_000,  # the same as work (about one character comparison each)
        ANCHOR_BACKGROUND=True,  # place what a request had no budget for in a thread of each worker
        SEARCH_PAGE_SIZE=20,
        MAX_ATTACHMENT_BYTES=10 * 1024 * 1024,
        MAX_IMPORT_BYTES=20 * 1024 * 1024,  # the largest .docx/.odt upload /-/import accepts
        SECRETARIAT_GROUP="secretariat",  # runs the process: edits directly, merges, moderates; never awaited
        IMPORT_STAGED_PER_USER=10,  # uploads one person may have waiting to be imported at once
        IMPORT_STAGED_BYTES_PER_USER=100 * 1024 * 1024,  # ... and their bytes
        PROPOSALS_REQUIRED=[],  # sections whose pages change only through proposals (admins excepted)
        CONTENT_LANGUAGE="en",  # the language of the originals; versions may be in the other five
        TRUSTED_PROXIES=0,  # reverse proxies in front whose X-Forwarded-For/-Proto are believed
        WEBHOOKS_ALLOW_PRIVATE=False,  # webhooks to private and loopback addresses (tests, intranets)
        WEBHOOKS_TIMEOUT=5,  # seconds per connection step of a webhook delivery
        WEBHOOKS_MAX_ATTEMPTS=8,  # then a delivery is given up (and logged as failed)
        WEBHOOKS_RETRY_SECONDS=30,  # the first retry's wait; each next one waits twice as long
        WEBHOOKS_MAX_RETRY_SECONDS=3600,
        WEBHOOKS_POLL_SECONDS=2,  # how often each process looks at the refs and the webhook queue
        MAIL_SERVER=None,  # the SMTP server; no mail is sent while it is unset
        MAIL_PORT=25,
        MAIL_USE_TLS=False,  # STARTTLS after connecting
        MAIL_USE_SSL=False,  # TLS from the start (port 465)
        MAIL_USERNAME=None,
        MAIL_PASSWORD=None,
        MAIL_FROM=None,  # the From address (default: COMMITTER_EMAIL)
        MAIL_RETRY_SECONDS=60,  # the first retry of a mail the server did not take; each next waits twice as long
        MAIL_MAX_ATTEMPTS=10,  # then the mail is given up
        SCHEDULER_SECONDS=60,  # each serving process runs the due jobs this often (one at a time); 0: never
    )
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("WIKI")
    if test_config:
        app.config.update(test_config)
    settings.validate(app.config)
    _derive_settings(app)

    app.extensions["wiki_store"] = Store(
        app.config["CONTENT_REPO"], committer_name=app.config["COMMITTER_NAME"],
        committer_email=app.config["COMMITTER_EMAIL"], max_page_bytes=app.config["MAX_PAGE_BYTES"],
        source_language=app.config["CONTENT_LANGUAGE"],
    )
    app.extensions["wiki_users"] = UserStore(
        app.config["DATABASE_URL"] or app.config["USER_DATABASE"],
        {**app.config["GROUPS"], app.config["SECRETARIAT_GROUP"]: SECRETARIAT_NAME},
        hash_method=app.config["PASSWORD_HASH_METHOD"])
    app.extensions["wiki_tokens"] = TokenStore(app.extensions["wiki_users"])
    app.extensions["wiki_renderer"] = Renderer(lambda page: url_for("pages.view", page=page),
                                               kept=KeptRenderings(app.config["RENDER_DATABASE"]))
    app.extensions["wiki_discussions"] = Discussions(
        app.extensions["wiki_store"], app.extensions["wiki_renderer"], PlaceIndex(app.config["ANCHOR_DATABASE"]),
        background=bool(app.config["ANCHOR_BACKGROUND"]), context=app.test_request_context,
        busy=lambda: (activity := app.extensions.get("wiki_activity")) is not None and activity.busy())
    app.extensions["wiki_search"] = SearchIndex(app.config["SEARCH_DATABASE"], app.extensions["wiki_store"])
    ensure_instance(app)

    from .views.call_files import raise_body_limit as raise_response_upload_limit
    from .views.imports import raise_body_limit

    app.before_request(raise_body_limit)  # before CSRFProtect's hook reads the form
    app.before_request(raise_response_upload_limit)  # the same for a call's Word response (issue 30)
    CSRFProtect(app)
    from . import (
        api,
        auth,
        cli,
        http_cache,
        i18n,
        limits,
        operations,
        replica,
        response_cache,
        security,
        templating,
        warmup,
        webhooks,
    )
    from .actions.call_drafts import init_app as init_call_drafts
    from .actions.deadlines import init_app as init_deadlines
    from .notify import init_app as init_notifications
    from .views import accounts as account_views
    from .views import (
        attachments,
        call_files,
        changes,
        comments,
        find,
        git_http,
        history,
        imports,
        pages,
        preview,
        proposals,
        review,
        site,
        tokens,
        translations,
    )
    from .views import auth as auth_views
    from .views import calls as call_views
    from .views import export as export_views
    from .views import language as language_views
    from .views import mail as mail_views
    from .views import notifications as notification_views
    from .views import redline as redline_views
    from .views import webhooks as webhook_views

    auth.init_app(app)
    init_notifications(app)
    init_deadlines(app)
    init_call_drafts(app)
    limits.init_app(app)
    security.init_app(app)
    i18n.init_app(app)
    http_cache.init_app(app)
    templating.init_app(app)
    app.register_blueprint(auth_views.bp)
    app.register_blueprint(account_views.bp)
    app.register_blueprint(language_views.bp)
    app.register_blueprint(site.bp)
    app.register_blueprint(history.bp)
    app.register_blueprint(review.bp)
    app.register_blueprint(changes.bp)
    app.register_blueprint(preview.bp)
    app.register_blueprint(git_http.bp)
    app.extensions["csrf"].exempt(git_http.bp)  # git sends no forms; it authenticates with HTTP Basic
    app.register_blueprint(find.bp)
    app.register_blueprint(attachments.bp)
    app.register_blueprint(translations.bp)
    app.register_blueprint(proposals.bp)
    app.register_blueprint(tokens.bp)
    export_views.init_app(app)  # exports (issue 17): the job runner and its blueprint, before pages' catch-all
    app.register_blueprint(redline_views.bp)  # redlines (issue 17): files through the exports' job runner
    app.register_blueprint(imports.bp)
    app.register_blueprint(call_files.bp)  # a call's compilation, spreadsheets and Word form (issue 30)
    app.register_blueprint(comments.bp)
    app.register_blueprint(call_views.bp)  # calls for input (issue 30)
    api.init_app(app)  # before pages: its addresses are not page names
    app.register_blueprint(webhook_views.bp)
    app.register_blueprint(notification_views.bp)  # before pages: /<page>/-/watch
    app.register_blueprint(mail_views.bp)
    app.extensions["csrf"].exempt(mail_views.unsubscribe)  # RFC 8058: mail clients POST; the signed link is the proof
    app.register_blueprint(pages.bp)
    replica.init_app(app)
    webhooks.init_app(app)
    cli.init_app(app)
    warmup.init_app(app)  # requests in flight, for the background work to wait for
    response_cache.init_app(app)  # in front of every hook
    operations.init_app(app)  # last: request ids and request metrics around everything, cached answers too
    return app


def _derive_settings(app: Flask) -> None:
    """Fill paths that default into the instance folder and settings that follow from others."""
    instance = Path(app.instance_path)
    if not app.config["CONTENT_REPO"]:
        app.config["CONTENT_REPO"] = str(instance / "content.git")
    if not app.config["USER_DATABASE"]:
        app.config["USER_DATABASE"] = str(instance / "users.sqlite3")
    if not app.config["SEARCH_DATABASE"]:
        app.config["SEARCH_DATABASE"] = str(instance / "search.sqlite3")
    if not app.config["ANCHOR_DATABASE"]:
        app.config["ANCHOR_DATABASE"] = str(instance / "anchors.sqlite3")
    if not app.config["RENDER_DATABASE"]:
        app.config["RENDER_DATABASE"] = str(instance / "rendered.sqlite3")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret_key(instance)
    secure = bool(app.config["SECURE_COOKIES"])
    app.config["SESSION_COOKIE_SECURE"] = secure
    app.config["REMEMBER_COOKIE_SECURE"] = secure
    # Room for a page at the size limit plus the rest of the form, and no more.
    form_room = 2 * app.config["MAX_PAGE_BYTES"] + 65536
    app.config["MAX_FORM_MEMORY_SIZE"] = max(app.config.get("MAX_FORM_MEMORY_SIZE") or 0, form_room)
    if not app.config.get("MAX_CONTENT_LENGTH"):
        # Room for the larger of a page form and an attachment upload (files spool to disk).
        app.config["MAX_CONTENT_LENGTH"] = max(4 * app.config["MAX_PAGE_BYTES"],
                                               app.config["MAX_ATTACHMENT_BYTES"]) + 65536


def _instance_secret_key(instance: Path) -> str:
    """Create ``<instance>/config.py`` with a generated secret key on first start and return the key."""
    config = instance / "config.py"
    with _instance_lock(instance):
        namespace: dict[str, Any] = {}
        if config.exists():
            exec(compile(config.read_text(encoding="utf-8"), str(config), "exec"), namespace)
            if namespace.get("SECRET_KEY"):
                return str(namespace["SECRET_KEY"])
        key = secrets.token_hex(32)
        new = not config.exists()
        with open(config, "a", encoding="utf-8") as file:
            if new:
                os.chmod(config, 0o600)
                file.write("# Living Wiki instance settings; see instance/config.example.py for all of them.\n")
            file.write(f"SECRET_KEY = {key!r}\n")
        return key


@contextmanager
def _instance_lock(instance: Path) -> Iterator[None]:
    """An exclusive lock on the instance folder, so workers starting together set it up once."""
    instance.mkdir(parents=True, exist_ok=True)
    with open(instance / ".init.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def ensure_instance(app: Flask) -> None:
    """Create the user database and the seeded content repository if missing (idempotent).

    Several workers may start at once: a file lock makes one of them do the work.
    """
    instance = Path(app.instance_path)
    store: Store = app.extensions["wiki_store"]
    user_store: UserStore = app.extensions["wiki_users"]
    if store.exists():
        store.recover()  # locks and temporary files left by a worker that was killed
    if store.exists() and store.head() is not None and user_store.exists():
        user_store.create_schema()  # tables added since the instance was made (idempotent)
        return
    with _instance_lock(instance):
        user_store.create_schema()
        store.create()
        if store.head() is None and app.config.get("PRIMARY_URL"):
            replication.mirror(store.reader, app.config["PRIMARY_URL"], store.branch,  # a replica
                               token=app.config.get("PRIMARY_TOKEN"))
        elif store.head() is None:
            store.import_pages(
                app.config["CONTENT_SEED"],
                author=Author(name="Living Wiki", email=app.config["COMMITTER_EMAIL"],
                              username="import", group=app.config["SEED_GROUP"]),
                message="Import the seed pages of the living document",
            )
