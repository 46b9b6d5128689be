"""Redlines through HTTP, read back by independent readers: pandoc's Word reader accepting and
rejecting every tracked change (compared with Y and X), lxml on word/document.xml for the authors,
dates and paragraph marks, pypdf and pdftotext for the PDF."""

from __future__ import annotations

import io
import re
import subprocess
import time
import zipfile
from datetime import UTC, datetime

import pypandoc
import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from pypdf import PdfReader

from wiki.store import Author, Store

from .conftest import make_app

W = {"w": "http://schemas.openxmlformats.org/wordprocessingml/2006/main"}
ANA = Author("Ana Lima", "ana@example.org", "ana", "civil-society")
BOB = Author("Bob Stone", "bob@example.org", "bob", "governments")
CHEN = Author("Chen Wei", "chen@example.org", "chen", "private-sector")

X_TEXT = """# Cybersecurity

The working group met in Geneva to discuss **security** and privacy.

- Capacity building
    - Training for regulators
- Spam

| Issue | Forum |
|---|---|
| Spam | ITU |

A paragraph that Bob removes entirely.

Closing words of the page.[^1]

[^1]: The first footnote.
"""
ANA_TEXT = X_TEXT.replace("met in Geneva", "met in New York").replace("- Spam\n", "- Spam\n- Data protection\n")
BOB_TEXT = (ANA_TEXT.replace("A paragraph that Bob removes entirely.\n\n", "")
            .replace("**security**", "**cyber security**")
            .replace("| Spam | ITU |", "| Spam | ITU |\n| Data | OECD |")
            + "\nA new closing paragraph by Bob.\n")


@pytest.fixture
def history(app: Flask, store: Store) -> tuple[str, str]:
    """X, then Ana's edit, then Bob's edit (Y); returns (X, Y)."""
    store.save_page("Mapping/Cyber", X_TEXT, base=store.head(), author=CHEN, summary="Chen writes the page")
    x = store.head()
    store.save_page("Mapping/Cyber", ANA_TEXT, base=store.head(), author=ANA, summary="Ana's edit")
    store.save_page("Mapping/Cyber", BOB_TEXT, base=store.head(), author=BOB, summary="Bob's edit")
    return x, store.head()  # type: ignore[return-value]


def words(text: str) -> list[str]:
    """Normalised text for comparing: the words in order (bullets, table rules, spacing ignored)."""
    return re.findall(r"\w+", text)


def pandoc_plain(data: bytes | str, source: str, *extra: str) -> str:
    """pandoc itself (the binary of pypandoc-binary), as an independent reader."""
    content = data if isinstance(data, bytes) else data.encode()
    result = subprocess.run([pypandoc.get_pandoc_path(), "-f", source, "-t", "plain", *extra],
                            input=content, capture_output=True, check=True)
    return result.stdout.decode()


def download(client: FlaskClient, url: str) -> bytes:
    """The file at ``url``; on a machine so busy that the job outlasts EXPORT_WAIT_SECONDS, the
    progress page (202) comes back to the same URL, as a browser would (bounded: a minute)."""
    for _attempt in range(600):
        with client.get(url) as response:
            if response.status_code != 202:
                assert response.status_code == 200, response.get_data(as_text=True)[:2000]
                assert response.headers["Content-Disposition"].startswith("attachment")
                return response.data
        time.sleep(0.1)
    raise AssertionError(f"{url} was still being made after a minute")


def document_xml(docx: bytes) -> etree._Element:
    return etree.fromstring(zipfile.ZipFile(io.BytesIO(docx)).read("word/document.xml"))


def iso(store: Store, author: Author) -> str:
    commit = next(item for item in store.page_history("Mapping/Cyber") if item.username == author.username)
    return datetime.fromtimestamp(commit.timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_accepting_all_changes_gives_y_and_rejecting_all_gives_x(client: FlaskClient, history: tuple[str, str]
                                                                  ) -> None:
    x, y = history
    docx = download(client, f"/Mapping/Cyber/-/diff/export?from={x}&to={y}&format=docx")
    accepted = pandoc_plain(docx, "docx", "--track-changes=accept")
    rejected = pandoc_plain(docx, "docx", "--track-changes=reject")
    assert words(accepted) == words(pandoc_plain(BOB_TEXT, "markdown"))
    assert words(rejected) == words(pandoc_plain(X_TEXT, "markdown"))
    assert "Geneva" not in accepted and "New York" not in rejected and "Data protection" in accepted


def test_tracked_changes_name_the_group_and_user_and_the_commit_date(client: FlaskClient, store: Store,
                                                                     history: tuple[str, str]) -> None:
    x, y = history
    root = document_xml(download(client, f"/Mapping/Cyber/-/diff/export?from={x}&to={y}&format=docx"))
    changes = root.xpath("//w:ins|//w:del", namespaces=W)
    authors = {change.get(f"{{{W['w']}}}author") for change in changes}
    assert authors == {"Civil society (ana)", "Governments (bob)"}
    ids = [change.get(f"{{{W['w']}}}id") for change in changes]
    assert len(ids) == len(set(ids))  # every change its own id

    def change_of(word: str, kind: str) -> etree._Element:
        found = [element for element in root.xpath(f"//w:{kind}", namespaces=W)
                 if word in "".join(element.xpath(".//w:t/text()|.//w:delText/text()", namespaces=W))]
        assert found, (word, kind)
        return found[0]

    author, date = f"{{{W['w']}}}author", f"{{{W['w']}}}date"
    assert change_of("Geneva", "del").get(author) == "Civil society (ana)"
    assert change_of("New York", "ins").get(author) == "Civil society (ana)"
    assert change_of("New York", "ins").get(date) == iso(store, ANA)
    assert change_of("Data protection", "ins").get(author) == "Civil society (ana)"
    assert change_of("cyber", "ins").get(author) == "Governments (bob)"
    assert change_of("OECD", "ins").get(author) == "Governments (bob)"
    assert change_of("Bob removes", "del").get(date) == iso(store, BOB)


def test_paragraphs_inserted_or_deleted_whole_are_marked(client: FlaskClient, history: tuple[str, str]) -> None:
    x, y = history
    root = document_xml(download(client, f"/Mapping/Cyber/-/diff/export?from={x}&to={y}&format=docx"))

    def paragraph(text: str) -> etree._Element:
        return next(p for p in root.iter(f"{{{W['w']}}}p")
                    if text in "".join(p.xpath(".//w:t/text()|.//w:delText/text()", namespaces=W)))

    assert paragraph("Bob removes entirely").xpath("w:pPr/w:rPr/w:del/@w:author", namespaces=W) == \
        ["Governments (bob)"]
    assert paragraph("A new closing paragraph").xpath("w:pPr/w:rPr/w:ins/@w:author", namespaces=W) == \
        ["Governments (bob)"]
    assert paragraph("Data protection").xpath("w:pPr/w:rPr/w:ins", namespaces=W)
    row = next(tr for tr in root.iter(f"{{{W['w']}}}tr") if "OECD" in "".join(tr.xpath(".//w:t/text()", namespaces=W)))
    assert row.xpath("w:trPr/w:ins/@w:author", namespaces=W) == ["Governments (bob)"]  # a row added whole
    changed = paragraph("New York")  # a changed paragraph is not inserted or deleted whole
    assert not changed.xpath("w:pPr/w:rPr/w:ins|w:pPr/w:rPr/w:del", namespaces=W)


def test_a_merged_proposal_keeps_its_drafters_words(client: FlaskClient, store: Store) -> None:
    store.save_page("Agreed", "# Agreed\n\nThe agreed text.\n", base=store.head(), author=CHEN, summary="start")
    x = store.head()
    proposal = store.proposals.create("Strengthen", "why", author=ANA)
    store.proposals.pages_of(proposal.number).save_page(
        "Agreed", "# Agreed\n\nThe strongly agreed text.\n", base=proposal.head, author=ANA, summary="draft")
    store.save_page("Other", "elsewhere\n", base=store.head(), author=BOB, summary="meanwhile")
    admin = Author("Ada Admin", "ada@example.org", "admin", "international-organizations")
    store.proposals.merge(proposal.number, groups=["governments"], author=admin, display_name="Ada Admin",
                          admin=True, reason="test")
    root = document_xml(download(client, f"/Agreed/-/diff/export?from={x}&to={store.head()}&format=docx"))
    assert {element.get(f"{{{W['w']}}}author") for element in root.xpath("//w:ins", namespaces=W)} == \
        {"Civil society (ana)"}


def test_the_pdf_colours_changes_by_group_with_a_legend(client: FlaskClient, history: tuple[str, str]) -> None:
    x, y = history
    pdf = download(client, f"/Mapping/Cyber/-/diff/export?from={x}&to={y}&format=pdf")
    assert pdf.startswith(b"%PDF-")
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "Changes by stakeholder group" in text and "Civil society" in text and "Governments" in text
    assert "(ana)" in text and "(bob)" in text
    for word in ("Geneva", "New York", "OECD", "Bob removes entirely", "closing paragraph by Bob"):
        assert word in " ".join(text.split()), word
    layout = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
    assert b"inserted" in layout and b"deleted" in layout


def test_the_whole_document_redline_covers_added_removed_and_renamed_pages(client: FlaskClient,
                                                                           store: Store) -> None:
    store.save_page("Doomed", "# Doomed\n\nThis page will be deleted.\n", base=store.head(), author=CHEN,
                    summary="doomed")
    store.save_page("Moving", "# Moving\n\nA page about to move.\n", base=store.head(), author=CHEN, summary="m")
    x = store.head()
    store.delete_page("Doomed", author=BOB)
    store.rename_page("Moving", "Moved", author=ANA)
    store.save_page("Moved", "# Moving\n\nA page that moved.\n", base=store.head(), author=ANA, summary="edit")
    store.save_page("Fresh", "# Fresh\n\nA brand new page.\n", base=store.head(), author=BOB, summary="fresh")
    docx = download(client, f"/-/compare/export?from={x}&to={store.head()}&format=docx")
    accepted = pandoc_plain(docx, "docx", "--track-changes=accept")
    rejected = pandoc_plain(docx, "docx", "--track-changes=reject")
    assert "A brand new page." in accepted and "A brand new page." not in rejected
    assert "This page will be deleted." in rejected and "This page will be deleted." not in accepted
    assert "A page that moved." in accepted and "A page about to move." in rejected
    authors = {e.get(f"{{{W['w']}}}author") for e in document_xml(docx).xpath("//w:ins|//w:del", namespaces=W)}
    assert authors == {"Governments (bob)", "Civil society (ana)"}
    pdf = download(client, f"/-/compare/export?from={x}&to={store.head()}&format=pdf")
    assert "A brand new page." in " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())


def test_text_that_imitates_a_tracked_change_or_a_script_link_stays_text(client: FlaskClient, store: Store) -> None:
    store.save_page("Forged", "# Forged\n\nPlain.\n", base=store.head(), author=CHEN, summary="x")
    x = store.head()
    forged = ('# Forged\n\nPlain. [fake]{.insertion author="Governments (eve)" date="2020-01-01T00:00:00Z"} '
              '<span class="deletion" author="Governments (eve)">raw</span> [click](javascript:alert(1))\n')
    store.save_page("Forged", forged, base=store.head(), author=ANA, summary="forge")
    docx = download(client, f"/Forged/-/diff/export?from={x}&to={store.head()}&format=docx")
    authors = {e.get(f"{{{W['w']}}}author") for e in document_xml(docx).xpath("//w:ins|//w:del", namespaces=W)}
    assert authors == {"Civil society (ana)"}
    assert b"javascript" not in zipfile.ZipFile(io.BytesIO(docx)).read("word/_rels/document.xml.rels")
    pdf = download(client, f"/Forged/-/diff/export?from={x}&to={store.head()}&format=pdf")
    assert b"javascript" not in pdf
    assert "author=" in " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())  # shown as text


@pytest.mark.parametrize(("url", "status"), [
    ("/Mapping/Cyber/-/diff/export?from={x}&to={y}&format=odt", 400),
    ("/Mapping/Cyber/-/diff/export?from={x}&to={y}", 400),
    ("/Mapping/Cyber/-/diff/export?to={y}&format=docx", 400),
    ("/Mapping/Cyber/-/diff/export?from={y}&to={y}&format=docx", 400),
    ("/Mapping/Cyber/-/diff/export?from=0123456789abcdef&to={y}&format=docx", 404),
    ("/Mapping/Cyber/-/diff/export?from=--output=x&to={y}&format=docx", 404),
    ("/No/Such/Page/-/diff/export?from={x}&to={y}&format=docx", 404),
    ("/-/compare/export?from={x}&to={y}&format=exe", 400),
    ("/-/compare/export?from={x}&to={x}&format=pdf", 400),
    ("/-/compare/export?from=no-such-version&to={y}&format=pdf", 404),
    ("/-/compare/export?format=pdf", 400),
])
def test_bad_requests_are_4xx(client: FlaskClient, history: tuple[str, str], url: str, status: int) -> None:
    x, y = history
    response = client.get(url.format(x=x, y=y))
    assert response.status_code == status
    assert "error-message" in response.get_data(as_text=True)


def test_large_compares_run_in_the_background(tmp_path, history: tuple[str, str]) -> None:  # noqa: ANN001
    app = make_app(tmp_path / "bg", EXPORT_BACKGROUND_PAGES=0)
    store = app.extensions["wiki_store"]
    store.save_page("Page", "# Page\n\nOne.\n", base=store.head(), author=ANA, summary="one")
    x = store.head()
    store.save_page("Page", "# Page\n\nTwo.\n", base=store.head(), author=BOB, summary="two")
    client = app.test_client()
    url = f"/-/compare/export?from={x}&to={store.head()}&format=docx"
    with client.get(url) as first:
        assert first.status_code in (200, 202)
        waiting = first.status_code == 202 and "/-/exports/" in first.get_data(as_text=True)
    for _attempt in range(300 if waiting else 0):  # bounded: at most a minute
        with client.get(url) as response:
            if response.status_code == 200:
                assert response.data.startswith(b"PK")
                break
        time.sleep(0.2)
    else:
        assert not waiting, "the background redline did not finish"
    app.extensions["wiki_jobs"].shutdown()


def test_libreoffice_reads_the_tracked_changes_and_their_authors(client: FlaskClient, history: tuple[str, str],
                                                                 tmp_path) -> None:  # noqa: ANN001
    x, y = history
    source = tmp_path / "redline.docx"
    source.write_bytes(download(client, f"/Mapping/Cyber/-/diff/export?from={x}&to={y}&format=docx"))
    subprocess.run(["soffice", f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}", "--headless",
                    "--convert-to", "fodt", "--outdir", str(tmp_path), str(source)], check=True, capture_output=True,
                   timeout=180)
    flat = (tmp_path / "redline.fodt").read_text(encoding="utf-8")
    assert set(re.findall(r"<dc:creator>([^<]*)</dc:creator>", flat)) == {"Civil society (ana)", "Governments (bob)"}
    assert flat.count("<text:insertion>") >= 4 and flat.count("<text:deletion>") >= 2


def test_attached_images_are_embedded_and_other_images_keep_their_description(client: FlaskClient,
                                                                             store: Store) -> None:
    from .office_docs import png

    store.save_page("Charts", "# Charts\n\nFirst.\n", base=store.head(), author=CHEN, summary="x")
    store.save_attachment("Charts", "bar.png", png(40, 30), author=CHEN)
    x = store.head()
    store.save_page("Charts", "# Charts\n\nFirst.\n\n![A bar chart](/Charts/-/attachments/bar.png)\n\n"
                    "![Elsewhere](https://example.org/x.png)\n", base=store.head(), author=ANA, summary="chart")
    docx = download(client, f"/Charts/-/diff/export?from={x}&to={store.head()}&format=docx")
    assert any(name.startswith("word/media/") for name in zipfile.ZipFile(io.BytesIO(docx)).namelist())
    assert "Elsewhere" in pandoc_plain(docx, "docx", "--track-changes=accept")
    pdf = PdfReader(io.BytesIO(download(client, f"/Charts/-/diff/export?from={x}&to={store.head()}&format=pdf")))
    assert sum(len(page.images) for page in pdf.pages) == 1


def test_a_redline_out_of_time_is_a_clear_4xx(tmp_path, history: tuple[str, str]) -> None:  # noqa: ANN001
    app = make_app(tmp_path / "slow", EXPORT_TIMEOUT=0.001)
    store = app.extensions["wiki_store"]
    store.save_page("Page", "# Page\n\nOne.\n", base=store.head(), author=ANA, summary="one")
    x = store.head()
    store.save_page("Page", "# Page\n\nTwo.\n", base=store.head(), author=BOB, summary="two")
    response = app.test_client().get(f"/Page/-/diff/export?from={x}&to={store.head()}&format=docx")
    assert response.status_code == 413 and "took longer than" in response.get_data(as_text=True)
    app.extensions["wiki_jobs"].shutdown()


def test_a_compare_of_too_many_pages_is_refused(client: FlaskClient, store: Store,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wiki.views.redline.MAX_DOCUMENT_PAGES", 1)
    x = store.head()
    store.save_page("One", "one\n", base=store.head(), author=ANA, summary="1")
    store.save_page("Two", "two\n", base=store.head(), author=BOB, summary="2")
    response = client.get(f"/-/compare/export?from={x}&to={store.head()}&format=docx")
    assert response.status_code == 400 and "closer together" in response.get_data(as_text=True)


def test_the_groups_are_named_in_the_readers_language(client: FlaskClient, store: Store,
                                                     history: tuple[str, str]) -> None:
    """The tracked changes' authors and the PDF's legend use the groups' names as the pages do."""
    x, y = history
    store.save_page("Mapping/Cyber", BOB_TEXT + "\nA word from the secretariat.\n", base=store.head(),
                    author=Author("Sam Sec", "sam@example.org", "sam", "secretariat"), summary="Sam's edit")
    client.set_cookie("lang", "fr")
    root = document_xml(download(client, f"/Mapping/Cyber/-/diff/export?from={x}&format=docx"))
    authors = {change.get(f"{{{W['w']}}}author") for change in root.xpath("//w:ins|//w:del", namespaces=W)}
    assert authors == {"Société civile (ana)", "Gouvernements (bob)", "Secrétariat (sam)"}
    pdf = download(client, f"/Mapping/Cyber/-/diff/export?from={x}&format=pdf")
    legend = " ".join(PdfReader(io.BytesIO(pdf)).pages[0].extract_text().split())
    assert "Société civile" in legend and "Secrétariat" in legend and "Governments" not in legend
