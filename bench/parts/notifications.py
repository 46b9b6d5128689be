"""Issue 27's speed targets, in-process (the Flask test client), on the large repository with 200
open proposals (``bench/proposals.py``):

- starting a proposal through ``POST /-/proposals/new`` tells every member of the groups it awaits
  and the watchers: the p50 of a creation with 200 reviewers (who also watch the page it names)
  minus the p50 without them, and the p50 of the telling alone (``Inbox.deliver``);
- ``/-/notifications`` and ``/-/awaiting`` for a reviewer with 10,000 notifications, p50.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from proposals import cached_proposals

from wiki import create_app
from wiki.notify import Activity, subject_of_page, subject_of_proposal

from .common import OUT, PASSWORD, SIZES, build_instance

WATCHERS = 200
NOTIFICATIONS = 10_000
GROUPS = ("governments", "private-sector", "civil-society", "technical-academic", "international-organizations")


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def measure_notifications(quick: bool) -> dict[str, Any]:
    repo = cached_proposals(SIZES["large"], OUT)
    instance, _routes = build_instance("notifications", repo)
    app = create_app({"SCHEDULER_SECONDS": 0, "LIMIT_PROPOSALS_PER_HOUR": 0,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, instance_path=str(instance))
    users, inbox = app.extensions["wiki_users"], app.extensions["wiki_inbox"]
    reader = users.create("bench", PASSWORD, group="governments", role="reviewer", display_name="Bench Reviewer",
                          email="reviewer@example.org")
    count = 10 if quick else 30
    client = app.test_client()

    def log_in(name: str) -> None:
        page = client.get("/-/login").get_data(as_text=True)
        token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        client.post("/-/login", data={"username": name, "password": PASSWORD, "csrf_token": token})

    def creations() -> list[float]:
        log_in("bencher")
        token = client.get("/-/proposals/new").get_data(as_text=True).split('name="csrf_token" value="', 1)[1][:200]
        token = token.split('"', 1)[0]
        samples = []
        for number in range(count + 1):  # the first one warms up, unmeasured
            started = time.perf_counter()
            response = client.post("/-/proposals/new", data={"title": f"Bench {number}", "rationale": "Timed.",
                                                             "csrf_token": token})
            if number:
                samples.append(time.perf_counter() - started)
            if response.status_code != 302:
                raise RuntimeError(f"creating a proposal answered {response.status_code}")
        return samples

    results: dict[str, Any] = {"watchers": WATCHERS, "notifications": NOTIFICATIONS}
    results["create_alone"] = p50(creations())
    ids = [users.create(f"watcher{n:03d}", PASSWORD, group=GROUPS[n % len(GROUPS)], role="reviewer").id
           for n in range(WATCHERS)]
    for user_id in ids:
        inbox.watch(user_id, subject_of_page("Home"))
    results["create_with_watchers"] = p50(creations())
    results["create_adds"] = results["create_with_watchers"] - results["create_alone"]
    told = []
    for number in range(count):
        activity = Activity(subject_of_proposal(10_000 + number), "proposed", "bencher", "Timed",
                            proposal=10_000 + number, owners=("bencher",), groups=GROUPS,
                            watched=(subject_of_proposal(10_000 + number), subject_of_page("Home")))
        started = time.perf_counter()
        inbox.deliver(activity)
        told.append(time.perf_counter() - started)
    results["deliver"] = p50(told)
    print(f"[notifications] a proposal: {results['create_alone']:.1f} ms alone, "
          f"{results['create_with_watchers']:.1f} ms with {WATCHERS} reviewers watching; telling them "
          f"{results['deliver']:.1f} ms", file=sys.stderr)

    now = time.time()
    with users.database.connect() as db:
        for start in range(0, NOTIFICATIONS, 1000):
            rows = [(reader.id, f"page/Bench/{n}", "watching", "edited", "someone", f"Bench/{n}", f"Bench/{n}",
                     now - n, now - n, None if n % 3 else now) for n in range(start, start + 1000)]
            db.raw.executemany(db.database.sql(
                "INSERT INTO notifications (user_id, subject, reason, activity, actor, title, page, created_at,"
                " updated_at, read_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (user_id, subject) DO NOTHING"),
                rows)
    log_in("bench")
    for path, key in (("/-/notifications", "inbox"), ("/-/awaiting", "awaiting")):
        client.get(path)  # the first request warms the proposals' cache
        samples = []
        for _ in range(count):
            started = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        results[key] = p50(samples)
    print(f"[notifications] /-/notifications {results['inbox']:.1f} ms, /-/awaiting {results['awaiting']:.1f} ms "
          f"(p50, {NOTIFICATIONS:,} notifications)", file=sys.stderr)
    app.extensions["wiki_store"].close()
    return results


def notifications_table(results: dict[str, Any]) -> str:
    rows = [("notifications (large, 200 open proposals)", "p50", "target", "met")]

    def row(label: str, key: str, limit: float | None) -> None:
        value = results[key]
        rows.append((label, f"{value:,.1f} ms", "" if limit is None else f"< {limit:g} ms",
                     "" if limit is None else ("yes" if value < limit else "NO")))

    row("start a proposal (no one to tell)", "create_alone", None)
    row(f"start a proposal ({results['watchers']} reviewers watching)", "create_with_watchers", None)
    row("what telling them adds", "create_adds", 20)
    row("telling them (Inbox.deliver alone)", "deliver", 20)
    row(f"/-/notifications ({results['notifications']:,} notifications)", "inbox", 50)
    row("/-/awaiting (200 open proposals)", "awaiting", 50)
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(r, widths, strict=True)) for r in rows)
