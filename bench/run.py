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
Debian's nginx on 127.0.0.1 with the documented caching configuration (its cache, pid, logs and
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
``notifications``: issue 27's speed targets on the large repository with 200 open proposals
(``bench/parts/notifications.py``, in-process): what telling 200 reviewers adds to starting a
proposal, and ``/-/notifications`` and ``/-/awaiting`` with 10,000 notifications.
``calls``: issue 30's speed targets (``bench/parts/calls.py``, in-process): a call of 18 questions
with 500 responses: the responses by question, the compilation as .docx after a new response,
the responses as .xlsx and .csv, search over them and the API's list of them.
``storm``: 8 clients save one page at once from the same (stale) base through the edit form;
how many of the saves the wiki reported as done are missing from the page afterwards.
``--only untrailered,worst-case`` runs some parts alone. Each part is a module of
``bench/parts/`` (``common`` holds what they share); ``targets`` reports issue 26's targets
against the same run's hello-world.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from comments import comments_table, measure_comments  # noqa: E402
from generate import cached  # noqa: E402
from languages import cached_languages  # noqa: E402
from parts.api import api_table, measure_api  # noqa: E402
from parts.cache import cache_table, measure_cache  # noqa: E402
from parts.calls import calls_table, measure_calls  # noqa: E402
from parts.common import OUT, ROOT, SIZES, UNTRAILERED, compile_bytecode, measure_hello  # noqa: E402
from parts.external import run_export, run_import, run_worst_case  # noqa: E402
from parts.languages import languages_table, measure_languages  # noqa: E402
from parts.notifications import measure_notifications, notifications_table  # noqa: E402
from parts.proposals import measure_proposals, proposals_table  # noqa: E402
from parts.replica import measure_replica, replica_table  # noqa: E402
from parts.sizes import measure, table  # noqa: E402
from parts.storm import measure_storm  # noqa: E402
from parts.targets import targets_table  # noqa: E402
from parts.untrailered import measure_untrailered, untrailered_table  # noqa: E402
from proposals import cached_proposals  # noqa: E402

PARTS = ("sizes", "untrailered", "storm", "worst-case", "languages", "proposals", "cache", "replica", "comments",
         "export", "api", "import", "notifications", "calls")


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
    compile_bytecode()
    started = time.monotonic()
    sizes = args.sizes.split(",") if "sizes" in parts else []
    for size in sizes:
        cached(SIZES[size], OUT)
    if "untrailered" in parts:
        cached(UNTRAILERED, OUT)
    if "languages" in parts:
        cached_languages(SIZES["large"], OUT)
    if "proposals" in parts or "notifications" in parts:
        cached_proposals(SIZES["large"], OUT)
    if "storm" in parts or "calls" in parts:
        cached(SIZES["small"], OUT)
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
        report["sizes"][size] = measure(size, SIZES[size], args.seconds, args.quick)
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
    if "notifications" in parts:
        report["notifications"] = measure_notifications(args.quick)
        print(f"[notifications] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
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
    if "calls" in parts:
        report["calls"] = measure_calls(args.quick)
        print(f"[calls] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
    if "storm" in parts:
        report["storm"] = measure_storm()
        print(f"[storm] done at {time.monotonic() - started:.0f} s", file=sys.stderr)
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
    if "notifications" in report:
        print("\n" + notifications_table(report["notifications"]))
    if "cache" in report:
        print("\n" + cache_table(report["cache"]))
    if "replica" in report:
        print("\n" + replica_table(report["replica"]))
    if "comments" in report:
        print("\n" + comments_table(report["comments"]))
    if "api" in report:
        print("\n" + api_table(report["api"]))
    if "calls" in report:
        print("\n" + calls_table(report["calls"]))
    if "worst_case" in report:
        print("\nworst cases at 1 MB (in-process; table above, JSON in bench/out/worst-case-latest.json)")
    if report["sizes"] or "untrailered" in report or "storm" in report:
        print("\n" + targets_table(report))
    print(f"\n{report['seconds']:.0f} s; JSON in {OUT / 'latest.json'}")


if __name__ == "__main__":
    main()
