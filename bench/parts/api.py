"""Issue 16: API page reads against HTML page views, anonymous and with a token."""

from __future__ import annotations

import sys
import time
from typing import Any

from generate import HOT_PAGE, cached

from wiki import create_app

from .common import (
    OUT,
    SIZES,
    Client,
    build_instance,
    free_port,
    gunicorn,
    quote,
    sample,
    timed_get,
    wait_for,
    worker_rss_mb,
    wrk,
)


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
