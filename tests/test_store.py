"""The content repository, driven without Flask and checked with the real git command line."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from wiki.errors import ContentTooLarge, EditConflict, InvalidContent, InvalidRevision, PageExists, PageNotFound
from wiki.store import Author, Store

from .conftest import git, seeded_store

ANN = Author(name="Ann Example", email="ann@example.org", username="ann", group="governments")
BOB = Author(name="Bob Example", email="bob@example.org", username="bob", group="civil-society")


@pytest.fixture
def repo(tmp_path: Path) -> Store:
    pages = {"Home": "# Home\n\nWelcome.\n", "Mapping/Cybersecurity": "one\ntwo\nthree\nfour\nfive\nsix\n"}
    store = seeded_store(tmp_path, pages, ANN, max_page_bytes=10_000)
    yield store
    store.close()


def test_repository_is_bare_with_one_import_commit(repo: Store) -> None:
    assert git(repo.path, "rev-parse", "--is-bare-repository").strip() == "true"
    assert not (repo.path / "index").exists()
    assert git(repo.path, "rev-list", "--count", "main").strip() == "1"
    assert git(repo.path, "ls-tree", "-r", "--name-only", "main").split() == ["Home.md", "Mapping/Cybersecurity.md"]
    assert repo.list_pages() == ("Home", "Mapping/Cybersecurity")


def test_save_is_a_commit_with_author_and_trailers(repo: Store) -> None:
    base = repo.head()
    result = repo.save_page("Home", "# Home\n\nHello.\n", base=base, author=BOB, summary="Greet")
    assert result.commit == repo.head() and not result.merged
    log = git(repo.path, "log", "-1", "--format=%an|%ae|%s|%(trailers:key=Stakeholder-Group,valueonly)"
              "|%(trailers:key=Wiki-User,valueonly)", "main")
    assert log.replace("\n", "") == "Bob Example|bob@example.org|Greet|civil-society|bob"
    assert git(repo.path, "show", "main:Home.md") == "# Home\n\nHello.\n"
    assert git(repo.path, "rev-parse", "main^").strip() == base
    ok, report = repo.fsck()
    assert ok, report


def test_default_summary_and_unchanged_save(repo: Store) -> None:
    result = repo.save_page("New/Page", "text", base=repo.head(), author=ANN, summary="")
    assert git(repo.path, "log", "-1", "--format=%s", "main").strip() == "Create New/Page"
    assert repo.read_page("New/Page").text == "text\n"  # a final newline is added
    again = repo.save_page("New/Page", "text\n", base=repo.head(), author=ANN, summary="")
    assert again.commit is None and repo.head() == result.commit


def test_crlf_is_normalized_and_bad_text_refused(repo: Store) -> None:
    repo.save_page("Home", "a\r\nb\r\n", base=repo.head(), author=ANN, summary="")
    assert repo.read_page("Home").text == "a\nb\n"
    head = repo.head()
    with pytest.raises(InvalidContent):
        repo.save_page("Home", "bin\0ary", base=head, author=ANN, summary="")
    with pytest.raises(ContentTooLarge):
        repo.save_page("Home", "x" * 10_001, base=head, author=ANN, summary="")
    assert repo.head() == head


def test_external_commits_show_on_next_read(repo: Store, tmp_path: Path) -> None:
    assert repo.read_page("Home").text.startswith("# Home")
    clone = tmp_path / "clone"
    import subprocess
    subprocess.run(["git", "clone", "-q", str(repo.path), str(clone)], check=True)
    (clone / "Home.md").write_text("changed outside\n", encoding="utf-8")
    subprocess.run(["git", "-C", str(clone), "-c", "user.name=M", "-c", "user.email=m@x", "commit", "-qam",
                    "outside"], check=True)
    subprocess.run(["git", "-C", str(clone), "push", "-q", "origin", "HEAD:main"], check=True)
    assert repo.read_page("Home").text == "changed outside\n"
    assert repo.page_history("Home")[0].subject == "outside"


def test_old_revisions_and_revision_allowlist(repo: Store) -> None:
    first = repo.head()
    repo.save_page("Home", "second\n", base=first, author=ANN, summary="")
    assert repo.read_page("Home", first).text == "# Home\n\nWelcome.\n"
    assert repo.read_page("Home", first[:8]).text == "# Home\n\nWelcome.\n"
    blob = repo.page_blob_id("Home")
    for bad in ["--all", "HEAD~1", "main", "0" * 40, "deadbeef", blob, "1" * 200, "-n1", ""]:
        with pytest.raises(InvalidRevision):
            repo.resolve(bad)


def test_rename_keeps_history(repo: Store) -> None:
    repo.save_page("Mapping/Cybersecurity", "one\ntwo\n", base=repo.head(), author=ANN, summary="shorten")
    repo.rename_page("Mapping/Cybersecurity", "Mapping/Cyber_security", author=BOB, summary="")
    repo.save_page("Mapping/Cyber_security", "one\ntwo\nthree\n", base=repo.head(), author=BOB, summary="grow")
    history = repo.page_history("Mapping/Cyber_security")
    assert [c.subject for c in history] == [
        "grow", "Rename Mapping/Cybersecurity to Mapping/Cyber_security", "shorten", "Import"]
    assert history[-1].path == "Mapping/Cybersecurity.md"
    assert not repo.page_exists("Mapping/Cybersecurity")
    old = repo.read_page_as_of("Mapping/Cyber_security", history[2].id)
    assert old.text == "one\ntwo\n" and old.page == "Mapping/Cybersecurity"
    with pytest.raises(PageExists):
        repo.rename_page("Home", "Mapping/Cyber_security", author=ANN)
    with pytest.raises(PageNotFound):
        repo.rename_page("Nope", "Other", author=ANN)


def test_delete_and_revert(repo: Store) -> None:
    before = repo.head()
    repo.delete_page("Mapping/Cybersecurity", author=ANN)
    assert repo.list_pages() == ("Home",)
    assert "Mapping" not in git(repo.path, "ls-tree", "--name-only", "main")  # empty folders vanish
    result = repo.revert_page("Mapping/Cybersecurity", before, author=BOB)
    assert result.commit and repo.read_page("Mapping/Cybersecurity").text.startswith("one\n")
    assert repo.revert_page("Mapping/Cybersecurity", before, author=BOB).commit is None


def test_case_twins_are_refused(repo: Store) -> None:
    with pytest.raises(PageExists):
        repo.save_page("home", "twin\n", base=repo.head(), author=ANN, summary="")


def test_nonoverlapping_edits_from_one_base_merge(repo: Store) -> None:
    base = repo.head()
    repo.save_page("Mapping/Cybersecurity", "ONE\ntwo\nthree\nfour\nfive\nsix\n", base=base, author=ANN, summary="")
    result = repo.save_page("Mapping/Cybersecurity", "one\ntwo\nthree\nfour\nfive\nSIX\n", base=base,
                            author=BOB, summary="")
    assert result.merged
    assert repo.read_page("Mapping/Cybersecurity").text == "ONE\ntwo\nthree\nfour\nfive\nSIX\n"


def test_overlapping_edits_conflict_and_commit_nothing(repo: Store) -> None:
    base = repo.head()
    repo.save_page("Mapping/Cybersecurity", "one\nTWO by ann\nthree\nfour\nfive\nsix\n", base=base, author=ANN,
                   summary="")
    head = repo.head()
    with pytest.raises(EditConflict) as caught:
        repo.save_page("Mapping/Cybersecurity", "one\ntwo by bob\nthree\nfour\nfive\nsix\n", base=base,
                       author=BOB, summary="")
    assert repo.head() == head
    conflict = caught.value
    assert "two by bob" in conflict.merged_text and "TWO by ann" in conflict.merged_text
    assert "<<<<<<< your version" in conflict.merged_text
    assert conflict.head == head and conflict.their_text.startswith("one\nTWO by ann")


def test_page_created_meanwhile_conflicts(repo: Store) -> None:
    base = repo.head()
    repo.save_page("Fresh", "theirs\n", base=base, author=ANN, summary="")
    with pytest.raises(EditConflict):
        repo.save_page("Fresh", "mine\n", base=base, author=BOB, summary="")


# ----------------------------------------------------------------- several processes at once


def _save_many(path: str, worker: int, count: int) -> None:
    store = Store(path)
    author = Author(name=f"Worker {worker}", email=f"w{worker}@example.org", username=f"w{worker}",
                    group="governments")
    for index in range(count):
        store.save_page(f"Load/W{worker}", f"worker {worker} save {index}\n", base=store.head(),
                        author=author, summary=f"w{worker} #{index}")
    store.close()


def _edit_own_line(path: str, worker: int, base: str, queue: multiprocessing.Queue) -> None:
    store = Store(path)
    author = Author(name=f"Worker {worker}", email=f"w{worker}@example.org", username=f"w{worker}",
                    group="civil-society")
    lines = [f"line {n}" for n in range(12)]
    lines[worker * 3] = f"line {worker * 3} edited by worker {worker}"
    try:
        result = store.save_page("Shared", "\n".join(lines) + "\n", base=base, author=author, summary="")
        queue.put(("saved", result.commit))
    except EditConflict:
        queue.put(("conflict", None))
    finally:
        store.close()


def _processes(target, args_list):  # noqa: ANN001, ANN202
    context = multiprocessing.get_context("fork")
    processes = [context.Process(target=target, args=args) for args in args_list]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
        assert process.exitcode == 0
    return context


def test_processes_writing_at_once_lose_nothing(repo: Store) -> None:
    workers, count = 4, 8
    _processes(_save_many, [(str(repo.path), worker, count) for worker in range(workers)])
    assert git(repo.path, "rev-list", "--count", "main").strip() == str(1 + workers * count)
    assert git(repo.path, "rev-list", "--merges", "main").strip() == ""  # linear history
    for worker in range(workers):
        assert repo.read_page(f"Load/W{worker}").text == f"worker {worker} save {count - 1}\n"
        assert len(repo.page_history(f"Load/W{worker}")) == count
    ok, report = repo.fsck()
    assert ok, report


def test_processes_editing_one_page_from_one_base_merge(repo: Store) -> None:
    repo.save_page("Shared", "\n".join(f"line {n}" for n in range(12)) + "\n", base=repo.head(), author=ANN,
                   summary="")
    base = repo.head()
    queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()
    _processes(_edit_own_line, [(str(repo.path), worker, base, queue) for worker in range(4)])
    outcomes = [queue.get(timeout=5) for _ in range(4)]
    assert [kind for kind, _ in outcomes] == ["saved"] * 4
    text = repo.read_page("Shared").text
    for worker in range(4):
        assert f"edited by worker {worker}" in text
    assert git(repo.path, "rev-list", "--count", f"{base}..main").strip() == "4"


def test_tag_ids_are_not_revisions_whether_full_or_abbreviated(repo: Store) -> None:
    git(repo.path, "-c", "user.name=T", "-c", "user.email=t@x", "tag", "-a", "-m", "v", "some-tag", "main")
    tag_id = git(repo.path, "rev-parse", "refs/tags/some-tag").strip()
    for rev in (tag_id, tag_id[:12]):
        with pytest.raises(InvalidRevision):
            repo.resolve(rev)
