"""Accounts, login sessions and login limits on PostgreSQL as on SQLite (issue 18, part 1).

A throwaway PostgreSQL 15 from Debian's packages (`make test` installs them) runs for the test
session in a temporary data directory, on a Unix socket only; each test gets its own database.
The tests marked with the ``backend`` fixture run once on SQLite and once on PostgreSQL.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from wiki.database import DatabaseUnavailable, redact
from wiki.database.schema import MIGRATIONS
from wiki.users import ADDRESS_FAILURE_LIMIT, LOGIN_FAILURE_LIMIT, UserError, UserStore

from .conftest import PASSWORD, USERS, Auth, csrf_token
from .support.postgres import app_on

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def backend_app(backend: str, tmp_path: Path) -> Iterator[Flask]:
    app = app_on(backend, tmp_path / "instance")
    yield app
    app.extensions["wiki_store"].close()


def execute(app: Flask, sql: str, *params: object) -> None:
    """Change the account tables behind the wiki's back (the same SQL on both engines)."""
    with app.extensions["wiki_users"].database.connect() as db:
        db.execute(sql, params)


def login(client, username: str, password: str, address: str = "192.0.2.1") -> int:  # noqa: ANN001
    client.environ_base["REMOTE_ADDR"] = address
    return client.post("/-/login", data={"username": username, "password": password,
                                         "csrf_token": csrf_token(client)}).status_code


# --------------------------------------------------------------------------- on both engines


def test_the_backend_is_the_one_asked_for(backend_app: Flask, backend: str) -> None:
    users = backend_app.extensions["wiki_users"]
    assert users.kind == ("postgresql" if backend.startswith("postgresql://") else "sqlite")
    assert users.schema_version() == MIGRATIONS[-1].version
    assert users.create_schema() == (MIGRATIONS[-1].version, MIGRATIONS[-1].version)  # idempotent


def test_create_and_authenticate_users(backend_app: Flask) -> None:
    users = backend_app.extensions["wiki_users"]
    assert users.count() == len(USERS)
    assert [user.username for user in users.all()] == sorted(USERS, key=str.lower)
    user = users.authenticate("Editor", PASSWORD)  # a user name in any case
    assert user and user.username == "editor" and user.role == "editor" and user.group == "civil-society"
    assert users.authenticate("editor", "wrong password") is None and users.authenticate("nobody", PASSWORD) is None
    created = users.create("Maria", "a good password", group="governments", role="reviewer", display_name="María")
    assert created.id not in {other.id for other in users.all() if other.username != "Maria"}
    assert users.get(created.id).display_name == "María"
    with pytest.raises(UserError, match="already exists"):
        users.create("maria", "another password", group="governments")  # unique regardless of case
    users.delete("MARIA")
    assert users.by_username("maria") is None and users.count() == len(USERS)
    with pytest.raises(UserError, match="There is no user"):
        users.set_role("maria", "admin")


def test_set_role_group_and_password_end_other_sessions(backend_app: Flask) -> None:
    users = backend_app.extensions["wiki_users"]
    client = backend_app.test_client()
    assert login(client, "editor", PASSWORD) == 302
    assert client.get("/-/account").status_code == 200
    assert users.set_role("editor", "reviewer").role == "reviewer"
    assert users.set_group("editor", "governments").group == "governments"
    assert client.get("/-/account").status_code == 200  # a new role or group keeps the session
    before = users.by_username("editor").session_version
    users.set_password("editor", "brand new password")
    assert users.by_username("editor").session_version == before + 1
    assert client.get("/-/account").status_code == 302  # the old password's session has ended
    assert login(client, "editor", "brand new password") == 302


def test_logout_ends_the_session_server_side(backend_app: Flask) -> None:
    owner = backend_app.test_client()
    Auth(owner).login("editor")
    thief = backend_app.test_client()
    thief.set_cookie("session", owner.get_cookie("session").value)
    assert thief.get("/-/account").status_code == 200
    Auth(owner).logout()
    assert thief.get("/-/account").status_code == 302
    Auth(owner).login("editor")
    execute(backend_app, "UPDATE logins SET created_at = created_at - ?", 31 * 24 * 3600)
    assert owner.get("/-/account").status_code == 302  # a login ends after thirty days


def test_failed_logins_are_throttled_per_account(backend_app: Flask) -> None:
    client = backend_app.test_client()
    for number in range(LOGIN_FAILURE_LIMIT):
        assert login(client, "editor", f"guess {number}") == 401
    assert login(client, "Editor", PASSWORD) == 429  # refused even with the right password
    assert login(backend_app.test_client(), "editor", PASSWORD, address="203.0.113.5") == 429  # from anywhere
    assert login(client, "editor2", PASSWORD) == 302  # other accounts are not affected
    execute(backend_app, "UPDATE failed_logins SET at = at - ?", 16 * 60)
    assert login(backend_app.test_client(), "editor", PASSWORD) == 302  # the window has passed


def test_failed_logins_are_throttled_per_address(backend_app: Flask) -> None:
    attacker, victim = backend_app.test_client(), backend_app.test_client()
    for number in range(2 * ADDRESS_FAILURE_LIMIT):
        assert login(attacker, f"made-up-{number}", "wrong", address="198.51.100.7") == 401
    assert login(victim, "editor2", PASSWORD, address="198.51.100.7") == 302  # no failures of its own
    assert login(victim, "editor", "a typo in it", address="203.0.113.5") == 401
    assert login(attacker, "editor", PASSWORD, address="198.51.100.7") == 429  # now it has one
    assert login(victim, "editor", PASSWORD, address="203.0.113.5") == 302  # its owner, elsewhere


def test_the_language_setting(backend_app: Flask) -> None:
    client = backend_app.test_client()
    Auth(client).login("editor")
    response = client.post("/-/account", data={"csrf_token": csrf_token(client, "/-/account"), "language": "ar"})
    assert response.status_code == 302
    assert backend_app.extensions["wiki_users"].by_username("editor").language == "ar"
    assert 'lang="ar" dir="rtl"' in client.get("/").get_data(as_text=True)
    with pytest.raises(UserError, match="Unknown language"):
        backend_app.extensions["wiki_users"].set_language("editor", "xx")


def test_backup_and_restore_between_engines(backend_app: Flask, tmp_path: Path) -> None:
    users = backend_app.extensions["wiki_users"]
    users.set_language("editor", "fr")
    users.backup_to(tmp_path / "backup.sqlite3")
    copy = UserStore(tmp_path / "restored.sqlite3", users.groups, hash_method=users.hash_method)
    copy.restore_from(tmp_path / "backup.sqlite3")
    assert copy.check() == [] and copy.count() == len(USERS)
    assert copy.authenticate("editor", PASSWORD).language == "fr"
    users.delete("editor")
    users.restore_from(tmp_path / "backup.sqlite3")  # back into the same engine
    assert users.authenticate("editor", PASSWORD).language == "fr"
    assert users.create("later", PASSWORD, group="governments").id > max(user.id for user in copy.all())


# --------------------------------------------------------------------------- PostgreSQL only


def test_postgres_schema_and_concurrent_migrations(postgres_url: str) -> None:
    """Several workers starting together: one migrates, the others wait and find it done."""
    from concurrent.futures import ThreadPoolExecutor

    stores = [UserStore(postgres_url, {"g": "G"}) for _ in range(4)]
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda store: store.create_schema(), stores))
    latest = MIGRATIONS[-1].version
    assert sorted(results) == [(0, latest)] + [(latest, latest)] * 3
    import psycopg

    with psycopg.connect(postgres_url) as db:
        types = dict(db.execute("SELECT column_name, data_type FROM information_schema.columns"
                                " WHERE table_name = 'failed_logins'").fetchall())
        versions = [row[0] for row in db.execute("SELECT version FROM schema_version ORDER BY version")]
    assert types["at"] == "double precision" and versions == [m.version for m in MIGRATIONS]


def test_unreachable_database_fails_with_one_line(tmp_path: Path) -> None:
    url = f"postgresql://wiki:s3cret@/wiki?host={tmp_path}/no-server"
    with pytest.raises(DatabaseUnavailable) as caught:
        UserStore(url, {"g": "G"}).create_schema()
    message = caught.value.message
    assert message.startswith(f"Cannot connect to the database at postgresql://wiki:***@/wiki?host={tmp_path}")
    assert "\n" not in message and "s3cret" not in message
    assert redact("postgresql://u:pw@db.example:5432/wiki?password=pw&sslmode=require") == \
        "postgresql://u:***@db.example:5432/wiki?password=***&sslmode=require"
    with pytest.raises(DatabaseUnavailable, match="only postgresql://"):
        UserStore("mysql://u@host/db", {"g": "G"})


def test_a_missing_sqlite_accounts_file_is_an_error_not_a_new_empty_database(tmp_path: Path) -> None:
    """Only the migrations make the accounts file: a lost one is reported, by name, wherever it is
    read or backed up, instead of an empty database taking its place."""
    path = tmp_path / "accounts.sqlite3"
    users = UserStore(path, {"g": "G"})
    for use in (users.count, lambda: users.backup_to(tmp_path / "copy.sqlite3"), users.schema_version,
                lambda: users.database.reader().__enter__()):
        with pytest.raises(DatabaseUnavailable, match="does not exist") as caught:
            use()
        assert str(path) in caught.value.message and "\n" not in caught.value.message
    assert not path.exists() and not (tmp_path / "copy.sqlite3").exists()
    assert users.create_schema() == (0, MIGRATIONS[-1].version)
    assert users.count() == 0


def test_init_command_reports_an_unreachable_database(tmp_path: Path) -> None:
    """`flask --app wiki init` against a database that cannot be reached: one line, exit 1."""
    app = app_on(str(tmp_path / "accounts.sqlite3"), tmp_path / "instance")
    app.extensions["wiki_users"] = UserStore(f"postgresql://wiki:s3cret@/wiki?host={tmp_path}/none",
                                             app.config["GROUPS"])
    result = app.test_cli_runner().invoke(args=["init"])
    lines = [line for line in result.output.splitlines() if line.startswith("Error")]
    assert result.exit_code == 1 and "Traceback" not in result.output and "s3cret" not in result.output
    assert lines == [f"Error: Cannot connect to the database at postgresql://wiki:***@/wiki?host={tmp_path}/none: "
                     + lines[0].split(f"{tmp_path}/none: ", 1)[1]], result.output


def test_flask_command_without_a_server_prints_one_line(tmp_path: Path) -> None:
    """A `flask` command whose database cannot be reached prints one line and exits 1."""
    url = f"postgresql://wiki:s3cret@/wiki?host={tmp_path}/none"
    program = ("import sys; from wiki.users import UserStore; from flask.cli import FlaskGroup; import click\n"
               "@click.command()\ndef start():\n    UserStore(sys.argv[1], {'g': 'G'}).create_schema()\n"
               "start(sys.argv[2:])")
    done = subprocess.run([sys.executable, "-c", program, url], capture_output=True, text=True, cwd=ROOT,
                          timeout=60)
    assert done.returncode == 1 and done.stdout == "", done
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("Error: Cannot connect to the database at "
                                                                   "postgresql://wiki:***@/wiki"), done.stderr


# --------------------------------------------------------------------------- migrations


OLD_SCHEMA = """
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    email TEXT NOT NULL DEFAULT '',
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL,
    group_slug TEXT NOT NULL,
    session_version INTEGER NOT NULL DEFAULT 1,
    created_at INTEGER NOT NULL
);
CREATE TABLE login_failures (username TEXT, at REAL);
"""


def test_an_old_sqlite_database_upgrades_in_place(tmp_path: Path) -> None:
    """A database of an earlier release (no schema_version, no language, an old table) is adopted
    as version 1 and migrated; its accounts and password hashes stay."""
    path = tmp_path / "users.sqlite3"
    fresh = UserStore(tmp_path / "scratch.sqlite3", {"governments": "Governments"},
                      hash_method="pbkdf2:sha256:1000")
    fresh.create_schema()
    hashed = fresh.create("amina", PASSWORD, group="governments")
    with sqlite3.connect(fresh.path) as db:
        password_hash = db.execute("SELECT password_hash FROM users").fetchone()[0]
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO users (username, display_name, password_hash, role, group_slug, created_at)"
                   " VALUES ('amina', 'Amina', ?, 'admin', 'governments', ?)", (password_hash, int(time.time())))
    users = UserStore(path, {"governments": "Governments"})
    assert users.schema_version() == 0
    assert users.create_schema() == (1, MIGRATIONS[-1].version)
    user = users.authenticate("AMINA", PASSWORD)
    assert user and user.id == hashed.id and user.role == "admin" and user.language == ""
    with sqlite3.connect(path) as db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        indexes = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        versions = db.execute("SELECT version FROM schema_version ORDER BY version").fetchall()
    assert {"users", "logins", "failed_logins", "schema_version"} <= tables and "login_failures" not in tables
    assert "users_username_folded" in indexes and versions == [(m.version,) for m in MIGRATIONS]
    last = MIGRATIONS[-1].version
    assert users.check() == [] and users.create_schema() == (last, last)


def test_todays_sqlite_database_is_marked_version_1(tmp_path: Path) -> None:
    """A database made by the code before migrations (today's tables) upgrades without a change of data."""
    path = tmp_path / "users.sqlite3"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA.replace("created_at INTEGER NOT NULL", "created_at INTEGER NOT NULL,"
                                            " language TEXT NOT NULL DEFAULT ''").replace(
            "CREATE TABLE login_failures (username TEXT, at REAL);",
            "CREATE TABLE failed_logins (account TEXT, address TEXT, at REAL NOT NULL);"
            "CREATE TABLE logins (user_id INTEGER NOT NULL, token TEXT NOT NULL, created_at INTEGER NOT NULL,"
            " PRIMARY KEY (user_id, token));"))
        db.execute("INSERT INTO logins VALUES (1, 'token', ?)", (int(time.time()),))
    users = UserStore(path, {"governments": "Governments"})
    assert users.create_schema() == (1, MIGRATIONS[-1].version)
    assert users.login_open(1, "token")


def test_init_applies_the_migrations(tmp_path: Path) -> None:
    app = app_on(str(tmp_path / "accounts.sqlite3"), tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["init"])
    assert result.exit_code == 0 and f"(schema version {MIGRATIONS[-1].version})" in result.output, result.output


def test_an_unreachable_database_url_fails_flask_init_with_one_line(tmp_path: Path) -> None:
    import subprocess
    import sys

    env = {**os.environ, "WIKI_INSTANCE_PATH": str(tmp_path / "instance"),
           "WIKI_DATABASE_URL": f"postgresql://wiki:s3cret@/wiki?host={tmp_path}/nowhere"}
    result = subprocess.run([str(Path(sys.executable).parent / "flask"), "--app", "wiki", "init"], env=env,
                            capture_output=True, text=True, timeout=60, cwd=Path(__file__).parent.parent)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "s3cret" not in result.stderr + result.stdout
    assert "Cannot connect to the database at postgresql://wiki:***@" in result.stderr + result.stdout


@pytest.mark.parametrize("public", [True, False], ids=["public", "private"])
@pytest.mark.parametrize("role", ["anonymous", "reader", "editor", "reviewer", "admin"])
def test_the_access_matrix_holds_with_accounts_in_postgres(tmp_path: Path, postgres_url: str, role: str,
                                                           public: bool) -> None:
    from .conftest import make_app
    from .support.matrix import check_matrix

    check_matrix(make_app(tmp_path / "i", PUBLIC_READ=public, DATABASE_URL=postgres_url), role, public)
