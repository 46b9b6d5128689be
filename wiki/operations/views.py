"""``/-/health``, ``/-/ready`` and ``/-/metrics`` for load balancers and monitoring, and
``/-/admin/status`` for administrators.

Health and readiness answer anyone (a load balancer has no account), even on a private wiki, and
say nothing a visitor could use: which check failed and why. Metrics answer requests from the
machine itself (loopback, not through a proxy) and, when ``METRICS_TOKEN`` is set, requests with
``Authorization: Bearer <METRICS_TOKEN>``; everyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress

from flask import Blueprint, Response, current_app, jsonify, render_template, request
from flask_babel import gettext

from ..auth import role_required
from . import metrics
from .state import readiness, server_state
from .version import VERSION

bp = Blueprint("operations", __name__, url_prefix="/-")
NO_STORE = {"Cache-Control": "no-store"}


@bp.get("/health")
def health() -> tuple[Response, int, dict[str, str]]:
    """Alive: this process answers requests. Nothing else is checked (that is ``/-/ready``)."""
    return jsonify(status="ok", version=VERSION), 200, NO_STORE


@bp.get("/ready")
def ready() -> tuple[Response, int, dict[str, str]]:
    """Ready for traffic: the accounts database and the repository answer, and a replica has
    fetched from its primary within ``REPLICA_READY_SECONDS``. 503 names what is not."""
    checks = readiness(current_app)
    problems = {name: problem for name, problem in checks.items() if problem}
    body = {"status": "ready" if not problems else "not ready",
            "checks": {name: problem or "ok" for name, problem in checks.items()}}
    if problems:
        body["reason"] = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
    return jsonify(body), 503 if problems else 200, NO_STORE


def _may_read_metrics() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    proxied = "X-Forwarded-For" in request.headers and not current_app.config["TRUSTED_PROXIES"]
    try:
        return not proxied and ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        return False


@bp.get("/metrics", endpoint="metrics")
def metrics_text() -> Response:
    if not _may_read_metrics():
        return Response("Metrics are answered on this machine (loopback) or with Authorization: Bearer "
                        "<METRICS_TOKEN>.\n", 403, {"Content-Type": "text/plain; charset=utf-8", **NO_STORE})
    body, content_type = metrics.exposition(current_app)
    return Response(body, 200, {"Content-Type": content_type, **NO_STORE})


@bp.get("/admin/status")
@role_required("admin")
def status() -> str:
    state = server_state(current_app)
    checks = readiness(current_app)
    return render_template("operations/status.html", state=state, checks=checks,
                           title=gettext("Server status"))
