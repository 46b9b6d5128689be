"""Prometheus metrics that add up across gunicorn's workers.

Why prometheus_client's multiprocess mode rather than counters of our own in a file or database:
it is the client library's documented way for forked servers, keeps every process's values in its
own memory-mapped file (an increment is a write to mapped memory, no lock shared with other
workers, no database round trip on the request path), sums them, histograms included, when
``/-/metrics`` is read, and writes the text format that Prometheus parses. The mode is chosen
when prometheus_client is first imported, from ``PROMETHEUS_MULTIPROC_DIR``: :func:`prepare`
sets it to ``<instance>/metrics`` (unless the operator set it) before anything imports the
library, which is why this module imports it only inside functions. A process that imported it
earlier (a test run) counts in its own memory instead, and :func:`exposition` reads that.

Counters live in files named by process id and are kept when a worker exits, so totals only
grow, across restarts too. Gauges (queues, replica lag) are not counted: they are read when
``/-/metrics`` is asked for (:class:`StateCollector`), from the databases and files that every
worker shares.
"""

from __future__ import annotations

import functools
import logging
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from flask import Flask

from .logs import REQUEST_ID_KEY
from .version import VERSION

DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
ROUTE_KEY = "wiki.route"  # the Flask endpoint that answered, put in the WSGI environ for the middleware
CACHED_ROUTE = "response_cache"  # answered from stored bytes (wiki/response_cache.py), before Flask
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 120.0)
_metrics: dict[str, Any] = {}

StartResponse = Callable[..., Any]


def prepare(instance: Path) -> None:
    """Choose where this process's counters go, before prometheus_client is imported anywhere
    (a folder named in the environment is made if it went missing: counting there must not fail)."""
    directory = Path(os.environ.get(DIRECTORY_VARIABLE) or instance / "metrics")
    if DIRECTORY_VARIABLE not in os.environ and "prometheus_client" in sys.modules:
        return  # imported earlier in this process (a test run): it counts in memory
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as error:
        logging.getLogger("wiki.metrics").warning("metrics are not counted: %s", error)
    os.environ[DIRECTORY_VARIABLE] = str(directory)


def _metric(name: str) -> Any:
    """The metric called ``name``, made on first use (after :func:`prepare`)."""
    metric = _metrics.get(name)
    if metric is None:
        from prometheus_client import Counter, Histogram

        made = {
            "wiki_http_requests_total": lambda: Counter(
                "wiki_http_requests", "HTTP requests answered, by route (Flask endpoint), method and status.",
                ["route", "method", "status"]),
            "wiki_http_request_duration_seconds": lambda: Histogram(
                "wiki_http_request_duration_seconds", "Time from a request's arrival to the end of its answer.",
                ["route"], buckets=LATENCY_BUCKETS),
            "wiki_saves_total": lambda: Counter("wiki_saves", "Page saves that made a commit (web, API, CLI)."),
            "wiki_proposals_total": lambda: Counter(
                "wiki_proposals", "Proposals created, merged and closed.", ["event"]),
            "wiki_pushes_total": lambda: Counter(
                "wiki_pushes", "git pushes to /content.git, accepted or refused by the push rules.", ["outcome"]),
            "wiki_security_events_total": lambda: Counter(
                "wiki_security_events", "Security events logged (wiki.security), by event.", ["event"]),
        }
        metric = _metrics[name] = made[name]()
    return metric


def _never_failing(count: Callable[..., None]) -> Callable[..., None]:
    """Counting must never fail a request: a metrics folder that cannot be written (full, read-only)
    is logged once and the count is lost."""

    @functools.wraps(count)
    def counting(*args: Any, **kwargs: Any) -> None:
        try:
            count(*args, **kwargs)
        except OSError as error:
            if not _failed:
                _failed.append(error)
                logging.getLogger("wiki.metrics").warning("metrics are not counted: %s (%s)", error,
                                                          os.environ.get(DIRECTORY_VARIABLE, ""))

    return counting


_failed: list[OSError] = []


@_never_failing
def count_save() -> None:
    _metric("wiki_saves_total").inc()


@_never_failing
def count_proposal(event: str) -> None:
    _metric("wiki_proposals_total").labels(event=event).inc()


@_never_failing
def count_push(outcome: str) -> None:
    _metric("wiki_pushes_total").labels(outcome=outcome).inc()


@_never_failing
def count_security_event(event: str) -> None:
    _metric("wiki_security_events_total").labels(event=event).inc()


_request_series: dict[tuple[str, str, str], tuple[Any, Any]] = {}


@_never_failing
def count_request(route: str, method: str, status: str, seconds: float) -> None:
    """One answered request (on every request's path: the labelled series are looked up once)."""
    series = _request_series.get((route, method, status))
    if series is None:
        series = _request_series[(route, method, status)] = (
            _metric("wiki_http_requests_total").labels(route=route, method=method, status=status),
            _metric("wiki_http_request_duration_seconds").labels(route=route))
    series[0].inc()
    series[1].observe(seconds)


class RequestMetrics:
    """WSGI middleware, outermost: gives each request an id (sent back as ``X-Request-Id``) and
    counts it by route and status with its duration, for answers from Flask and from the
    response cache alike."""

    def __init__(self, wsgi_app: Callable[[dict[str, Any], StartResponse], Iterable[bytes]],
                 trust_request_id: bool) -> None:
        self.wsgi_app = wsgi_app
        self.trust_request_id = trust_request_id

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        from werkzeug.wsgi import ClosingIterator

        started = time.perf_counter()
        identifier = self.trust_request_id and _valid_id(environ.get("HTTP_X_REQUEST_ID", ""))
        environ[REQUEST_ID_KEY] = identifier or os.urandom(12).hex()
        status = ["500"]

        def identified_start_response(line: str, headers: list[tuple[str, str]], *rest: Any) -> Any:
            status[0] = line[:3]
            headers.append(("X-Request-Id", environ[REQUEST_ID_KEY]))
            return start_response(line, headers, *rest)

        def record() -> None:
            route = environ.get(ROUTE_KEY) or (CACHED_ROUTE if status[0] == "200" else "none")
            count_request(route, _method(environ), status[0], time.perf_counter() - started)

        try:
            answer = self.wsgi_app(environ, identified_start_response)
        except BaseException:
            record()
            raise
        if isinstance(answer, list):  # complete already (the response cache's answers)
            record()
            return answer
        return ClosingIterator(answer, [record])


def _valid_id(value: str) -> str:
    """A proxy's request id (nginx's ``$request_id``), if it is a plain short token."""
    return value if 0 < len(value) <= 64 and all(c.isalnum() or c in "-_." for c in value) else ""


def _method(environ: dict[str, Any]) -> str:
    method = environ.get("REQUEST_METHOD", "")
    return method if method in {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} else "other"


def exposition(app: Flask) -> tuple[bytes, str]:
    """The metrics of every process of this server, and the gauges read now, in the text format
    (the gauges alone when the counters' folder cannot be read)."""
    from prometheus_client import CollectorRegistry, generate_latest, values
    from prometheus_client.core import REGISTRY
    from prometheus_client.exposition import CONTENT_TYPE_LATEST

    _zero_series()
    counted = b""
    try:
        registry = REGISTRY
        if values.ValueClass is not values.MutexValue:  # multiprocess mode: sum every process's files
            from prometheus_client.multiprocess import MultiProcessCollector

            registry = CollectorRegistry()
            MultiProcessCollector(registry)
        counted = generate_latest(registry)
    except (OSError, ValueError) as error:
        logging.getLogger("wiki.metrics").warning("metrics are not counted: %s", error)
    return counted + generate_latest(_state_registry(app)), CONTENT_TYPE_LATEST


@_never_failing
def _zero_series() -> None:
    """Every series present from the first scrape on, at zero."""
    _metric("wiki_saves_total")
    for outcome in ("accepted", "refused"):
        _metric("wiki_pushes_total").labels(outcome=outcome)
    for event in ("created", "merged", "closed"):
        _metric("wiki_proposals_total").labels(event=event)


def _state_registry(app: Flask) -> Any:
    from prometheus_client import CollectorRegistry
    from prometheus_client.core import GaugeMetricFamily, InfoMetricFamily

    from .state import server_state

    class StateCollector:
        """Gauges read at scrape time from what the workers share."""

        def collect(self) -> Iterable[Any]:
            state = server_state(app)
            yield InfoMetricFamily("wiki", "The wiki's version and role.",
                                   value={"version": VERSION, "role": state.role})
            queue = GaugeMetricFamily("wiki_webhook_deliveries", "Webhook deliveries waiting or given up, by state.",
                                      labels=["state"])
            for name, count in sorted(state.webhook_deliveries.items()):
                queue.add_metric([name], count)
            yield queue
            jobs = GaugeMetricFamily("wiki_jobs", "Export and redline jobs by state.", labels=["state"])
            for name, count in sorted(state.jobs.items()):
                jobs.add_metric([name], count)
            yield jobs
            if state.replica is not None:
                yield GaugeMetricFamily("wiki_replica_lag_seconds", "Seconds since this replica last fetched "
                                        "from its primary successfully (-1: never).", value=state.replica.lag)
                yield GaugeMetricFamily("wiki_replica_fetch_failing", "1 when the replica's last fetch failed.",
                                        value=1 if state.replica.error else 0)

    registry = CollectorRegistry()
    registry.register(StateCollector())
    return registry
