"""The import form through HTTP, for the tests of ``/-/import``: upload a file, save the preview,
read the imported page's article."""

from __future__ import annotations

import io
import re

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from .app import csrf_token

TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


def upload(client: FlaskClient, data: bytes, page: str, filename: str = "doc.docx", **fields: str) -> TestResponse:
    """Post ``data`` to the import form for ``page``: the preview (or the refusal)."""
    form = {"csrf_token": csrf_token(client, "/-/import"), "page": page,
            "file": (io.BytesIO(data), filename), **fields}
    return client.post("/-/import", data=form, content_type="multipart/form-data")


def save_import(client: FlaskClient, preview_html: str, page: str, **fields: str) -> TestResponse:
    """Save the import whose signed token the preview ``preview_html`` carries."""
    token = TOKEN_RE.search(preview_html)
    assert token, preview_html[:2000]
    return client.post("/-/import", data={"csrf_token": csrf_token(client, "/-/import"), "page": page,
                                          "token": token.group(1), **fields})


def article(html: str) -> str:
    """The page's rendered body in ``html``."""
    match = re.search(r'<article class="page-body[^"]*".*?</article>', html, re.S)
    assert match, html[:1000]
    return match.group(0)
