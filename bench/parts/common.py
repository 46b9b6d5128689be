"""What every part of ``make bench`` shares: loopback HTTP, gunicorn, wrk, samples, instances."""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from flask import Flask
from generate import Params

from wiki import create_app
from wiki.store import Store
from wiki.templating import compile_templates

ROOT = Path(__file__).resolve().parent.parent.parent
OUT = ROOT / "bench" / "out"

SIZES = {"small": Params(pages=200, commits=2_000), "large": Params(pages=2_000, commits=20_000)}
UNTRAILERED = Params(pages=2_000, commits=20_000, trailers=False)
PASSWORD = "bench password 1234"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PG_BIN = Path(os.environ.get("WIKI_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
BASE_RE = re.compile(r'name="base" value="([0-9a-f]*)"')
TEXT_RE = re.compile(r"<textarea[^>]*>(.*?)</textarea>", re.S)

# --------------------------------------------------------------------------- HTTP


class Client:
    """A tiny HTTP/1.1 client for loopback with a cookie jar; never follows redirects."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.cookies: dict[str, str] = {}
        self.last_headers: dict[str, str] = {}  # of the last answer, names in lower case

    def request(self, method: str, path: str, form: dict[str, str] | None = None,
                timeout: float = 30, headers: dict[str, str] | None = None) -> tuple[int, str, float]:
        """Status, body and seconds taken (connect to last byte)."""
        headers = {"Host": f"127.0.0.1:{self.port}", **(headers or {})}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        started = time.perf_counter()
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
            elapsed = time.perf_counter() - started
            self.last_headers = {header.lower(): value for header, value in response.getheaders()}
            for header, value in response.getheaders():
                if header.lower() == "set-cookie":
                    name, _, rest = value.partition("=")
                    self.cookies[name] = rest.split(";", 1)[0]
            return response.status, data.decode("utf-8", "replace"), elapsed
        finally:
            connection.close()

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, str, float]:
        return self.request("GET", path, headers=headers)


def compile_bytecode() -> None:
    """Write the wiki's bytecode and its dataclasses' methods (``wiki.precompile``), as an install
    or ``make run`` would: with ``PYTHONDONTWRITEBYTECODE`` set (as here), every gunicorn start
    would compile the sources again (~0.1 s of each cold start) and the figure would not be a
    deployment's."""
    subprocess.run([sys.executable, "-m", "wiki.precompile"], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def quote(page: str) -> str:
    return urllib.parse.quote(page)


@contextmanager
def gunicorn(app: str, port: int, env: dict[str, str], workers: int = 1):
    """Serve ``app`` with ``workers`` sync workers on 127.0.0.1:``port``; yields the master process."""
    command = [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
               "--no-control-socket", "--log-level", "warning", app]
    process = subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env})
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def wait_for(port: int, path: str, deadline_s: float = 30) -> float:
    """Seconds until ``path`` answers 200 (polling every 5 ms, for at most ``deadline_s``)."""
    started = time.perf_counter()
    client = Client(port)
    while time.perf_counter() - started < deadline_s:
        try:
            status, _, _ = client.get(path)
            if status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.005)
    raise RuntimeError(f"the server on port {port} did not answer {path} within {deadline_s} s")


def worker_rss_mb(master: int) -> float:
    """Resident memory of the master's (single) worker process, from /proc."""
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    sizes = []
    for child in children:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                sizes.append(int(line.split()[1]) / 1024)
    return max(sizes) if sizes else float("nan")


# --------------------------------------------------------------------------- measurements


def wrk(port: int, paths: list[str], seconds: int, headers: dict[str, str] | None = None) -> dict[str, float]:
    """Requests/s and latency p50/p95 (ms) at concurrency 4, cycling through ``paths`` (each
    request with ``headers``)."""
    script = OUT / f"wrk-{port}.lua"
    listing = ",".join(json.dumps(p) for p in paths)
    header_table = ",".join(f"[{json.dumps(k)}]={json.dumps(v)}" for k, v in (headers or {}).items())
    script.write_text(
        f"local paths = {{{listing}}}\nlocal headers = {{{header_table}}}\nlocal n = 0\n"
        "request = function()\n  n = n + 1\n  return wrk.format('GET', paths[(n % #paths) + 1], headers)\nend\n"
        "done = function(summary, latency, requests)\n"
        "  io.write(string.format('RESULT %d %d %d %d %d\\n', summary.requests, summary.duration,"
        " latency:percentile(50), latency:percentile(95), summary.errors.status + summary.errors.connect"
        " + summary.errors.read + summary.errors.write + summary.errors.timeout))\nend\n"
    )
    result = subprocess.run(["wrk", "-t", "2", "-c", "4", "-d", f"{seconds}s", "--timeout", "5s", "-s", str(script),
                             f"http://127.0.0.1:{port}"], capture_output=True, text=True, timeout=seconds + 30)
    script.unlink()
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) (\d+)", result.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {result.stdout} {result.stderr}")
    requests, duration_us, p50, p95, errors = (int(g) for g in match.groups())
    return {"rps": requests / (duration_us / 1e6), "p50": p50 / 1000, "p95": p95 / 1000, "errors": errors,
            "requests": requests}


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {"p50": statistics.median(ordered) * 1000, "p95": p95 * 1000, "n": len(ordered)}


def sample(request: Callable[[int], float], count: int, budget_s: float,
           before: Callable[[int], None] | None = None) -> dict[str, float]:
    """Up to ``count`` timed requests within ``budget_s``; ``before`` runs untimed before each."""
    started = time.monotonic()
    samples = []
    for index in range(count):
        if time.monotonic() - started > budget_s and len(samples) >= 3:
            break
        if before:
            before(index)
        samples.append(request(index))
    return percentiles(samples)


def timed_get(client: Client, path: str, expect: str | None = None, headers: dict[str, str] | None = None) -> float:
    status, body, elapsed = client.get(path, headers)
    if status != 200 or (expect is not None and expect not in body):
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]}")
    return elapsed



def build_instance(size: str, repo: Path) -> tuple[Path, set[str]]:
    """A fresh instance around a copy of ``repo`` with a bench user and its templates compiled, as
    ``flask --app wiki init`` leaves one; returns it and the routes there."""
    instance = OUT / f"instance-{size}"
    if instance.exists():
        shutil.rmtree(instance)
    instance.mkdir(parents=True)
    shutil.copytree(repo, instance / "content.git")
    (instance / "config.py").write_text(f"SECRET_KEY = {os.urandom(16).hex()!r}\n")
    app = create_app(instance_path=str(instance))
    app.extensions["wiki_users"].create("bencher", PASSWORD, group="civil-society", role="editor",
                                        display_name="Bench Editor", email="bench@example.org")
    compile_templates(app)  # as `flask --app wiki init` does
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    app.extensions["wiki_store"].close()
    return instance, routes


def close_app(app: Flask) -> None:
    """Stop an in-process app's background threads and this thread's git helpers before the
    interpreter exits. A daemon thread still inside git I/O (the search index's builder, which a
    search starts and which indexes the whole repository) leaves its ``Repo`` to be collected at
    shutdown, where ``Repo.__del__`` cannot take the pipe's lock the frozen thread holds: the
    interpreter aborts (exit 134) after the results were printed."""
    app.extensions["wiki_search"].stop(timeout=60)  # between two pages
    app.extensions["wiki_jobs"].shutdown()  # exports under way finish
    app.extensions["wiki_webhooks"].stop()
    app.extensions["wiki_store"].close()


def login(client: Client, username: str) -> None:
    status, body, _ = client.get("/-/login")
    token = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
    status, body, _ = client.request("POST", "/-/login", {"csrf_token": token, "username": username,
                                                          "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"login of {username} failed: {status} {body[:300]}")


def measure_hello(seconds: int, starts: int = 3) -> dict[str, float]:
    """The baseline: a Flask hello-world's req/s and latency under wrk, and its cold start (gunicorn
    started to the first answer, median of ``starts``): what this machine takes to start any Flask app."""
    port = free_port()
    env = {"PYTHONPATH": str(ROOT / "bench")}
    cold = []
    for _ in range(starts - 1):
        with gunicorn("hello:app", port, env):
            cold.append(wait_for(port, "/") * 1000)
    with gunicorn("hello:app", port, env):
        cold.append(wait_for(port, "/") * 1000)
        result = wrk(port, ["/"], seconds)
    return {**result, "cold_start": sorted(cold)[len(cold) // 2]}


def metric(results: dict[str, Any], name: str) -> float | None:
    value = results.get(name)
    if isinstance(value, dict):
        return value.get("p50")
    return value


def plain_commit(git_dir: Path, outside: Store, page: str, index: int) -> str:
    """Commit a change to ``page`` as an importer would: no trailers, no notes (git fast-import);
    returns the sentence it added."""
    head = outside.head()
    stamp = int(time.time())
    sentence = f"Imported edit {index} {time.time_ns()}."
    text = (outside.read_page(page).text + f"\n{sentence}\n").encode()
    message = f"Imported edit {index}\n".encode()
    ident = f"Imported Author <imported@example.org> {stamp} +0000".encode()
    stream = (b"commit refs/heads/main\nauthor " + ident + b"\ncommitter " + ident + b"\n"
              + b"data %d\n" % len(message) + message + f"from {head}\n".encode()
              + f"M 100644 inline {page}.md\n".encode() + b"data %d\n" % len(text) + text + b"\n")
    subprocess.run(["git", f"--git-dir={git_dir}", "fast-import", "--quiet", "--date-format=raw"], input=stream,
                   check=True, capture_output=True)
    return sentence
