"""A server whose workers cannot start stops with one line (issue 25, item 4).

With PostgreSQL down at start, gunicorn's master used to stay up while workers crash-looped (3,311
boots in 20 minutes) and the port accepted connections that were never answered. A worker that
cannot reach the accounts database now exits with gunicorn's WORKER_BOOT_ERROR, which stops the
master: the service manager sees the failure and the log says why, once.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")


def closed_postgres_socket(folder: Path) -> None:
    """A PostgreSQL socket file nobody listens on (a server that died): connecting is refused."""
    folder.mkdir()
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(folder / ".s.PGSQL.5432"))
    listener.close()


def test_gunicorn_stops_with_one_line_when_the_database_is_unreachable(tmp_path: Path) -> None:
    closed_postgres_socket(tmp_path / "pg")
    env = {**os.environ, "WIKI_INSTANCE_PATH": str(tmp_path / "instance"),
           "WIKI_DATABASE_URL": f"postgresql://wiki:s3cret@/wiki?host={tmp_path / 'pg'}"}
    started = time.monotonic()
    done = subprocess.run([GUNICORN, "--workers", "2", "--bind", "127.0.0.1:0", "--no-control-socket",
                           "wsgi:app"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode == 3, output  # gunicorn's "Worker failed to boot", not a loop
    assert took < 20, f"gunicorn stopped only after {took:.1f} s"
    assert output.count("Booting worker") <= 4, output  # no loop of new workers
    named = [line for line in output.splitlines() if "DATABASE_URL" in line]
    assert len(named) == 1, output  # said by the first worker that failed; the others exit quietly
    assert named[0].startswith("Living Wiki cannot start: Cannot connect to the database at "
                               f"postgresql://wiki:***@/wiki?host={tmp_path / 'pg'}")
    assert "Traceback" not in output and "s3cret" not in output
