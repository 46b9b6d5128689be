"""Crash safety: writers killed with SIGKILL at random points of a save leave a consistent repository.

A save writes objects first and moves ``refs/heads/main`` last (compare-and-swap through
``git update-ref``), so a kill at any point either lands the whole commit or none of it. What a
kill can leave is a lock file git never removes; the store recovers it.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from wiki.errors import StoreBusy
from wiki.store import Author, Store

from .conftest import git, seeded_store

ROOT = Path(__file__).resolve().parent.parent
AUTHOR = Author(name="Crash Test", email="crash@example.org", username="crash", group="governments")
KILLS = 24

# Saves in a loop and reports each commit once the store returned it (the acknowledgement).
WRITER = """
import random, sys
sys.path.insert(0, sys.argv[2])
from wiki.store import Author, Store
store = Store(sys.argv[1], stale_lock_seconds=0.2)
author = Author(name="Crash Test", email="crash@example.org", username="crash", group="governments")
print("ready", flush=True)
rng = random.Random(int(sys.argv[3]))
for n in range(100000):
    page = rng.choice(["Home", "Crash/One", "Crash/Two", "Crash/Deep/Three", "Crash_" + str(n % 7)])
    text = f"# {page}\\n\\nround {sys.argv[3]} save {n}\\n" + "filler line\\n" * rng.randrange(200)
    result = store.save_page(page, text, base=store.head(), author=author, summary=f"save {n}")
    print("saved", page, result.commit, flush=True)
"""


@pytest.fixture
def repo(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path, {"Home": "# Home\n"}, AUTHOR, stale_lock_seconds=0.5)
    yield store
    store.close()


def _kill_writer_at_random(repo: Store, rng: random.Random, round_number: int) -> list[tuple[str, str]]:
    """Start a writer, let it save for a random moment, SIGKILL it and its git children."""
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(repo.path), str(ROOT), str(round_number)],
                              stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.05, 0.4))
    finally:
        os.killpg(writer.pid, signal.SIGKILL)  # the writer and a git update-ref it may be running
        output, _ = writer.communicate(timeout=30)
    acknowledged = []
    for line in output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "saved" and parts[2] != "None":
            acknowledged.append((parts[1], parts[2]))
    return acknowledged


def test_sigkill_during_saves_loses_nothing_acknowledged_and_blocks_nothing(repo: Store) -> None:
    rng = random.Random(8)
    acknowledged: list[tuple[str, str]] = []
    locks_left = 0
    for round_number in range(KILLS):
        acknowledged.extend(_kill_writer_at_random(repo, rng, round_number))
        locks_left += (repo.path / "refs" / "heads" / "main.lock").exists()
        # Between kills the branch is always a valid commit whose files are all valid pages.
        head = repo.head()
        assert head is not None and git(repo.path, "cat-file", "-t", head).strip() == "commit"
        assert repo.invalid_paths(head) == []
    assert len(acknowledged) > KILLS  # the writers did get work done between kills
    print(f"{len(acknowledged)} saves acknowledged, {locks_left} ref locks left behind by {KILLS} kills")

    ok, report = repo.fsck()
    assert ok, report
    history = set(git(repo.path, "rev-list", "main").split())
    lost = [(page, commit) for page, commit in acknowledged if commit not in history]
    assert lost == []  # every save the store acknowledged is in the branch's history
    count = int(git(repo.path, "rev-list", "--count", "main"))
    assert count == len(set(history))

    # Later saves succeed: a lock left by a killed update-ref is recovered, not waited on forever.
    started = time.monotonic()
    result = repo.save_page("Home", "# Home\n\nafter the crashes\n", base=repo.head(), author=AUTHOR, summary="after")
    # A lock a killed writer left is taken over once it is STALE_LOCK_SECONDS old: a bounded wait, never forever.
    assert result.commit == repo.head() and time.monotonic() - started < 30
    assert git(repo.path, "show", "main:Home.md") == "# Home\n\nafter the crashes\n"
    time.sleep(0.6)
    repo.recover()
    assert repo.check() == []
    assert not (repo.path / "refs" / "heads" / "main.lock").exists()


def test_a_stale_ref_lock_is_removed_and_the_save_goes_through(repo: Store) -> None:
    lock = repo.path / "refs" / "heads" / "main.lock"
    lock.write_text(repo.head() + "\n")
    old = time.time() - 60
    os.utime(lock, (old, old))
    result = repo.save_page("Home", "# Home\n\nsaved despite the lock\n", base=repo.head(), author=AUTHOR, summary="x")
    assert result.commit == repo.head() and not lock.exists()


def test_a_fresh_lock_is_waited_for_then_recovered(repo: Store) -> None:
    """A writer that died a moment ago: its lock is young, so the save waits until it is stale."""
    lock = repo.path / "refs" / "heads" / "main.lock"
    lock.write_text(repo.head() + "\n")
    started = time.monotonic()
    result = repo.save_page("Home", "# Home\n\nafter a fresh lock\n", base=repo.head(), author=AUTHOR, summary="x")
    assert result.commit == repo.head() and not lock.exists()
    assert time.monotonic() - started >= 0.4  # it did not steal a lock a live writer might hold


def test_a_lock_that_stays_fresh_is_never_stolen(repo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    """A live writer keeps its lock: the save gives up with StoreBusy (a 503), it does not force the ref."""
    lock = repo.path / "refs" / "heads" / "main.lock"
    lock.write_text(repo.head() + "\n")
    head = repo.head()
    owner_alive = threading.Event()
    owner_alive.set()

    def owner() -> None:  # a slow but live writer: its lock never gets old
        while owner_alive.is_set():
            os.utime(lock)
            time.sleep(0.02)

    toucher = threading.Thread(target=owner, daemon=True)
    toucher.start()
    monkeypatch.setattr("wiki.store.committer.MAX_CAS_ATTEMPTS", 2)
    try:
        with pytest.raises(StoreBusy):
            repo.save_page("Home", "# Home\n\nmust not land\n", base=repo.head(), author=AUTHOR, summary="x")
    finally:
        owner_alive.clear()
        toucher.join()
    assert lock.exists() and repo.head() == head


def test_stale_commit_graph_lock_and_temporary_objects_are_cleaned(tmp_path: Path) -> None:
    # A repository made with git alone: no store commit, so no background commit-graph writer races us.
    path = tmp_path / "content.git"
    subprocess.run(["git", "init", "--bare", "-q", "--initial-branch=main", str(path)], check=True)
    blob = subprocess.run(["git", f"--git-dir={path}", "hash-object", "-w", "--stdin"], input=b"# Home\n",
                          capture_output=True, check=True).stdout.decode().strip()
    tree = subprocess.run(["git", f"--git-dir={path}", "mktree"], input=f"100644 blob {blob}\tHome.md\n",
                          capture_output=True, check=True, text=True).stdout.strip()
    commit = git(path, "-c", "user.name=t", "-c", "user.email=t@example.org", "commit-tree", tree, "-m", "x").strip()
    git(path, "update-ref", "refs/heads/main", commit)
    repo = Store(path, stale_lock_seconds=0.5)
    graph_lock = repo.path / "objects" / "info" / "commit-graphs" / "commit-graph-chain.lock"
    graph_lock.parent.mkdir(parents=True, exist_ok=True)
    graph_lock.write_text("")
    temp_object = repo.path / "objects" / "objk3j4h5g6"
    temp_object.write_bytes(b"half an object")
    old = time.time() - 7200
    for path in (graph_lock, temp_object):
        os.utime(path, (old, old))
    assert set(repo.stale_files()) == {graph_lock, temp_object}
    assert any("stale file" in problem for problem in repo.check())
    assert set(repo.recover()) == {graph_lock, temp_object}
    assert repo.check() == []
