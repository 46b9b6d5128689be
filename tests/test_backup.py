"""`flask backup`, `flask restore` and `flask check`: a round trip, refusals and detected damage."""

from __future__ import annotations

import io
import json
import os
import sqlite3
import stat
import subprocess
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki import create_app
from wiki.users import UserStore

from .conftest import PASSWORD, Auth, git, save


def fresh_app(instance: Path) -> Flask:
    """A new instance as `flask restore` finds it: seeded repository, no users."""
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                      instance_path=str(instance))


def test_backup_and_restore_round_trip(app: Flask, client: FlaskClient, tmp_path: Path) -> None:
    Auth(client).login("editor")
    save(client, "Mapping/Backed_up", "kept across the restore\n", summary="before backup")
    repo = app.config["CONTENT_REPO"]
    git(repo, "tag", "-a", "-m", "Session one", "session-1", "main")
    git(repo, "notes", "add", "-m", "reviewed by the bureau", "main")
    git(repo, "update-ref", "refs/heads/draft", "main~1")
    archive = tmp_path / "wiki-backup.tar.gz"

    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["content.bundle", "manifest.json", "users.sqlite3"]
    save(client, "After_backup", "not in the backup\n")  # the backup is a snapshot

    restored = fresh_app(tmp_path / "restored")
    result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    new_repo = restored.config["CONTENT_REPO"]
    refs = git(new_repo, "for-each-ref", "--format=%(refname) %(objectname)")
    old_refs = git(repo, "for-each-ref", "--format=%(refname) %(objectname)")
    assert {"refs/heads/draft", "refs/heads/main", "refs/tags/session-1", "refs/notes/commits"} <= {
        line.split()[0] for line in refs.splitlines()}
    assert git(new_repo, "show", "main:Mapping/Backed_up.md") == "kept across the restore\n"
    assert git(new_repo, "notes", "show", "main").strip() == "reviewed by the bureau"
    assert git(repo, "rev-parse", "main~1") == git(new_repo, "rev-parse", "main")
    assert refs != old_refs  # the page saved after the backup is not there
    user = restored.extensions["wiki_users"].authenticate("editor", PASSWORD)
    assert user is not None and user.group == "civil-society"
    restored_client = restored.test_client()
    Auth(restored_client).login("editor")
    assert save(restored_client, "Home", "editing goes on after a restore\n").status_code == 302
    check = restored.test_cli_runner().invoke(args=["check"])
    assert check.exit_code == 0 and check.output.startswith("OK"), check.output


@pytest.mark.parametrize(("name", "misread"), [
    ("accounts?v=2.sqlite3", "accounts"),        # "?" would start SQLite's query string
    ("accounts#2.sqlite3", "accounts"),          # "#" its fragment
    ("accounts%41.sqlite3", "accountsA.sqlite3"),  # "%41" would be read as "A"
    ("old accounts?.sqlite3", "old accounts"),
])
def test_accounts_restore_from_a_path_with_uri_characters(app: Flask, tmp_path: Path, name: str,
                                                           misread: str) -> None:
    users = app.extensions["wiki_users"]
    backup = tmp_path / name
    users.backup_to(backup)
    assert UserStore(backup, users.groups).check() == []
    assert not (tmp_path / misread).exists()  # the check read the backup, not a file it made
    decoy = UserStore(tmp_path / misread, users.groups)  # what a misread file name would open
    decoy.create_schema()
    decoy.create("stranger", PASSWORD, group="governments")
    users.delete("editor")

    users.restore_from(backup)
    assert users.authenticate("editor", PASSWORD) is not None
    assert users.by_username("stranger") is None


def test_restore_refuses_an_instance_in_use(app: Flask, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    head = app.extensions["wiki_store"].head()
    result = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 1 and "not empty" in result.output
    assert app.extensions["wiki_store"].head() == head and app.extensions["wiki_users"].count() == 5


@pytest.mark.parametrize("content", [b"not a tar archive at all", None])
def test_restore_refuses_what_is_not_a_backup(tmp_path: Path, content: bytes | None) -> None:
    archive = tmp_path / "junk.tar"
    if content is None:  # a tar archive with a hostile path and no manifest
        (tmp_path / "evil").write_text("x")
        with tarfile.open(archive, "w") as tar:
            tar.add(tmp_path / "evil", arcname="../../evil")
    else:
        archive.write_bytes(content)
    app = fresh_app(tmp_path / "new")
    head = app.extensions["wiki_store"].head()
    result = app.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 1 and "backup" in result.output
    assert app.extensions["wiki_store"].head() == head
    assert not (tmp_path.parent / "evil").exists()


def test_check_passes_on_a_healthy_instance(app: Flask, runner) -> None:  # noqa: ANN001
    _commit_with_file(app.config["CONTENT_REPO"], "Home.files/notes.txt", b"plain text notes\n")  # an attachment
    result = runner.invoke(args=["check"])
    assert result.exit_code == 0 and "OK" in result.output, result.output


def _commit_with_file(repo: str, path: str, data: bytes, mode: str = "100644") -> None:
    """Put a file the wiki would never write at the tip of main (as a push from a clone could)."""
    blob = subprocess.run(["git", f"--git-dir={repo}", "hash-object", "-w", "--stdin"], input=data,
                          capture_output=True, check=True).stdout.decode().strip()
    env_index = Path(repo) / "check-index"
    env = {"GIT_INDEX_FILE": str(env_index)}
    env = {**os.environ, **env}
    run = lambda *args: subprocess.run(["git", f"--git-dir={repo}", *args], env=env, capture_output=True,  # noqa: E731
                                       check=True, text=True).stdout.strip()
    run("read-tree", "main")
    run("update-index", "--add", "--cacheinfo", f"{mode},{blob},{path}")
    tree = run("write-tree")
    commit = run("commit-tree", tree, "-p", "main", "-m", "pushed by hand")
    run("update-ref", "refs/heads/main", commit)
    env_index.unlink()


@pytest.mark.parametrize(("path", "data", "mode", "message"), [
    ("notes.txt", b"x\n", "100644", "not a valid page file name"),
    (".hidden/x.md", b"x\n", "100644", "not a valid page file name"),
    ("Binary.md", b"\x00\x01\x02", "100644", "NUL"),
    ("Latin1.md", b"caf\xe9\n", "100644", "UTF-8"),
    ("Link.md", b"/etc/passwd", "120000", "mode 120000"),
    ("Tool.md", b"#!/bin/sh\n", "100755", "mode 100755"),
    ("Home.files/evil.exe", b"MZ\x90\x00", "100644", "not a valid attachment"),
    ("Home.files/photo.png", b"not a png at all", "100644", "not a valid attachment"),
])
def test_check_finds_files_that_are_not_pages(app: Flask, runner, path: str, data: bytes, mode: str,  # noqa: ANN001
                                              message: str) -> None:
    _commit_with_file(app.config["CONTENT_REPO"], path, data, mode)
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and path in result.output and message in result.output, result.output


def test_check_finds_a_corrupt_object(app: Flask, runner) -> None:  # noqa: ANN001
    repo = Path(app.config["CONTENT_REPO"])
    head = app.extensions["wiki_store"].head()
    obj = repo / "objects" / head[:2] / head[2:]
    obj.chmod(0o644)
    obj.write_bytes(b"garbage")
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "fsck" in result.output


def test_check_finds_a_damaged_user_database(app: Flask, runner) -> None:  # noqa: ANN001
    path = Path(app.config["USER_DATABASE"])
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = bytearray(path.read_bytes())
    data[:16] = b"NOT SQLITE AT AL"
    path.write_bytes(bytes(data))
    result = runner.invoke(args=["check"])
    assert result.exit_code == 1 and "users:" in result.output, result.output


# --------------------------------------------------------------------------- verified, private, complete


def test_backup_is_private_verified_and_carries_config(tmp_path: Path) -> None:
    """config.py (SECRET_KEY, GROUPS) is in the archive; the archive, the accounts database and
    the restored settings are readable by their owner only; restore says what it restored."""
    instance = tmp_path / "instance"
    instance.mkdir()
    (instance / "config.py").write_text("SECRET_KEY = 'kept-across'\nSITE_NAME = 'Restored wiki'\n")
    app = create_app({"TESTING": True, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, instance_path=str(instance))
    app.extensions["wiki_users"].create("ann", PASSWORD, group="governments", role="admin")
    assert stat.S_IMODE(Path(app.config["USER_DATABASE"]).stat().st_mode) == 0o600
    archive = tmp_path / "backup.tar.gz"
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "1 users and config.py backed up to" in result.output
    assert stat.S_IMODE(archive.stat().st_mode) == 0o600
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["config.py", "content.bundle", "manifest.json", "users.sqlite3"]
        assert {member.mode for member in tar.getmembers()} == {0o600}
    assert [path.name for path in tmp_path.iterdir() if "partial" in path.name] == []

    checked = app.test_cli_runner().invoke(args=["backup", "--check", str(archive)])
    assert checked.exit_code == 0 and "verified" in checked.output, checked.output

    restored = fresh_app(tmp_path / "restored")
    (tmp_path / "restored" / "config.py").unlink(missing_ok=True)
    result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    config = tmp_path / "restored" / "config.py"
    assert "SECRET_KEY = 'kept-across'" in config.read_text() and stat.S_IMODE(config.stat().st_mode) == 0o600
    assert f"Restored the settings into {config}" in result.output
    assert "Restored 1 users" in result.output and "main at " in result.output
    assert "1 branches, 0 tags" in result.output
    assert stat.S_IMODE(Path(restored.config["USER_DATABASE"]).stat().st_mode) == 0o600
    again = create_app({"TESTING": True}, instance_path=str(tmp_path / "restored"))
    assert again.config["SECRET_KEY"] == "kept-across" and again.config["SITE_NAME"] == "Restored wiki"


def test_restore_keeps_an_instances_own_settings(app: Flask, tmp_path: Path) -> None:
    (Path(app.instance_path) / "config.py").write_text("SECRET_KEY = 'old'\n")
    archive = tmp_path / "backup.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    target = tmp_path / "restored"
    target.mkdir()
    (target / "config.py").write_text("SECRET_KEY = 'new'\nSITE_NAME = 'Mine'\n")
    restored = fresh_app(target)
    result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert (target / "config.py").read_text() == "SECRET_KEY = 'new'\nSITE_NAME = 'Mine'\n"
    assert (target / "config.from-backup.py").read_text() == "SECRET_KEY = 'old'\n"
    assert "merge them into" in result.output


def _rewrite(archive: Path, change: Callable[[dict[str, bytes]], None]) -> None:
    """Rewrite the archive's members through ``change`` (a tampered or damaged copy)."""
    with tarfile.open(archive) as tar:
        members = {member.name: tar.extractfile(member).read() for member in tar.getmembers()}
    change(members)
    archive.unlink()
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _list_another_ref(members: dict[str, bytes]) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest["refs"]["refs/heads/proposals/7"] = manifest["refs"]["refs/heads/main"]
    members["manifest.json"] = json.dumps(manifest).encode()


def _list_no_main(members: dict[str, bytes]) -> None:
    manifest = json.loads(members["manifest.json"])
    del manifest["refs"]["refs/heads/main"]
    members["manifest.json"] = json.dumps(manifest).encode()


def _truncate_bundle(members: dict[str, bytes]) -> None:
    members["content.bundle"] = members["content.bundle"][:-200]


def _damage_accounts(members: dict[str, bytes]) -> None:
    members["users.sqlite3"] = b"NOT SQLITE AT ALL" + members["users.sqlite3"][17:]


def _drop_config(members: dict[str, bytes]) -> None:
    manifest = json.loads(members["manifest.json"])
    manifest["config"] = True
    members["manifest.json"] = json.dumps(manifest).encode()


@pytest.mark.parametrize(("damage", "message"), [
    (_list_another_ref, "missing or different: refs/heads/proposals/7"),
    (_list_no_main, "the manifest lists no refs/heads/main"),
    (_truncate_bundle, "the content bundle is damaged"),
    (_damage_accounts, "the accounts file is damaged"),
    (_drop_config, "the manifest lists config.py, which is missing"),
])
def test_backup_check_finds_a_damaged_archive(app: Flask, tmp_path: Path,
                                               damage: Callable[[dict[str, bytes]], None], message: str) -> None:
    archive = tmp_path / "backup.tar.gz"
    assert app.test_cli_runner().invoke(args=["backup", str(archive)]).exit_code == 0
    _rewrite(archive, damage)
    result = app.test_cli_runner().invoke(args=["backup", "--check", str(archive)])
    assert result.exit_code == 1 and message in result.output, result.output
    assert result.output.count("\n") == 1 and result.output.startswith(f"Error: {archive}")
    assert archive.exists()  # --check never removes what it was asked to look at


def test_a_backup_that_fails_verification_is_not_left_behind(app: Flask, tmp_path: Path) -> None:
    """An accounts database whose index lost its entries still opens and counts its users, and
    SQLite's backup API copies it as it is; the verification's integrity check finds it, the
    command exits 1, and no archive (nor a partial one) remains."""
    path = Path(app.config["USER_DATABASE"])
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = db.execute("PRAGMA page_size").fetchone()[0]
        page = db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'users_username_folded'").fetchone()[0]
    data = bytearray(path.read_bytes())
    header = (page - 1) * page_size
    assert data[header] == 0x0A  # a leaf page of an index
    data[header + 3: header + 5] = b"\0\0"  # its cells are gone
    path.write_bytes(bytes(data))
    archive = tmp_path / "backups" / "backup.tar.gz"
    archive.parent.mkdir()
    result = app.test_cli_runner().invoke(args=["backup", str(archive)])
    assert result.exit_code == 1, result.output
    assert result.output.startswith(f"Error: {archive}: the accounts file is damaged: "), result.output
    assert "users_username_folded" in result.output
    assert list(archive.parent.iterdir()) == []
