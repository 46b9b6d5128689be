"""Schemathesis against the served OpenAPI document (issue 16): a real gunicorn on 127.0.0.1, every
operation fuzzed with valid and invalid data by a write token of an admin, and every check on
(no 5xx, each status, content type, header and body as documented, invalid data refused, valid
data accepted, auth enforced, …). Bounded: ``--max-time`` 90 s.

The gunicorn access log of the run is read afterwards: the token never appears in it. The seed is
fixed (16) so a run is reproducible; ``API_FUZZ_SEED=7`` explores other inputs.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from wiki import create_app
from wiki.actions import calls
from wiki.actions.context import Actor

from .support.servers import BIN, gunicorn

MAX_TIME = 90  # seconds of fuzzing
CONFIG = Path(__file__).with_name("schemathesis.toml")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[int, str, Path]]:
    """A wiki under gunicorn (2 workers, access log on); yields its port, an admin's write token
    and the access log."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'schemathesis-secret'\n"
                                        "PASSWORD_HASH_METHOD = 'pbkdf2:sha256:1000'\n", encoding="utf-8")
    app = create_app(instance_path=str(instance))
    admin = app.extensions["wiki_users"].create("fuzzer", "fuzzer password", group="governments", role="admin")
    secret = app.extensions["wiki_tokens"].create(admin, "schemathesis", "write", int(time.time()) + 3600)[1]
    with app.test_request_context():  # the call the document's examples name, so answers to it get through
        calls.create(Actor(username="fuzzer", group="governments", role="admin"), title="Questionnaire",
                     description="", deadline=int(time.time()) + 86400, questions=[
                         {"text": "What should the mapping cover?"},
                         {"text": "Your category", "kind": "choice", "options": ["Government", "Civil society"]}])
    app.extensions["wiki_store"].close()
    access_log = tmp_path / "access.log"
    options = ("--timeout", "60", "--limit-request-line", "8190", "--access-logfile", str(access_log))
    with gunicorn(instance, log=tmp_path / "gunicorn.log", ready="/-/api/v1/openapi.json", args=options) as served:
        yield served.port, secret, access_log


def test_schemathesis_finds_nothing(served: tuple[int, str, Path], tmp_path: Path) -> None:
    port, secret, access_log = served
    command = [str(BIN / "schemathesis"), "--config-file", str(CONFIG), "run",
               # every check runs by default; "--checks all" on the command line would also override the
               # per-operation exception in schemathesis.toml (CLI options come first), as it did in one run
               f"http://127.0.0.1:{port}/-/api/v1/openapi.json",
               "-H", f"Authorization: Bearer {secret}", "--max-time", str(MAX_TIME), "--workers", "1",
               "--suppress-health-check", "filter_too_much",  # generation noise, not an API failure
               "--seed", os.environ.get("API_FUZZ_SEED", "16"),
               "--report", "junit", "--report-dir", str(tmp_path / "report")]
    result = subprocess.run(command, capture_output=True, text=True, timeout=MAX_TIME + 120, cwd=tmp_path,
                            env={**os.environ, "SCHEMATHESIS_HOOKS": "", "NO_COLOR": "1"})
    shutil.rmtree(tmp_path / ".hypothesis", ignore_errors=True)
    assert result.returncode == 0, result.stdout[-12000:] + result.stderr[-3000:]
    log = access_log.read_text(encoding="utf-8")
    assert "/-/api/v1/pages" in log and secret not in log and secret[len("lwt_"):] not in log
