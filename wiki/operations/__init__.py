"""Running the wiki in production: request ids, logs (``LOG_FORMAT``) and security events,
Prometheus metrics, health and readiness, the admin status page, the version, and warnings at
start about settings that matter in production.

- ``logs``: the log format and :func:`~wiki.operations.logs.security_event`;
- ``metrics``: counters summed across gunicorn's workers, and the request middleware;
- ``state``: readiness checks and the server's state (queues, replica), read when asked;
- ``views``: ``/-/health``, ``/-/ready``, ``/-/metrics``, ``/-/admin/status``;
- ``version``: the version string.
"""

from __future__ import annotations

import importlib.metadata
import platform
import re
from pathlib import Path

import click
from flask import Flask, Response, request

from . import logs, metrics
from .logs import security_event
from .version import VERSION

__all__ = ["VERSION", "init_app", "security_event"]

WEAK_HASH = re.compile(r"\Apbkdf2:[a-z0-9]+:(\d+)\Z")
STRONG_PBKDF2_ROUNDS = 600_000
MIN_SECRET_CHARS = 16


def init_app(app: Flask) -> None:
    """Wire everything in; called last in create_app, so the middleware is the outermost layer."""
    app.config.setdefault("LOG_FORMAT", "text")
    app.config.setdefault("METRICS_TOKEN", None)
    app.config.setdefault("REPLICA_READY_SECONDS", 60.0)
    logs.configure(app)
    metrics.prepare(Path(app.instance_path))
    from . import views  # here: it imports the views' helpers, which import the accounts, which log here

    app.register_blueprint(views.bp)
    app.add_template_global(VERSION, "wiki_version")

    @app.cli.command("version")
    def version() -> None:
        """Print the wiki's version, then what `flask --version` prints (Python, Flask, Werkzeug).

        `flask --app wiki --version` cannot print it: ``--version`` is an eager option of Flask's own
        command group, which answers and exits while parsing, before ``--app`` is imported; the app
        adds commands to that group but cannot change its options.
        """
        click.echo(f"Living Wiki {VERSION}\nPython {platform.python_version()}\n"
                   f"Flask {importlib.metadata.version('flask')}\nWerkzeug {importlib.metadata.version('werkzeug')}")

    @app.teardown_request
    def note_route(_error: BaseException | None) -> None:
        request.environ[metrics.ROUTE_KEY] = request.endpoint or "none"

    @app.after_request
    def log_refusals(response: Response) -> Response:
        if response.status_code == 403:
            security_event("permission_denied", method=request.method, path=request.path)
        return response

    app.before_request(_first_request_warnings(app))
    app.wsgi_app = metrics.RequestMetrics(  # type: ignore[method-assign]
        app.wsgi_app, trust_request_id=bool(app.config["TRUSTED_PROXIES"]))
    for setting, message in start_warnings(app):
        security_event("settings_warning", setting=setting, message=message)


def start_warnings(app: Flask) -> list[tuple[str, str]]:
    """Settings that are fine for a trial and wrong in production: (setting, why) pairs."""
    config = app.config
    found: list[tuple[str, str]] = []
    if config["TESTING"]:
        return found
    if app.debug:
        found.append(("DEBUG", "debug mode is on: never serve the public with it"))
    if (config.get("PRIMARY_URL") or config.get("REPLICAS")) and not config.get("DATABASE_URL"):
        found.append(("DATABASE_URL", "a primary with replicas, or a replica, keeps accounts in this server's "
                                      "SQLite file: logins made on one server are unknown on the others; give "
                                      "every server the same DATABASE_URL and SECRET_KEY"))
    if (rounds := WEAK_HASH.match(str(config["PASSWORD_HASH_METHOD"]))) and \
            int(rounds.group(1)) < STRONG_PBKDF2_ROUNDS:
        found.append(("PASSWORD_HASH_METHOD", f"{config['PASSWORD_HASH_METHOD']} makes passwords cheap to guess "
                                              "from a stolen database; leave the default (scrypt)"))
    if len(str(config.get("SECRET_KEY") or "")) < MIN_SECRET_CHARS:
        found.append(("SECRET_KEY", f"shorter than {MIN_SECRET_CHARS} characters: sessions can be forged"))
    if config.get("METRICS_TOKEN") and len(str(config["METRICS_TOKEN"])) < MIN_SECRET_CHARS:
        found.append(("METRICS_TOKEN", f"shorter than {MIN_SECRET_CHARS} characters"))
    return found


def _first_request_warnings(app: Flask):  # noqa: ANN202 - a before_request hook
    """Warnings only a request can reveal (how the proxy in front speaks), each once per process."""
    warned: set[str] = set()

    def check() -> None:
        if len(warned) == 2:
            return
        if "SECURE_COOKIES" not in warned and request.scheme == "https" and not app.config["SECURE_COOKIES"]:
            warned.add("SECURE_COOKIES")
            security_event("settings_warning", setting="SECURE_COOKIES",
                           message="requests arrive over https but SECURE_COOKIES is off: session cookies "
                                   "would also be sent over plain http; set SECURE_COOKIES = True")
        if "TRUSTED_PROXIES" not in warned and not app.config["TRUSTED_PROXIES"] and \
                "X-Forwarded-For" in request.headers:
            warned.add("TRUSTED_PROXIES")
            security_event("settings_warning", setting="TRUSTED_PROXIES",
                           message="requests come through a proxy (X-Forwarded-For) but TRUSTED_PROXIES is 0: "
                                   "logs and log-in limits see the proxy's address, not the client's")

    return check
