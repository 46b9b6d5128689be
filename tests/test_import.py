"""Importing .docx and .odt files made by LibreOffice: through HTTP (upload, preview, save), the CLI,
proposals, the editor's merge rules, and every kind of bad file (nothing saved, a clear 4xx)."""

from __future__ import annotations

import io
import os
import re
import shutil
import time
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer

from wiki.views.imports import TOKEN_SALT

from .conftest import Auth, csrf_token, make_app, save
from .office_docs import convert_all, full_document, plain_document, png_header_only, rezip, tracked_document
from .support.imports import TOKEN_RE, article, save_import, upload
from .xss import inspect_html, payloads, valid_names


@pytest.fixture(scope="session")
def office_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The test documents as LibreOffice writes them, made once per session."""
    paths = convert_all({"full": full_document(), "tracked": tracked_document(), "plain": plain_document()},
                        tmp_path_factory.mktemp("office"))
    return {name: path.read_bytes() for name, path in paths.items()}


@pytest.fixture
def editor(client: FlaskClient, auth: Auth) -> FlaskClient:
    auth.login("editor")
    return client


@pytest.mark.parametrize("kind", ["docx", "odt"])
def test_a_document_becomes_a_page_with_its_structure(editor: FlaskClient, app: Flask,
                                                     office_files: dict[str, bytes], kind: str) -> None:
    page = f"Imported/Full_{kind}"
    preview = upload(editor, office_files[f"full.{kind}"], page, f"full.{kind}")
    assert preview.status_code == 200
    shown = preview.get_data(as_text=True)
    assert "Digital Cooperation" in shown and f"full.{kind}" in shown
    assert not app.extensions["wiki_store"].page_exists(page)  # nothing saved before the user saves
    saved = save_import(editor, shown, page)
    assert saved.status_code == 302 and saved.location.endswith(f"/{page}")
    body = article(editor.get(f"/{page}").get_data(as_text=True))
    assert re.search(r"<h1[^>]*>Digital Cooperation</h1>", body)
    assert re.search(r"<h2[^>]*>Issues</h2>", body)
    assert re.search(r"<li>\s*(<p>)?Access and affordability(</p>)?\s*<ul>\s*<li>Rural connectivity</li>", body)
    assert re.search(r"<th[^>]*>Issue</th>\s*<th[^>]*>Forum</th>", body) and "<td>ITU</td>" in body
    assert '<div class="footnote">' in body and "Footnote about the mandate." in body
    assert '<a href="https://unctad.org/cstd">the CSTD site</a>' in body
    assert "<strong>working group</strong>" in body and "<em>Geneva</em>" in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body and inspect_html(body) == []
    image = re.search(rf'<img alt="[^"]*" src="(/{page}/-/attachments/image-[0-9a-f]{{12}}\.png)"', body)
    assert image, body
    served = editor.get(image.group(1))
    assert served.status_code == 200 and served.mimetype == "image/png"
    history = app.extensions["wiki_store"].page_history(page)
    assert len(history) == 1 and history[0].group == "civil-society" and history[0].username == "editor"


def test_tracked_changes_are_listed_by_author_and_make_a_proposal(editor: FlaskClient, app: Flask, tmp_path: Path,
                                                                  office_files: dict[str, bytes]) -> None:
    import json
    import subprocess

    import pypandoc

    store = app.extensions["wiki_store"]
    for kind in ("docx", "odt"):
        preview = upload(editor, office_files[f"tracked.{kind}"], f"Tracked_{kind}", f"tracked.{kind}")
        html = preview.get_data(as_text=True)
        listed = re.search(r"<h2>Tracked changes</h2>(.*?)</ul>", html, re.S)
        assert listed and "<h3 dir=\"auto\">Ana</h3>" in listed.group(1)
        assert "Inserted: <ins dir=\"auto\">WELCOMED</ins>" in listed.group(1)
        assert "Deleted: <del dir=\"auto\">OBSOLETEWORD</del>" in listed.group(1) and "2024-02-01" in listed.group(1)
        assert "the import starts a proposal with them" in html
        response = save_import(editor, html, f"Tracked_{kind}")
        assert response.status_code == 302 and "proposal=" in response.location
        assert not store.page_exists(f"Tracked_{kind}")  # a redline is never agreed text by itself
        body = article(editor.get(response.location).get_data(as_text=True))
        assert "Delegations WELCOMED the report." in body and "OBSOLETEWORD" not in body
    # pandoc's own reading of the Word file's tracked changes agrees with the preview's list
    path = tmp_path / "tracked.docx"
    path.write_bytes(office_files["tracked.docx"])
    document = json.loads(subprocess.run([pypandoc.get_pandoc_path(), "--track-changes=all", "-t", "json",
                                          str(path)], check=True, capture_output=True, text=True).stdout)
    spans = [(inline["c"][0][1][0], dict(inline["c"][0][2])["author"], inline["c"][1][0]["c"])
             for block in document["blocks"] if block["t"] == "Para" for inline in block["c"]
             if inline["t"] == "Span"]
    assert spans == [("insertion", "Ana", "WELCOMED"), ("deletion", "Ana", "OBSOLETEWORD")]


def test_the_preview_shows_the_diff_and_the_staged_images(editor: FlaskClient, app: Flask,
                                                          office_files: dict[str, bytes]) -> None:
    save(editor, "Existing", "# Digital Cooperation\n\nAn older text of the page.\n")
    preview = upload(editor, office_files["full.docx"], "Existing").get_data(as_text=True)
    assert "diff-removed" in preview and "<del>older</del>" in preview and "Save as a new revision" in preview
    staged = re.search(r'<img alt="[^"]*" src="(/-/import/[0-9a-f]{64}/image-[0-9a-f]{12}\.png)"', preview)
    assert staged and editor.get(staged.group(1)).mimetype == "image/png"
    assert save_import(editor, preview, "Existing", summary="From the Chair's file").status_code == 302
    store = app.extensions["wiki_store"]
    history = store.page_history("Existing")
    assert len(history) == 2 and history[0].subject == "From the Chair's file"
    assert [item.name for item in store.list_attachments("Existing")][0].startswith("image-")
    assert store.changed_files(history[1].id, history[0].id)[0][1].startswith("Existing.files/")  # one commit


def test_an_overlapping_edit_since_the_preview_goes_to_the_conflict_editor(
        editor: FlaskClient, app: Flask, office_files: dict[str, bytes]) -> None:
    save(editor, "Raced", "# Digital Cooperation\n\nOld words.\n")
    preview = upload(editor, office_files["full.docx"], "Raced").get_data(as_text=True)
    other = app.test_client()
    Auth(other).login("editor2")
    save(other, "Raced", "# Digital Cooperation\n\nWords someone else wrote meanwhile.\n")
    response = save_import(editor, preview, "Raced")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Access and affordability" in html and "Words someone else wrote meanwhile." in html
    store = app.extensions["wiki_store"]
    assert "Words someone else wrote meanwhile." in store.read_page("Raced").text  # theirs kept, nothing lost
    assert store.list_attachments("Raced")  # the images are there for the text being merged


def test_a_clean_merge_keeps_an_edit_made_since_the_preview(editor: FlaskClient, app: Flask,
                                                            office_files: dict[str, bytes]) -> None:
    save(editor, "Merged", "# Tracked\n\nAn old paragraph.\n")
    preview = upload(editor, office_files["plain.docx"], "Merged").get_data(as_text=True)
    other = app.test_client()
    Auth(other).login("editor2")
    save(other, "Merged", "Note: a draft.\n\n\n# Tracked\n\nAn old paragraph.\n")
    response = save_import(editor, preview, "Merged")
    assert response.status_code == 302
    assert editor.get(response.location).status_code == 200  # the flash message is shown there
    text = app.extensions["wiki_store"].read_page("Merged").text
    assert text.startswith("Note: a draft.") and "Delegations WELCOMED the report." in text
    assert "An old paragraph." not in text


def test_forged_altered_and_stale_tokens_are_refused(editor: FlaskClient, app: Flask, office_files: dict[str, bytes],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    head = app.extensions["wiki_store"].head()
    preview = upload(editor, office_files["plain.docx"], "Tokens").get_data(as_text=True)
    token = TOKEN_RE.search(preview).group(1)  # type: ignore[union-attr]
    form = {"csrf_token": csrf_token(editor, "/-/import"), "page": "Tokens"}
    altered = token[:5] + ("A" if token[5] != "A" else "B") + token[6:]
    assert editor.post("/-/import", data={**form, "token": altered}).status_code == 400
    assert editor.post("/-/import", data={**form, "token": "forged"}).status_code == 400
    assert editor.post("/-/import", data={**form, "page": "Other", "token": token}).status_code == 400
    claims = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=TOKEN_SALT).loads(token)

    three_days_ago = time.time() - 3 * 24 * 3600
    with monkeypatch.context() as patch:  # a token signed three days ago
        patch.setattr(time, "time", lambda: three_days_ago)
        stale = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=TOKEN_SALT).dumps(claims)
    response = editor.post("/-/import", data={**form, "token": stale})
    assert response.status_code == 400 and "more than a day old" in response.get_data(as_text=True)
    other = app.test_client()
    Auth(other).login("editor2")
    foreign = {"csrf_token": csrf_token(other, "/-/import"), "page": "Tokens", "token": token}
    assert other.post("/-/import", data=foreign).status_code == 400  # made for another user
    shutil.rmtree(Path(app.instance_path) / "imports" / claims["h"])
    gone = editor.post("/-/import", data={**form, "token": token})
    assert gone.status_code == 400 and "Upload it again" in gone.get_data(as_text=True)
    assert app.extensions["wiki_store"].head() == head


def test_the_user_may_import_as_a_proposal(editor: FlaskClient, app: Flask, office_files: dict[str, bytes]) -> None:
    save(editor, "Proposed", "# Digital Cooperation\n\nAgreed text.\n")
    preview = upload(editor, office_files["full.odt"], "Proposed", "full.odt").get_data(as_text=True)
    response = save_import(editor, preview, "Proposed", proposal="1")
    assert response.status_code == 302 and "proposal=1" in response.location
    store = app.extensions["wiki_store"]
    assert store.read_page("Proposed").text == "# Digital Cooperation\n\nAgreed text.\n"
    proposal = store.proposals.get(1)
    assert "Access and affordability" in store.read_page("Proposed", proposal.head).text
    assert store.list_attachments("Proposed", proposal.head)


def test_sections_that_require_proposals_get_one(tmp_path: Path, office_files: dict[str, bytes]) -> None:
    app = make_app(tmp_path / "i", PROPOSALS_REQUIRED=["Mapping"])
    client = app.test_client()
    Auth(client).login("editor")
    preview = upload(client, office_files["plain.docx"], "Mapping/Imported").get_data(as_text=True)
    assert "the import starts a proposal" in preview
    response = save_import(client, preview, "Mapping/Imported")
    assert response.status_code == 302 and "proposal=" in response.location
    assert not app.extensions["wiki_store"].page_exists("Mapping/Imported")


def _bomb(docx: bytes) -> bytes:
    return rezip(docx, add={"word/padding.xml": b"\0" * (40 * 1024 * 1024)})


def _lying(docx: bytes) -> bytes:
    """A member whose declared size is smaller than what it unpacks to."""
    data = bytearray(rezip(docx, add={"word/extra.xml": b"a" * 300_000}))
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as archive:
        info = archive.getinfo("word/extra.xml")
    declared = (300_000).to_bytes(4, "little")
    for start in [m.start() for m in re.finditer(re.escape(declared), bytes(data))]:
        data[start:start + 4] = (1000).to_bytes(4, "little")
    assert info.file_size == 300_000
    return bytes(data)


def _content_types(docx: bytes, old: str, new: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        types = archive.read("[Content_Types].xml").decode()
    return rezip(docx, replace={"[Content_Types].xml": types.replace(old, new).encode()})


def _encrypted_member(docx: bytes) -> bytes:
    """A zip whose word/document.xml says it is encrypted (bit 0 of its flags, in both headers):
    the import refuses it before reading it."""
    data = bytearray(docx)
    with zipfile.ZipFile(io.BytesIO(docx)) as archive:
        local = archive.getinfo("word/document.xml").header_offset
    data[local + 6] |= 0x1
    name = b"word/document.xml"
    for match in re.finditer(re.escape(b"PK\x01\x02"), bytes(data)):
        start = match.start()
        length = int.from_bytes(data[start + 28:start + 30], "little")
        if bytes(data[start + 46:start + 46 + length]) == name:
            data[start + 8] |= 0x1
    return bytes(data)


BAD_ODT = {
    "an encrypted .odt": (lambda odt: rezip(odt, replace={"META-INF/manifest.xml": zipfile.ZipFile(io.BytesIO(odt))
                                                          .read("META-INF/manifest.xml").replace(
        b"</manifest:manifest>", b"<manifest:encryption-data/></manifest:manifest>")}), 400, "encrypted"),
    "an .odt with Basic macros": (lambda odt: rezip(odt, add={"Basic/Standard/Module1.xml": b"<x/>"}), 400, "macros"),
}

BAD_FILES = {
    "corrupt": (lambda docx: docx[: len(docx) // 2], 400, "damaged"),
    "encrypted": (lambda docx: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, 400, "encrypted"),
    "macro-enabled": (lambda docx: _content_types(
        rezip(docx, add={"word/vbaProject.bin": b"\0" * 100}), "wordprocessingml.document.main+xml",
        "../vnd.ms-word.document.macroEnabled.main+xml"), 400, "macros"),
    "vba project": (lambda docx: rezip(docx, add={"word/vbaProject.bin": b"\0" * 100}), 400, "macros"),
    "a spreadsheet named .docx": (lambda docx: _content_types(
        docx, "wordprocessingml.document.main+xml", "spreadsheetml.sheet.main+xml"), 415, "not a Word"),
    "an image named .docx": (lambda docx: png_header_only(10, 10), 415, "not a Word"),
    "a plain zip": (lambda docx: rezip(b"PK\x05\x06" + b"\0" * 18, add={"a.txt": b"hello"}), 415, "not a Word"),
    "an encrypted zip member": (_encrypted_member, 400, "encrypted"),
    "zip bomb": (_bomb, 413, "zip bomb"),
    "sizes that lie": (_lying, 400, ""),
    "huge image": (lambda docx: rezip(docx, replace={name: png_header_only(20_000, 20_000) for name in
                                                     zipfile.ZipFile(io.BytesIO(docx)).namelist()
                                                     if name.startswith("word/media/")}), 413, "pixels"),
}


@pytest.mark.parametrize("case", list(BAD_FILES))
def test_bad_files_get_a_clear_4xx_and_save_nothing(editor: FlaskClient, app: Flask,
                                                    office_files: dict[str, bytes], case: str) -> None:
    make, status, words = BAD_FILES[case]
    head = app.extensions["wiki_store"].head()
    response = upload(editor, make(office_files["full.docx"]), "Bad/File", "file.docx")
    assert response.status_code == status, response.get_data(as_text=True)[:3000]
    assert words in response.get_data(as_text=True)
    assert app.extensions["wiki_store"].head() == head and 'name="token"' not in response.get_data(as_text=True)


@pytest.mark.parametrize("case", list(BAD_ODT))
def test_bad_odt_files_are_refused(editor: FlaskClient, app: Flask, office_files: dict[str, bytes], case: str) -> None:
    make, status, words = BAD_ODT[case]
    head = app.extensions["wiki_store"].head()
    response = upload(editor, make(office_files["full.odt"]), "Bad/Odt", "file.odt")
    assert response.status_code == status and words in response.get_data(as_text=True)
    assert app.extensions["wiki_store"].head() == head


def test_an_upload_over_max_import_bytes_is_refused(tmp_path: Path, office_files: dict[str, bytes]) -> None:
    app = make_app(tmp_path / "i", MAX_IMPORT_BYTES=2000)
    client = app.test_client()
    Auth(client).login("editor")
    head = app.extensions["wiki_store"].head()
    response = upload(client, office_files["full.docx"], "Too/Big")
    assert response.status_code == 413 and "at most" in response.get_data(as_text=True)
    assert app.extensions["wiki_store"].head() == head


def test_imports_may_be_larger_than_other_requests(tmp_path: Path, office_files: dict[str, bytes]) -> None:
    app = make_app(tmp_path / "i", MAX_PAGE_BYTES=10_000, MAX_ATTACHMENT_BYTES=10_000)  # other bodies: ~105 KB
    client = app.test_client()
    Auth(client).login("editor")
    padded = rezip(office_files["full.docx"], add={"customXml/item9.xml": os.urandom(300_000)})
    assert upload(client, padded, "Large/Import").status_code == 200
    assert client.post("/-/preview", data={"text": "x" * 300_000}).status_code == 413


def test_readers_cannot_import(client: FlaskClient, auth: Auth) -> None:
    auth.login("reader")
    assert client.get("/-/import").status_code == 403


def test_file_names_and_page_names_in_the_preview_are_inert(editor: FlaskClient,
                                                            office_files: dict[str, bytes]) -> None:
    response = upload(editor, office_files["plain.docx"], "Xss/'onmouseover='alert(1)'_x",
                      '<img src=x onerror=alert(1)>.docx')
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and inspect_html(html) == []
    assert "&lt;img src=x onerror=alert(1)&gt;.docx" in html
    refused = upload(editor, office_files["plain.docx"], "Xss/<script>alert(1)</script>", "<svg onload=alert(1)>")
    assert refused.status_code == 400 and inspect_html(refused.get_data(as_text=True)) == []
    # the XSS corpus as page names and file names (the same upload: converted once, then staged)
    names = valid_names(40)
    files = [p for p in payloads() if '"' not in p and "/" not in p and not any(ord(c) < 32 for c in p)][:40]
    problems = []
    for page, filename in zip(names, files, strict=False):
        shown = upload(editor, office_files["tracked.docx"], page, filename + ".docx")
        assert shown.status_code in (200, 400), (page, filename, shown.status_code)
        problems += [f"{page!r} {filename!r}: {problem}" for problem in inspect_html(shown.get_data(as_text=True))]
    assert problems == []


def test_the_cli_imports_a_file(app: Flask, tmp_path: Path, office_files: dict[str, bytes]) -> None:
    path = tmp_path / "report.odt"
    path.write_bytes(office_files["full.odt"])
    runner = app.test_cli_runner()
    result = runner.invoke(args=["import-doc", str(path), "Reports/Chair", "--user", "editor"])
    assert result.exit_code == 0, result.output
    store = app.extensions["wiki_store"]
    assert "Rural connectivity" in store.read_page("Reports/Chair").text
    assert store.page_history("Reports/Chair")[0].group == "civil-society"
    assert store.list_attachments("Reports/Chair")
    again = runner.invoke(args=["import-doc", str(path), "Reports/Chair", "--user", "editor"])
    assert again.exit_code == 0 and "nothing to commit" in again.output
    refused = runner.invoke(args=["import-doc", str(path), "Reports/Chair", "--user", "reader"])
    assert refused.exit_code != 0 and "role editor" in refused.output
    bad = tmp_path / "bad.docx"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    result = runner.invoke(args=["import-doc", str(bad), "Reports/Bad", "--user", "editor"])
    assert result.exit_code != 0 and "encrypted" in result.output and not store.page_exists("Reports/Bad")


def test_a_captioned_picture_becomes_an_attached_image() -> None:
    from wiki.office import convert, docimport

    from .office_docs import png

    data = convert.pandoc("# Title\n\n![A chart](chart.png)\n\nText.\n", from_format="markdown", to_format="docx",
                          files={"chart.png": png(30, 20)}, sandbox=False)
    converted = docimport.convert(data)
    name = next(iter(converted.images))
    assert f"![A chart](attachment:{name})" in converted.markdown and "<" not in converted.markdown


def test_a_conversion_out_of_time_is_stopped_and_saves_nothing(tmp_path: Path,
                                                              office_files: dict[str, bytes]) -> None:
    app = make_app(tmp_path / "i", EXPORT_TIMEOUT=0.001)  # the conversion limits imports share with exports
    client = app.test_client()
    Auth(client).login("editor")
    head = app.extensions["wiki_store"].head()
    response = upload(client, office_files["tracked.docx"], "Slow/Import")
    assert response.status_code == 413 and "took longer than" in response.get_data(as_text=True)
    assert app.extensions["wiki_store"].head() == head and not list((tmp_path / "i" / "imports").glob("*/meta.json"))


def test_images_a_browser_cannot_show_are_left_out_and_named(editor: FlaskClient, app: Flask,
                                                             office_files: dict[str, bytes]) -> None:
    docx = office_files["full.docx"]
    media = [name for name in zipfile.ZipFile(io.BytesIO(docx)).namelist() if name.startswith("word/media/")]
    emf = b"\x01\x00\x00\x00" + b"\x00" * 36 + b" EMF" + b"\x00" * 64  # an EMF header: not for browsers
    preview = upload(editor, rezip(docx, replace={name: emf for name in media}), "Emf/Page")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "1 image could not be kept" in html and "image1" in html
    assert save_import(editor, html, "Emf/Page").status_code == 302
    assert app.extensions["wiki_store"].list_attachments("Emf/Page") == ()
    assert "Digital Cooperation" in app.extensions["wiki_store"].read_page("Emf/Page").text


def test_damaged_bytes_anywhere_in_a_file_are_a_4xx_never_a_500(office_files: dict[str, bytes]) -> None:
    import random

    from wiki.errors import WikiError
    from wiki.office import docimport

    rng = random.Random(17)
    for name in ("full.docx", "full.odt"):
        for _ in range(1500):
            data = bytearray(office_files[name])
            for _ in range(rng.randint(1, 6)):
                data[rng.randrange(len(data))] = rng.randrange(256)
            try:
                docimport.check_document(bytes(data))
            except WikiError as error:
                assert 400 <= error.code < 500


def test_words_title_is_the_title_and_its_subtitle_opens_the_page() -> None:
    from wiki.office import convert, docimport

    data = convert.pandoc("Body text.\n", from_format="markdown", to_format="docx",
                          args=["--standalone", "--metadata=title:The Chair's Draft",
                                "--metadata=subtitle:28 February"])
    converted = docimport.convert(data)
    assert converted.title == "The Chair's Draft"  # the page's title, not a line of its text
    assert converted.markdown.startswith("28 February\n\nBody text.")
