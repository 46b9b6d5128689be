"""Exports (issue 17): every file read back by an independent reader (python-docx, odfpy and the
ODF XML, pypdf and poppler's pdftotext), through HTTP: formats, revisions, background jobs shared
between workers, caching, bad input and permissions."""

from __future__ import annotations

import io
import json
import re
import subprocess
import time
import zipfile
from pathlib import Path

import docx
import docx.text.paragraph
import pytest
from flask import Flask
from flask.testing import FlaskClient
from odf.opendocument import load as load_odt
from PIL import Image
from pypdf import PdfReader

from wiki import create_app
from wiki.store import Author, Store

from .conftest import Auth, make_app

AUTHOR = Author(name="Eda Editor", email="eda@example.org", username="editor", group="civil-society")
PAGE = "Mapping/Export_test"
TEXT = """# Export test

An opening paragraph with a note[^1] and a [[Mapping/Cybersecurity|wiki link]].

## A table

| Group | View |
| --- | --- |
| Governments | Agreed |
| Civil society | Disputed |

## Languages

هذه فقرة باللغة العربية تكتب من اليمين إلى اليسار.

这是一个中文段落，用于测试导出。

![A chart](/Mapping/Export_test/-/attachments/chart.png)

[^1]: The footnote's own text.
"""


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (30, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def export_page(store: Store) -> str:
    store.save_page(PAGE, TEXT, base=store.head(), author=AUTHOR, summary="export test")
    store.save_attachment(PAGE, "chart.png", _png(), author=AUTHOR, summary="chart")
    return PAGE


def _download(client: FlaskClient, url: str) -> tuple[bytes, str, str]:
    with client.get(url) as response:  # closes the file the download streams
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment")
        return response.data, response.mimetype, disposition


def _pdf_text(data: bytes, tmp_path: Path, *pages: int) -> str:
    path = tmp_path / "export.pdf"
    path.write_bytes(data)
    args = ["pdftotext", "-layout"] + (["-f", str(pages[0]), "-l", str(pages[-1])] if pages else [])
    return subprocess.run([*args, str(path), "-"], check=True, capture_output=True, text=True).stdout


# --------------------------------------------------------------------------- formats, read back


def test_docx_has_heading_styles_a_contents_field_tables_footnotes_images_and_bidi(client, export_page) -> None:
    data, mimetype, disposition = _download(client, f"/{export_page}/-/export?format=docx")
    assert mimetype == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
    assert re.search(r'filename="?Mapping-Export_test-[0-9a-f]{10}\.docx', disposition)
    document = docx.Document(io.BytesIO(data))
    styles = all_paragraphs(document)  # the title page sits in a content control
    assert ("Heading 1", "Export test") in styles  # the page's own `#` heading, `##` is Heading 2
    assert ("Heading 2", "A table") in styles and ("Heading 2", "Languages") in styles
    assert [text for style, text in styles if style == "Title"] == ["Export test"]  # once
    assert not any(style == "Subtitle" for style, _text in styles)  # no version name: no subtitle
    assert any(style == "Commit line" and re.fullmatch(r"Commit [0-9a-f]{10}", text) for style, text in styles)
    table = document.tables[0]
    assert [cell.text for cell in table.rows[1].cells] == ["Governments", "Agreed"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        body = archive.read("word/document.xml").decode()
        notes = archive.read("word/footnotes.xml").decode()
        headers = "".join(archive.read(name).decode() for name in archive.namelist() if name.startswith("word/header"))
        media = [name for name in archive.namelist() if name.startswith("word/media/")]
    assert "The footnote&#39;s own text." in notes and "w:footnoteReference" in body
    assert 'instrText xml:space="preserve">TOC' in body or "TOC \\o" in body  # a real contents field
    entries = [(docx.text.paragraph.Paragraph(p, document).style.name, docx.text.paragraph.Paragraph(p, document).text)
               for p in document.element.body.iter(docx.oxml.ns.qn("w:p"))]  # the field sits in a w:sdt
    assert ("toc 1", "Export test") in entries and ("toc 2", "A table") in entries  # its last result, for any reader
    assert "Export test" in headers and "PAGE" in archive_text(data, "word/footer")
    assert media, "the attachment image is embedded"
    arabic = next(p for p in document.paragraphs if "العربية" in p.text)
    assert arabic._p.pPr is not None and arabic._p.pPr.find(docx.oxml.ns.qn("w:bidi")) is not None
    assert any("中文段落" in p.text for p in document.paragraphs)


def all_paragraphs(document: docx.document.Document) -> list[tuple[str, str]]:
    """(style, text) of every paragraph of the body, those in content controls too."""
    return [(docx.text.paragraph.Paragraph(p, document).style.name, docx.text.paragraph.Paragraph(p, document).text)
            for p in document.element.body.iter(docx.oxml.ns.qn("w:p"))]


def archive_text(data: bytes, prefix: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode() for name in archive.namelist() if name.startswith(prefix))


def test_odt_has_headings_a_table_a_note_an_image_and_contents(client, export_page) -> None:
    data, mimetype, _ = _download(client, f"/{export_page}/-/export?format=odt")
    assert mimetype == "application/vnd.oasis.opendocument.text"
    load_odt(io.BytesIO(data))  # odfpy reads it
    content = archive_text(data, "content.xml")
    assert re.search(r'<text:h[^>]*text:outline-level="1"[^>]*>(<[^>]*>)*Export test', content)
    assert re.search(r'<text:h[^>]*text:outline-level="2"[^>]*>(<[^>]*>)*A table', content)
    assert "<table:table " in content and "Civil society" in content
    assert "<text:note " in content and "The footnote" in content
    assert "<draw:image " in content and "<text:table-of-content" in content
    assert "العربية" in content and "中文段落" in content


def test_pdf_has_a_title_page_contents_with_page_numbers_footnotes_and_both_scripts(
        client, export_page, tmp_path) -> None:
    data, mimetype, disposition = _download(client, f"/{export_page}/-/export?format=pdf")
    assert mimetype == "application/pdf" and disposition.endswith(".pdf")
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) >= 3  # title page, contents, the page
    title, contents, body = (_pdf_text(data, tmp_path, number) for number in (1, 2, 3))
    assert "Export test" in title and "Commit " in title
    assert re.search(r"Export test \.+ ?3", contents) and re.search(r"A table \.+ ?3", contents)
    assert re.search(rf"\b3 ?/ ?{len(reader.pages)}\b", body)  # page numbers
    assert "The footnote's own text." in body  # a real footnote on the page
    assert "العربية" in body or "ةيبرعلا" in body  # pdftotext may give Arabic in visual order
    assert "中文段落" in body
    assert any("/XObject" in str(p.get("/Resources", {})) for p in reader.pages[2:])  # the image
    assert reader.outline  # PDF bookmarks from the headings


def test_md_is_the_pages_raw_markdown(client, export_page) -> None:
    data, mimetype, disposition = _download(client, f"/{export_page}/-/export?format=md")
    assert mimetype == "text/markdown" and data.decode() == TEXT
    assert re.search(r'filename="?Mapping-Export_test-[0-9a-f]{10}\.md"?$', disposition)


# --------------------------------------------------------------------------- revisions and versions


def test_file_names_in_any_script_reach_the_header_encoded(client, store) -> None:
    store.save_page("Mapping/الحوكمة", "# الحوكمة\n\nنص.\n", base=store.head(), author=AUTHOR, summary="ar")
    encoded = "%D8%A7%D9%84%D8%AD%D9%88%D9%83%D9%85%D8%A9"
    for fmt in ("md", "docx"):
        _, _, disposition = _download(client, f"/Mapping/{encoded}/-/export?format={fmt}")
        disposition.encode("latin-1")  # what a server can send
        assert f"filename*=UTF-8''Mapping-{encoded}-" in disposition


def test_an_old_revision_and_a_named_version_are_exported_as_they_were(client, store, export_page) -> None:
    old = store.head()
    store.create_version("chairs-draft", "Chair's draft", old, author=AUTHOR)
    store.save_page(PAGE, "# Export test\n\nRewritten.\n", base=store.head(), author=AUTHOR, summary="rewrite")
    data, _, disposition = _download(client, f"/{export_page}/-/export?format=md&rev={old[:12]}")
    assert data.decode() == TEXT and old[:10] in disposition
    data, _, disposition = _download(client, f"/{export_page}/-/export?format=docx&rev=chairs-draft")
    assert "chairs-draft.docx" in disposition
    paragraphs = all_paragraphs(docx.Document(io.BytesIO(data)))
    text = "\n".join(text for _style, text in paragraphs)
    assert ("Subtitle", "Chair's draft") in paragraphs  # the version's name on the title page
    assert ("Commit line", f"Commit {old[:10]}") in paragraphs  # the commit in small print
    assert "The footnote" not in text and "Civil society" in archive_text(data, "word/document.xml")
    current, _, _ = _download(client, f"/{export_page}/-/export?format=docx")
    assert "Rewritten." in "\n".join(p.text for p in docx.Document(io.BytesIO(current)).paragraphs)


@pytest.mark.parametrize(("url", "status", "message"), [
    ("/Home/-/export", 400, "format=docx"),
    ("/Home/-/export?format=html", 400, "format=docx, format=odt, format=pdf, format=md"),
    ("/Home/-/export?format=pdf&format=md", 400, "more than once"),
    ("/Home/-/export?format=pdf&rev=0123456789", 404, ""),
    ("/Home/-/export?format=pdf&rev=no-such-version", 404, ""),
    ("/Home/-/export?format=pdf&rev=--output=x", 404, ""),
    ("/No_page_here/-/export?format=pdf", 404, "There is no page"),
    ("/-/document/export?format=docx&section=No_section", 404, "no pages in the section"),
    ("/-/document/export?format=rtf", 400, "format=pdf"),
    ("/-/exports/not-a-key", 404, "There is no export"),
])
def test_bad_input_gets_a_clear_4xx(client, url: str, status: int, message: str) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)


def test_a_page_absent_at_that_revision_is_a_404(client, store, export_page) -> None:
    first = store.page_history("Home")[-1].id  # before the page was written
    response = client.get(f"/{export_page}/-/export?format=pdf&rev={first}")
    assert response.status_code == 404 and "did not exist in that revision" in response.get_data(as_text=True)


def test_a_private_wiki_asks_for_a_login_before_exporting(tmp_path: Path) -> None:
    app = make_app(tmp_path / "private", PUBLIC_READ=False)
    client = app.test_client()
    assert client.get("/Home/-/export?format=md").status_code == 302
    assert client.get("/-/document/export?format=md").status_code == 302
    Auth(client).login("reader")
    assert client.get("/Home/-/export?format=md").status_code == 200


# --------------------------------------------------------------------------- the whole document, in the background


def _wait_for(client: FlaskClient, status_url: str) -> dict[str, object]:
    for _ in range(600):  # a bound, not a timing: the job ends long before
        state = client.get(status_url).get_json()
        if state["state"] in ("done", "failed"):
            return state
        assert 0 <= state["progress"] <= 1
        time.sleep(0.1)
    raise AssertionError("the export job never finished")


def test_the_whole_document_runs_in_the_background_and_is_shared_by_workers(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    app = make_app(instance, EXPORT_BACKGROUND_PAGES=3)
    client = app.test_client()
    url = "/-/document/export?format=docx"
    started = client.get(url)
    assert started.status_code == 202 and started.mimetype == "text/html"
    html = started.get_data(as_text=True)
    status_url = re.search(r'data-status-url="([^"]+)"', html).group(1)
    assert "<noscript>" in html and "export.js" in html and "<progress" in html and "<script>" not in html
    assert f'href="{url}"' in html  # the page comes back here for the file
    # another worker (another app on the same instance) sees the same job, and joins it
    other = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "EXPORT_BACKGROUND_PAGES": 3},
                       instance_path=str(instance)).test_client()
    assert other.get(status_url).status_code == 200
    assert _wait_for(other, status_url)["state"] == "done"
    data, _, disposition = _download(other, url)
    head = store_head(app)
    assert f"Living_Wiki-{head[:10]}.docx" in disposition
    headings = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs if p.style.name == "Heading 1"]
    assert headings[0] == "Enhanced Cooperation: a living document"  # Home opens the document
    assert "Cybersecurity" in headings and len(headings) == len(app.extensions["wiki_store"].list_pages())
    # the second request is the cached file: the same bytes, no new job
    files = sorted(Path(app.config["EXPORT_DIRECTORY"]).glob("*.out"))
    again, _, _ = _download(client, url)
    assert again == data and sorted(Path(app.config["EXPORT_DIRECTORY"]).glob("*.out")) == files
    for each in (app, other.application):
        each.extensions["wiki_jobs"].shutdown()


def store_head(app: Flask) -> str:
    return app.extensions["wiki_store"].head()


def test_a_section_exports_its_pages_in_document_order_as_pdf(client, tmp_path) -> None:
    data, _, disposition = _download(client, "/-/document/export?format=pdf&section=Mapping")
    assert "Living_Wiki-Mapping-" in disposition
    text = _pdf_text(data, tmp_path)
    assert "Living Wiki: Mapping" in text
    order = [text.index(title, text.index("Contents") + 200) for title in ("Cybersecurity", "Template")]
    assert order == sorted(order)


def test_document_markdown_concatenates_pages_under_headings(client) -> None:
    data, mimetype, _ = _download(client, "/-/document/export?format=md&section=Questionnaire")
    text = data.decode()
    assert mimetype == "text/markdown" and text.startswith('---\ntitle: "Living Wiki: Questionnaire"')
    assert text.count("\n# ") >= 6 and "<!-- Questionnaire/Role_of_stakeholders -->" in text


def test_a_failed_job_is_reported_with_its_message(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", EXPORT_BACKGROUND_PAGES=0, EXPORT_TIMEOUT=0.01)
    client = app.test_client()
    started = client.get("/-/document/export?format=pdf&section=Mapping")
    status_url = re.search(r'data-status-url="([^"]+)"', started.get_data(as_text=True)).group(1)
    state = _wait_for(client, status_url)
    assert state["state"] == "failed" and "seconds" in state["error"]
    answer = client.get("/-/document/export?format=pdf&section=Mapping")
    assert answer.status_code == 413 and "was stopped" in answer.get_data(as_text=True)
    app.extensions["wiki_jobs"].shutdown()


def test_status_json_of_a_job(client, app) -> None:
    runner = app.extensions["wiki_jobs"]
    runner.run("a" * 40, lambda progress: b"x", filename="x.pdf", mimetype="application/pdf")
    answer = client.get("/-/exports/" + "a" * 40)
    assert answer.status_code == 200 and json.loads(answer.data) == {
        "state": "done", "progress": 1.0, "stage": "", "error": ""}


def test_a_language_version_is_exported_and_the_document_takes_versions_where_they_exist(client, store) -> None:
    arabic = "# الأمن السيبراني\n\nنص النسخة العربية من الصفحة.\n"
    store.save_version("Mapping/Cybersecurity", "ar", arabic, follows_original=True, base=store.head(),
                       author=AUTHOR, summary="ar")
    data, _, disposition = _download(client, "/Mapping/Cybersecurity/-/export?format=md&lang=ar")
    assert data.decode() == arabic and "Mapping-Cybersecurity-ar-" in disposition
    data, _, _ = _download(client, "/Mapping/Cybersecurity/-/export?format=docx&lang=ar")
    paragraphs = docx.Document(io.BytesIO(data)).paragraphs
    body = next(p for p in paragraphs if "النسخة العربية" in p.text)
    assert body._p.pPr.find(docx.oxml.ns.qn("w:bidi")) is not None
    assert client.get("/Mapping/Cybersecurity/-/export?format=md&lang=fr").status_code == 404
    assert client.get("/Mapping/Cybersecurity/-/export?format=md&lang=xx").status_code == 404
    assert client.get("/Mapping/Cybersecurity/-/export?format=md&lang=en").status_code == 200  # the original
    document, _, _ = _download(client, "/-/document/export?format=md&section=Mapping&lang=ar")
    assert "نص النسخة العربية" in document.decode() and "# Mapping of international" in document.decode()


def test_pages_and_the_document_link_their_downloads(client, store) -> None:
    old = store.head()
    html = client.get(f"/Mandate?rev={old[:12]}").get_data(as_text=True)
    assert f"/Mandate/-/export?format=docx&amp;rev={old[:12]}" in html and "/Mandate/-/export?format=pdf" in html
    html = client.get("/-/document?section=Mapping").get_data(as_text=True)
    assert "/-/document/export?format=pdf&amp;section=Mapping" in html


def test_a_small_export_that_takes_too_long_goes_on_behind_the_progress_page(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", EXPORT_WAIT_SECONDS=0)
    client = app.test_client()
    first = client.get("/Mandate/-/export?format=pdf")
    assert first.status_code == 202 and "Preparing Mandate" in first.get_data(as_text=True)
    status_url = re.search(r'data-status-url="([^"]+)"', first.get_data(as_text=True)).group(1)
    assert _wait_for(client, status_url)["state"] == "done"
    data, mimetype, _ = _download(client, "/Mandate/-/export?format=pdf")
    assert mimetype == "application/pdf" and data.startswith(b"%PDF")
    app.extensions["wiki_jobs"].shutdown()


def test_the_title_page_and_contents_speak_the_readers_language(client) -> None:
    client.set_cookie("lang", "ar")
    data, _, _ = _download(client, "/Mandate/-/export?format=docx")
    document = docx.Document(io.BytesIO(data))
    commit_line = next(text for style, text in all_paragraphs(document) if style == "Commit line")
    assert commit_line.startswith("الإيداع ")
    assert "المحتويات" in archive_text(data, "word/document.xml")  # the contents' title


def test_a_document_too_large_for_one_file_asks_for_a_section(client, monkeypatch) -> None:
    from wiki.views import export

    monkeypatch.setattr(export, "MAX_DOCUMENT_PAGES", 3)
    response = client.get("/-/document/export?format=pdf")
    assert response.status_code == 400 and "choosing a section" in response.get_data(as_text=True)
    data, _, _ = _download(client, "/-/document/export?format=md&section=Mapping/Cybersecurity")
    assert "# Cybersecurity" in data.decode()
