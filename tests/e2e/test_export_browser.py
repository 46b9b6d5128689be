"""Exports in the browser (issue 17): the whole document is made in the background; the progress
page follows the job with export.js, then the file downloads (without script, its link does).
The progress page passes axe-core; no script errors (the CSP allows no inline script)."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import BrowserContext, expect

from tests.conftest import make_app

from .conftest import WIDE, LiveWiki, assert_accessible, screenshot, watched_page


@pytest.fixture
def background(tmp_path: Path):  # noqa: ANN201
    with LiveWiki(make_app(tmp_path / "instance", EXPORT_BACKGROUND_PAGES=1)) as wiki:
        yield wiki
        wiki.app.extensions["wiki_jobs"].shutdown()


@pytest.mark.parametrize("script", [True, False], ids=["script", "no-script"])
def test_the_document_downloads_after_the_progress_page(
        background: LiveWiki, new_context: Callable[..., BrowserContext], script: bool, tmp_path: Path) -> None:
    page = watched_page(new_context(viewport=WIDE, accept_downloads=True, java_script_enabled=script))
    page.goto(f"{background.url}/-/document")
    with page.expect_download(timeout=60_000) as download_info:
        page.get_by_role("link", name="Word (.docx)").click()
        expect(page.locator("h1")).to_contain_text("Preparing")
        if script:
            assert_accessible(page)
            screenshot(page, "export-progress")
        else:  # the reader follows the link until the file comes
            status_url = background.url + page.locator("#export-progress").get_attribute("data-status-url")
            for _ in range(600):
                if page.request.get(status_url).json()["state"] == "done":
                    break
                page.wait_for_timeout(100)
            page.get_by_role("link", name="Download the file when it is ready").click()
    download = download_info.value
    assert download.suggested_filename.startswith("Living_Wiki-") and download.suggested_filename.endswith(".docx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
        assert "Enhanced Cooperation" in archive.read("word/document.xml").decode()
    if script:
        expect(page.locator("#export-stage")).to_contain_text("ready")
        expect(page.locator("#export-bar")).to_have_attribute("value", "100")
    assert page.console_errors == []  # type: ignore[attr-defined]
