"""What the server is doing, read when asked: readiness (``/-/ready``), the gauges of
``/-/metrics`` and the admin status page. Everything here is read from what every worker shares
(the accounts database, the repository, the job folder, the replica's fetch state), so any
worker gives the same answer."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from flask import Flask

from .version import VERSION


@dataclass(frozen=True)
class ReplicaState:
    primary: str
    last_success: float | None  # Unix time of the last successful fetch; None: never
    error: str  # why the last fetch failed, "" when it worked

    @property
    def lag(self) -> float:
        """Seconds since the last successful fetch; -1 when there was none."""
        return -1.0 if self.last_success is None else max(0.0, time.time() - self.last_success)


@dataclass(frozen=True)
class ServerState:
    version: str
    role: str  # "primary" or "replica"
    schema_version: int | None  # None: the accounts database did not answer
    webhook_deliveries: dict[str, int] = field(default_factory=dict)
    jobs: dict[str, int] = field(default_factory=dict)
    replica: ReplicaState | None = None
    replicas: tuple[str, ...] = ()  # on a primary: the replicas it notifies


def replica_state(app: Flask) -> ReplicaState | None:
    """The replica's fetch state (``None`` on a primary): what wiki.replica keeps of its fetches."""
    from .. import replica

    if not app.config.get("PRIMARY_URL"):
        return None
    state = replica.fetch_state(app)
    if state is None:
        return None
    return ReplicaState(primary=str(app.config["PRIMARY_URL"]), last_success=state.last_success,
                        error=state.error)


def server_state(app: Flask) -> ServerState:
    """Version, role, schema version, queues and replica state, read now."""
    try:
        schema: int | None = app.extensions["wiki_users"].schema_version()
    except Exception:  # noqa: BLE001 - an unreachable database is a state to show, not an error
        schema = None
    deliveries: dict[str, int] = {}
    webhooks = app.extensions.get("wiki_webhooks")
    if webhooks is not None and schema is not None:
        try:
            deliveries = webhooks.queue.waiting_counts()
        except Exception:  # noqa: BLE001
            deliveries = {}
    jobs = app.extensions.get("wiki_jobs")
    replica = replica_state(app)
    return ServerState(version=VERSION, role="replica" if app.config.get("PRIMARY_URL") else "primary",
                       schema_version=schema, webhook_deliveries=deliveries,
                       jobs=jobs.counts() if jobs is not None else {}, replica=replica,
                       replicas=tuple(app.config.get("REPLICAS") or ()))


def readiness(app: Flask) -> dict[str, str]:
    """Each check's problem in one line ("" when it passed): the accounts database, the content
    repository, and on a replica the age of the last successful fetch."""
    checks = {"accounts": "", "repository": ""}
    database = app.extensions["wiki_users"].database
    try:
        if not database.exists():  # connecting would make a new, empty SQLite file
            checks["accounts"] = f"the accounts database {database} is missing"
        else:
            with database.connect() as db:
                db.execute("SELECT MAX(version) AS version FROM schema_version").fetchone()
    except Exception as error:  # noqa: BLE001 - the reason is the answer
        checks["accounts"] = _one_line(error)
    store = app.extensions["wiki_store"]
    try:
        if store.head() is None:
            checks["repository"] = "the content repository has no commit on its branch"
        else:
            store.resolve(None)
    except Exception as error:  # noqa: BLE001
        checks["repository"] = _one_line(error)
    replica = replica_state(app)
    if app.config.get("PRIMARY_URL"):
        limit = float(app.config["REPLICA_READY_SECONDS"])
        if replica is None or replica.last_success is None:
            checks["replica"] = "the replica has not fetched from its primary yet" + (
                f" ({replica.error})" if replica is not None and replica.error else "")
        elif replica.lag > limit:
            reason = f": {replica.error}" if replica.error else ""
            checks["replica"] = (f"the last successful fetch from the primary was {replica.lag:.0f} s ago "
                                 f"(REPLICA_READY_SECONDS is {limit:g}){reason}")
        else:
            checks["replica"] = ""
    return checks


def _one_line(error: BaseException) -> str:
    text = " ".join(str(getattr(error, "message", "") or error).split()) or type(error).__name__
    return text[:300]
