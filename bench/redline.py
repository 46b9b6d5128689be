"""Benchmark of redlines and imports (issue 17), run by ``make bench`` after ``bench/run.py``.

Builds a content repository in a temporary instance with the wiki's storage API: 200 pages of
2-20 KB (headings, paragraphs, lists, a table, footnotes) and then 100 commits by users of the five
groups. Times, through the Flask test client (view, job runner, pandoc and WeasyPrint in their
child processes; each file made once, uncached):

- the redline of the hot page between two versions 100 commits apart (each commit rewords a
  sentence of it), as .docx and as PDF;
- the whole-document redline of two versions 100 commits apart that touch 40 pages, both formats;
- the import of a large .docx (about 100 pages of text with headings, lists, tables, footnotes and
  20 images, written by pandoc): the conversion alone, the upload to the preview, and the save.

Prints a table and writes ``bench/out/redline-latest.json``. Figures, not assertions.
"""

from __future__ import annotations

import io
import json
import random
import re
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.conftest import Auth, csrf_token, make_app  # noqa: E402
from tests.office_docs import png  # noqa: E402
from wiki.office import docimport  # noqa: E402
from wiki.store import Author  # noqa: E402

OUT = ROOT / "bench" / "out"
GROUPS = ("governments", "private-sector", "civil-society", "technical-academic", "international-organizations")
WORDS = ("access affordability cooperation cybersecurity data development digital economy governance "
         "infrastructure internet jurisdiction multistakeholder network policy privacy protection "
         "regulation rights security standards trade trust universal").split()
rng = random.Random(17)


def sentence(length: int = 14) -> str:
    words = [rng.choice(WORDS) for _ in range(length)]
    return " ".join(words).capitalize() + "."


def page_text(number: int, paragraphs: int) -> str:
    parts = [f"# Issue {number}", ""]
    for index in range(paragraphs):
        if index % 7 == 3:
            parts += [f"- {sentence(6)}", f"    - {sentence(5)}", f"- {sentence(6)}", ""]
        elif index % 11 == 5:
            parts += ["| Issue | Forum |", "|---|---|", f"| {sentence(3)} | {sentence(2)} |", ""]
        elif index % 9 == 1:
            parts += [f"## Part {index}", "", " ".join(sentence() for _ in range(4)) + f"[^n{index}]", "",
                      f"[^n{index}]: {sentence(8)}", ""]
        else:
            parts += [" ".join(sentence() for _ in range(rng.randint(2, 6))), ""]
    return "\n".join(parts)


def authors() -> list[Author]:
    return [Author(f"User {index}", f"u{index}@example.org", f"user{index}", GROUPS[index % len(GROUPS)])
            for index in range(10)]


def timed(function, runs: int = 1) -> float:  # noqa: ANN001
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def get(client, url: str) -> bytes:  # noqa: ANN001
    with client.get(url) as response:
        if response.status_code == 202:  # a background job: wait for it as the progress page would
            while True:
                time.sleep(0.05)
                with client.get(url) as again:
                    if again.status_code != 202:
                        response = again
                        break
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.data


def large_docx() -> bytes:
    """About 100 pages of text, 20 images, tables, lists and footnotes, as Word writes them (pandoc)."""
    from wiki.office import convert

    parts = []
    images = {}
    for number in range(40):
        parts.append(page_text(number, 22))
        if number % 2 == 0:
            name = f"chart{number}.png"
            images[name] = png(400, 300, bytes([number * 5 % 256, 80, 160]))
            parts.append(f"\n![Chart {number}]({name})\n")
    markdown = "\n\n".join(parts)
    return convert.pandoc(markdown, from_format="markdown", to_format="docx", files=images, sandbox=False)


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    results: dict[str, float | int | str] = {}
    with tempfile.TemporaryDirectory(prefix="redline-bench-") as scratch:
        app = make_app(Path(scratch) / "instance", EXPORT_BACKGROUND_PAGES=1000)
        store = app.extensions["wiki_store"]
        people = authors()
        started = time.perf_counter()
        for number in range(200):
            store.save_page(f"Mapping/Issue_{number}", page_text(number, rng.randint(4, 40)), base=store.head(),
                            author=people[number % 10], summary=f"Issue {number}")
        hot = "Mapping/Issue_7"
        store.save_page(hot, page_text(7, 60), base=store.head(), author=people[0], summary="hot page")
        x = store.head()
        for number in range(100):  # the hot page: a sentence reworded by each commit
            text = store.read_page(hot).text
            lines = text.split("\n")
            index = rng.choice([i for i, line in enumerate(lines) if line and not line.startswith(("#", "|", "["))])
            lines[index] = re.sub(r"\b\w+\b", lambda m: rng.choice(WORDS), lines[index], count=3)
            store.save_page(hot, "\n".join(lines), base=store.head(), author=people[number % 10], summary="reword")
        y_hot = store.head()
        x_doc = y_hot
        for number in range(100):  # the document: 100 commits over 40 pages
            page = f"Mapping/Issue_{rng.randrange(40, 80)}"
            text = store.read_page(page).text + f"\n{sentence()}\n"
            store.save_page(page, text, base=store.head(), author=people[number % 10], summary="add")
        y_doc = store.head()
        results["setup_seconds"] = round(time.perf_counter() - started, 1)
        changed = len(store.compare(x_doc, y_doc).pages)
        results["document_pages_changed"] = changed
        client = app.test_client()
        for fmt in ("docx", "pdf"):
            url = f"/{hot}/-/diff/export?from={x}&to={y_hot}&format={fmt}"
            results[f"page_redline_100_commits_{fmt}_s"] = round(timed(lambda url=url: get(client, url)), 2)
            results[f"page_redline_cached_{fmt}_ms"] = round(1000 * timed(lambda url=url: get(client, url), 5), 1)
            url = f"/-/compare/export?from={x_doc}&to={y_doc}&format={fmt}"
            results[f"document_redline_100_commits_{fmt}_s"] = round(timed(lambda url=url: get(client, url)), 2)
        data = large_docx()
        results["import_docx_bytes"] = len(data)
        results["import_convert_s"] = round(timed(lambda: docimport.convert(data)), 2)
        Auth(client).login("editor")
        token = csrf_token(client, "/-/import")
        preview = None

        def upload() -> None:
            nonlocal preview
            response = client.post("/-/import", data={"csrf_token": token, "page": "Imported/Large",
                                                      "file": (io.BytesIO(data), "large.docx")},
                                   content_type="multipart/form-data")
            assert response.status_code == 200, response.status_code
            preview = response.get_data(as_text=True)

        results["import_upload_to_preview_s"] = round(timed(upload), 2)
        results["import_preview_again_s"] = round(timed(upload), 2)  # staged: no second conversion
        match = re.search(r'name="token" value="([^"]+)"', preview or "")
        assert match

        def save() -> None:
            response = client.post("/-/import", data={"csrf_token": token, "page": "Imported/Large",
                                                      "token": match.group(1)})
            assert response.status_code == 302, response.status_code

        results["import_save_s"] = round(timed(save), 2)
        results["imported_images"] = len(store.list_attachments("Imported/Large"))
        results["imported_markdown_kb"] = round(len(store.read_page("Imported/Large").text.encode()) / 1024)
        results["worker_max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        results["children_max_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
        app.extensions["wiki_jobs"].shutdown()
        store.close()
    (OUT / "redline-latest.json").write_text(json.dumps(results, indent=2))
    width = max(len(key) for key in results)
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
