"""The Word round trip (issue 28): an exported .docx/.odt records the page and revision it was made
from and marks its title page and contents; a file edited offline (saved by LibreOffice, a real
tool) comes back merged three-way with what changed in the wiki meanwhile, through HTTP; forged or
foreign records are imported as files from outside the wiki, with a notice."""

from __future__ import annotations

import html
import io
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from lxml import etree
from pypdf import PdfReader
from werkzeug.test import TestResponse

from wiki.store import Author

from .conftest import PASSWORD, Auth, csrf_token, save
from .office_docs import convert_all, redline_document, rezip, titled_document
from .support.imports import article, save_import, upload

AUTHOR = Author(name="Eda Editor", email="eda@example.org", username="editor", group="civil-society")
TEXT = """Intro paragraph of the mapping.

## Gaps

A gap in the coverage of small states.

## Forums

The forums that discuss it.

## Next steps

What the group does next.
"""


@pytest.fixture
def editor(client: FlaskClient, auth: Auth) -> FlaskClient:
    auth.login("editor")
    return client


@pytest.fixture(scope="module")
def profile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("lo-profile")


def libreoffice(data: bytes, kind: str, target: str, folder: Path, profile: Path) -> bytes:
    """``data`` (a .docx or .odt) opened and saved as ``target`` by LibreOffice, as a delegate's
    word processor would."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: make test installs libreoffice-writer-nogui"
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / f"edited.{kind}"
    source.write_bytes(data)
    out = folder / "out"
    subprocess.run([soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless", "--convert-to", target,
                    "--outdir", str(out), str(source)], check=True, capture_output=True, timeout=180)
    return (out / f"edited.{target.split(':')[0]}").read_bytes()


def download(client: FlaskClient, url: str) -> bytes:
    with client.get(url) as response:
        assert response.status_code == 200, response.get_data(as_text=True)[:500]
        return response.data


def edit(data: bytes, kind: str, old: str, new: str) -> bytes:
    """The file with ``old`` replaced by ``new`` in its text (a delegate's edit)."""
    part = "word/document.xml" if kind == "docx" else "content.xml"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        xml = archive.read(part).decode()
    assert old in xml
    return rezip(data, replace={part: xml.replace(old, new).encode()})


def properties(data: bytes, kind: str) -> dict[str, str]:
    """The file's custom document properties, read from its XML."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("docProps/custom.xml" if kind == "docx" else "meta.xml"))
    if kind == "docx":
        return {p.get("name"): "".join(p.itertext()) for p in root.iter(
            "{http://schemas.openxmlformats.org/officeDocument/2006/custom-properties}property")}
    name = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}name"
    return {p.get(name): "".join(p.itertext()) for p in root.iter(
        "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}user-defined")}


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_an_export_records_its_page_and_revision(editor: FlaskClient, app: Flask, kind: str) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    store = app.extensions["wiki_store"]
    head = store.head()
    recorded = properties(download(editor, f"/Mapping/Gaps/-/export?format={kind}"), kind)
    assert recorded["living-wiki-pages"] == "Mapping/Gaps" and recorded["living-wiki-commit"] == head
    assert "living-wiki-version" not in recorded
    store.create_version("chairs-draft", "Chair's draft, 3 May", head, author=AUTHOR)
    recorded = properties(download(editor, f"/Mapping/Gaps/-/export?format={kind}&rev=chairs-draft"), kind)
    assert recorded["living-wiki-version"] == "chairs-draft" and recorded["living-wiki-commit"] == head


def test_a_single_page_takes_only_the_sheets_it_needs(editor: FlaskClient, tmp_path: Path, profile: Path) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    data = download(editor, "/Mapping/Gaps/-/export?format=docx")
    pdf = libreoffice(data, "docx", "pdf", tmp_path, profile)
    pages = PdfReader(io.BytesIO(pdf)).pages
    assert len(pages) == 3  # the title page, the contents, the text (was one sheet per heading)
    assert "Gaps" in pages[2].extract_text() and "Next steps" in pages[2].extract_text()


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_file_edited_offline_keeps_what_changed_in_the_wiki_meanwhile(
        editor: FlaskClient, app: Flask, tmp_path: Path, profile: Path, kind: str) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    exported = download(editor, f"/Mapping/Gaps/-/export?format={kind}")
    other = app.test_client()
    Auth(other).login("editor2")
    save(other, "Mapping/Gaps", TEXT.replace("What the group does next.", "What the group does in May."))
    edited = libreoffice(edit(exported, kind, "small states", "small island states"), kind, kind, tmp_path, profile)
    preview = upload(editor, edited, "Mapping/Gaps", f"gaps.{kind}").get_data(as_text=True)
    assert "Changes made in the file" in preview and "small <ins>island" in preview
    assert save_import(editor, preview, "Mapping/Gaps").status_code == 302
    text = app.extensions["wiki_store"].read_page("Mapping/Gaps").text
    assert "A gap in the coverage of small island states." in text  # the file's change
    assert "What the group does in May." in text  # the wiki's change meanwhile, kept
    assert text.startswith("Intro paragraph") and "## Gaps" in text and "## Next steps" in text
    for generated in ("Commit ", "Contents", "Mapping/Gaps\n", "p1-", "anchor"):
        assert generated not in text  # no title page, contents or bookmarks


def test_overlapping_changes_open_the_conflict_editor(editor: FlaskClient, app: Flask) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    exported = download(editor, "/Mapping/Gaps/-/export?format=docx")
    other = app.test_client()
    Auth(other).login("editor2")
    save(other, "Mapping/Gaps", TEXT.replace("small states", "least developed countries"))
    preview = upload(editor, edit(exported, "docx", "small states", "small island states"), "Mapping/Gaps")
    response = save_import(editor, preview.get_data(as_text=True), "Mapping/Gaps")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "small island states" in html and "least developed countries" in html
    assert "least developed countries" in app.extensions["wiki_store"].read_page("Mapping/Gaps").text


def test_a_revision_this_wiki_does_not_have_is_imported_as_a_foreign_file(editor: FlaskClient, app: Flask) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    exported = download(editor, "/Mapping/Gaps/-/export?format=docx")
    with zipfile.ZipFile(io.BytesIO(exported)) as archive:
        custom = archive.read("docProps/custom.xml").decode()
    forged = rezip(exported, replace={"docProps/custom.xml": custom.replace(
        app.extensions["wiki_store"].head(), "0123456789abcdef0123456789abcdef01234567").encode()})
    preview = upload(editor, forged, "Mapping/Gaps").get_data(as_text=True)
    assert "records a revision this wiki does not have (0123456789abcdef" in preview
    assert "Changes to the current page" in preview
    assert save_import(editor, preview, "Mapping/Gaps").status_code == 302


def test_forged_properties_cannot_target_another_page(editor: FlaskClient, app: Flask) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    save(editor, "Mapping/Other", "Another page's text.\n")
    exported = download(editor, "/Mapping/Gaps/-/export?format=docx")
    preview = upload(editor, edit(exported, "docx", "small states", "small island states"), "Mapping/Other")
    html = preview.get_data(as_text=True)
    assert "was exported from Mapping/Gaps, not from Mapping/Other" in html
    assert save_import(editor, html, "Mapping/Other").status_code == 302
    store = app.extensions["wiki_store"]
    assert "small island states" in store.read_page("Mapping/Other").text
    assert store.read_page("Mapping/Gaps").text == TEXT  # the recorded page is untouched
    assert "island" not in article(editor.get("/Mapping/Gaps").get_data(as_text=True))


def test_the_cli_merges_an_exported_file_three_way_too(editor: FlaskClient, app: Flask, tmp_path: Path) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    exported = download(editor, "/Mapping/Gaps/-/export?format=odt")
    other = app.test_client()
    Auth(other).login("editor2")
    save(other, "Mapping/Gaps", TEXT.replace("What the group does next.", "What the group does in May."))
    path = tmp_path / "gaps.odt"
    path.write_bytes(edit(exported, "odt", "small states", "small island states"))
    result = app.test_cli_runner().invoke(args=["import-doc", str(path), "Mapping/Gaps", "--user", "editor"])
    assert result.exit_code == 0, result.output
    text = app.extensions["wiki_store"].read_page("Mapping/Gaps").text
    assert "small island states" in text and "What the group does in May." in text and "Commit " not in text
    path.write_bytes(edit(exported, "odt", "small states", "large states"))
    result = app.test_cli_runner().invoke(args=["import-doc", str(path), "Mapping/Other", "--user", "editor"])
    assert result.exit_code == 0 and "not from Mapping/Other" in result.output


@pytest.fixture(scope="module")
def redline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    paths = convert_all({"redline": redline_document()}, tmp_path_factory.mktemp("redline"))
    return {name: path.read_bytes() for name, path in paths.items()}


@pytest.mark.parametrize("kind", ["docx", "odt", "docx-saved-as-odt"])
def test_each_tracked_change_author_is_credited_in_the_proposal(editor: FlaskClient, app: Flask, tmp_path: Path,
                                                                profile: Path, redline: dict[str, bytes],
                                                                kind: str) -> None:
    """Word's and Writer's redlines (files LibreOffice wrote; the .docx also saved again as .odt by
    LibreOffice) alike: one commit per author, in the order their changes first appear."""
    data = libreoffice(redline["redline.docx"], "docx", "odt", tmp_path, profile) if kind.endswith("odt") and \
        kind != "odt" else redline[f"redline.{kind}"]
    preview = upload(editor, data, "Mapping/Redline", f"redline.{kind[-3:]}").get_data(as_text=True)
    for author in ("Pat Second", "Ana Delegate", "reviewer@example.org"):
        assert f'<h3 dir="auto">{author}</h3>' in preview
    response = save_import(editor, preview, "Mapping/Redline")
    assert response.status_code == 302 and "proposal=" in response.location
    store = app.extensions["wiki_store"]
    number = int(response.location.rsplit("proposal=", 1)[1])
    head = store.proposals.get(number).head
    assert "The group welcomed the revised report of May.\n" in store.read_page("Mapping/Redline", head).text
    assert not store.page_exists("Mapping/Redline")  # the agreed text is untouched
    log = subprocess.run(["git", "-C", str(store.path), "log", "--format=%an|%s|%(trailers:only,unfold)%x00",
                          "-n", "4", head], check=True, capture_output=True, text=True).stdout
    commits = [entry.strip() for entry in log.split("\x00") if entry.strip()][::-1]
    assert commits[0].startswith("Eda Editor|") and "The group hastily welcomed the report." not in commits[0]
    ana, pat, reviewer = commits[1], commits[2], commits[3]  # in the order their changes first appear
    assert pat.startswith("Pat Second|") and "private-sector" in pat  # a wiki user: their group
    assert ana.startswith("Eda Editor|") and "Tracked-Change-Author: Ana Delegate" in ana and "civil-society" in ana
    assert reviewer.startswith("Rev Iewer|") and "technical-academic" in reviewer  # matched by e-mail
    texts = [store.read_page("Mapping/Redline", commit).text for commit in subprocess.run(
        ["git", "-C", str(store.path), "rev-list", "-n", "4", "--reverse", head], check=True, capture_output=True,
        text=True).stdout.split()]
    assert "The group hastily welcomed the report.\n" in texts[0]  # no tracked change accepted
    assert "The group welcomed the report.\n" in texts[1]  # Ana's deletion
    assert "The group welcomed the revised report.\n" in texts[2]  # then Pat's insertion


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_word_comments_become_threads_on_the_proposals_text(editor: FlaskClient, app: Flask,
                                                            redline: dict[str, bytes], kind: str) -> None:
    preview = upload(editor, redline[f"redline.{kind}"], "Mapping/Noted", f"redline.{kind}").get_data(as_text=True)
    assert "Comments in the file" in preview and "Which report exactly?" in preview
    response = save_import(editor, preview, "Mapping/Noted")
    number = int(response.location.rsplit("proposal=", 1)[1])
    store = app.extensions["wiki_store"]
    threads = [store.comments.get(n) for n in (1, 2)]
    assert all(thread.page == "Mapping/Noted" and thread.proposal == number for thread in threads)
    ana, pat = threads
    assert ana.anchor.quote == "report" and ana.opened.user == "editor"  # not a wiki user: the importer
    assert ana.opened.text == "Ana Delegate: Which report exactly?"
    assert pat.opened.user == "editor2" and pat.opened.text == "A remark on a point."  # a wiki user: theirs
    assert pat.opened.group == "private-sector"


def test_exports_and_redlines_of_a_proposal_are_watermarked(editor: FlaskClient, app: Flask, tmp_path: Path) -> None:
    save(editor, "Mapping/Gaps", TEXT)
    store = app.extensions["wiki_store"]
    agreed = store.head()
    exported = download(editor, "/Mapping/Gaps/-/export?format=docx")
    assert "not agreed text" not in archive_texts(exported)
    preview = upload(editor, edit(exported, "docx", "small states", "small island states"), "Mapping/Gaps")
    response = save_import(editor, preview.get_data(as_text=True), "Mapping/Gaps", proposal="1")
    head = store.proposals.get(int(response.location.rsplit("proposal=", 1)[1])).head
    for fmt in ("docx", "odt"):
        data = download(editor, f"/Mapping/Gaps/-/export?format={fmt}&rev={head}")
        assert "Proposal — not agreed text" in archive_texts(data), fmt
    headers = archive_texts(download(editor, f"/Mapping/Gaps/-/export?format=docx&rev={head}"), "word/header")
    assert "Proposal — not agreed text" in headers  # on every sheet after the title page
    pdf = download(editor, f"/Mapping/Gaps/-/export?format=pdf&rev={head}")
    sheets = [" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages]
    assert len(sheets) == 3 and all("Proposal — not agreed text" in sheet for sheet in sheets)  # every sheet
    redline = download(editor, f"/Mapping/Gaps/-/diff/export?from={agreed}&to={head}&format=docx")
    assert "Proposal — not agreed text" in archive_texts(redline)
    redline = download(editor, f"/Mapping/Gaps/-/diff/export?from={agreed}&to={head}&format=pdf")
    assert "Proposal — not agreed text" in " ".join(PdfReader(io.BytesIO(redline)).pages[0].extract_text().split())
    # the watermark is generated: importing the proposal's export brings none of it back
    marked = download(editor, f"/Mapping/Gaps/-/export?format=docx&rev={head}")
    preview = upload(editor, marked, "Mapping/Gaps").get_data(as_text=True)
    assert "not agreed text" not in re.search(r'<pre class="import-source".*?</pre>', preview, re.S).group(0)


def archive_texts(data: bytes, prefix: str = "") -> str:
    """The text of every XML part of a .docx or .odt (under ``prefix``)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(etree.fromstring(archive.read(name)).xpath("string()") for name in archive.namelist()
                       if name.endswith(".xml") and name.startswith(prefix))


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_whole_document_breaks_between_pages_only(editor: FlaskClient, tmp_path: Path, profile: Path,
                                                    kind: str) -> None:
    save(editor, "Trip/One", TEXT)
    save(editor, "Trip/Two", TEXT.replace("Intro paragraph", "Second page's intro"))
    data = download(editor, f"/-/document/export?format={kind}&section=Trip")
    sheets = [" ".join(page.extract_text().split())
              for page in PdfReader(io.BytesIO(libreoffice(data, kind, "pdf", tmp_path, profile))).pages]
    starts = [number for number, sheet in enumerate(sheets) if "Intro paragraph" in sheet or "Second page" in sheet]
    assert len(starts) == 2 and starts[1] == starts[0] + 1  # each page on its sheet, its headings with it
    assert all("Next steps" in sheets[number] for number in starts)


def outline_levels(odt: bytes) -> dict[str, str]:
    """Each heading's text and outline level in an .odt (Heading N is level N)."""
    text = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
    with zipfile.ZipFile(io.BytesIO(odt)) as archive:
        root = etree.fromstring(archive.read("content.xml"))
    return {" ".join("".join(h.itertext()).split()): h.get(f"{{{text}}}outline-level")
            for h in root.iter(f"{{{text}}}h")}


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_whole_documents_headings_keep_their_levels(editor: FlaskClient, tmp_path: Path, profile: Path,
                                                      kind: str) -> None:
    save(editor, "Trip/One", TEXT)
    save(editor, "Trip/Two", "# Second page's own title\n\nIts intro.\n\n## Its part\n\nText.\n")
    data = download(editor, f"/-/document/export?format={kind}&section=Trip")
    levels = outline_levels(libreoffice(data, kind, "odt", tmp_path, profile))  # as LibreOffice reads the file
    assert levels["One"] == "1" and levels["Gaps"] == "2" and levels["Next steps"] == "2"  # `##` is Heading 2
    assert levels["Second page's own title"] == "1" and levels["Its part"] == "2" and "Two" not in levels
    if kind == "docx":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            body = archive.read("word/document.xml").decode()
        assert re.search(r'<w:pStyle w:val="Heading2"/>.*?Gaps', body, re.S)
        assert "Heading3" not in body


@pytest.fixture(scope="module")
def titled(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    paths = convert_all({"titled": titled_document()}, tmp_path_factory.mktemp("titled"))
    return {name: path.read_bytes() for name, path in paths.items()}


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_words_title_becomes_the_pages_title(editor: FlaskClient, app: Flask, titled: dict[str, bytes],
                                             kind: str) -> None:
    store = app.extensions["wiki_store"]
    for asked, page in (("", "The_Chair’s_Draft"), ("Mapping/", "Mapping/The_Chair’s_Draft")):
        preview = upload(editor, titled[f"titled.{kind}"], asked, f"titled.{kind}")
        html = preview.get_data(as_text=True)
        assert preview.status_code == 200 and f'name="page" value="{page}"' in html
        assert save_import(editor, html, page).status_code == 302
        text = store.read_page(page).text
        assert text.startswith("28 February\n\n# Scope\n\nBody text.") and "## Details" in text
        assert "Chair" not in text  # the title is the page's name, shown as its title, not a `#` line
        assert "<h1 class=\"page-title\" dir=\"auto\">The Chair’s Draft" in editor.get(f"/{page}").get_data(
            as_text=True)
    named = upload(editor, titled[f"titled.{kind}"], "Mapping/Scope", f"titled.{kind}").get_data(as_text=True)
    assert "The document’s title, “The Chair’s Draft”, is not kept" in named.replace("&#39;", "’")
    assert save_import(editor, named, "Mapping/Scope").status_code == 302
    assert "Chair" not in store.read_page("Mapping/Scope").text


def test_a_file_without_a_title_needs_a_page_name(editor: FlaskClient, redline: dict[str, bytes]) -> None:
    response = upload(editor, redline["redline.docx"], "", "redline.docx")
    assert response.status_code == 400 and "no title" in response.get_data(as_text=True)


def test_the_cli_names_the_page_after_the_title(app: Flask, titled: dict[str, bytes], tmp_path: Path) -> None:
    path = tmp_path / "titled.docx"
    path.write_bytes(titled["titled.docx"])
    result = app.test_cli_runner().invoke(args=["import-doc", str(path), "--user", "editor"])
    assert result.exit_code == 0, result.output
    assert app.extensions["wiki_store"].read_page("The_Chair’s_Draft").text.startswith("28 February")


def ticked(preview: str) -> dict[str, list[str]]:
    """The preview's tracked-change boxes as a browser sends them: ticked authors and changes, and
    the authors the preview kept (hidden fields)."""
    def values(name: str, only_checked: bool = True) -> list[str]:
        return [html.unescape(value) for value, rest in re.findall(rf'name="{name}" value="([^"]*)"([^>]*)>', preview)
                if not only_checked or "checked" in rest]

    return {"author": values("author"), "change": values("change"), "author_before": values("author_before", False)}


def choose(client: FlaskClient, preview: str, page: str, boxes: dict[str, list[str]]) -> TestResponse:
    """Post the preview's form with the secretariat's choice of tracked changes (``boxes``)."""
    token = re.search(r'name="token" value="([^"]+)"', preview)
    assert token, preview[:2000]
    return client.post("/-/import", data={"csrf_token": csrf_token(client, "/-/import"), "page": page,
                                          "token": token.group(1), "choosing": "1", **boxes})


def change_number(preview: str, text: str) -> str:
    found = re.search(r'name="change" value="(\d+)"[^>]*> <label for="tracked-change-\d+">[^<]*<(?:ins|del) dir="auto">'
                      + re.escape(text) + "<", preview)
    assert found, preview[:3000]
    return found.group(1)


def source_of(preview: str) -> str:
    return html.unescape(re.search(r'<pre class="import-source"[^>]*>(.*?)</pre>', preview, re.S).group(1))


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_the_secretariat_leaves_out_an_authors_changes_and_a_single_change(
        client: FlaskClient, app: Flask, redline: dict[str, bytes], kind: str) -> None:
    app.extensions["wiki_users"].create("sec", PASSWORD, group="secretariat", role="editor",
                                        display_name="Sam Secretariat", email="sec@example.org")
    Auth(client).login("sec")
    page = "Mapping/Chosen"
    shown = upload(client, redline[f"redline.{kind}"], page, f"redline.{kind}").get_data(as_text=True)
    assert shown.count('name="author"') == 3 and shown.count('name="change"') == 3
    number = {text: change_number(shown, text) for text in ("hastily", "revised", "of May")}

    def step(untick_author: str = "", tick_author: str = "", untick: str = "") -> str:
        boxes = ticked(shown)
        boxes["author"] = [a for a in boxes["author"] if a != untick_author] + ([tick_author] if tick_author else [])
        boxes["change"] = [n for n in boxes["change"] if n != number.get(untick)]
        response = choose(client, shown, page, boxes)
        assert response.status_code == 200  # shown again with the choice: nothing saved unseen
        return response.get_data(as_text=True)

    shown = step(untick_author="Pat Second")  # an author's changes out
    assert "The group welcomed the report of May." in source_of(shown) and shown.count("(left out)") == 1
    shown = step(tick_author="Pat Second", untick="of May")  # Pat back in, one change of the reviewer out
    assert "The group welcomed the revised report." in source_of(shown) and shown.count("(left out)") == 1
    shown = step(untick_author="Pat Second")
    assert "The group welcomed the report.\n" in source_of(shown)  # Ana's deletion only
    assert shown.count("(left out)") == 2 and "2 tracked changes are left out of this text" in shown
    assert not app.extensions["wiki_store"].page_exists(page)
    response = choose(client, shown, page, ticked(shown))  # the choice previewed: saved
    assert response.status_code == 302 and "proposal=" in response.location
    store = app.extensions["wiki_store"]
    proposal = store.proposals.get(int(response.location.rsplit("proposal=", 1)[1]))
    assert "The group welcomed the report.\n\nA second paragraph here." in store.read_page(page, proposal.head).text
    log = subprocess.run(["git", "-C", str(store.path), "log", "--format=%an|%(trailers:only,unfold)%x00",
                          f"{store.head()}..{proposal.head}" if store.head() else proposal.head],
                         check=True, capture_output=True, text=True).stdout
    commits = [entry.strip() for entry in log.split("\x00") if entry.strip()][::-1]
    assert len(commits) == 2 and "Tracked-Change-Author: Ana Delegate" in commits[1]  # no commit for the others
    assert not any(commit.startswith(("Pat Second|", "Rev Iewer|")) for commit in commits)
    rationale = client.get(f"/-/proposals/{proposal.number}").get_data(as_text=True)
    assert "left out of this proposal" in rationale and "Pat Second: Inserted “revised”" in rationale
    assert "reviewer@example.org: Inserted “of May”" in rationale


def test_only_the_secretariat_chooses_tracked_changes(editor: FlaskClient, app: Flask,
                                                      redline: dict[str, bytes]) -> None:
    preview = upload(editor, redline["redline.docx"], "Mapping/Chosen", "redline.docx").get_data(as_text=True)
    assert 'name="author"' not in preview and 'name="change"' not in preview  # an editor imports them all
    response = choose(editor, preview, "Mapping/Chosen", {"author": ["Ana Delegate"], "change": [],
                                                          "author_before": ["Ana Delegate", "Pat Second"]})
    assert response.status_code == 403 and "Only the secretariat" in response.get_data(as_text=True)
    assert not app.extensions["wiki_store"].page_exists("Mapping/Chosen")
    assert editor.get("/-/import/" + "0" * 64 + "?page=X&left_out=1").status_code == 404


def test_the_cli_leaves_out_an_authors_changes(app: Flask, redline: dict[str, bytes], tmp_path: Path) -> None:
    path = tmp_path / "redline.odt"
    path.write_bytes(redline["redline.odt"])
    args = ["import-doc", str(path), "Mapping/Cli", "--leave-out-author", "Pat Second"]
    refused = app.test_cli_runner().invoke(args=[*args, "--user", "editor"])
    assert refused.exit_code != 0 and "Only the secretariat" in refused.output
    result = app.test_cli_runner().invoke(args=[*args, "--user", "admin"])
    assert result.exit_code == 0, result.output
    store = app.extensions["wiki_store"]
    proposal = store.proposals.get(1)
    assert "The group welcomed the report of May." in store.read_page("Mapping/Cli", proposal.head).text
    assert "Tracked changes by Pat Second: 1 (1 left out)" in result.output
