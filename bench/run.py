"""``make bench``: how fast the wiki is on a small and a large content repository.

For each size: generate (or reuse) a repository with ``git fast-import``, build an instance
around it, serve it with gunicorn (one worker) on 127.0.0.1 beside a Flask hello-world served
the same way, and measure page views (wrk, concurrency 4), saves (real POSTs with login and
CSRF), history, diff, blame and whole-document compare of the hot page, search, cold start and
resident memory. Prints a table, writes ``bench/out/latest.json``. Every loop is bounded in
count and time; all traffic stays on loopback.

Endpoints that need a fresh answer are measured "after a commit": before each request another
page is changed by a commit from outside the wiki process (as a push would), so no per-head
cache can help; that is what a busy living document costs.

Two more parts: ``untrailered``, the large repository's shape with commits that carry no
``Stakeholder-Group``/``Wiki-User`` trailers and no notes (an imported history), where history,
diff and blame of the hot page are timed on the first request and then over ~20 more, with and
without an (untrailered) outside commit before each; and ``worst-case``, ``bench/worst_case.py``
(render, diff, search index and compare of pathological 1 MB inputs, in-process, each in a
subprocess with a time limit). ``languages``: issue 13's speed targets on the large repository
with ~6,000 language versions (``bench/languages.py``): ``/-/translations`` after an outside
commit and without one, and page views in a chosen language (``?lang=fr``, cookie ``lang=fr``)
and interface language (``Accept-Language``) against plain views, with wrk.
``proposals``: issue 14's speed targets on the large repository with 200 open proposals
(``bench/proposals.py``): ``/-/proposals`` (plain, ``?awaiting=``, ``?page=``) and a proposal's
page after a commit to ``main``, and merging 20 proposals that have consensus through
``POST /-/proposals/<n>/merge`` as a reviewer.
``cache``: issue 18's speed targets on the large repository: gunicorn (one worker) alone and behind
Debian's nginx on 127.0.0.1 with the README's caching configuration (its cache, pid, logs and
temporary files in ``bench/out/nginx-*``): anonymous page views with wrk straight and through the
cache, a 304 to ``If-None-Match`` straight to gunicorn, and, with ``HTTP_CACHE_MAX_AGE = 1`` and
``HTTP_CACHE_STALE = 1`` in the instance config, how long a commit takes to reach anonymous readers
through nginx.
``replica``: issue 18's read replicas on the large repository: a throwaway PostgreSQL (Debian's
PostgreSQL 15, a Unix socket only, as ``tests/test_postgres.py`` starts it), a primary (gunicorn,
2 workers) and a replica made with ``flask --app wiki replica --primary URL`` (2 workers, the
default ``REPLICA_FETCH_SECONDS``) sharing it; the lag from a save through the primary's edit form
to the new text on the replica (polled every 10 ms), and page views with wrk on each.
``comments``: issue 15's speed targets (``bench/comments.py``, in-process): a page of 300
paragraphs with 300 threads after an edit that moved half of the passages, and ``/-/comments``
with 5,000 threads across the document, plain and after a new comment.
``api``: issue 16's speed target on the large repository: gunicorn (one worker), wrk at
concurrency 4 over 200 pages as the HTML page view (``/<page>``) and as the API's page read
(``/-/api/v1/pages/<page>``: text, rendered HTML, revision, blob id, last change), anonymous and
with a ``read`` token (``Authorization: Bearer``), the HTML view measured again at the end (the
mean of both is the reference); and a 304 to ``If-None-Match`` on an API read.
``import``: issue 16's ``flask --app wiki import-repo`` of the 20,000-commit repository without
trailers, with an authors file (``bench/import_repo.py``, the command in its own process).
``--only untrailered,worst-case`` runs some parts alone.
"""

from __future__ import annotations

import argparse
import html
import http.client
import json
import os
import pwd
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections import Counter
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from comments import comments_table, measure_comments  # noqa: E402
from generate import HOT_PAGE, WORDS, Params, cached  # noqa: E402
from languages import cached_languages  # noqa: E402
from proposals import cached_proposals  # noqa: E402

from wiki import create_app  # noqa: E402
from wiki.store import Author, Store  # noqa: E402

SIZES = {"small": Params(pages=200, commits=2_000), "large": Params(pages=2_000, commits=20_000)}
UNTRAILERED = Params(pages=2_000, commits=20_000, trailers=False)
PARTS = ("sizes", "untrailered", "worst-case", "languages", "proposals", "cache", "replica", "comments", "export",
         "api", "import")
PASSWORD = "bench password 1234"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
PG_BIN = Path(os.environ.get("WIKI_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
CSRF_RE = re.compile(r'name="csrf_token" value="([^"]+)"')
BASE_RE = re.compile(r'name="base" value="([0-9a-f]*)"')
TEXT_RE = re.compile(r"<textarea[^>]*>(.*?)</textarea>", re.S)
TARGETS = {  # metric: (limit, unit, description)
    "view_rps_vs_hello": (0.5, "ratio >=", "page views/s vs hello-world"),
    "save_p50": (25, "ms <", "save p50"),
    "history_p50": (30, "ms <", "history p50"),
    "diff_p50": (30, "ms <", "diff p50"),
    "blame_p50": (30, "ms <", "blame p50"),
    "compare_p50": (300, "ms <", "compare p50"),
    "search_p50": (25, "ms <", "search p50"),
    "cold_start": (1000, "ms <", "cold start"),
    "rss_mb": (150, "MB <", "memory per worker"),
}


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


# --------------------------------------------------------------------------- one size


def build_instance(size: str, repo: Path) -> tuple[Path, set[str]]:
    """A fresh instance around a copy of ``repo`` with a bench user; returns it and the routes there."""
    instance = OUT / f"instance-{size}"
    if instance.exists():
        shutil.rmtree(instance)
    instance.mkdir(parents=True)
    shutil.copytree(repo, instance / "content.git")
    (instance / "config.py").write_text(f"SECRET_KEY = {os.urandom(16).hex()!r}\n")
    app = create_app(instance_path=str(instance))
    app.extensions["wiki_users"].create("bencher", PASSWORD, group="civil-society", role="editor",
                                        display_name="Bench Editor", email="bench@example.org")
    routes = {rule.rule for rule in app.url_map.iter_rules()}
    app.extensions["wiki_store"].close()
    return instance, routes


def measure(size: str, params: Params, hello_rps: float, seconds: int, quick: bool) -> dict[str, Any]:
    repo = cached(params, OUT)
    instance, routes = build_instance(size, repo)
    outside = Store(instance / "content.git")
    other = Author(name="Outside Committer", email="outside@example.org", username="outside", group="governments")
    pages = [p for p in outside.list_pages() if p != HOT_PAGE]
    rng = random.Random(11)
    port = free_port()
    env = {"WIKI_INSTANCE_PATH": str(instance)}
    results: dict[str, Any] = {"size": size, "pages": params.pages, "commits": params.commits,
                               "hot_page_revisions": params.hot_revisions}
    hot = "/" + quote(HOT_PAGE)
    start = time.perf_counter()
    with gunicorn("wsgi:app", port, env) as server:
        results["cold_start"] = wait_for(port, hot) * 1000
        print(f"[{size}] cold start {results['cold_start']:.0f} ms (started {time.perf_counter() - start:.1f} s)",
              file=sys.stderr)
        client = Client(port)
        view_paths = ["/" + quote(p) for p in pages[:199]] + [hot]
        for path in view_paths:  # first views: render each once
            timed_get(client, path, "page-body")
        view = wrk(port, view_paths, seconds)
        results["view"] = view
        results["view_rps_vs_hello"] = view["rps"] / hello_rps

        def commit_elsewhere(index: int) -> None:
            page = pages[index % len(pages)]
            text = outside.read_page(page).text + f"\nOutside edit {index} {time.time_ns()}.\n"
            outside.save_page(page, text, base=outside.head(), author=other, summary=f"Outside edit {index}")

        count = 8 if quick else 30
        budget = 20.0
        results["history"] = sample(lambda i: timed_get(client, hot + "/-/history", "history"), count, budget,
                                    commit_elsewhere)
        results["history_warm"] = sample(lambda i: timed_get(client, hot + "/-/history", "history"), count, budget)
        results["diff"] = sample(lambda i: timed_get(client, hot + "/-/diff"), count, budget, commit_elsewhere)
        results["diff_warm"] = sample(lambda i: timed_get(client, hot + "/-/diff"), count, budget)
        results["view_after_commit"] = sample(lambda i: timed_get(client, hot, "page-body"), count, budget,
                                              commit_elsewhere)
        if "/<path:page>/-/blame" in routes:
            results["blame"] = sample(lambda i: timed_get(client, hot + "/-/blame"), count, budget,
                                      commit_elsewhere)
            results["blame_warm"] = sample(lambda i: timed_get(client, hot + "/-/blame"), count, budget)
        if "/-/compare" in routes:
            head = outside.head()
            old = subprocess.run(["git", f"--git-dir={instance / 'content.git'}", "rev-parse", f"{head}~1000"],
                                 capture_output=True, text=True, check=True).stdout.strip()
            results["compare"] = sample(
                lambda i: timed_get(client, f"/-/compare?from={old}&to={outside.head()}"), max(5, count // 3),
                budget, commit_elsewhere)
        if "/-/search" in routes:
            words = [w for w in WORDS if len(w) > 6]
            timed_get(client, "/-/search?q=" + words[0])  # builds the index, if there is one
            results["search"] = sample(
                lambda i: timed_get(client, "/-/search?q=" + urllib.parse.quote(f"{words[i % len(words)]}")),
                count, budget)
            results["search_after_commit"] = sample(
                lambda i: timed_get(client, "/-/search?q=" + urllib.parse.quote(f"{words[(i + 7) % len(words)]}")),
                count, budget, commit_elsewhere)
        results["save"] = measure_saves(client, pages, rng, 10 if quick else 30)
        results["rss_mb"] = worker_rss_mb(server.pid)
    outside.close()
    return results


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


def measure_untrailered(quick: bool) -> dict[str, Any]:
    """History, diff and blame of the hot page of a large repository whose commits carry no
    trailers: the first request, then ~20 more as they come and ~20 each after an outside commit."""
    params = UNTRAILERED
    repo = cached(params, OUT)
    instance, routes = build_instance("untrailered", repo)
    git_dir = instance / "content.git"
    outside = Store(git_dir)
    pages = [p for p in outside.list_pages() if p != HOT_PAGE]
    port = free_port()
    results: dict[str, Any] = {"size": "untrailered", "pages": params.pages, "commits": params.commits,
                               "hot_page_revisions": params.hot_revisions, "trailers": False}
    hot = "/" + quote(HOT_PAGE)
    count = 8 if quick else 20
    with gunicorn("wsgi:app", port, {"WIKI_INSTANCE_PATH": str(instance)}) as server:
        results["cold_start"] = wait_for(port, hot) * 1000
        client = Client(port)
        endpoints = [("history", hot + "/-/history"), ("diff", hot + "/-/diff")]
        if "/<path:page>/-/blame" in routes:
            endpoints.append(("blame", hot + "/-/blame"))
        for name, path in endpoints:
            results[f"{name}_first"] = timed_get(client, path) * 1000
            results[name] = sample(lambda i, path=path: timed_get(client, path), count, 30.0)
            results[f"{name}_after_commit"] = sample(
                lambda i, path=path: timed_get(client, path), count, 30.0,
                lambda i: plain_commit(git_dir, outside, pages[i % len(pages)], i))
            print(f"[untrailered] {name}: first {results[f'{name}_first']:.0f} ms, then p50 "
                  f"{results[name]['p50']:.1f} ms, after a commit p50 {results[f'{name}_after_commit']['p50']:.1f} ms",
                  file=sys.stderr)
        results["rss_mb"] = worker_rss_mb(server.pid)
    outside.close()
    return results


def untrailered_table(results: dict[str, Any]) -> str:
    rows = [("untrailered, hot page (ms)", "first", "p50", "p95", "p50 after a commit", "p95 after a commit",
             "target", "met")]
    for name in ("history", "diff", "blame"):
        if name not in results:
            continue
        warm, after = results[name], results[f"{name}_after_commit"]
        rows.append((name, f"{results[f'{name}_first']:,.0f}", f"{warm['p50']:.1f}", f"{warm['p95']:.1f}",
                     f"{after['p50']:.1f}", f"{after['p95']:.1f}", "p50 < 30",
                     "yes" if warm["p50"] < 30 and after["p50"] < 30 else "NO"))
    rows.append(("cold start / memory per worker", f"{results['cold_start']:,.0f} ms", f"{results['rss_mb']:.0f} MB",
                 "", "", "", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def measure_languages(seconds: int, quick: bool) -> dict[str, Any]:
    """Issue 13's speed targets on the large repository with ~6,000 language versions
    (``bench/languages.py``): ``/-/translations`` after an outside commit and without one; page
    views in a chosen language (``?lang=fr``, cookie ``lang=fr``) against plain views, and the
    interface language by ``Accept-Language`` (``ar`` against ``en``), with wrk at concurrency 4."""
    repo = cached_languages(SIZES["large"], OUT)
    manifest = json.loads((repo / "languages.json").read_text())["languages"]
    instance, _routes = build_instance("languages", repo)
    git_dir = instance / "content.git"
    outside = Store(git_dir)
    pages = [p for p in outside.list_pages() if p != HOT_PAGE]
    rng = random.Random(17)
    french = set(manifest["fr"]["up to date"]) | set(manifest["fr"]["outdated"])
    arabic = set(manifest["ar"]["up to date"]) | set(manifest["ar"]["outdated"])
    with_french = sorted(french - {HOT_PAGE}, key=lambda p: rng.random())[:200]
    without_arabic = sorted(set(pages) - arabic, key=lambda p: rng.random())[:200]
    committed = sorted(pages, key=lambda p: rng.random())
    results: dict[str, Any] = {"pages": len(pages) + 1, "versions": sum(len(v) for d in manifest.values()
                                                                        for v in d.values()),
                               "commits": int(subprocess.run(["git", f"--git-dir={git_dir}", "rev-list", "--count",
                                                              "main"], capture_output=True, text=True,
                                                             check=True).stdout)}
    port = free_port()
    count = 6 if quick else 20

    def commit_elsewhere(index: int) -> None:
        plain_commit(git_dir, outside, committed[index % len(committed)], index)

    with gunicorn("wsgi:app", port, {"WIKI_INSTANCE_PATH": str(instance)}) as server:
        results["cold_start"] = wait_for(port, "/" + quote(HOT_PAGE)) * 1000
        client = Client(port)
        overview = "/-/translations"
        results["overview_first"] = timed_get(client, overview, "translation-grid") * 1000
        print(f"[languages] /-/translations first request {results['overview_first']:.0f} ms", file=sys.stderr)
        results["overview"] = sample(lambda i: timed_get(client, overview, "translation-grid"), count, 30.0)
        results["overview_after_commit"] = sample(lambda i: timed_get(client, overview, "translation-grid"), count,
                                                  60.0, commit_elsewhere)
        offset = count
        for name, path in (("overview_fr_after_commit", overview + "?lang=fr"),
                           ("overview_section_after_commit", overview + "?section=Mapping")):
            results[name] = sample(lambda i, path=path: timed_get(client, path, "translation-grid"),
                                   max(3, count // 2), 30.0, lambda i, offset=offset: commit_elsewhere(offset + i))
            offset += count
        for name in ("overview", "overview_after_commit", "overview_fr_after_commit", "overview_section_after_commit"):
            print(f"[languages] {name}: p50 {results[name]['p50']:.1f} ms, p95 {results[name]['p95']:.1f} ms",
                  file=sys.stderr)

        # Views: each variant over the same 200 pages with a French version, rendered once first.
        plain = ["/" + quote(p) for p in with_french]
        variants: list[tuple[str, list[str], dict[str, str], str | None]] = [
            ("view", plain, {}, None),
            ("view_lang_query", [p + "?lang=fr" for p in plain], {}, "banner-version"),
            ("view_lang_cookie", plain, {"Cookie": "lang=fr"}, "banner-version"),
            ("view_again", plain, {}, None),
            # the interface language alone: pages without an Arabic version, so only the interface differs
            ("view_accept_en", ["/" + quote(p) for p in without_arabic], {"Accept-Language": "en"}, None),
            ("view_accept_ar", ["/" + quote(p) for p in without_arabic], {"Accept-Language": "ar"}, 'dir="rtl"'),
        ]
        for name, paths, headers, expect in variants:
            for path in paths:
                timed_get(Client(port), path, expect or "page-body", headers)
            results[name] = wrk(port, paths, seconds, headers)
            print(f"[languages] {name}: {results[name]['rps']:,.0f} req/s, p50 {results[name]['p50']:.1f} ms",
                  file=sys.stderr)
        base_rps = (results["view"]["rps"] + results["view_again"]["rps"]) / 2
        for name in ("view_lang_query", "view_lang_cookie"):
            results[f"{name}_vs_view"] = results[name]["rps"] / base_rps
        results["view_accept_ar_vs_en"] = results["view_accept_ar"]["rps"] / results["view_accept_en"]["rps"]
        results["rss_mb"] = worker_rss_mb(server.pid)
    outside.close()
    return results


def languages_table(results: dict[str, Any]) -> str:
    rows = [("languages (large, ~6,000 versions)", "p50 / req/s", "p95", "target", "met")]

    def latency(label: str, key: str, target: str = "", limit: float | None = None) -> None:
        value = results[key]
        met = "" if limit is None else ("yes" if value["p50"] < limit else "NO")
        rows.append((label, f"{value['p50']:.1f} ms", f"{value['p95']:.1f} ms", target, met))

    rows.append(("/-/translations first request", f"{results['overview_first']:,.0f} ms", "", "", ""))
    latency("/-/translations after a commit", "overview_after_commit", "p50 < 100 ms", 100)
    latency("/-/translations (no commit between)", "overview")
    latency("/-/translations?lang=fr after a commit", "overview_fr_after_commit")
    latency("/-/translations?section=Mapping after a commit", "overview_section_after_commit")

    def throughput(label: str, key: str, ratio_key: str | None = None, target: str = "",
                   limit: float | None = None) -> None:
        value = results[key]
        ratio = f" ({results[ratio_key]:.0%})" if ratio_key else ""
        met = "" if limit is None else ("yes" if results[ratio_key] >= limit else "NO")  # type: ignore[index]
        rows.append((label, f"{value['rps']:,.0f}{ratio}", f"{value['p95']:.1f} ms", target, met))

    throughput("view /<page> req/s (c=4), first run", "view")
    throughput("view /<page>?lang=fr", "view_lang_query", "view_lang_query_vs_view", ">= 90% of view", 0.9)
    throughput("view /<page>, cookie lang=fr", "view_lang_cookie", "view_lang_cookie_vs_view", ">= 90% of view", 0.9)
    throughput("view /<page> req/s (c=4), second run", "view_again")
    throughput("view, Accept-Language: en", "view_accept_en")
    throughput("view, Accept-Language: ar", "view_accept_ar", "view_accept_ar_vs_en", ">= 90% of en", 0.9)
    rows.append(("cold start / memory per worker", f"{results['cold_start']:,.0f} ms", f"{results['rss_mb']:.0f} MB",
                 "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def login(client: Client, username: str) -> None:
    status, body, _ = client.get("/-/login")
    token = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
    status, body, _ = client.request("POST", "/-/login", {"csrf_token": token, "username": username,
                                                          "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"login of {username} failed: {status} {body[:300]}")


def measure_proposals(quick: bool) -> dict[str, Any]:
    """Issue 14's speed targets on the large repository with 200 open proposals of 1-5 pages
    (``bench/proposals.py``; 20 conflicting with ``main``, 20 with consensus): ``/-/proposals``
    (plain, ``?awaiting=governments``, ``?page=``) with and without a commit to ``main`` (or a
    new event) before each request, a proposal's page after a commit to ``main``, and merging the
    20 proposals with consensus through HTTP as a reviewer."""
    repo = cached_proposals(SIZES["large"], OUT)
    manifest = json.loads((repo / "proposals.json").read_text())
    instance, _routes = build_instance("proposals", repo)
    app = create_app(instance_path=str(instance))
    app.extensions["wiki_users"].create("reviewer", PASSWORD, group="governments", role="reviewer",
                                        display_name="Bench Reviewer", email="reviewer@example.org")
    app.extensions["wiki_store"].close()
    git_dir = instance / "content.git"
    outside = Store(git_dir)
    commenter = Author(name="Outside Commenter", email="outside@example.org", username="outside",
                       group="civil-society")
    in_proposals = set(manifest["pages_in_proposals"])
    rng = random.Random(29)
    free = sorted((p for p in outside.list_pages() if p not in in_proposals and p != HOT_PAGE),
                  key=lambda p: rng.random())
    conflicting, consensus = manifest["conflicting"], manifest["consensus"]
    ordinary = sorted((n for n in range(1, manifest["proposals"] + 1) if n not in conflicting and n not in consensus),
                      key=lambda n: rng.random())
    popular = manifest["popular_page"]
    results: dict[str, Any] = {"proposals": manifest["proposals"], "conflicting": len(conflicting),
                               "consensus": len(consensus), "popular_page": popular,
                               "popular_page_proposals": len(manifest["with_popular"]),
                               "commits": int(subprocess.run(["git", f"--git-dir={git_dir}", "rev-list", "--count",
                                                              "main"], capture_output=True, text=True,
                                                             check=True).stdout)}
    port = free_port()
    count = 6 if quick else 20
    commits = iter(range(10**6))

    def commit_to_main(_index: int) -> None:
        index = next(commits)
        plain_commit(git_dir, outside, free[index % len(free)], index)

    def new_event(index: int) -> None:
        outside.proposals.comment(ordinary[index % len(ordinary)], f"Bench comment {index}.", author=commenter)

    def report(name: str) -> None:
        print(f"[proposals] {name}: p50 {results[name]['p50']:.1f} ms, p95 {results[name]['p95']:.1f} ms",
              file=sys.stderr)

    with gunicorn("wsgi:app", port, {"WIKI_INSTANCE_PATH": str(instance)}) as server:
        results["cold_start"] = wait_for(port, "/" + quote(HOT_PAGE)) * 1000
        client = Client(port)
        listing = "/-/proposals"
        results["list_first"] = timed_get(client, listing, "proposals") * 1000
        print(f"[proposals] /-/proposals first request {results['list_first']:.0f} ms", file=sys.stderr)
        lists = (("list", listing), ("awaiting", listing + "?awaiting=governments"),
                 ("page", listing + "?page=" + quote(popular)))
        for name, path in lists:
            if name != "list":
                results[f"{name}_first"] = timed_get(client, path, "proposals") * 1000
            results[name] = sample(lambda i, path=path: timed_get(client, path, "proposals"), count, 30.0)
            report(name)
            results[f"{name}_after_commit"] = sample(lambda i, path=path: timed_get(client, path, "proposals"),
                                                     count, 60.0, commit_to_main)
            report(f"{name}_after_commit")
        results["list_after_event"] = sample(lambda i: timed_get(client, listing, "proposals"), count, 30.0, new_event)
        report("list_after_event")

        # one proposal's page, each a different one (never shown before), after a commit to main
        results["show_after_commit"] = sample(
            lambda i: timed_get(client, f"/-/proposals/{ordinary[i % len(ordinary)]}", "proposal-consensus"),
            count, 60.0, commit_to_main)
        report("show_after_commit")
        results["show_again_after_commit"] = sample(
            lambda i: timed_get(client, f"/-/proposals/{ordinary[i % len(ordinary)]}", "proposal-consensus"),
            count, 60.0, commit_to_main)
        report("show_again_after_commit")
        results["show_conflicting_after_commit"] = sample(
            lambda i: timed_get(client, f"/-/proposals/{conflicting[i % len(conflicting)]}", "proposal-consensus"),
            count, 60.0, commit_to_main)
        report("show_conflicting_after_commit")

        # merges: a reviewer reads the proposal (untimed), then merges it (timed: the POST, up to its redirect)
        reviewer = Client(port)
        login(reviewer, "reviewer")
        merges, shown_after = [], []
        for index, number in enumerate(consensus[:count]):
            commit_to_main(index)
            status, body, _ = reviewer.get(f"/-/proposals/{number}")
            token = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
            status, body, elapsed = reviewer.request("POST", f"/-/proposals/{number}/merge", {"csrf_token": token})
            if status != 302:
                raise RuntimeError(f"merge of proposal {number} answered {status}: {body[:500]}")
            merges.append(elapsed)
            shown_after.append(timed_get(reviewer, f"/-/proposals/{number}", "state-merged"))
        results["merge"] = percentiles(merges)
        results["show_after_merge"] = percentiles(shown_after)
        report("merge")
        report("show_after_merge")
        results["rss_mb"] = worker_rss_mb(server.pid)
    outside.close()
    return results


def proposals_table(results: dict[str, Any]) -> str:
    rows = [("proposals (large, 200 open)", "p50", "p95", "target", "met")]

    def latency(label: str, key: str, limit: float | None = None) -> None:
        value = results[key]
        met = "" if limit is None else ("yes" if value["p50"] < limit else "NO")
        rows.append((label, f"{value['p50']:,.1f} ms", f"{value['p95']:,.1f} ms",
                     "" if limit is None else f"p50 < {limit:g} ms", met))

    rows.append(("/-/proposals first request", f"{results['list_first']:,.0f} ms", "", "", ""))
    latency("/-/proposals", "list", 50)
    latency("/-/proposals after a commit to main", "list_after_commit", 50)
    latency("/-/proposals after a new event (comment)", "list_after_event", 50)
    latency("?awaiting=governments", "awaiting")
    latency("?awaiting=governments after a commit", "awaiting_after_commit")
    rows.append(("?page= first request", f"{results['page_first']:,.0f} ms", "", "", ""))
    latency(f"?page= ({results['popular_page_proposals']} proposals)", "page")
    latency("?page= after a commit", "page_after_commit")
    latency("/-/proposals/<n> after a commit (first view)", "show_after_commit", 100)
    latency("/-/proposals/<n> after a commit (seen before)", "show_again_after_commit", 100)
    latency("/-/proposals/<n> conflicting, after a commit", "show_conflicting_after_commit", 100)
    latency("POST /-/proposals/<n>/merge (HTTP)", "merge", 150)
    latency("/-/proposals/<n> just merged", "show_after_merge")
    rows.append(("cold start / memory per worker", f"{results['cold_start']:,.0f} ms", f"{results['rss_mb']:.0f} MB",
                 "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


@contextmanager
def nginx(folder: Path, backend: int, port: int):
    """Debian's nginx on 127.0.0.1:``port`` in front of ``backend`` with the README's caching
    configuration (Deployment); its cache, pid, logs and temporary files in ``folder``."""
    folder.mkdir(parents=True)
    # As root, nginx's workers would switch to an unprivileged user that cannot enter bench/out.
    user = "user root root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(f"""
{user}
daemon off;
worker_processes auto;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body; proxy_temp_path {folder}/proxy; fastcgi_temp_path {folder}/fcgi;
  uwsgi_temp_path {folder}/uwsgi; scgi_temp_path {folder}/scgi;
  proxy_cache_path {folder}/cache keys_zone=wiki:10m;
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://127.0.0.1:{backend};
      proxy_set_header Host $host;
      proxy_cache wiki;
      proxy_cache_revalidate on;
      proxy_cache_use_stale updating;
      proxy_cache_key "$scheme$host$request_uri $cookie_lang $http_accept_language";
      proxy_cache_bypass $cookie_session $cookie_remember_token;
      proxy_no_cache $cookie_session $cookie_remember_token;
      add_header X-Cache-Status $upstream_cache_status always;
    }}
  }}
}}
""")
    if not Path(NGINX).exists():
        raise RuntimeError(f"the cache part needs Debian's nginx ({NGINX}): apt-get install nginx-light")
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(folder), "-e", str(folder / "error.log")],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    break
            except OSError:
                log = folder / "error.log"
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("nginx did not start: " + (log.read_text() if log.exists() else "")) from None
                time.sleep(0.05)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure_cache(seconds: int, quick: bool) -> dict[str, Any]:
    """Issue 18's speed targets on the large repository: gunicorn (one worker) alone and behind
    Debian's nginx with the README's caching configuration. Anonymous page views with wrk at
    concurrency 4 straight to gunicorn and through the cache; a 304 revalidation (``If-None-Match``
    with a page's ETag) straight to gunicorn; and, with ``HTTP_CACHE_MAX_AGE = 1`` and
    ``HTTP_CACHE_STALE = 1`` in the instance config, how long a commit (``git fast-import``, or a
    save through the edit form) takes to reach an anonymous reader through nginx."""
    repo = cached(SIZES["large"], OUT)
    instance, _routes = build_instance("cache", repo)
    git_dir = instance / "content.git"
    outside = Store(git_dir)
    pages = [p for p in outside.list_pages() if p != HOT_PAGE]
    hot = "/" + quote(HOT_PAGE)
    view_paths = ["/" + quote(p) for p in pages[:199]] + [hot]
    rng = random.Random(18)
    edited = sorted(pages[199:], key=lambda p: rng.random())
    count = 50 if quick else 200
    edits = 4 if quick else 10
    results: dict[str, Any] = {"pages": len(pages) + 1, "nginx": subprocess.run(
        [NGINX, "-v"], capture_output=True, text=True).stderr.strip()}

    def warm(backend: int, front: int) -> dict[str, int]:
        """Each page once straight, twice through nginx; the cache statuses of the second views."""
        statuses: Counter[str] = Counter()
        for path in view_paths:
            timed_get(Client(backend), path, "page-body")
            reader = Client(front)
            timed_get(reader, path, "page-body")
            time.sleep(0.02)  # nginx files the answer in its cache just after it has sent it
            timed_get(reader, path, "page-body")
            statuses[reader.last_headers.get("x-cache-status", "none")] += 1
        return dict(statuses)

    def report(name: str) -> None:
        value = results[name]
        figure = f"{value['rps']:,.0f} req/s, p50 " if "rps" in value else "p50 "
        print(f"[cache] {name}: {figure}{value['p50']:.2f} ms, p95 {value['p95']:.2f} ms", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="nginx-", dir=OUT) as scratch:
        # 1. the default max-age and stale window (10 s, 30 s): throughput and revalidation
        backend, front = free_port(), free_port()
        with gunicorn("wsgi:app", backend, {"WIKI_INSTANCE_PATH": str(instance)}) as server, \
                nginx(Path(scratch) / "default", backend, front):
            results["cold_start"] = wait_for(backend, hot) * 1000
            results["warm_hits"] = warm(backend, front)
            results["view_direct"] = wrk(backend, view_paths, seconds)
            report("view_direct")
            results["view_cached"] = wrk(front, view_paths, seconds)
            report("view_cached")
            results["view_direct_again"] = wrk(backend, view_paths, seconds)
            report("view_direct_again")
            direct = (results["view_direct"]["rps"] + results["view_direct_again"]["rps"]) / 2
            results["cached_vs_direct"] = results["view_cached"]["rps"] / direct
            statuses: Counter[str] = Counter()
            for path in view_paths:
                reader = Client(front)
                timed_get(reader, path, "page-body")
                statuses[reader.last_headers.get("x-cache-status", "none")] += 1
            results["cache_status_after"] = dict(statuses)

            client = Client(backend)

            def revalidate(path: str, etag: str) -> float:
                status, body, elapsed = client.get(path, {"If-None-Match": etag})
                if status != 304:
                    raise RuntimeError(f"If-None-Match on {path} answered {status}: {body[:300]}")
                return elapsed

            for name, path in (("hot", hot), ("page", view_paths[0])):
                timed_get(client, path, "page-body")
                etag = client.last_headers["etag"]
                results[f"revalidate_{name}"] = sample(lambda i, path=path, etag=etag: revalidate(path, etag),
                                                       count, 30.0)
                report(f"revalidate_{name}")
                results[f"view_sequential_{name}"] = sample(lambda i, path=path: timed_get(client, path, "page-body"),
                                                            count, 30.0)
                report(f"view_sequential_{name}")
            results["rss_mb"] = worker_rss_mb(server.pid)

        # 2. HTTP_CACHE_MAX_AGE = 1, HTTP_CACHE_STALE = 1: how long a commit takes to reach readers
        config = instance / "config.py"
        config.write_text(config.read_text() + "HTTP_CACHE_MAX_AGE = 1\nHTTP_CACHE_STALE = 1\n")
        results["short_config"] = {"HTTP_CACHE_MAX_AGE": 1, "HTTP_CACHE_STALE": 1}
        backend, front = free_port(), free_port()
        with gunicorn("wsgi:app", backend, {"WIKI_INSTANCE_PATH": str(instance)}), \
                nginx(Path(scratch) / "short", backend, front):
            wait_for(backend, hot)
            results["warm_hits_short"] = warm(backend, front)
            results["view_cached_short"] = wrk(front, view_paths, seconds)
            report("view_cached_short")
            reader = Client(front)
            editor = Client(front)  # logged in: nginx passes it by (proxy_cache_bypass)
            login(editor, "bencher")
            pages_for_edits = iter(edited)

            def by_import(index: int, page: str) -> str:
                return plain_commit(git_dir, outside, page, index)

            def by_form(index: int, page: str) -> str:
                path = "/" + quote(page) + "/-/edit"
                status, form, _ = editor.get(path)
                token = CSRF_RE.search(form).group(1)  # type: ignore[union-attr]
                base = BASE_RE.search(form).group(1)  # type: ignore[union-attr]
                text = html.unescape(TEXT_RE.search(form).group(1))  # type: ignore[union-attr]
                sentence = f"Saved edit {index} {time.time_ns()}."
                status, body, _ = editor.request("POST", path, {"csrf_token": token, "base": base,
                                                                "text": text + f"\n{sentence}\n",
                                                                "summary": f"Bench cache edit {index}"})
                if status != 302:
                    raise RuntimeError(f"save of {page} answered {status}: {body[:500]}")
                return sentence

            for name, commit in (("propagation_import", by_import), ("propagation_form", by_form)):
                samples, polls, first_fresh = [], [], Counter[str]()
                for index in range(edits):
                    page = next(pages_for_edits)
                    path = "/" + quote(page)
                    # readers keep reading the page (every 20 ms) for 1-2 s: it is in the cache and
                    # revalidated as they go, at a moment the edit does not know
                    until = time.monotonic() + rng.uniform(1.0, 2.0)
                    while time.monotonic() < until:
                        timed_get(reader, path, "page-body")
                        time.sleep(0.02)
                    sentence = commit(index, page)
                    committed = time.perf_counter()
                    tries = 0
                    while True:
                        tries += 1
                        status, body, _ = reader.get(path)
                        if sentence in body:
                            break
                        if time.perf_counter() - committed > 120:
                            raise RuntimeError(f"the edit of {page} did not reach readers through nginx in 120 s")
                        time.sleep(0.01)
                    samples.append(time.perf_counter() - committed)
                    polls.append(tries)
                    first_fresh[reader.last_headers.get("x-cache-status", "none")] += 1
                results[name] = {**percentiles(samples), "max": max(samples) * 1000, "polls": polls,
                                 "first_fresh_status": dict(first_fresh)}
                report(name)
    outside.close()
    return results


def measure_api(seconds: int, quick: bool) -> dict[str, Any]:
    """Issue 16: API page reads against HTML page views, through gunicorn (one worker), with wrk."""
    instance, _routes = build_instance("api", cached(SIZES["large"], OUT))
    app = create_app(instance_path=str(instance))
    owner = app.extensions["wiki_users"].require("bencher")
    secret = app.extensions["wiki_tokens"].create(owner, "bench", "read", int(time.time()) + 86400)[1]
    pages = [p for p in app.extensions["wiki_store"].list_pages() if p != HOT_PAGE][:199] + [HOT_PAGE]
    app.extensions["wiki_store"].close()
    html_paths = ["/" + quote(p) for p in pages]
    api_paths = ["/-/api/v1/pages/" + quote(p) for p in pages]
    token = {"Authorization": f"Bearer {secret}"}
    port = free_port()
    results: dict[str, Any] = {"pages": len(pages)}
    with gunicorn("wsgi:app", port, {"WIKI_INSTANCE_PATH": str(instance)}) as server:
        wait_for(port, html_paths[-1])
        client = Client(port)
        for html_path, api_path in zip(html_paths, api_paths, strict=True):  # each answer made once
            timed_get(client, html_path, "page-body")
            timed_get(client, api_path, '"blob_id"')
            timed_get(client, api_path, '"blob_id"', token)
        wrk(port, html_paths + api_paths, max(2, seconds // 3))  # warm-up, not counted
        for name, paths, headers in (("html", html_paths, None), ("api", api_paths, None),
                                     ("api_token", api_paths, token), ("html_again", html_paths, None)):
            results[name] = wrk(port, paths, seconds, headers)
        html_rps = (results["html"]["rps"] + results["html_again"]["rps"]) / 2
        results["api_vs_html"] = results["api"]["rps"] / html_rps
        results["api_token_vs_html"] = results["api_token"]["rps"] / html_rps
        timed_get(client, api_paths[0], '"blob_id"')
        etag = client.last_headers["etag"]

        def revalidate(index: int) -> float:
            status, body, elapsed = client.get(api_paths[0], {"If-None-Match": etag})
            if status != 304:
                raise RuntimeError(f"If-None-Match on the API answered {status}: {body[:300]}")
            return elapsed

        results["revalidate"] = sample(revalidate, 50 if quick else 200, 30.0)
        results["rss_mb"] = worker_rss_mb(server.pid)
    for name in ("html", "api", "api_token", "html_again"):
        print(f"[api] {name}: {results[name]['rps']:,.0f} req/s, p50 {results[name]['p50']:.2f} ms", file=sys.stderr)
    return results


def api_table(results: dict[str, Any]) -> str:
    rows = [("API page reads (large, one gunicorn worker, c=4)", "req/s", "p50 / p95 ms", "target", "met")]
    html_rps = (results["html"]["rps"] + results["html_again"]["rps"]) / 2
    for label, key in (("HTML page view /<page>, before", "html"), ("HTML page view /<page>, after", "html_again")):
        value = results[key]
        rows.append((label, f"{value['rps']:,.0f}", f"{value['p50']:.2f} / {value['p95']:.2f}", "", ""))
    for label, key, ratio in (("API read /-/api/v1/pages/<page>, anonymous", "api", "api_vs_html"),
                              ("API read, with a read token", "api_token", "api_token_vs_html")):
        value = results[key]
        rows.append((label, f"{value['rps']:,.0f} ({results[ratio]:.0%})", f"{value['p50']:.2f} / {value['p95']:.2f}",
                     f">= 90% ({0.9 * html_rps:,.0f})", "yes" if results[ratio] >= 0.9 else "NO"))
    value = results["revalidate"]
    rows.append((f"API 304 to If-None-Match (n={value['n']})", "", f"{value['p50']:.2f} / {value['p95']:.2f}", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cache_table(results: dict[str, Any]) -> str:
    rows = [("HTTP cache (large, one gunicorn worker)", "req/s / p50", "p95", "target", "met")]
    direct = (results["view_direct"]["rps"] + results["view_direct_again"]["rps"]) / 2
    for label, key in (("views straight to gunicorn (c=4), before", "view_direct"),
                       ("views straight to gunicorn (c=4), after", "view_direct_again")):
        rows.append((label, f"{results[key]['rps']:,.0f}", f"{results[key]['p95']:.2f} ms", "", ""))
    ratio = results["cached_vs_direct"]
    rows.append(("views through the nginx cache (c=4)", f"{results['view_cached']['rps']:,.0f} ({ratio:.1f}x)",
                 f"{results['view_cached']['p95']:.2f} ms", f">= 5x ({5 * direct:,.0f})",
                 "yes" if ratio >= 5 else "NO"))
    rows.append(("  same, max-age 1 s, stale 1 s", f"{results['view_cached_short']['rps']:,.0f}",
                 f"{results['view_cached_short']['p95']:.2f} ms", "", ""))
    for name, label in (("hot", "hot page"), ("page", "ordinary page")):
        value = results[f"revalidate_{name}"]
        rows.append((f"304 to If-None-Match, {label} (n={value['n']})", f"{value['p50']:.2f} ms",
                     f"{value['p95']:.2f} ms", "p50 < 2 ms", "yes" if value["p50"] < 2 else "NO"))
        value = results[f"view_sequential_{name}"]
        rows.append(("  the same page, 200, one at a time", f"{value['p50']:.2f} ms", f"{value['p95']:.2f} ms",
                     "", ""))
    for name, label in (("propagation_import", "commit (fast-import) to readers"),
                        ("propagation_form", "save (edit form) to readers")):
        value = results[name]
        rows.append((f"{label}, max-age 1 + stale 1 (n={value['n']})", f"{value['p50']:,.0f} ms",
                     f"{value['p95']:,.0f} ms", "<= 2 s (1 + 1)", "yes" if value["max"] <= 2000 else "NO"))
    rows.append(("cold start / memory per worker", f"{results['cold_start']:,.0f} ms", f"{results['rss_mb']:.0f} MB",
                 "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _as_postgres(*command: str) -> list[str]:
    """initdb refuses to run as root: run the server's commands as the ``postgres`` account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@contextmanager
def postgres():
    """A throwaway PostgreSQL on a Unix socket only (as ``tests/test_postgres.py`` starts it), with
    a database ``wiki``; yields its URL. The server is stopped and its directory removed after."""
    if not (PG_BIN / "initdb").exists():
        raise RuntimeError(f"PostgreSQL binaries missing ({PG_BIN}/initdb): install Debian's postgresql")
    base = Path(tempfile.mkdtemp(prefix="wiki-bench-pg-"))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        for path in (base, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    try:
        subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                    "-E", "UTF8", "--no-sync"), check=True, capture_output=True)
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
                                    "-o", f"-k {socket_dir} -c listen_addresses='' -c fsync=off", "start"),
                       check=True, capture_output=True)
        try:
            import psycopg

            with psycopg.connect(f"postgresql://postgres@/postgres?host={socket_dir}", autocommit=True) as db:
                db.execute("CREATE DATABASE wiki")
            yield f"postgresql://postgres@/wiki?host={socket_dir}"
        finally:
            subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"),
                           capture_output=True)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def measure_replica(seconds: int, quick: bool) -> dict[str, Any]:
    """Issue 18's read replicas on the large repository: a primary and a replica, each gunicorn with
    2 workers on 127.0.0.1, sharing a throwaway PostgreSQL and a SECRET_KEY. The lag from a save
    through the primary's edit form (an editor logged in on the primary, timed from its 302) to the
    first answer of the replica showing the new sentence (polled every 10 ms, anonymous); then page
    views with wrk at concurrency 4 on the primary, the replica, and the primary again."""
    repo = cached(SIZES["large"], OUT)
    saves = 5 if quick else 20
    results: dict[str, Any] = {"workers": 2, "saves": saves}

    def report(name: str) -> None:
        value = results[name]
        figure = f"{value['rps']:,.0f} req/s, p50 " if "rps" in value else "p50 "
        print(f"[replica] {name}: {figure}{value['p50']:.2f} ms, p95 {value['p95']:.2f} ms", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="replica-", dir=OUT) as scratch, postgres() as database:
        primary_dir, replica_dir = Path(scratch) / "primary", Path(scratch) / "replica"
        primary_port, replica_port = free_port(), free_port()
        secret = os.urandom(16).hex()
        primary_dir.mkdir()
        shutil.copytree(repo, primary_dir / "content.git")
        (primary_dir / "config.py").write_text(
            f"SECRET_KEY = {secret!r}\nDATABASE_URL = {database!r}\n"
            f"REPLICAS = ['http://127.0.0.1:{replica_port}']\n")
        app = create_app(instance_path=str(primary_dir))
        app.extensions["wiki_users"].create("bencher", PASSWORD, group="civil-society", role="editor",
                                            display_name="Bench Editor", email="bench@example.org")
        outside = app.extensions["wiki_store"]
        pages = [p for p in outside.list_pages() if p != HOT_PAGE]
        outside.close()
        hot = "/" + quote(HOT_PAGE)
        view_paths = ["/" + quote(p) for p in pages[:199]] + [hot]
        rng = random.Random(18)
        edited = sorted(pages[199:], key=lambda p: rng.random())[:saves]
        with gunicorn("wsgi:app", primary_port, {"WIKI_INSTANCE_PATH": str(primary_dir)}, workers=2):
            results["primary_cold_start"] = wait_for(primary_port, hot, 60) * 1000
            replica_dir.mkdir()
            (replica_dir / "config.py").write_text(f"SECRET_KEY = {secret!r}\nDATABASE_URL = {database!r}\n")
            env = {**os.environ, "WIKI_INSTANCE_PATH": str(replica_dir)}
            started = time.perf_counter()
            made = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wiki", "replica",
                                   "--primary", f"http://127.0.0.1:{primary_port}"], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=600)
            if made.returncode != 0:
                raise RuntimeError(f"flask replica failed: {made.stdout} {made.stderr}")
            results["make_replica_s"] = time.perf_counter() - started
            print(f"[replica] flask replica took {results['make_replica_s']:.1f} s", file=sys.stderr)
            with gunicorn("wsgi:app", replica_port, {"WIKI_INSTANCE_PATH": str(replica_dir)}, workers=2):
                results["replica_cold_start"] = wait_for(replica_port, hot, 60) * 1000
                editor, reader = Client(primary_port), Client(replica_port)
                login(editor, "bencher")
                samples, polls = [], []
                for index, page in enumerate(edited):
                    path = "/" + quote(page)
                    timed_get(reader, path, "page-body")  # the replica has the page's current text
                    status, form, _ = editor.get(path + "/-/edit")
                    token = CSRF_RE.search(form).group(1)  # type: ignore[union-attr]
                    base = BASE_RE.search(form).group(1)  # type: ignore[union-attr]
                    text = html.unescape(TEXT_RE.search(form).group(1))  # type: ignore[union-attr]
                    sentence = f"Replicated edit {index} {time.time_ns()}."
                    status, body, _ = editor.request("POST", path + "/-/edit", {
                        "csrf_token": token, "base": base, "text": text + f"\n{sentence}\n",
                        "summary": f"Bench replica edit {index}"})
                    if status != 302:
                        raise RuntimeError(f"save of {page} answered {status}: {body[:500]}")
                    saved = time.perf_counter()
                    tries = 0
                    while True:
                        tries += 1
                        status, body, _ = reader.get(path)
                        if sentence in body:
                            break
                        if time.perf_counter() - saved > 60:
                            raise RuntimeError(f"the edit of {page} did not reach the replica in 60 s")
                        time.sleep(0.01)
                    samples.append(time.perf_counter() - saved)
                    polls.append(tries)
                    time.sleep(rng.uniform(0.2, 0.6))  # saves at moments the fetch timer does not know
                results["lag"] = {**percentiles(samples), "max": max(samples) * 1000, "polls": polls}
                report("lag")
                for port in (primary_port, replica_port):  # every page in both workers' caches
                    client = Client(port)
                    for path in view_paths:
                        timed_get(client, path, "page-body")
                    wrk(port, view_paths, 3)
                for name, port in (("view_primary", primary_port), ("view_replica", replica_port),
                                   ("view_primary_again", primary_port)):
                    results[name] = wrk(port, view_paths, seconds)
                    report(name)
                primary_rps = (results["view_primary"]["rps"] + results["view_primary_again"]["rps"]) / 2
                results["replica_vs_primary"] = results["view_replica"]["rps"] / primary_rps
    return results


def replica_table(results: dict[str, Any]) -> str:
    rows = [("Read replica (large, 2 workers each)", "p50 / req/s", "p95", "target", "met")]
    lag = results["lag"]
    rows.append((f"save on the primary to the replica (n={lag['n']}, max {lag['max']:,.0f} ms)",
                 f"{lag['p50']:,.0f} ms", f"{lag['p95']:,.0f} ms", "p95 < 2 s", "yes" if lag["p95"] < 2000 else "NO"))
    for label, key in (("page views/s on the primary (c=4), before", "view_primary"),
                       ("page views/s on the replica (c=4)", "view_replica"),
                       ("page views/s on the primary (c=4), after", "view_primary_again")):
        value = results[key]
        extra = f" ({results['replica_vs_primary']:.0%})" if key == "view_replica" else ""
        rows.append((label, f"{value['rps']:,.0f}{extra}", f"{value['p95']:.2f} ms", "", ""))
    rows.append(("flask replica (mirror + search index)", f"{results['make_replica_s']:.1f} s", "", "", ""))
    rows.append(("cold start primary / replica", f"{results['primary_cold_start']:,.0f} ms",
                 f"{results['replica_cold_start']:,.0f} ms", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def run_export() -> dict[str, Any]:
    """``bench/export.py`` (issue 17) in its own process: it prints its table; its JSON report."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "export.py")], cwd=ROOT, check=True)
    return json.loads((OUT / "export-latest.json").read_text())


def run_import() -> dict[str, Any]:
    """``bench/import_repo.py`` (issue 16) in its own process: it prints its table; its JSON report."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "import_repo.py")], cwd=ROOT, check=True)
    return json.loads((OUT / "import-latest.json").read_text())


def run_worst_case(timeout: float) -> dict[str, Any]:
    """``bench/worst_case.py`` in its own process (its cases each in one more); its JSON report."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "worst_case.py"), "--timeout", f"{timeout:g}"], cwd=ROOT,
                   check=True)
    return json.loads((OUT / "worst-case-latest.json").read_text())


def measure_saves(client: Client, pages: list[str], rng: random.Random, count: int) -> dict[str, float]:
    """Log in, then per save: GET the edit form (untimed), POST a changed text (timed)."""
    status, body, _ = client.get("/-/login")
    token = CSRF_RE.search(body).group(1)  # type: ignore[union-attr]
    status, body, _ = client.request("POST", "/-/login", {"csrf_token": token, "username": "bencher",
                                                          "password": PASSWORD})
    if status != 302:
        raise RuntimeError(f"login failed: {status} {body[:300]}")
    samples = []
    started = time.monotonic()
    for index in range(count):
        if time.monotonic() - started > 30 and len(samples) >= 3:
            break
        page = rng.choice(pages + [HOT_PAGE] * len(pages))  # half the saves on the hot page
        path = "/" + quote(page) + "/-/edit"
        status, form, _ = client.get(path)
        token = CSRF_RE.search(form).group(1)  # type: ignore[union-attr]
        base = BASE_RE.search(form).group(1)  # type: ignore[union-attr]
        text = html.unescape(TEXT_RE.search(form).group(1))  # type: ignore[union-attr]
        status, body, elapsed = client.request("POST", path, {
            "csrf_token": token, "base": base, "text": text + f"\nA sentence added by save {index}.\n",
            "summary": f"Bench save {index}"})
        if status != 302:
            raise RuntimeError(f"save failed: {status} {body[:500]}")
        samples.append(elapsed)
    return percentiles(samples)


def measure_hello(seconds: int) -> dict[str, float]:
    port = free_port()
    with gunicorn("hello:app", port, {"PYTHONPATH": str(ROOT / "bench")}):
        wait_for(port, "/")
        return wrk(port, ["/"], seconds)


# --------------------------------------------------------------------------- report


def metric(results: dict[str, Any], name: str) -> float | None:
    value = results.get(name)
    if isinstance(value, dict):
        return value.get("p50")
    return value


def table(report: dict[str, Any]) -> str:
    small, large = report["sizes"]["small"], report["sizes"]["large"]
    rows = [("metric", "small", "large", "large/small", "target", "met")]

    def fmt(value: float | None, digits: int = 1) -> str:
        return "n/a" if value is None else f"{value:,.{digits}f}"

    def add(label: str, key: str, sub: str = "p50", target: str = "", ok: bool | None = None) -> None:
        s = small.get(key, {}).get(sub) if isinstance(small.get(key), dict) else small.get(key)
        lg = large.get(key, {}).get(sub) if isinstance(large.get(key), dict) else large.get(key)
        ratio = fmt(lg / s, 2) if s and lg is not None else "n/a"
        rows.append((label, fmt(s), fmt(lg), ratio, target, "" if ok is None else ("yes" if ok else "NO")))

    hello = large["hello"]["rps"]
    rows.append(("hello-world req/s", fmt(small["hello"]["rps"], 0), fmt(hello, 0), "", "", ""))
    ratio = large["view_rps_vs_hello"]
    add("page view req/s (c=4)", "view", "rps", ">= 50% of hello", ratio >= 0.5)
    rows[-1] = rows[-1][:4] + (f">= {hello / 2:,.0f} ({ratio:.0%})",) + rows[-1][5:]
    add("page view p50 ms", "view", "p50")
    add("page view p95 ms", "view", "p95")
    for label, key, limit in (("save p50 ms", "save", 25), ("history p50 ms (after a commit)", "history", 30),
                              ("diff p50 ms (after a commit)", "diff", 30),
                              ("blame p50 ms (after a commit)", "blame", 30),
                              ("compare 1,000 commits p50 ms", "compare", 300),
                              ("search p50 ms", "search", 25)):
        value = metric(large, key)
        add(label, key, "p50", f"< {limit}", None if value is None else value < limit)
        add(label.replace("p50", "p95"), key, "p95")
    add("page view ms after a commit", "view_after_commit", "p50")
    add("history p50 ms (warm)", "history_warm", "p50")
    add("diff p50 ms (warm)", "diff_warm", "p50")
    if "search_after_commit" in large:
        add("search p50 ms (after a commit)", "search_after_commit", "p50")
    add("cold start ms", "cold_start", "", "< 1000", large["cold_start"] < 1000)
    add("memory per worker MB", "rss_mb", "", "< 150", large["rss_mb"] < 150)
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(str(cell).ljust(widths[i]) if i == 0 else str(cell).rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--quick", action="store_true", help="fewer samples (for a smoke run)")
    parser.add_argument("--sizes", default="small,large")
    parser.add_argument("--only", default=",".join(PARTS),
                        help=f"comma-separated parts to run, of {', '.join(PARTS)} (default: all)")
    parser.add_argument("--worst-case-timeout", type=float, default=60, help="seconds allowed per worst case")
    args = parser.parse_args()
    parts = args.only.split(",")
    if set(parts) - set(PARTS):
        parser.error(f"unknown parts: {', '.join(sorted(set(parts) - set(PARTS)))}; choose from {', '.join(PARTS)}")
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    sizes = args.sizes.split(",") if "sizes" in parts else []
    for size in sizes:
        cached(SIZES[size], OUT)
    if "untrailered" in parts:
        cached(UNTRAILERED, OUT)
    if "languages" in parts:
        cached_languages(SIZES["large"], OUT)
    if "proposals" in parts:
        cached_proposals(SIZES["large"], OUT)
    if "cache" in parts or "replica" in parts or "comments" in parts or "api" in parts:
        cached(SIZES["large"], OUT)
    report: dict[str, Any] = {"sizes": {}, "parts": parts, "time": time.strftime("%Y-%m-%d %H:%M:%S"),
                              "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                                    capture_output=True, text=True).stdout.strip(),
                              "cpus": os.cpu_count()}
    for size in sizes:
        # the machine's speed drifts: compare each size with a hello-world measured just before
        hello = measure_hello(args.seconds)
        report.setdefault("hello", hello)
        print(f"hello-world: {hello['rps']:.0f} req/s", file=sys.stderr)
        report["sizes"][size] = measure(size, SIZES[size], hello["rps"], args.seconds, args.quick)
        report["sizes"][size]["hello"] = hello
        print(f"[{size}] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "untrailered" in parts:
        report["untrailered"] = measure_untrailered(args.quick)
        print(f"[untrailered] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "languages" in parts:
        report["languages"] = measure_languages(args.seconds, args.quick)
        print(f"[languages] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "proposals" in parts:
        report["proposals"] = measure_proposals(args.quick)
        print(f"[proposals] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "cache" in parts:
        report["cache"] = measure_cache(args.seconds, args.quick)
        print(f"[cache] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "replica" in parts:
        report["replica"] = measure_replica(args.seconds, args.quick)
        print(f"[replica] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "comments" in parts:
        report["comments"] = measure_comments(cached(SIZES["large"], OUT), OUT, args.quick)
        print(f"[comments] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "api" in parts:
        report["api"] = measure_api(args.seconds, args.quick)
        print(f"[api] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "export" in parts:
        report["export"] = run_export()
        print(f"[export] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "import" in parts:
        report["import"] = run_import()
        print(f"[import] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "worst-case" in parts:
        report["worst_case"] = run_worst_case(args.worst_case_timeout)
        print(f"[worst-case] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    report["seconds"] = time.monotonic() - started
    (OUT / "latest.json").write_text(json.dumps(report, indent=2))
    stamp = time.strftime("%Y%m%d-%H%M%S")
    (OUT / f"bench-{stamp}.json").write_text(json.dumps(report, indent=2))
    if set(report["sizes"]) == {"small", "large"}:
        print(table(report))
    elif report["sizes"]:
        print(json.dumps(report["sizes"], indent=2))
    if "untrailered" in report:
        print("\n" + untrailered_table(report["untrailered"]))
    if "languages" in report:
        print("\n" + languages_table(report["languages"]))
    if "proposals" in report:
        print("\n" + proposals_table(report["proposals"]))
    if "cache" in report:
        print("\n" + cache_table(report["cache"]))
    if "replica" in report:
        print("\n" + replica_table(report["replica"]))
    if "comments" in report:
        print("\n" + comments_table(report["comments"]))
    if "api" in report:
        print("\n" + api_table(report["api"]))
    if "worst_case" in report:
        print("\nworst cases at 1 MB (in-process; table above, JSON in bench/out/worst-case-latest.json)")
    print(f"\n{report['seconds']:.0f} s; JSON in {OUT / 'latest.json'}")


if __name__ == "__main__":
    main()
