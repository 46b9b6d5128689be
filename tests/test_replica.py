"""Read replicas (issue 18): a primary and a replica under gunicorn on 127.0.0.1 sharing one
PostgreSQL; an edit on the primary reaches the replica within 2 s, writes on the replica go to the
primary, and with the primary stopped the replica still serves reads and says editing is unavailable."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from wiki import create_app

from .conftest import CSRF_RE, PASSWORD
from .support.browser import Browser
from .support.servers import BIN, ROOT, free_port, gunicorn

FLASK = str(BIN / "flask")


def _config(instance: Path, database: str, extra: str = "") -> dict[str, str]:
    instance.mkdir(parents=True, exist_ok=True)
    (instance / "config.py").write_text(
        f"SECRET_KEY = 'shared-secret'\nPASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\nDATABASE_URL = {database!r}\n"
        f"{extra}", encoding="utf-8")
    return {**os.environ, "WIKI_INSTANCE_PATH": str(instance)}


@pytest.fixture
def servers(tmp_path: Path, postgres_url: str):  # noqa: ANN201
    primary_port, replica_port = free_port(), free_port()
    primary_env = _config(tmp_path / "primary", postgres_url, f"REPLICAS = ['http://127.0.0.1:{replica_port}']\n"
                          "REPLICA_NOTIFY_SECRET = 'notify-secret'\n")
    app = create_app(instance_path=str(tmp_path / "primary"))
    app.extensions["wiki_users"].create("writer", PASSWORD, group="civil-society", role="editor",
                                        display_name="Wendy Writer")
    app.extensions["wiki_store"].close()
    with gunicorn(tmp_path / "primary", port=primary_port, log=tmp_path / "primary.log", env=primary_env) as primary:
        replica_env = _config(tmp_path / "replica", postgres_url,
                              "REPLICA_FETCH_SECONDS = 0.5\nREPLICA_NOTIFY_SECRET = 'notify-secret'\n")
        made = subprocess.run([FLASK, "--app", "wiki", "replica", "--primary", f"http://127.0.0.1:{primary_port}"],
                              env=replica_env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert made.returncode == 0, made.stderr
        assert "PRIMARY_URL" in (tmp_path / "replica" / "config.py").read_text()
        with gunicorn(tmp_path / "replica", port=replica_port, log=tmp_path / "replica.log", env=replica_env):
            yield primary_port, replica_port, primary.process


def test_a_replica_follows_its_primary_and_sends_writes_there(servers) -> None:  # noqa: ANN001
    primary_port, replica_port, primary = servers
    assert "Enhanced Cooperation" in Browser(replica_port).request("GET", "/")[2]
    writer = Browser(primary_port)
    writer.login("writer")
    html = writer.request("GET", "/Mandate/-/edit")[2]
    base = html.split('name="base" value="', 1)[1].split('"', 1)[0]
    form = {"csrf_token": CSRF_RE.search(html).group(1), "base": base, "summary": "on the primary",
            "text": "# Mandate\n\nReplicated.\n"}
    saved = writer.request("POST", "/Mandate/-/edit", form)
    assert saved[0] == 302
    started = time.monotonic()
    while "Replicated." not in Browser(replica_port).request("GET", "/Mandate")[2]:
        assert time.monotonic() - started < 2, "the edit did not reach the replica within 2 s"
        time.sleep(0.05)
    # One login for both servers (the shared PostgreSQL and SECRET_KEY); writes go to the primary.
    reader = Browser(replica_port)
    reader.login("writer")
    status, headers, body = reader.request("GET", "/Mandate/-/edit")
    assert status == 307 and headers["Location"] == f"http://127.0.0.1:{primary_port}/Mandate/-/edit"
    assert reader.request("GET", "/Mandate")[0] == 200 and "Wendy Writer" in reader.request("GET", "/")[2]
    posted = reader.request("POST", "/Mandate/-/edit", {"text": "x", "base": base})
    assert posted[0] == 307 and posted[1]["Location"].startswith(f"http://127.0.0.1:{primary_port}/")
    # The primary stops: reads go on, writers are told.
    primary.terminate()
    primary.wait(timeout=30)
    time.sleep(3.1)  # the replica's last "primary reachable" answer expires
    assert "Replicated." in Browser(replica_port).request("GET", "/Mandate")[2]
    status, _, body = reader.request("GET", "/Mandate/-/edit")
    assert status == 503 and "Editing is unavailable" in body
