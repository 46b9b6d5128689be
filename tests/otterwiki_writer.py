"""Let An Otter Wiki write a repository through its own code, for tests/test_import_repo.py.

Run with the Python of the separate virtualenv that ``make test`` makes for it (``.venv-otterwiki``:
its pinned dependencies conflict with ours): ``python tests/otterwiki_writer.py REPOSITORY``.
It starts An Otter Wiki's app on REPOSITORY (a new Git repository), authenticates each request with
its proxy headers as one of two people, and through its test client creates and edits pages,
renames one, uploads an attachment and deletes a page; then prints what it did as JSON.
"""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import tempfile

# A 1x1 PNG (the wiki checks an image's type by its bytes).
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGA"
                       "WjR9awAAAABJRU5ErkJggg==")
PEOPLE = {
    "ann": ("Ann Otter", "ann@example.org"),
    "bob": ("Bob Otter", "bob@example.org"),
}


def main(repository: str) -> None:
    os.makedirs(repository)
    subprocess.run(["git", "init", "-q", repository], check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".cfg", delete=False) as settings:
        settings.write(f"REPOSITORY = {repository!r}\nSECRET_KEY = 'an otter wiki test secret key'\n"
                       "AUTH_METHOD = 'PROXY_HEADER'\nWTF_CSRF_ENABLED = False\n"
                       "SQLALCHEMY_DATABASE_URI = 'sqlite:///:memory:'\n")
    os.environ["OTTERWIKI_SETTINGS"] = settings.name
    import otterwiki.views  # noqa: F401 - registers the routes
    from otterwiki.server import app  # builds the app from OTTERWIKI_SETTINGS (and the first Home page)

    client = app.test_client()

    def as_(person: str) -> dict[str, str]:
        name, email = PEOPLE[person]
        return {"x-otterwiki-name": name, "x-otterwiki-email": email,
                "x-otterwiki-permissions": "READ,WRITE,UPLOAD,ADMIN"}

    def ok(response, what: str) -> None:  # noqa: ANN001
        if response.status_code >= 400:
            raise SystemExit(f"An Otter Wiki refused {what}: {response.status_code}")

    ok(client.post("/Home/save", data={"content": "# Home\n\nWelcome to the otters' wiki.\n\n"
                                                  "See [[Getting Started]].\n", "commit": "Write the home page"},
                   headers=as_("ann")), "saving Home")
    ok(client.post("/Getting Started/save", data={"content": "# Getting Started\n\nFirst steps.\n",
                                                  "commit": "Add a guide"}, headers=as_("bob")), "a new page")
    ok(client.post("/Getting Started/save", data={"content": "# Getting Started\n\nFirst steps.\n\nSecond steps.\n",
                                                  "commit": "Extend the guide"}, headers=as_("ann")), "an edit")
    ok(client.post("/Home/attachments", data={"file": (io.BytesIO(PNG), "otter.png"), "message": "Add a picture"},
                   headers=as_("bob"), content_type="multipart/form-data"), "an upload")
    ok(client.post("/Notes/save", data={"content": "# Notes\n\nTemporary.\n", "commit": "Add notes"},
                   headers=as_("bob")), "another page")
    ok(client.post("/Notes/delete", data={"message": "Remove the notes"}, headers=as_("ann")), "a deletion")
    ok(client.post("/Getting Started/rename", data={"new_pagename": "Guides/Getting Started",
                                                    "message": "Move the guide"}, headers=as_("bob")), "a rename")
    files = subprocess.run(["git", "-C", repository, "ls-files"], check=True, capture_output=True, text=True).stdout
    log = subprocess.run(["git", "-C", repository, "log", "--format=%H %ae %s"], check=True, capture_output=True,
                         text=True).stdout
    print(json.dumps({"files": files.splitlines(), "log": log.splitlines()}))


if __name__ == "__main__":
    main(sys.argv[1])
