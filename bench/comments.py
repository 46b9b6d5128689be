"""Issue 15's speed targets for comment threads, in-process (the Flask test client), on a copy of
the large generated repository (2,000 pages, 20,000 commits):

- a page of 300 paragraphs with 300 open threads, viewed (logged in, so no whole-page cache) after
  an edit that moved half of its passages (150 paragraphs moved to the end, a new one on top): the
  first view (every anchor re-found), then the p50 of later views;
- ``/-/comments`` with 5,000 threads across the document (the 300 above and 4,700 on 470 other
  pages): the p50 of the list, and of the list after a new comment each time (the index rebuilt).

The 4,700 threads are written in chunks of 500 event files per commit with the wiki's own event
format (``comment_model.event_file``) and committer, to keep set-up short; the 300 go through
``Store.comments.start`` one by one. Run by ``bench/run.py --only comments`` (and ``make bench``).
"""

from __future__ import annotations

import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wiki import create_app  # noqa: E402
from wiki.store import Author  # noqa: E402
from wiki.store.comment_model import COMMENTS_REF, event_file  # noqa: E402
from wiki.store.comments import folder  # noqa: E402
from wiki.store.committer import Plan  # noqa: E402

PAGE = "Bench/Discussed"
PARAGRAPHS = 300
OTHER_PAGES = 470
THREADS_PER_OTHER_PAGE = 10
PASSWORD = "bench password 1234"
GROUPS = ("governments", "private-sector", "civil-society", "technical-academic", "international-organizations")


def paragraph(number: int) -> str:
    return (f"Paragraph {number} on internet governance: stakeholders number {number} agree that "
            f"cooperation point {number} needs review and enhanced cooperation in clause {number}.")


def author(number: int) -> Author:
    group = GROUPS[number % len(GROUPS)]
    return Author(name=f"User {number % 50}", email=f"user{number % 50}@example.org",
                  username=f"user{number % 50}", group=group)


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {"p50": statistics.median(ordered) * 1000,
            "p95": ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))] * 1000, "n": len(ordered)}


def timed(request: Callable[[], Any]) -> float:
    started = time.perf_counter()
    response = request()
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise RuntimeError(f"answered {response.status_code}")
    return elapsed


def measure_comments(repo: Path, out: Path, quick: bool) -> dict[str, Any]:
    instance = out / "instance-comments"
    if instance.exists():
        shutil.rmtree(instance)
    instance.mkdir(parents=True)
    shutil.copytree(repo, instance / "content.git")
    (instance / "config.py").write_text("SECRET_KEY = 'bench'\n")
    app = create_app(instance_path=str(instance))
    app.extensions["wiki_users"].create("bench", PASSWORD, group="governments", role="editor",
                                        display_name="Bench", email="bench@example.org")
    store, discussions = app.extensions["wiki_store"], app.extensions["wiki_discussions"]
    results: dict[str, Any] = {"paragraphs": PARAGRAPHS}
    started = time.monotonic()

    texts = [paragraph(number) for number in range(1, PARAGRAPHS + 1)]
    with app.test_request_context():  # wiki links in the rendered pages need the URL builder
        store.save_page(PAGE, "# Discussed\n\n" + "\n\n".join(texts) + "\n", base=store.head(), author=author(0),
                        summary="A page to discuss")
        head = store.head()
        blob = store.page_blob_id(PAGE, head)
        for number in range(1, PARAGRAPHS + 1):
            anchor = discussions.anchor(blob, head, quote=f"stakeholders number {number} agree")
            kind = "objection" if number % 10 == 0 else "comment"
            store.comments.start(PAGE, anchor, kind, f"Thread on paragraph {number}.", proposal=None,
                                 author=author(number))

        others = [page for page in store.list_pages() if page != PAGE][:OTHER_PAGES]
        files: dict[str, bytes | None] = {}
        number = PARAGRAPHS
        for page in others:
            page_blob = store.page_blob_id(page, head)
            blocks = [index for index, block in enumerate(discussions.passages(page_blob).blocks, 1)
                      if block.end > block.start]
            for index in range(THREADS_PER_OTHER_PAGE):
                anchor = discussions.anchor(page_blob, head, paragraph=blocks[index % len(blocks)])
                number += 1
                who = author(number)
                files[f"{folder(number)}/000001-create-bench00.json"] = event_file(
                    "create", user=who.username, group=who.group, time=int(time.time()), text=f"Bench thread {number}.",
                    page=page, proposal=None, kind=("comment", "question", "objection", "support")[number % 4],
                    rev=anchor.rev, blob=anchor.blob, quote=anchor.quote, prefix=anchor.prefix, suffix=anchor.suffix,
                    position=anchor.position)
                if len(files) == 500:
                    chunk, files = files, {}
                    store.committer.commit_to_ref(COMMENTS_REF, lambda tip, chunk=chunk: Plan(chunk, "Bench threads"),
                                                  author=who)
        if files:
            store.committer.commit_to_ref(COMMENTS_REF, lambda tip: Plan(files, "Bench threads"), author=author(0))
    results["threads"] = len(store.comments.all())
    results["setup_s"] = time.monotonic() - started
    print(f"[comments] {results['threads']} threads set up in {results['setup_s']:.0f} s", file=sys.stderr)

    client = app.test_client()
    login = client.get("/-/login").get_data(as_text=True)
    token = login.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    client.post("/-/login", data={"username": "bench", "password": PASSWORD, "csrf_token": token})
    count = 10 if quick else 30

    # The edit: the first 150 paragraphs move to the end, and a new paragraph opens the page.
    moved = ["A new opening paragraph about the whole mapping."] + texts[PARAGRAPHS // 2:] + texts[:PARAGRAPHS // 2]
    store.save_page(PAGE, "# Discussed\n\n" + "\n\n".join(moved) + "\n", base=store.head(), author=author(1),
                    summary="Move half of the paragraphs")
    url = "/" + PAGE
    results["page_first_after_edit"] = timed(lambda: client.get(url)) * 1000
    results["page_after_edit"] = percentiles([timed(lambda: client.get(url)) for _ in range(count)])
    page_html = client.get(url).get_data(as_text=True)
    results["marked_passages"] = page_html.count('<mark class="comment-mark')
    results["outdated"] = page_html.count("thread-outdated")
    anonymous = app.test_client()
    results["page_anonymous"] = percentiles([timed(lambda: anonymous.get(url)) for _ in range(count)])
    print(f"[comments] page after the edit: first {results['page_first_after_edit']:.0f} ms, "
          f"p50 {results['page_after_edit']['p50']:.1f} ms; {results['marked_passages']} marks, "
          f"{results['outdated']} outdated", file=sys.stderr)

    results["list_first"] = timed(lambda: client.get("/-/comments")) * 1000
    results["list"] = percentiles([timed(lambda: client.get("/-/comments")) for _ in range(count)])
    samples = []
    for index in range(count):
        store.comments.reply(index + 1, f"Bench reply {index}.", author=author(index))
        samples.append(timed(lambda: client.get("/-/comments")))
    results["list_after_comment"] = percentiles(samples)
    results["list_filtered"] = percentiles([timed(lambda: client.get("/-/comments?kind=objection&section=Mapping"))
                                            for _ in range(count)])
    print(f"[comments] /-/comments: first {results['list_first']:.0f} ms, p50 {results['list']['p50']:.1f} ms, "
          f"after a new comment p50 {results['list_after_comment']['p50']:.1f} ms", file=sys.stderr)
    store.close()
    return results


def comments_table(results: dict[str, Any]) -> str:
    rows = [("comments (large, 300-paragraph page)", "p50", "p95", "target", "met")]

    def latency(label: str, key: str, limit: float | None = None) -> None:
        value = results[key]
        met = "" if limit is None else ("yes" if value["p50"] < limit else "NO")
        rows.append((label, f"{value['p50']:,.1f} ms", f"{value['p95']:,.1f} ms",
                     "" if limit is None else f"p50 < {limit:g} ms", met))

    rows.append(("page: first view after the edit", f"{results['page_first_after_edit']:,.0f} ms", "", "", ""))
    latency("page after an edit moving half (logged in)", "page_after_edit", 60)
    latency("page, anonymous (whole-page cache)", "page_anonymous")
    rows.append(("/-/comments first request", f"{results['list_first']:,.0f} ms", "", "", ""))
    latency(f"/-/comments ({results['threads']:,} threads)", "list", 50)
    latency("/-/comments after a new comment", "list_after_comment", 50)
    latency("/-/comments?kind=objection&section=Mapping", "list_filtered", 50)
    widths = [max(len(str(row[i])) for row in rows) for i in range(5)]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True))
                     for row in rows)
