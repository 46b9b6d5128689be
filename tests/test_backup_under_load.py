"""Backups taken while people save always restore (issue 25, item 1).

With three clients saving, 1 of 15 `flask --app wiki backup` runs wrote a bundle without
``refs/heads/main`` and said it succeeded, and under more load `git bundle create --all` refused
("empty bundle"). Here three threads save through the store (two on main, one opening proposals,
which adds branches and moves the metadata branch) while the real CLI takes 20 backups; every
archive must be verified, private (0600), and restore into a fresh instance with main at a commit
main really had and every ref the manifest lists.
"""

from __future__ import annotations

import json
import stat
import tarfile
import threading
import time
from pathlib import Path

from flask import Flask

from wiki import create_app
from wiki.errors import EditConflict
from wiki.store import Author, Store

from .conftest import git, make_app

BACKUPS = 20
MAX_SAVES_PER_CLIENT = 400
WRITERS = (Author(name="Ann", email="ann@example.org", username="editor", group="civil-society"),
           Author(name="Bo", email="bo@example.org", username="editor2", group="private-sector"))
PROPOSER = Author(name="Cy", email="cy@example.org", username="admin", group="international-organizations")


def fresh_app(instance: Path) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                      instance_path=str(instance))


def save_on_main(store: Store, author: Author, stop: threading.Event, errors: list[BaseException]) -> None:
    try:
        for number in range(MAX_SAVES_PER_CLIENT):
            if stop.is_set():
                return
            page = f"Load/{author.username}_{number % 7}"
            try:
                store.save_page(page, f"# {page}\n\nSave {number} by {author.name}.\n", base=store.head(),
                                author=author, summary=f"Save {number}")
            except EditConflict:
                pass
    except BaseException as error:  # reported by the test, not lost in the thread
        errors.append(error)


def open_proposals(store: Store, stop: threading.Event, errors: list[BaseException]) -> None:
    try:
        for number in range(MAX_SAVES_PER_CLIENT // 4):
            if stop.is_set():
                return
            proposal = store.proposals.create(f"Proposal {number}", "Under load.", author=PROPOSER)
            store.proposals.pages_of(proposal.number).save_page(
                "Mandate", f"# Mandate\n\nProposed text {number}.\n", base=store.head(), author=PROPOSER,
                summary="Propose")
    except BaseException as error:
        errors.append(error)


def test_backups_taken_while_three_clients_save_all_restore(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    store: Store = app.extensions["wiki_store"]
    runner = app.test_cli_runner()
    stop = threading.Event()
    errors: list[BaseException] = []
    clients = [threading.Thread(target=save_on_main, args=(store, writer, stop, errors)) for writer in WRITERS]
    clients.append(threading.Thread(target=open_proposals, args=(store, stop, errors)))
    started = time.monotonic()
    archives = []
    for client in clients:
        client.start()
    try:
        time.sleep(0.3)  # the clients are saving
        for number in range(BACKUPS):
            archive = tmp_path / f"backup-{number:02d}.tar.gz"
            result = runner.invoke(args=["backup", str(archive)])
            assert result.exit_code == 0, result.output
            assert result.output.startswith("OK: "), result.output
            assert stat.S_IMODE(archive.stat().st_mode) == 0o600
            archives.append(archive)
    finally:
        stop.set()
        for client in clients:
            client.join(timeout=30)
    assert not errors, errors
    main_history = set(git(store.path, "rev-list", "--first-parent", "main").split())
    assert len(main_history) > BACKUPS  # the clients really saved while the backups ran

    moved = 0
    for archive in archives:
        with tarfile.open(archive) as tar:
            manifest = json.load(tar.extractfile("manifest.json"))
        restored = fresh_app(tmp_path / f"restored-{archive.stem}")
        result = restored.test_cli_runner().invoke(args=["restore", str(archive)])
        assert result.exit_code == 0, result.output
        restored_store: Store = restored.extensions["wiki_store"]
        head = restored_store.head()
        assert head in main_history and head == manifest["refs"]["refs/heads/main"]
        assert restored_store.reader.refs() == manifest["refs"]
        assert f"main at {head}" in result.output
        moved += head != store.head()
        restored_store.close()
    assert moved  # the backups caught main at different moments, not only at the end
    assert time.monotonic() - started < 90
