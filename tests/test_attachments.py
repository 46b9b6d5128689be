"""Attachments: upload, type by content, size limit, safe serving, names, replace, delete, history."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki import attachments
from wiki.store import Author, Store
from wiki.store.committer import Plan

from .conftest import Auth, csrf_token, git, make_app

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(40)
GIF = b"GIF89a" + bytes(40)
WEBP = b"RIFF\x30\x00\x00\x00WEBPVP8 " + bytes(40)
PDF = b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n"
SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>\n'
AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")


def office(kind: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        if kind == "odt":
            archive.writestr("mimetype", "application/vnd.oasis.opendocument.text")
            archive.writestr("content.xml", "<office:document-content/>")
        elif kind in ("docx", "xlsx"):
            part = "wordprocessingml.document" if kind == "docx" else "spreadsheetml.sheet"
            archive.writestr("[Content_Types].xml",
                             f'<Types><Override ContentType="application/vnd.openxmlformats-officedocument.'
                             f'{part}.main+xml"/></Types>')
        else:
            archive.writestr("readme.txt", "just a zip")
    return buffer.getvalue()


def upload(client: FlaskClient, page: str, filename: str, data: bytes, **fields: str):  # noqa: ANN201
    token = csrf_token(client)
    return client.post(f"/{page}/-/attachments", content_type="multipart/form-data",
                       data={"csrf_token": token, "file": (io.BytesIO(data), filename), **fields})


def change(client: FlaskClient, page: str, name: str, action: str, data: bytes | None = None):  # noqa: ANN201
    token = csrf_token(client)
    form: dict[str, object] = {"csrf_token": token, "action": action}
    if data is not None:
        form["file"] = (io.BytesIO(data), "new-file")
    return client.post(f"/{page}/-/attachments/{name}", content_type="multipart/form-data", data=form)


@pytest.fixture
def editor(client: FlaskClient, auth: Auth) -> FlaskClient:
    auth.login("editor")
    return client


def test_upload_is_a_commit_beside_the_page(editor: FlaskClient, store: Store) -> None:
    before = store.head()
    response = upload(editor, "Mapping/Cybersecurity", "diagram.png", PNG)
    assert response.status_code == 302
    assert git(store.path, "rev-parse", "main^").strip() == before
    assert git(store.path, "ls-tree", "--name-only", "main", "Mapping/Cybersecurity.files/").split() == [
        "Mapping/Cybersecurity.files/diagram.png"]
    message = git(store.path, "log", "-1", "--format=%B", "main")
    assert "Stakeholder-Group: civil-society" in message and "Wiki-User: editor" in message
    listing = editor.get("/Mapping/Cybersecurity/-/attachments").get_data(as_text=True)
    assert 'href="/Mapping/Cybersecurity/-/attachments/diagram.png"' in listing
    assert "Mapping/Cybersecurity.files/diagram" not in " ".join(store.list_pages())


@pytest.mark.parametrize(("filename", "data", "mimetype"), [
    ("a.png", PNG, "image/png"), ("a.jpg", JPEG, "image/jpeg"), ("a.gif", GIF, "image/gif"),
    ("a.webp", WEBP, "image/webp"),
])
def test_raster_images_are_served_inline(editor: FlaskClient, filename: str, data: bytes, mimetype: str) -> None:
    assert upload(editor, "Home", filename, data).status_code == 302
    response = editor.get(f"/Home/-/attachments/{filename}")
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == mimetype
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize(("filename", "data", "mimetype"), [
    ("report.pdf", PDF, "application/pdf"),
    ("text.odt", office("odt"), "application/vnd.oasis.opendocument.text"),
    ("text.docx", office("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("sheet.xlsx", office("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("table.csv", b"country;answer\nKenya;oui\n", "text/csv"),
    ("notes.txt", "Plain text, ünïcödé, 中文.\n".encode(), "text/plain"),
    ("page.txt", b"<html><script>alert(1)</script></html>", "text/plain"),
    ("logo.svg", SVG, "image/svg+xml"),
])
def test_other_files_are_downloads_never_inline(editor: FlaskClient, filename: str, data: bytes,
                                               mimetype: str) -> None:
    assert upload(editor, "Home", filename, data).status_code == 302
    response = editor.get(f"/Home/-/attachments/{filename}")
    assert response.status_code == 200 and response.data == data
    assert response.mimetype == mimetype
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize(("filename", "data"), [
    ("fake.pdf", PNG),  # a real PNG with the wrong extension
    ("fake.png", b"GIF89a" + bytes(10)),
    ("fake.png", b"<html>not an image</html>"),
    ("program.txt", b"MZ\x90\x00\x03\x00\x00\x00"),  # binary, has NUL bytes
    ("latin1.csv", "café;1\n".encode("latin-1")),  # not UTF-8
    ("empty.docx", office("zip")),  # a zip without the Office content types
    ("sheet.docx", office("xlsx")),  # a spreadsheet named as a document
    ("doc.odt", office("docx")),
    ("vector.svg", b"just text, not svg"),
])
def test_type_is_checked_by_content(editor: FlaskClient, store: Store, filename: str, data: bytes) -> None:
    before = store.head()
    response = upload(editor, "Home", filename, data)
    assert response.status_code == 415
    assert "content" in response.get_data(as_text=True)
    assert store.head() == before


@pytest.mark.parametrize("filename", ["script.exe", "page.html", "noextension", "archive.zip"])
def test_unaccepted_extensions_are_refused(editor: FlaskClient, store: Store, filename: str) -> None:
    before = store.head()
    response = upload(editor, "Home", filename, b"plain text\n")
    assert response.status_code == 400
    assert "cannot be attached" in response.get_data(as_text=True)
    assert store.head() == before


def test_size_limit_is_a_413_with_a_clear_message(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", MAX_ATTACHMENT_BYTES=1000)
    client = app.test_client()
    Auth(client).login("editor")
    store: Store = app.extensions["wiki_store"]
    before = store.head()
    response = upload(client, "Home", "big.txt", b"x" * 1001)
    assert response.status_code == 413
    assert "at most 1,000 bytes" in response.get_data(as_text=True)
    assert upload(client, "Home", "ok.txt", b"x" * 1000).status_code == 302
    body = (b'--B\r\nContent-Disposition: form-data; name="file"; filename="huge.txt"\r\n\r\n'
            + b"x" * app.config["MAX_CONTENT_LENGTH"] + b"\r\n--B--\r\n")  # over the request limit
    huge = client.post("/Home/-/attachments", data=body, content_type="multipart/form-data; boundary=B")
    assert huge.status_code == 413 and "at most 1,000 bytes" in huge.get_data(as_text=True)
    assert len(store.list_attachments("Home")) == 1 and store.head() != before
    store.close()


def test_default_limit_is_ten_megabytes(app: Flask) -> None:
    assert app.config["MAX_ATTACHMENT_BYTES"] == 10 * 1024 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] > 10 * 1024 * 1024


@pytest.mark.parametrize("name", [
    "../escape.png", "..\\escape.png", "sub/dir.png", ".hidden.png", "a..png", "with\x01control.png",
    "bidi\u202egnp.png", "-dash.png", "x" * 200 + ".png", "tab\there.png",
])
def test_hostile_names_are_refused(editor: FlaskClient, store: Store, name: str) -> None:
    before = store.head()
    response = upload(editor, "Home", "fine.png", PNG, name=name)
    assert response.status_code == 400
    assert store.head() == before


def test_names_are_canonical() -> None:
    assert attachments.check_name("My report (v2).pdf") == "My_report_(v2).pdf"
    assert attachments.check_name("Отчёт.pdf") == "Отчёт.pdf"


@pytest.mark.parametrize("path", ["..%2F..%2Fetc%2Fpasswd", "%2E%2E", ".git", "a%00b.png", "Home.md"])
def test_traversal_in_download_urls_finds_nothing(client: FlaskClient, path: str) -> None:
    assert client.get(f"/Home/-/attachments/{path}").status_code in (400, 404)


def test_file_pushed_with_a_lying_name_is_a_download(store: Store, client: FlaskClient) -> None:
    store.committer.commit_to_ref(store.ref, lambda tip: Plan({"Home.files/evil.png": b"<svg onload=alert(1)>"},
                                                              "Push"), author=AUTHOR)
    response = client.get("/Home/-/attachments/evil.png")
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_readers_cannot_upload(client: FlaskClient, auth: Auth, store: Store) -> None:
    before = store.head()
    assert upload(client, "Home", "a.png", PNG).status_code == 302  # anonymous: to the login page
    auth.login("reader")
    assert upload(client, "Home", "a.png", PNG).status_code == 403
    assert store.head() == before
    assert "Attach a file" not in client.get("/Home/-/attachments").get_data(as_text=True)


def test_upload_to_a_missing_page_is_404(editor: FlaskClient) -> None:
    assert upload(editor, "No_such_page", "a.png", PNG).status_code == 404


def test_same_name_in_another_case_is_a_conflict(editor: FlaskClient) -> None:
    assert upload(editor, "Home", "Logo.png", PNG).status_code == 302
    response = upload(editor, "Home", "logo.PNG", PNG)
    assert response.status_code == 409 and "already has an attachment" in response.get_data(as_text=True)


def test_replace_delete_and_history(editor: FlaskClient, store: Store) -> None:
    assert upload(editor, "Home", "data.csv", b"a,b\n1,2\n").status_code == 302
    first = store.head()
    assert change(editor, "Home", "data.csv", "replace", b"a,b\n3,4\n").status_code == 302
    assert editor.get("/Home/-/attachments/data.csv").data == b"a,b\n3,4\n"
    assert editor.get(f"/Home/-/attachments/data.csv?rev={first}").data == b"a,b\n1,2\n"
    assert change(editor, "Home", "data.csv", "replace", PNG).status_code == 415  # must stay a CSV
    assert change(editor, "Home", "data.csv", "delete").status_code == 302
    assert editor.get("/Home/-/attachments/data.csv").status_code == 404
    history = editor.get("/Home/-/attachments/data.csv/history").get_data(as_text=True)
    assert history.count("download (") == 2 and "deleted" in history
    assert f"rev={first}" in history
    assert editor.get(f"/Home/-/attachments/data.csv?rev={first}").status_code == 200
    assert change(editor, "Home", "data.csv", "delete").status_code == 404


def test_attachments_move_with_a_rename_and_go_with_a_delete(editor: FlaskClient, store: Store) -> None:
    assert upload(editor, "Mandate", "scan.pdf", PDF).status_code == 302
    store.rename_page("Mandate", "Mandate_2024", author=AUTHOR)
    assert [item.name for item in store.list_attachments("Mandate_2024")] == ["scan.pdf"]
    assert store.list_attachments("Mandate") == ()
    store.delete_page("Mandate_2024", author=AUTHOR)
    assert store.list_attachments("Mandate_2024") == ()
    ok, report = store.fsck()
    assert ok, report


def test_pages_embed_images_with_markdown(editor: FlaskClient, store: Store) -> None:
    assert upload(editor, "Home", "chart.png", PNG).status_code == 302
    store.save_page("Home", "# Home\n\n![A chart](/Home/-/attachments/chart.png)\n", base=store.head(),
                    author=AUTHOR, summary="")
    response = editor.get("/Home")
    assert '<img alt="A chart" src="/Home/-/attachments/chart.png"' in response.get_data(as_text=True)
    assert "img-src 'self'" in response.headers["Content-Security-Policy"]
    assert editor.get("/Home/-/attachments/chart.png").status_code == 200


def test_attachment_text_files_do_not_become_pages(editor: FlaskClient, store: Store) -> None:
    assert upload(editor, "Home", "notes.md", b"# Not a page\n").status_code == 302
    assert not any(page.startswith("Home.files") for page in store.list_pages())
    assert editor.get("/Home.files/notes").status_code == 400


def test_upload_form_with_invalid_utf8_is_a_400(editor: FlaskClient, store: Store) -> None:
    head = store.head()
    token = csrf_token(editor)
    boundary = "wikiboundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{token}\r\n"
            f"--{boundary}\r\nContent-Disposition: form-data; name=\"summary\"\r\n\r\n").encode() + b"caf\xe9" + (
            f"\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\n"
            f"Content-Type: image/png\r\n\r\n").encode() + PNG + f"\r\n--{boundary}--\r\n".encode()
    response = editor.post("/Home/-/attachments", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 400 and "not valid UTF-8" in response.get_data(as_text=True)
    assert store.head() == head
