"""A wiki served over HTTP from a thread (werkzeug) on 127.0.0.1, and the real git client against its
/content.git with a HOME of its own. Small size limits, so that tests reach them cheaply."""

from __future__ import annotations

import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from flask import Flask
from werkzeug.serving import make_server

from wiki.store import Store

from .app import PASSWORD, make_app

MAX_PAGE_BYTES = 4000
MAX_PUSH_BYTES = 60_000
MAX_ATTACHMENT_BYTES = 5000
TIMEOUT = 60


@dataclass
class Wiki:
    """A wiki served over HTTP on 127.0.0.1, and a git client with its own HOME."""

    app: Flask
    base: str
    home: Path
    tmp: Path

    @property
    def store(self) -> Store:
        return self.app.extensions["wiki_store"]

    def url(self, user: str | None = None, password: str = PASSWORD) -> str:
        host = self.base.removeprefix("http://")
        if user is None:
            return f"http://{host}/content.git"
        return f"http://{quote(user, safe='')}:{quote(password, safe='')}@{host}/content.git"

    def git(self, *args: str, cwd: Path | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            "PATH": os.environ["PATH"], "HOME": str(self.home), "GIT_TERMINAL_PROMPT": "0",
            "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C", "GIT_ASKPASS": "", "SSH_ASKPASS": "",
            "GIT_AUTHOR_NAME": "Maintainer", "GIT_AUTHOR_EMAIL": "maintainer@example.org",
            "GIT_COMMITTER_NAME": "Maintainer", "GIT_COMMITTER_EMAIL": "maintainer@example.org",
        }
        result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                                timeout=TIMEOUT)
        if check:
            assert result.returncode == 0, f"git {' '.join(args)} failed:\n{result.stderr}"
        return result

    def clone(self, user: str | None = None) -> Path:
        target = self.tmp / f"clone-{len(list(self.tmp.glob('clone-*')))}"
        self.git("clone", "-q", self.url(user), str(target))
        return target

    def commit(self, clone: Path, files: dict[str, bytes], message: str) -> str:
        for name, data in files.items():
            path = clone / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
            self.git("add", "--", name, cwd=clone)
        self.git("commit", "-q", "-m", message, cwd=clone)
        return self.git("rev-parse", "HEAD", cwd=clone).stdout.strip()

    def push(self, clone: Path, *refspecs: str, user: str | None = "admin", password: str = PASSWORD,
             force: bool = False) -> subprocess.CompletedProcess[str]:
        return self.git("push", *(["--force"] if force else []), self.url(user, password),
                        *(refspecs or ("HEAD:refs/heads/main",)), cwd=clone, check=False)


def serve(tmp_path: Path, **config: object) -> Iterator[Wiki]:
    app = make_app(tmp_path / "instance", MAX_PAGE_BYTES=MAX_PAGE_BYTES, MAX_PUSH_BYTES=MAX_PUSH_BYTES,
                   MAX_ATTACHMENT_BYTES=MAX_ATTACHMENT_BYTES, **config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    home = tmp_path / "home"
    home.mkdir()
    try:
        yield Wiki(app=app, base=f"http://127.0.0.1:{server.server_port}", home=home, tmp=tmp_path)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["wiki_store"].close()
