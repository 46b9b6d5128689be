"""History, diff and blame of the hot page of a history without trailers (an imported one)."""

from __future__ import annotations

import sys
from typing import Any

from generate import HOT_PAGE, cached

from wiki.store import Store

from .common import (
    OUT,
    UNTRAILERED,
    Client,
    build_instance,
    free_port,
    gunicorn,
    plain_commit,
    quote,
    sample,
    timed_get,
    wait_for,
    worker_rss_mb,
)


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
