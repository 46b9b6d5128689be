"""Export speed and memory (issue 17): the seed document and a 100-page section, to PDF and docx.

    .venv/bin/python bench/export.py            # table + bench/out/export-latest.json
    .venv/bin/python bench/export.py --runs 1   # one run of each (default 3, median reported)

Through HTTP, as users get them: a fresh instance (the seed pages of ``content/``, plus a section
``Bench`` of 100 generated pages of about 5 KB each with headings, a table, a footnote and a line
of Arabic and of Chinese) served by gunicorn with 2 workers. Each export is timed from the first
request to the downloaded file: the request starts the background job (or converts at once for a
small export), the status URL is polled every 50 ms, then the file is fetched. Every run asks for
a new commit's export (a page outside the exported section is edited first), so nothing is served
from the cache; a last request for the same file shows the cached answer. Memory: the resident
peak (``VmHWM``) of each gunicorn worker after all exports, and the peak of the conversion child
processes (``RUSAGE_CHILDREN`` of an in-process run of each conversion in a fresh process).
Figures, not assertions.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from run import Client, free_port, gunicorn, wait_for  # noqa: E402

from wiki import create_app  # noqa: E402
from wiki.store import Author  # noqa: E402

AUTHOR = Author(name="Bench", email="bench@example.org", username="bench", group="civil-society")
TARGETS = {"seed_pdf": 5.0, "section_pdf": 30.0, "section_docx": 5.0}
WORDS = ("internet governance policy stakeholder cooperation enhanced public issue mapping cybersecurity privacy "
         "data protection access connectivity infrastructure capacity development digital divide inclusion rights "
         "accountability transparency consensus working group secretariat mandate resolution report framework "
         "principle norm standard protocol domain registry resilience interoperability").split()


def bench_page(rng: random.Random, number: int) -> str:
    """About 5 KB of Markdown: sections, a table, a footnote, Arabic and Chinese lines."""

    def paragraph(words: int) -> str:
        return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."

    parts = [f"# Issue {number:03d}", paragraph(60) + "[^1]", "## Description", paragraph(120), paragraph(90),
             "## Existing mechanisms", "| Organization | Role | Source |", "| --- | --- | --- |"]
    parts += [f"| {paragraph(3)} | {paragraph(8)} | {paragraph(4)} |" for _ in range(5)]
    parts += ["## Views by stakeholder group", paragraph(100),
              "هذه فقرة باللغة العربية عن التعاون المعزز في قضايا السياسة العامة الدولية المتعلقة بالإنترنت.",
              "这是关于加强合作的中文段落，讨论与互联网有关的国际公共政策问题。", "## Gaps", paragraph(80),
              f"See [[Bench/Issue_{(number % 100) + 1:03d}]].", "[^1]: " + paragraph(20)]
    return "\n\n".join(parts) + "\n"


def add_section(store: Any) -> None:
    """The 100 pages of the section ``Bench``, one commit each (from outside the served wiki)."""
    rng = random.Random(17)
    for number in range(1, 101):
        store.save_page(f"Bench/Issue_{number:03d}", bench_page(rng, number), base=store.head(), author=AUTHOR,
                        summary="bench page")


def export_once(client: Client, url: str) -> tuple[float, int]:
    """Seconds from the first request to the downloaded file, and its size."""
    started = time.perf_counter()
    status, body, _ = client.get(url)
    if status == 202:
        status_url = re.search(r'data-status-url="([^"]+)"', body).group(1)
        while True:
            _, state, _ = client.get(status_url)
            job = json.loads(state)
            if job["state"] == "failed":
                raise RuntimeError(f"{url}: {job['error']}")
            if job["state"] == "done":
                break
            time.sleep(0.05)
        status, body, _ = client.get(url)
    if status != 200:
        raise RuntimeError(f"{url} answered {status}: {body[:300]}")
    return time.perf_counter() - started, int(client.last_headers.get("content-length", "0"))


def peaks(master_pid: int) -> list[float]:
    """The resident peak (VmHWM, MB) of each worker of a gunicorn master."""
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    result = []
    for child in children:
        for line in Path(f"/proc/{child}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                result.append(int(line.split()[1]) / 1024)
    return result


CHILD_PEAK = """
import resource, sys, time
sys.path.insert(0, {root!r})
from wiki import create_app
from wiki.views import export
app = create_app({{"SECRET_KEY": "bench", "EXPORT_BACKGROUND_PAGES": 1000}}, instance_path={instance!r})
client = app.test_client()
started = time.perf_counter()
response = client.get({url!r})
assert response.status_code == 200, response.status_code
response.close()
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
      resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def child_peak(instance: Path, url: str) -> dict[str, float]:
    """Peak memory of the conversion's child processes, and of the calling process, in a fresh process."""
    code = CHILD_PEAK.format(root=str(ROOT), instance=str(instance), url=url)
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    seconds, children, own = output.stdout.split()
    return {"seconds": float(seconds), "child_peak_mb": int(children) / 2**20, "process_peak_mb": int(own) / 2**20}


def measure(runs: int) -> dict[str, Any]:
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="wiki-export-bench-") as folder:
        instance = Path(folder) / "instance"
        editor = create_app({"SECRET_KEY": "bench"}, instance_path=str(instance)).extensions["wiki_store"]
        port = free_port()
        env = {"WIKI_INSTANCE_PATH": str(instance), "WIKI_SECRET_KEY": "bench"}
        cases = {"seed_pdf": "/-/document/export?format=pdf", "seed_docx": "/-/document/export?format=docx",
                 "section_pdf": "/-/document/export?format=pdf&section=Bench",
                 "section_docx": "/-/document/export?format=docx&section=Bench",
                 "section_odt": "/-/document/export?format=odt&section=Bench",
                 "page_pdf": "/Mapping/Cybersecurity/-/export?format=pdf"}
        with gunicorn("wsgi:app", port, env, workers=2) as master:
            wait_for(port, "/Home")
            client = Client(port)
            for name, url in cases.items():
                if name == "section_pdf":
                    add_section(editor)  # the seed document alone above; the section from here on
                seconds, size = [], 0
                for run in range(runs):
                    # a new commit first: the export is of a commit nobody exported yet
                    editor.save_page("Scratch", f"run {name} {run}\n", base=editor.head(), author=AUTHOR,
                                     summary="bench")
                    took, size = export_once(client, url)
                    seconds.append(took)
                cached, _ = export_once(client, url)
                results[name] = {"median_s": statistics.median(seconds), "runs_s": seconds, "bytes": size,
                                 "cached_s": cached}
                print(f"{name}: {statistics.median(seconds):.2f} s (cached {cached * 1000:.0f} ms)", file=sys.stderr)
            results["worker_peak_mb"] = peaks(master.pid)
            editor.close()
        for name in ("section_pdf", "section_docx"):
            results[name].update(child_peak(instance, cases[name]))
    return results


def table(results: dict[str, Any]) -> str:
    rows = [("measure", "time", "target", "met")]
    labels = {"seed_pdf": "seed document (12 pages) → PDF", "seed_docx": "seed document → docx",
              "section_pdf": "100-page section → PDF", "section_docx": "100-page section → docx",
              "section_odt": "100-page section → odt", "page_pdf": "one page → PDF"}
    for key, label in labels.items():
        value = results[key]["median_s"]
        target = TARGETS.get(key)
        rows.append((label, f"{value:.2f} s (cached {results[key]['cached_s'] * 1000:.0f} ms)",
                     f"< {target:g} s" if target else "", ("yes" if value < target else "no") if target else ""))
    rows.append(("gunicorn workers' resident peak", " / ".join(f"{mb:.0f} MB" for mb in results["worker_peak_mb"]),
                 "< 500 MB", "yes" if max(results["worker_peak_mb"]) < 500 else "no"))
    for key in ("section_pdf", "section_docx"):
        rows.append((f"{labels[key]}: converter child peak / caller peak",
                     f"{results[key]['child_peak_mb']:.0f} MB / {results[key]['process_peak_mb']:.0f} MB", "", ""))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = measure(args.runs)
    (OUT / "export-latest.json").write_text(json.dumps(results, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
