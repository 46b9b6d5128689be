"""A throwaway PostgreSQL 15 from Debian's packages (`make test` installs them) for the test session,
in a temporary data directory on a Unix socket only; each test that asks gets its own database.
``backend`` runs a test once on SQLite and once on PostgreSQL."""

from __future__ import annotations

import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from wiki import create_app

from .app import PASSWORD, USERS

PG_BIN = Path(os.environ.get("WIKI_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
_numbers = itertools.count()


def _as_postgres(*command: str) -> list[str]:
    """initdb refuses to run as root: run the server's commands as the `postgres` account then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@pytest.fixture(scope="session")
def postgres_socket() -> Iterator[str]:
    """A PostgreSQL server for this test session; yields the directory of its Unix socket."""
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL binaries missing ({PG_BIN}/initdb): install Debian's postgresql (`make test` does)")
    base = Path(tempfile.mkdtemp(prefix="wiki-pg-"))
    data, socket_dir = base / "data", base / "socket"
    socket_dir.mkdir()
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        for path in (base, socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    subprocess.run(_as_postgres(str(PG_BIN / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                                "-E", "UTF8", "--no-sync"), check=True, capture_output=True)
    subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w",
                                "-o", f"-k {socket_dir} -c listen_addresses='' -c fsync=off", "start"),
                   check=True, capture_output=True)
    try:
        yield str(socket_dir)
    finally:
        subprocess.run(_as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"),
                       capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_socket: str) -> str:
    """A new, empty database on the session's server."""
    import psycopg

    name = f"wiki_test_{os.getpid()}_{next(_numbers)}"
    with psycopg.connect(f"postgresql://postgres@/postgres?host={postgres_socket}", autocommit=True) as db:
        db.execute(f"CREATE DATABASE {name}")
    return f"postgresql://postgres@/{name}?host={postgres_socket}"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where the accounts live: an SQLite file, or a PostgreSQL database."""
    if request.param == "sqlite":
        return str(tmp_path / "accounts.sqlite3")
    return request.getfixturevalue("postgres_url")


def app_on(database: str, instance: Path, **config: object) -> Flask:
    """The test app (as conftest.make_app) with its accounts in ``database`` (a path or a URL)."""
    settings: dict[str, object] = {"TESTING": True, "SECRET_KEY": "test-secret",
                                   "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", **config}
    if "://" in database:
        settings["DATABASE_URL"] = database  # the setting itself, as a deployment gives it
    else:
        settings["USER_DATABASE"] = database
    app = create_app(settings, instance_path=str(instance))
    users = app.extensions["wiki_users"]
    assert users.path == database or "://" not in database
    for name, (role, group, display) in USERS.items():
        users.create(name, PASSWORD, group=group, role=role, display_name=display, email=f"{name}@example.org")
    return app
