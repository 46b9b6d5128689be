"""Search latency over 2,000 pages (a benchmark, not a test): ``python bench/search_bench.py``.

Builds a temporary wiki with 2,000 pages of ~300 words each in 20 sections (one commit), indexes
it, then times queries through the index and through the web view, the catch-up after one new
commit, and a full rebuild. Prints medians and 95th percentiles in milliseconds.
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from wiki import create_app  # noqa: E402
from wiki.store import Author  # noqa: E402
from wiki.store.committer import Plan  # noqa: E402

PAGES = 2000
WORDS_PER_PAGE = 300
ROUNDS = 50
AUTHOR = Author(name="Bench", email="bench@example.org", username="bench", group="governments")
QUERIES = ["governance", "cyber*", '"digital divide"', "policy mechanism", "治理", "управление",
           "الشفافية", "zzzznotfound", "internet OR", "stakeholder participation developing"]


def vocabulary(rng: random.Random) -> list[str]:
    base = ("internet governance policy stakeholder mechanism digital divide cybersecurity participation "
            "developing countries capacity building access infrastructure privacy spam security openness "
            "diversity multilingualism standards protocols naming addressing regional national global "
            "forum working group mandate questionnaire mapping transparency accountability").split()
    made = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(4, 10)))
            for _ in range(5000)]
    return base + made + ["治理", "互联网", "управление", "Интернет", "الشفافية", "حوكمة"]


def page_text(rng: random.Random, words: list[str], title: str) -> str:
    lines = [f"# {title}", ""]
    for section in range(3):
        lines.append(f"## {' '.join(rng.choices(words, k=3))}")
        lines.append(" ".join(rng.choices(words, k=WORDS_PER_PAGE // 3)) + f" [[Section_{section}/Page_{section}]]")
        lines.append("")
    return "\n".join(lines)


def timed(function, rounds: int = ROUNDS) -> tuple[float, float]:  # noqa: ANN001
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1]


def main() -> None:
    rng = random.Random(5)
    words = vocabulary(rng)
    with tempfile.TemporaryDirectory(prefix="wiki-bench-") as scratch:
        app = create_app({"TESTING": True, "SECRET_KEY": "bench", "CONTENT_SEED": str(Path(scratch) / "none")},
                         instance_path=str(Path(scratch) / "instance"))
        store = app.extensions["wiki_store"]
        index = app.extensions["wiki_search"]
        changes: dict[str, bytes | None] = {}
        for number in range(PAGES):
            page = f"Section_{number % 20}/Page_{number}"
            changes[f"{page}.md"] = page_text(rng, words, page).encode()
        start = time.perf_counter()
        store.committer.commit_to_ref(store.ref, lambda tip: Plan(changes, "Bench pages"), author=AUTHOR)
        print(f"wrote {PAGES} pages in one commit: {(time.perf_counter() - start) * 1000:.0f} ms")

        start = time.perf_counter()
        index.sync()
        print(f"first index of {PAGES} pages: {(time.perf_counter() - start) * 1000:.0f} ms")

        print(f"{'query':40} {'hits':>6} {'median ms':>10} {'p95 ms':>8}")
        for query in QUERIES:
            total = index.search(query).total
            median, p95 = timed(lambda query=query: index.search(query))
            print(f"{query:40} {total:>6} {median:>10.2f} {p95:>8.2f}")
        median, p95 = timed(lambda: index.search("governance", section="Section_3"))
        print(f"{'governance in Section_3':40} {'':>6} {median:>10.2f} {p95:>8.2f}")

        client = app.test_client()
        median, p95 = timed(lambda: client.get("/-/search?q=governance+policy"))
        print(f"web view /-/search?q=governance+policy: median {median:.2f} ms, p95 {p95:.2f} ms")

        catch_up = []
        for round_number in range(20):
            store.save_page(f"Section_1/Page_{round_number}", page_text(rng, words, "edited"), base=store.head(),
                            author=AUTHOR, summary="edit")
            start = time.perf_counter()
            index.sync()
            catch_up.append((time.perf_counter() - start) * 1000)
        print(f"index catch-up after a one-page commit: median {statistics.median(catch_up):.2f} ms, "
              f"max {max(catch_up):.2f} ms")
        median, _ = timed(lambda: client.get("/-/pages"), rounds=20)
        print(f"page tree /-/pages: median {median:.2f} ms")
        start = time.perf_counter()
        index.rebuild()
        print(f"full rebuild: {(time.perf_counter() - start) * 1000:.0f} ms")
        store.close()


if __name__ == "__main__":
    main()
