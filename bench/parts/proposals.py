"""Issue 14: the proposals list, a proposal's page and merges, with 200 open proposals."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from typing import Any

from generate import HOT_PAGE
from proposals import cached_proposals

from wiki import create_app
from wiki.store import Author, Store

from .common import (
    CSRF_RE,
    OUT,
    PASSWORD,
    SIZES,
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
)


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
