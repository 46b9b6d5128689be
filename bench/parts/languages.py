"""Issue 13: ``/-/translations`` and page views in a chosen language, on ~6,000 language versions."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

from generate import HOT_PAGE
from languages import cached_languages

from wiki.store import Store

from .common import (
    OUT,
    SIZES,
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
    wrk,
)


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
