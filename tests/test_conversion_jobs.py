"""Conversions cannot stall the wiki (issue 24, items 4 and 5): imports and exports run as jobs of
one runner with a bounded queue (per person or anonymous address, anonymous visitors together, in
all), a request waits for one at most ``EXPORT_WAIT_SECONDS``, staged uploads have a per-person
quota, and the export cache is keyed by content, never by request headers such as ``Host``."""

from __future__ import annotations

import io
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import docx
import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from wiki.office.docimport import ATTACHMENT_PREFIX, replace_images
from wiki.office.jobs import Progress

from .conftest import Auth, csrf_token, make_app
from .office_docs import docx_with_images
from .xss import inspect_html, payloads, valid_names


def upload(client: FlaskClient, data: bytes, page: str, filename: str = "gallery.docx"):  # noqa: ANN201
    """POST the import form, its body encoded in memory (the test client would spool a large one to
    a temporary file it never closes)."""
    form = {"csrf_token": csrf_token(client, "/-/import"), "page": page,
            "file": FileStorage(io.BytesIO(data), filename=filename)}
    boundary, body = encode_multipart(form)
    return client.post("/-/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")


def status_url(html: str) -> str:
    return re.search(r'data-status-url="([^"]+)"', html).group(1)  # type: ignore[union-attr]


def wait_for(client: FlaskClient, url: str, seconds: float = 60) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        state = client.get(url).get_json()
        if state["state"] in ("done", "failed"):
            return state
        time.sleep(0.1)
    raise AssertionError("the job never finished")


def timed_get(client: FlaskClient, url: str) -> tuple[int, float]:
    started = time.monotonic()
    status = client.get(url).status_code
    return status, time.monotonic() - started


@pytest.fixture
def released() -> Iterator[threading.Event]:
    """Jobs that hold their place until the test ends (bounded: 30 s at most)."""
    event = threading.Event()
    yield event
    event.set()


def held_job(event: threading.Event) -> object:
    def work(progress: Progress) -> bytes:
        progress(0.5, "Converting")
        event.wait(30)
        return b"held"

    return work


# --------------------------------------------------------------------------- imports

def test_a_docx_with_5000_tiny_images_is_refused_before_pandoc_and_the_wiki_stays_fast(
        client: FlaskClient, app: Flask) -> None:
    """The attack: 1 MB, ~5,000 distinct 1 × 1 images (pandoc alone took 17 s, then one pass over the
    text per image). Refused from the zip's directory, in a moment; nothing staged for preview."""
    data = docx_with_images(4990)  # just under the 5,000 files a document may hold
    assert len(data) < 1_200_000
    Auth(client).login("editor")
    head = app.extensions["wiki_store"].head()
    started = time.monotonic()
    response = upload(client, data, "Gallery")
    assert time.monotonic() - started < 10
    assert response.status_code == 413 and "4990 images" in response.get_data(as_text=True)
    assert app.extensions["wiki_store"].head() == head
    assert not list((Path(app.instance_path) / "imports").glob("*/meta.json"))
    status, seconds = timed_get(client, "/Home")
    assert status == 200 and seconds < 2


def test_image_links_are_pointed_at_attachments_in_one_pass() -> None:
    """5,000 images in the text: one pass, not one regular-expression pass per image."""
    markdown = "\n\n".join(f"![picture {n}](media/media/image{n}.png)" for n in range(5000))
    targets: dict[str, str | None] = {f"media/media/image{n}.png": f"image-{n:012x}.png" for n in range(5000)}
    targets["media/media/image7.png"] = None  # an image a browser cannot show: its text stays
    started = time.monotonic()
    result = replace_images(markdown, targets)
    assert time.monotonic() - started < 1
    assert f"![picture 0]({ATTACHMENT_PREFIX}image-000000000000.png)" in result
    assert "\n\npicture 7\n\n" in result and "media/" not in result


def test_a_conversion_longer_than_the_wait_goes_on_as_a_job_and_the_preview_follows(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", EXPORT_WAIT_SECONDS=0)
    client = app.test_client()
    Auth(client).login("editor")
    started = upload(client, docx_with_images(120), "Gallery")
    html = started.get_data(as_text=True)
    assert started.status_code == 202 and started.headers["Retry-After"]
    assert "Converting gallery.docx" in html
    preview_url = re.search(r'id="export-download" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert preview_url.startswith("/-/import/") and "page=Gallery" in preview_url
    assert wait_for(client, status_url(html))["state"] == "done"
    preview = client.get(preview_url)
    shown = preview.get_data(as_text=True)
    assert preview.status_code == 200 and "A picture gallery" in shown
    assert shown.count("<code>image-") == 120
    token = re.search(r'name="token" value="([^"]+)"', shown).group(1)
    saved = client.post("/-/import", data={"csrf_token": csrf_token(client, "/-/import"), "page": "Gallery",
                                           "token": token})
    assert saved.status_code == 302
    assert len(app.extensions["wiki_store"].list_attachments("Gallery")) == 120
    # the staged upload is gone once imported, and nobody else ever saw it
    other = app.test_client()
    Auth(other).login("editor2")
    assert other.get(preview_url).status_code == 404
    assert client.get(preview_url).status_code == 404
    app.extensions["wiki_jobs"].shutdown()


def test_file_and_page_names_on_the_import_progress_page_are_inert(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", EXPORT_WAIT_SECONDS=0, IMPORT_STAGED_PER_USER=50, JOBS_PER_CLIENT=50,
                   JOBS_QUEUED=50)
    client = app.test_client()
    Auth(client).login("editor")
    files = [p for p in payloads() if '"' not in p and "/" not in p and not any(ord(c) < 32 for c in p)][:15]
    problems = []
    for number, (page, filename) in enumerate(zip(valid_names(15), files, strict=False)):
        shown = upload(client, docx_with_images(0, f"Document {number}"), page, filename + ".docx")
        assert shown.status_code in (200, 202), (page, filename, shown.status_code)
        problems += [f"{page!r} {filename!r}: {problem}" for problem in inspect_html(shown.get_data(as_text=True))]
    assert problems == []
    app.extensions["wiki_jobs"].shutdown()


def test_staged_uploads_have_a_quota_per_person(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", IMPORT_STAGED_PER_USER=2, IMPORT_STAGED_BYTES_PER_USER=60_000)
    client = app.test_client()
    Auth(client).login("editor")
    first, second, third = (docx_with_images(1, f"Document {n}") for n in range(3))
    assert upload(client, first, "One").status_code == 200
    assert upload(client, second, "Two").status_code == 200
    assert upload(client, first, "One").status_code == 200  # the same file again takes no more room
    refused = upload(client, third, "Three")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "uploaded documents waiting to be imported as" in refused.get_data(as_text=True)
    other = app.test_client()
    Auth(other).login("editor2")
    assert upload(other, third, "Three").status_code == 200  # a quota per person
    big = upload(other, docx_with_images(300), "Big")  # ~60 KB more than its share of bytes
    assert big.status_code == 429 and "MB" in big.get_data(as_text=True)
    # importing one frees its place
    preview = upload(client, first, "One").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', preview).group(1)
    assert client.post("/-/import", data={"csrf_token": csrf_token(client, "/-/import"), "page": "One",
                                          "token": token}).status_code == 302
    assert upload(client, third, "Three").status_code == 200


# --------------------------------------------------------------------------- exports

def test_the_export_key_ignores_the_host_and_files_link_to_site_url(tmp_path: Path) -> None:
    """Varying ``Host`` (or the spelling of the commit) neither defeats the cache nor plants another
    site's links in a shared file."""
    app = make_app(tmp_path / "instance", SITE_URL="https://wiki.example.org")
    client = app.test_client()
    exports = Path(app.config["EXPORT_DIRECTORY"])
    files = []
    head = app.extensions["wiki_store"].head()
    for host, rev in (("a.example", ""), ("b.example", head[:7]), ("evil.example", head[:12]), ("c.example", head)):
        url = "/Mandate/-/export?format=docx" + (f"&rev={rev}" if rev else "")
        with client.get(url, headers={"Host": host}) as response:
            assert response.status_code == 200, (rev, response.status_code)
            files.append(response.data)
    assert len(list(exports.glob("*.out"))) == 1 and files[0] == files[1] == files[2] == files[3]
    document = docx.Document(io.BytesIO(files[0]))
    targets = [rel.target_ref for rel in document.part.rels.values() if rel.is_external]
    assert not any("evil.example" in target or "a.example" in target for target in targets)
    assert any(target.startswith("https://wiki.example.org/") for target in targets), targets
    app.extensions["wiki_jobs"].shutdown()


def test_anonymous_visitors_cannot_fill_the_queue_and_an_account_still_exports(
        tmp_path: Path, released: threading.Event) -> None:
    app = make_app(tmp_path / "instance", JOBS_PER_CLIENT=2, JOBS_ANONYMOUS=3, JOBS_QUEUED=6, EXPORT_WORKERS=2,
                   EXPORT_BACKGROUND_PAGES=0)
    runner = app.extensions["wiki_jobs"]
    # two anonymous addresses hold their places with conversions that do not end
    for number in range(3):
        runner.submit(f"{number:040x}", held_job(released), filename="x.pdf", mimetype="application/pdf",
                      client=f"anon:198.51.100.{number // 2}")
    first = app.test_client()
    first.environ_base["REMOTE_ADDR"] = "198.51.100.0"
    answer = first.get("/-/document/export?format=docx&section=Mapping")
    assert answer.status_code == 429 and int(answer.headers["Retry-After"]) > 0
    assert "Wait for one to finish" in answer.get_data(as_text=True)
    stranger = app.test_client()
    stranger.environ_base["REMOTE_ADDR"] = "2001:db8:1:2::99"
    answer = stranger.get("/-/document/export?format=docx&section=Mapping")
    assert answer.status_code == 429 and "log in" in answer.get_data(as_text=True)
    # cached files are still served to anyone; page views stay fast
    status, seconds = timed_get(stranger, "/Home")
    assert status == 200 and seconds < 2
    # an account's export gets its slot at once (anonymous jobs never take slot 0)
    member = app.test_client()
    Auth(member).login("reader")
    started = time.monotonic()
    with member.get("/Mandate/-/export?format=docx") as answer:
        assert answer.status_code == 200 and answer.mimetype.endswith("wordprocessingml.document")
    assert time.monotonic() - started < 15
    released.set()
    runner.shutdown()


def test_the_queue_is_bounded_for_accounts_too(tmp_path: Path, released: threading.Event) -> None:
    app = make_app(tmp_path / "instance", JOBS_PER_CLIENT=1, JOBS_QUEUED=3, EXPORT_BACKGROUND_PAGES=0)
    runner = app.extensions["wiki_jobs"]
    runner.submit("e" * 40, held_job(released), filename="x.pdf", mimetype="application/pdf", client="user:editor")
    editor = app.test_client()
    Auth(editor).login("editor")
    answer = editor.get("/-/document/export?format=odt&section=Mapping")
    assert answer.status_code == 429 and "Wait for one to finish" in answer.get_data(as_text=True)
    for number in range(2):
        runner.submit(f"{number:040x}", held_job(released), filename="x.pdf", mimetype="application/pdf",
                      client=f"user:someone{number}")
    reviewer = app.test_client()
    Auth(reviewer).login("reviewer")
    answer = reviewer.get("/-/document/export?format=odt&section=Mapping")
    assert answer.status_code == 429 and "as many exports and imports as it can" in answer.get_data(as_text=True)
    released.set()
    runner.shutdown()
    # places come back when jobs end
    assert reviewer.get("/-/document/export?format=odt&section=Mapping").status_code == 202
    app.extensions["wiki_jobs"].shutdown()


@pytest.mark.parametrize(("name", "value"), [
    ("EXPORT_WAIT_SECONDS", 40), ("JOBS_PER_CLIENT", 0), ("JOBS_QUEUED", "many"), ("SITE_URL", "wiki.example.org"),
    ("IMPORT_STAGED_PER_USER", -1), ("EXPORT_WORKERS", True),
])
def test_wrong_job_settings_stop_the_wiki_with_one_line(tmp_path: Path, name: str, value: object) -> None:
    from wiki.settings import InvalidSetting

    with pytest.raises(InvalidSetting) as stopped:
        make_app(tmp_path / "instance", **{name: value})
    assert str(stopped.value).startswith(f"Invalid setting {name} = ")
