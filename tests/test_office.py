"""The conversion layer and the job runner without Flask (issue 17): limits on child processes,
jobs shared by key across runners (workers), failures, lost jobs, eviction; and the HTML that
the exports are made from."""

from __future__ import annotations

import fcntl
import io
import json
import sys
import threading
import zipfile
from pathlib import Path

import pytest

from wiki.office import convert
from wiki.office.convert import ConversionError, ConversionLimitExceeded, Limits
from wiki.office.document import ExportDocument, SourcePage, pandoc_html, pdf_html, prepare
from wiki.office.jobs import DONE, FAILED, LOST, RUNNING, Job, JobRunner, job_key
from wiki.render import Renderer

# --------------------------------------------------------------------------- child processes


def test_a_conversion_out_of_time_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(ConversionLimitExceeded):
        convert.run_limited([sys.executable, "-c", "import time; time.sleep(30)"], tmp_path, Limits(seconds=1))


def test_a_conversion_out_of_memory_is_stopped(tmp_path: Path) -> None:
    with pytest.raises(ConversionLimitExceeded):
        convert.run_limited([sys.executable, "-c", "x = bytearray(800 * 2**20)"], tmp_path,
                            Limits(seconds=30, memory_bytes=400 * 2**20))


def test_pandoc_reports_its_error_and_reads_no_other_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    data = convert.pandoc(f"![x]({secret})\n", from_format="markdown", to_format="docx")
    with zipfile.ZipFile(io.BytesIO(data)) as archive:  # --sandbox: only the files on its command line
        assert not [name for name in archive.namelist() if name.startswith("word/media/")]
    with pytest.raises(ConversionError) as error:
        convert.pandoc("x", from_format="no-such-format", to_format="docx")
    assert "Unknown input format" in error.value.message and error.value.code == 422


def test_weasyprint_fetches_nothing_but_data_urls() -> None:
    html = '<p>Hello</p><img src="http://127.0.0.1:9/x.png"><img src="file:///etc/passwd">'
    result = convert.html_to_pdf(html, limits=Limits(seconds=60))
    assert result.data.startswith(b"%PDF") and result.peak_memory and result.peak_memory > 10 * 2**20


# --------------------------------------------------------------------------- the job runner


def test_identical_keys_share_one_job_across_runners(tmp_path: Path) -> None:
    first, second = JobRunner(tmp_path), JobRunner(tmp_path)  # two workers on one instance
    started, release = threading.Event(), threading.Event()
    calls = []

    def work(progress) -> bytes:  # noqa: ANN001
        calls.append(1)
        progress(0.5, "Converting")
        started.set()
        release.wait(30)
        return b"the file"

    key = job_key("document", "pdf", "abc")
    assert first.submit(key, work, filename="d.pdf", mimetype="application/pdf").state in ("queued", RUNNING)
    assert started.wait(30)
    seen = second.get(key)
    assert seen is not None and seen.state == RUNNING and seen.progress == 0.5 and seen.stage == "Converting"
    assert second.submit(key, work, filename="d.pdf", mimetype="application/pdf").state == RUNNING
    release.set()
    first.shutdown()
    assert calls == [1]
    assert second.get(key).state == DONE and second.result(key).read_bytes() == b"the file"
    assert second.run(key, work, filename="d.pdf", mimetype="application/pdf").state == DONE and calls == [1]


def test_a_failed_job_keeps_its_message_and_a_lost_job_starts_again(tmp_path: Path) -> None:
    runner = JobRunner(tmp_path)

    def fail(progress) -> bytes:  # noqa: ANN001
        raise ConversionLimitExceeded("Too big: %(n)s", n=3)

    key = job_key("fails")
    job = runner.run(key, fail, filename="x.pdf", mimetype="application/pdf")
    assert job.state == FAILED and job.error == "Too big: 3" and job.error_code == 413
    # a job that said "running" when its worker died: nobody holds its lock
    lost = job_key("lost")
    (tmp_path / f"{lost}.json").write_text(json.dumps({"key": lost, "state": RUNNING, "filename": "y.pdf",
                                                       "mimetype": "application/pdf"}))
    assert runner.get(lost).state == LOST
    assert runner.run(lost, lambda progress: b"again", filename="y.pdf", mimetype="application/pdf").state == DONE
    # while another process holds the lock, it is running there
    held = job_key("held")
    (tmp_path / f"{held}.json").write_text(json.dumps({"key": held, "state": RUNNING, "filename": "z.pdf",
                                                       "mimetype": "application/pdf"}))
    with open(tmp_path / f"{held}.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        assert runner.get(held).state == RUNNING
        assert runner.submit(held, lambda progress: b"no", filename="z.pdf", mimetype="x").state == RUNNING
    runner.shutdown()


def test_the_cache_keeps_the_most_recently_used_files_within_its_size(tmp_path: Path) -> None:
    runner = JobRunner(tmp_path, max_bytes=250)
    keys = [job_key("file", number) for number in range(4)]
    for key in keys[:2]:
        runner.run(key, lambda progress: b"x" * 100, filename="f", mimetype="x")
    runner.result(keys[0])  # used again: the second one is now the oldest
    for key in keys[2:]:
        runner.run(key, lambda progress: b"x" * 100, filename="f", mimetype="x")
    kept = [key for key in keys if runner.result(key) is not None]
    assert sum(len(runner.result(key).read_bytes()) for key in kept) <= 250
    assert keys[3] in kept and keys[1] not in kept
    assert runner.get(keys[1]) is None  # an evicted job is unknown: the next request makes it again
    runner.shutdown()


def test_job_keys_are_hashes_of_their_parts() -> None:
    assert job_key("a", 1) == job_key("a", "1") != job_key("a", 2)
    assert len(job_key("x")) == 40
    assert JobRunner("/tmp").get("../../etc/passwd") is None
    with pytest.raises(ValueError):
        JobRunner("/tmp").result("../../etc/passwd")
    assert Job(key="k", state=DONE, filename="f", mimetype="m").finished


# --------------------------------------------------------------------------- one document from many pages


def _document(*texts: str) -> ExportDocument:
    renderer = Renderer(lambda page: "http://wiki.test/" + page)
    pages = [SourcePage(page=f"P{number}", title=f"P{number}", text=text, html=renderer.render(text).html)
             for number, text in enumerate(texts, start=1)]
    return ExportDocument(title="Doc", pages=pages, base_url="http://wiki.test")


def test_pages_get_their_own_ids_headings_and_links_inside_the_document() -> None:
    doc = _document("# One\n\n## Part\n\nSee [[P2]] and [[P2#part]], [out](/Elsewhere), [here](#part).[^1]\n\n"
                    "[^1]: A note.\n", "Text without a heading.\n\n## Part\n\nAnother[^1].\n\n[^1]: Second.\n")
    pages = prepare(doc, lambda page, name: None)
    html = pdf_html(doc, pages)
    assert 'id="page-1"' in html and 'id="p1-part"' in html and 'id="p2-part"' in html
    assert '<h1 id="page-2" class="page-title">P2</h1>' in html  # the title of a page that opens without one
    assert '<h2 id="p2-part">' in html and "<h3" not in html  # its own headings keep their levels
    assert 'href="#page-2"' in html and 'href="#p2-part"' in html and 'href="#p1-part"' in html
    assert 'href="http://wiki.test/Elsewhere"' in html
    assert '<span class="footnote">A note.</span>' in html and '<span class="footnote">Second.</span>' in html
    pandoc = pandoc_html(doc, pages)
    assert 'role="doc-noteref"' in pandoc and 'href="#p2-fn1"' in pandoc and '<li id="p2-fn1">' in pandoc
    assert pandoc.count('role="doc-endnotes"') == 1


def test_right_to_left_blocks_and_foreign_images() -> None:
    doc = _document("مرحبا بكم في الويكي.\n\nEnglish line.\n\n![remote](http://example.org/x.png)\n\n"
                    "![local](/P1/-/attachments/a.png)\n")
    pages = prepare(doc, lambda page, name: ("image/png", b"\x89PNG\r\n\x1a\n") if name == "a.png" else None)
    html = pdf_html(doc, pages)
    assert 'class="wiki-page" dir="rtl" lang="ar">' in html  # a single page: its section is the anchor
    assert '<p dir="rtl">مرحبا' in html and '<p dir="ltr">English line.</p>' in html
    assert 'src="data:image/png;base64,' in html and "example.org/x.png" in html and "<img alt=\"remote\"" not in html
    assert '<div dir="rtl"><p dir="rtl">مرحبا' in pandoc_html(doc, pages)
