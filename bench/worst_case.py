"""Worst-case inputs at the page size limit: how long render, diff, search index and compare take.

    .venv/bin/python bench/worst_case.py                 # every case; table + bench/out/worst-case-latest.json
    .venv/bin/python bench/worst_case.py --only render   # render, diff, index, search, compare or a case
    .venv/bin/python bench/worst_case.py --timeout 20    # seconds allowed per case (default 60)

Each case runs in a subprocess of its own (``--case NAME``) with a time limit; a case that
exceeds it is killed (with its git children) and reported as "> LIMIT s", so the benchmark
always finishes. Inputs are at most ``MAX_PAGE_BYTES`` (1,000,000 bytes, the wiki's default
limit) and built before the clock starts. Only public APIs are used, so the script works
whatever the algorithms behind them: ``Renderer(url_builder).render(text, cache_key=...)``,
``diff_texts(old, new)``, ``SearchIndex(path, store).sync()`` (and ``.search(query)`` on the
caught-up index: its snippets read the page) and ``Store.compare(from, to)``
(plus ``diff_texts`` of each compared page's two texts, as the compare view does). These are
figures, never assertions: nothing here fails on a slow case.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import WORDS  # noqa: E402

MAX_PAGE_BYTES = 1_000_000  # the wiki's default MAX_PAGE_BYTES
REPEAT_UNDER_S = 2.0  # a case faster than this is run three times (median reported)


# --------------------------------------------------------------------------- inputs


def fill(unit: str, prefix: str = "", suffix: str = "", limit: int = MAX_PAGE_BYTES) -> str:
    """``prefix`` + ``unit`` repeated + ``suffix``, as many times as fit in ``limit`` UTF-8 bytes."""
    room = limit - len(prefix.encode()) - len(suffix.encode())
    return prefix + unit * (room // len(unit.encode())) + suffix


def nested_lists(depth: int = 500) -> str:
    """Lists nested ``depth`` deep (four spaces a level), repeated up to the limit."""
    one = "".join(" " * (4 * level) + f"- item {level}\n" for level in range(depth)) + "\n"
    return fill(one)


def nested_quotes(depth: int = 500) -> str:
    """A blockquote ``depth`` deep on each line, repeated up to the limit."""
    return fill("> " * depth + "quoted\n")


def random_words(seed: int, limit: int = MAX_PAGE_BYTES) -> str:
    """Lines of 8-16 random words up to ``limit`` bytes: prose with nothing in common between seeds."""
    rng = random.Random(seed)
    lines, size = [], 0
    while True:
        line = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 16))) + "\n"
        if size + len(line) > limit:
            return "".join(lines)
        lines.append(line)
        size += len(line)


def one_long_line(words: int = 160_000, seed: int = 3) -> str:
    """One line of ``words`` short random words (no newline), under the limit."""
    rng = random.Random(seed)
    short = [w for w in WORDS if len(w) <= 6]
    text = " ".join(rng.choice(short) for _ in range(words))
    assert len(text.encode()) <= MAX_PAGE_BYTES, len(text)
    return text


def change_line(text: str, index: int, replacement: str) -> str:
    lines = text.split("\n")
    lines[index] = replacement
    return "\n".join(lines)


def change_word(text: str, index: int, replacement: str) -> str:
    words = text.split(" ")
    words[index] = replacement
    return " ".join(words)


def many_lines() -> tuple[str, str]:
    old = "x\n" * (MAX_PAGE_BYTES // 2)
    return old, change_line(old, MAX_PAGE_BYTES // 4, "y")


def long_line() -> tuple[str, str]:
    old = one_long_line()
    return old, change_word(old, 80_000, "CHANGED")


def unrelated() -> tuple[str, str]:
    return random_words(1), random_words(2)


def appended_char(text: str) -> tuple[str, str]:
    """A page and the same page with one character more (still within the limit)."""
    return text[:-1], text


# name: (operation, description, input builder). Render and index builders return the text,
# diff and compare builders the (old, new) pair.
CASES: dict[str, tuple[str, str, Callable[[], Any]]] = {
    "render-brackets": ("render", '"[" * 1,000,000', lambda: "[" * MAX_PAGE_BYTES),
    "render-divs": ("render", '"<div>" * 200,000', lambda: "<div>" * (MAX_PAGE_BYTES // 5)),
    "render-nested-lists": ("render", "lists nested 500 deep, repeated to 1 MB", nested_lists),
    "render-link-openers": ("render", '"[a](" repeated to 1 MB', lambda: fill("[a](")),
    "render-wiki-openers": ("render", '"[[a" repeated to 1 MB', lambda: fill("[[a")),
    "render-backticks": ("render", '"`" * 1,000,000', lambda: "`" * MAX_PAGE_BYTES),
    "render-emphasis": ("render", '"*a" repeated to 1 MB', lambda: fill("*a")),
    "render-nested-quotes": ("render", '"> " * 500 + text, each line, to 1 MB', nested_quotes),
    "render-prose": ("render", "1 MB of ordinary prose (reference)", lambda: random_words(1)),
    "diff-many-lines": ("diff", '"x\\n" * 500,000, one line changed', many_lines),
    "diff-long-line": ("diff", "one 160,000-word line, one word changed", long_line),
    "diff-unrelated": ("diff", "two unrelated 1 MB random-word texts", unrelated),
    "diff-prose-edit": ("diff", "1 MB of prose, one line changed (reference)",
                        lambda: (random_words(1), change_line(random_words(1), 5_000, "a changed line"))),
    "index-spaces": ("index", '"# a" + " " * ~1,000,000 + "b"', lambda: fill(" ", "# a", "b")),
    "index-wiki-openers": ("index", '"[[a" repeated to 1 MB', lambda: fill("[[a")),
    "index-link-openers": ("index", '"[a](" repeated to 1 MB', lambda: fill("[a](")),
    "index-headings": ("index", '"# h\\n" repeated to 1 MB', lambda: fill("# h\n")),
    "index-prose": ("index", "1 MB of ordinary prose (reference)", lambda: random_words(1)),
    "search-wiki-openers": ("search", '"[[a" repeated to 1 MB, searched for "a"', lambda: fill("[[a")),
    "search-link-openers": ("search", '"[a](" repeated to 1 MB, searched for "a"', lambda: fill("[a](")),
    "search-prose": ("search", '1 MB of prose, searched for "a" (reference)', lambda: random_words(1) + "a\n"),
    "compare-many-lines": ("compare", 'a commit changing one line of "x\\n" * 500,000', many_lines),
    "compare-long-line": ("compare", "a commit changing one word of a 160,000-word line", long_line),
    "compare-unrelated": ("compare", "a commit replacing 1 MB of words by unrelated ones", unrelated),
    "compare-link-openers": ("compare", 'a commit adding a character to "[a](" * 250,000',
                             lambda: appended_char(fill("[a]("))),
}
OPERATIONS = ("render", "diff", "index", "search", "compare")
SEARCH_QUERY = "a"


# --------------------------------------------------------------------------- one case (child)


def _timed(run: Callable[[], Any], repeat: bool) -> tuple[float, list[float], Any]:
    """Seconds (median), every sample, and the last result of ``run``."""
    samples = []
    started = time.perf_counter()
    result = run()
    samples.append(time.perf_counter() - started)
    if repeat and samples[0] < REPEAT_UNDER_S:
        for _ in range(2):
            started = time.perf_counter()
            result = run()
            samples.append(time.perf_counter() - started)
    return statistics.median(samples), samples, result


def _store(directory: Path):  # type: ignore[no-untyped-def]
    from wiki.store import Author, Store

    store = Store(directory / "content.git")
    store.create()
    author = Author(name="Worst Case", email="worst@example.org", username="worst", group="civil-society")
    store.save_page("Home", "# Home\n\nSee [[Mapping/Worst]].\n", base=None, author=author, summary="Home")
    return store, author


def run_case(name: str) -> dict[str, Any]:
    operation, _, build = CASES[name]
    data = build()
    detail: dict[str, Any] = {}
    if operation == "render":
        from wiki.render import Renderer

        renderer = Renderer(lambda page: "/" + page)
        renderer.render("# warm up\n\n[[Home]] *a*\n", cache_key="warm-up")  # builds the Markdown instance
        counter = iter(range(100))
        seconds, samples, result = _timed(lambda: renderer.render(data, cache_key=f"{name}-{next(counter)}"), True)
        detail = {"input_bytes": len(data.encode()), "html_bytes": len(result.html.encode())}
    elif operation == "diff":
        from wiki.diffs import diff_texts

        old, new = data
        seconds, samples, result = _timed(lambda: diff_texts(old, new), True)
        detail = {"input_bytes": [len(old.encode()), len(new.encode())], **_diff_detail(result)}
    else:
        with tempfile.TemporaryDirectory(prefix="worst-case-") as temporary:
            store, author = _store(Path(temporary))
            try:
                if operation in ("index", "search"):
                    query = SEARCH_QUERY if operation == "search" else None
                    seconds, samples, detail = _index(store, author, Path(temporary), data, query)
                else:
                    seconds, samples, detail = _compare(store, author, *data)
            finally:
                store.close()
    return {"seconds": seconds, "samples": samples, "detail": detail,
            "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _diff_detail(diff: Any) -> dict[str, Any]:
    detail = {key: getattr(diff, key) for key in ("added", "removed", "shown", "truncated", "coarse")
              if isinstance(getattr(diff, key, None), (int, bool))}
    return detail


def _index(store: Any, author: Any, directory: Path, text: str,
           query: str | None) -> tuple[float, list[float], dict[str, Any]]:
    """The index catch-up after the commit that saves ``text`` (what the next search request
    pays first); with ``query``, that search on the caught-up index instead (snippets included)."""
    from wiki.search import SearchIndex
    from wiki.wikilinks import wiki_links

    index = SearchIndex(directory / "search.sqlite3", store)
    index.sync()
    store.save_page("Mapping/Worst", text, base=store.head(), author=author, summary="A worst case")
    detail: dict[str, Any] = {"input_bytes": len(text.encode())}
    try:
        if query is None:
            seconds, samples, _ = _timed(index.sync, False)
            detail["links"] = len(wiki_links(text))
        else:
            index.sync()
            seconds, samples, found = _timed(lambda: index.search(query), True)
            detail["query"] = query
            detail["total"] = getattr(found, "total", None)
    finally:
        index.close()
    return seconds, samples, detail


def _compare(store: Any, author: Any, old: str, new: str) -> tuple[float, list[float], dict[str, Any]]:
    """``Store.compare`` across the commit that changes the page, plus the word diff of every
    compared page (what the compare view computes before rendering its template)."""
    from wiki.diffs import diff_texts

    store.save_page("Mapping/Worst", old, base=store.head(), author=author, summary="Old text")
    before = store.head()
    store.save_page("Mapping/Worst", new, base=before, author=author, summary="New text")
    after = store.head()
    timings: dict[str, float] = {}

    def run() -> Any:
        started = time.perf_counter()
        comparison = store.compare(before, after)
        timings["compare_s"] = time.perf_counter() - started
        diffs = []
        for item in comparison.pages:
            old_blob, new_blob = getattr(item, "old_blob", None), getattr(item, "new_blob", None)
            if old_blob is None and new_blob is None and hasattr(item, "diff"):
                diffs.append(item.diff)  # an older Store that diffs inside compare
                continue
            diffs.append(diff_texts(store.blob_text(old_blob) if old_blob else "",
                                    store.blob_text(new_blob) if new_blob else ""))
        timings["word_diffs_s"] = time.perf_counter() - started - timings["compare_s"]
        return comparison, diffs

    seconds, samples, (comparison, diffs) = _timed(run, False)
    return seconds, samples, {"pages": len(comparison.pages), **timings,
                              **(_diff_detail(diffs[0]) if diffs else {})}


# --------------------------------------------------------------------------- all cases (parent)


def run_all(names: list[str], timeout: float) -> list[dict[str, Any]]:
    rows = []
    for name in names:
        operation, description, _ = CASES[name]
        row: dict[str, Any] = {"case": name, "operation": operation, "input": description, "timeout_s": timeout}
        started = time.perf_counter()
        process = subprocess.Popen([sys.executable, __file__, "--case", name], cwd=ROOT, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True, start_new_session=True)
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # the case and any git it started
            process.communicate()
            row.update(status="timeout", seconds=None)
        else:
            if process.returncode == 0 and stdout.strip():
                row.update(status="ok", **json.loads(stdout.strip().splitlines()[-1]))
            else:
                row.update(status="error", seconds=None, error=(stderr.strip().splitlines() or ["?"])[-1][:300])
        row["wall_s"] = time.perf_counter() - started
        print(f"  {name}: {format_seconds(row)}", file=sys.stderr)
        rows.append(row)
    return rows


def format_seconds(row: dict[str, Any]) -> str:
    if row["status"] == "timeout":
        return f"> {row['timeout_s']:g} s"
    if row["status"] == "error":
        return f"error: {row.get('error', '')}"
    seconds = row["seconds"]
    return f"{seconds * 1000:,.0f} ms" if seconds < 10 else f"{seconds:,.1f} s"


def table(rows: list[dict[str, Any]]) -> str:
    lines = [("operation", "input (≤ 1,000,000 bytes)", "time", "peak RSS")]
    for row in rows:
        rss = f"{row['max_rss_mb']:.0f} MB" if row.get("max_rss_mb") else ""
        lines.append((row["operation"], row["input"], format_seconds(row), rss))
    widths = [max(len(line[i]) for line in lines) for i in range(4)]
    out = []
    for number, line in enumerate(lines):
        out.append("  ".join(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]) for i, cell in enumerate(line)))
        if number == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--timeout", type=float, default=60, help="seconds allowed per case")
    parser.add_argument("--only", default=",".join(OPERATIONS),
                        help="comma-separated operations or case names (default: all)")
    parser.add_argument("--case", help=argparse.SUPPRESS)  # internal: run one case, print JSON
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    args = parser.parse_args()
    if args.case:
        print(json.dumps(run_case(args.case)))
        return
    if args.list:
        for name, (operation, description, _) in CASES.items():
            print(f"{name:24} {operation:8} {description}")
        return
    wanted = set(args.only.split(","))
    unknown = wanted - set(OPERATIONS) - set(CASES)
    if unknown:
        parser.error(f"unknown operations or cases: {', '.join(sorted(unknown))}")
    names = [name for name, (operation, _, _) in CASES.items() if operation in wanted or name in wanted]
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    print(f"worst cases: {len(names)}, at most {args.timeout:g} s each", file=sys.stderr)
    rows = run_all(names, args.timeout)
    report = {"time": time.strftime("%Y-%m-%d %H:%M:%S"), "max_page_bytes": MAX_PAGE_BYTES,
              "timeout_s": args.timeout, "cpus": os.cpu_count(), "seconds": time.monotonic() - started,
              "git": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                    text=True).stdout.strip(), "cases": rows}
    text = json.dumps(report, indent=2)
    (OUT / "worst-case-latest.json").write_text(text)
    (OUT / f"worst-case-{time.strftime('%Y%m%d-%H%M%S')}.json").write_text(text)
    print(table(rows))
    print(f"\n{report['seconds']:.0f} s; JSON in {OUT / 'worst-case-latest.json'}")


if __name__ == "__main__":
    main()
