"""Issue 18: anonymous views through Debian's nginx cache, 304s, and how fast a commit reaches readers."""

from __future__ import annotations

import html
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from generate import HOT_PAGE, cached

from wiki.store import Store

from .common import (
    BASE_RE,
    CSRF_RE,
    NGINX,
    OUT,
    SIZES,
    TEXT_RE,
    Client,
    build_instance,
    free_port,
    gunicorn,
    login,
    percentiles,
    plain_commit,
    quote,
    sample,
    timed_get,
    wait_for,
    worker_rss_mb,
    wrk,
)


@contextmanager
def nginx(folder: Path, backend: int, port: int):
    """Debian's nginx on 127.0.0.1:``port`` in front of ``backend``, running the deployment's file
    (deploy/nginx/living-wiki.conf.template, as docs/operator/deployment.md and tests/test_deploy.py use it); its
    cache, pid, logs and temporary files in ``folder``."""
    from tests.support.nginx import nginx as deployed_nginx

    with deployed_nginx(folder, backend, port=port, worker_processes="auto", connections=256, access_log=False,
                        wait_for_backend=False):
        yield


def measure_cache(seconds: int, quick: bool) -> dict[str, Any]:
    """Issue 18's speed targets on the large repository: gunicorn (one worker) alone and behind
    Debian's nginx with the documented caching configuration. Anonymous page views with wrk at
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
