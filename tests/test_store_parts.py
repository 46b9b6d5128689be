"""The storage layer's parts, each driven without Flask: reader, committer, git log parsing,
attribution and its caches, versions. Repositories are made and checked with the real git."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from wiki.commits import parse_commit
from wiki.errors import InvalidRevision, InvalidVersionName, PageExists, StoreBusy
from wiki.store import ATTRIBUTION_NOTES_REF, Author, PathConflict, Store
from wiki.store.committer import Plan
from wiki.store.gitlog import MAX_TIMESTAMP, commit_info, parse_ident, parse_trailers

from .conftest import git, seeded_store
from .support.gitrepo import fast_import, git_children

ANN = Author(name="Ann Example", email="ann@example.org", username="ann", group="governments")
BOB = Author(name="Bob Example", email="bob@example.org", username="bob", group="civil-society")


@pytest.fixture
def repo(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path, {"Home": "# Home\n\nWelcome.\n", "Other": "# Other\n"}, ANN)
    yield store
    store.close()


# --------------------------------------------------------------------------- reader


def test_reader_starts_a_new_git_process_when_its_child_was_killed(repo: Store) -> None:
    assert repo.read_page("Home").text.startswith("# Home")
    children = git_children(os.getpid())
    assert children, "the reader keeps a cat-file process"
    for child in children:
        os.kill(child, signal.SIGKILL)
    time.sleep(0.1)
    repo.reader._blobs.clear()  # noqa: SLF001 - force a real read
    assert repo.read_page("Other").text == "# Other\n"
    assert repo.read_page("Home").text.startswith("# Home")
    with pytest.raises(InvalidRevision):  # a missing object is still a missing object
        repo.reader.read_object("0" * 40)


# --------------------------------------------------------------------------- committer


def test_compare_and_swap_moves_any_ref_only_from_the_expected_value(repo: Store) -> None:
    committer = repo.committer
    head = repo.head()
    tree = repo.reader.commit_tree(head)
    other = committer.write_commit(tree, [head], ANN, "on a branch")
    assert committer.set_ref("refs/heads/proposals/1", other, None, reason="test")
    assert not committer.set_ref("refs/heads/proposals/1", head, None, reason="test")  # exists already
    assert not committer.set_ref("refs/heads/proposals/1", head, "1" * 40, reason="test")  # stale old value
    assert git(repo.path, "rev-parse", "refs/heads/proposals/1").strip() == other
    assert committer.set_ref("refs/heads/proposals/1", head, other, reason="test")
    assert repo.head() == head  # main untouched


def test_retry_loop_rebuilds_on_the_new_tip(repo: Store) -> None:
    calls: list[str | None] = []

    def prepare(tip: str | None) -> Plan:
        calls.append(tip)
        if len(calls) == 1:  # another writer lands between our read and our swap
            repo.save_page("Other", "# Other\n\nmeanwhile\n", base=repo.head(), author=BOB, summary="race")
        return Plan({"Home.md": b"# Home\n\nmine\n"}, "mine")

    commit = repo.committer.commit_to_ref(repo.ref, prepare, author=ANN)
    assert len(calls) == 2 and calls[0] != calls[1]
    assert repo.head() == commit
    assert repo.read_page("Other").text.endswith("meanwhile\n") and repo.read_page("Home").text.endswith("mine\n")


def test_retry_loop_gives_up_with_store_busy(repo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("wiki.store.committer.MAX_CAS_ATTEMPTS", 3)
    monkeypatch.setattr(repo.committer, "set_ref", lambda *args, **kwargs: False)
    with pytest.raises(StoreBusy):
        repo.committer.commit_to_ref(repo.ref, lambda tip: Plan({"Home.md": b"x\n"}, "x"), author=ANN)


@pytest.mark.parametrize("changes", [
    {"Home.md/Child.md": b"child\n"},  # a page file would become a folder
    {"Deep/Page.md": b"a\n", "Deep": b"b\n"},  # a folder would become a file
])
def test_no_change_turns_a_file_into_a_folder_or_back(repo: Store, changes: dict[str, bytes]) -> None:
    head = repo.head()
    with pytest.raises(PathConflict):
        repo.committer.commit_to_ref(repo.ref, lambda tip: Plan(dict(changes), "x"), author=ANN)
    assert repo.head() == head and repo.read_page("Home").text.startswith("# Home")


def test_notes_are_written_through_the_committer_and_read_back_by_git(repo: Store) -> None:
    head = repo.head()
    repo.attribution_notes.write(lambda index: {head: "Stakeholder-Group: civil-society\n"}, author=ANN,
                                 message="note", busy="busy")
    assert git(repo.path, "notes", f"--ref={ATTRIBUTION_NOTES_REF}", "show", head) == \
        "Stakeholder-Group: civil-society\n"
    assert repo.pushed_group(head) == "civil-society"


# --------------------------------------------------------------------------- parsing and attribution


@pytest.mark.parametrize(("message", "expected"), [
    ("Subject\n\nStakeholder-Group: governments\nWiki-User: ann\n", {"Stakeholder-Group": "governments",
                                                                     "Wiki-User": "ann"}),
    ("Stakeholder-Group: governments\n", {}),  # the subject is never a trailer block
    ("Subject\n\nStakeholder-Group: governments\n\nMore text after it.\n", {}),  # not the last paragraph
    ("Subject\n\nSome prose.\nStakeholder-Group: governments\n", {}),  # a paragraph that is not all trailers
    ("Subject\n\nStakeholder-Group: a\nStakeholder-Group: b\n", {"Stakeholder-Group": "a"}),
    ("Subject\n\nStakeholder-Group:governments\n", {"Stakeholder-Group": "governments"}),
])
def test_one_trailer_rule(message: str, expected: dict[str, str]) -> None:
    assert parse_trailers(message) == expected


@pytest.mark.parametrize(("ident", "expected"), [
    ("Ann <a@b> 1700000000 +0000", ("Ann", "a@b", 1700000000)),
    ("Ann <a@b> 99999999999999 +0000", ("Ann", "a@b", MAX_TIMESTAMP)),
    ("Ann <a@b> 999999999999999999999999999 +0000", ("Ann", "a@b", 0)),
    ("Ann <a@b> -5 +0000", ("Ann", "a@b", 0)),
    ("garbage", ("garbage", "", 0)),
])
def test_identities_parse_whatever_git_stores(ident: str, expected: tuple[str, str, int]) -> None:
    assert parse_ident(ident) == expected


def test_commit_parser_tolerates_separator_characters_in_subjects() -> None:
    commit = commit_info(parse_commit("a" * 40, ("tree " + "b" * 40 + "\nauthor A <a> 5 +0000\n\n"
                                                 "Odd \x1f\x1e subject\n\nStakeholder-Group: governments\n").encode()))
    assert commit.subject == "Odd subject" and commit.group == "governments" and commit.timestamp == 5


def test_odd_commits_made_outside_the_wiki_are_read_everywhere(repo: Store) -> None:
    fast_import(repo.path, [
        ("Separators \x1f and \x1e in a subject\n\nStakeholder-Group: governments\n", {"Home.md": "# Home\n\n1\n"},
         1700000000, "Sep"),
        ("A date in the year 3,170,843\n", {"Home.md": "# Home\n\n2\n", "Far.md": "far\n"}, 99999999999999, "Far"),
        ("Notes (x):\n    indented like a note\n\ncommit " + "0" * 40 + "\n", {"Home.md": "# Home\n\n3\n"},
         1700000100, "Trick"),
    ])
    history = repo.page_history("Home")
    assert [commit.author_name for commit in history[:3]] == ["Trick", "Far", "Sep"]
    assert history[1].timestamp == MAX_TIMESTAMP and history[2].group == "governments"
    assert history[2].subject == "Separators and in a subject"  # shown as the spaces they are
    changes, _ = repo.changes(limit=10)
    assert [change.commit.author_name for change in changes[:3]] == ["Trick", "Far", "Sep"]
    assert [file.page for file in changes[1].files] == ["Far", "Home"]
    assert repo.contributions().groups
    assert repo.blame("Home").total_lines == 2  # lines with words (not the blank line)
    assert repo.compare(history[-1].id, repo.head()).pages
    assert [entry[0].author_name for entry in repo.commits_with_files(None, repo.head())][:3] == \
        ["Trick", "Far", "Sep"]


def test_untrailered_history_is_cached_and_a_later_note_shows(repo: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    fast_import(repo.path, [(f"Imported change {n}\n", {"Home.md": f"# Home\n\nline {n}\n"}, 1700000000 + n,
                             "Importer") for n in range(30)])
    runs: list[tuple[str, ...]] = []
    original = repo.reader.run
    monkeypatch.setattr(repo.reader, "run", lambda *args, **kwargs: runs.append(args) or original(*args, **kwargs))
    first = repo.page_history("Home")
    assert len(first) == 31 and all(commit.group == "" for commit in first[:30])
    blame = repo.blame("Home")
    last = repo.last_change("Home")
    runs.clear()
    assert repo.page_history("Home") == first
    assert repo.blame("Home") == blame and repo.last_change("Home") == last
    assert runs == [], "a second read of an untrailered history runs no git"
    head = repo.head()
    git(repo.path, "notes", f"--ref={ATTRIBUTION_NOTES_REF}", "add", "-m",
        "Stakeholder-Group: technical-academic\nPushed-By: admin", head)
    assert repo.page_history("Home")[0].group == "technical-academic"
    assert repo.last_change("Home").group == "technical-academic"
    # "# Home" and "line 29" count; the blank line between them is nobody's text
    assert {share.group: share.lines for share in repo.blame("Home").shares} == {"governments": 1,
                                                                                "technical-academic": 1}
    assert repo.commit_info(head).group == "technical-academic"


def test_one_attribution_in_history_blame_and_last_change(repo: Store) -> None:
    """A pushed line that looks like a trailer but is not one counts as unattributed everywhere."""
    fast_import(repo.path, [("Subject\n\nStakeholder-Group: governments\n\nSigned: not a trailer block, prose.\n",
                             {"Home.md": "# Home\n\nfake\n"}, 1700000000, "Pusher")])
    assert repo.page_history("Home")[0].group == ""
    assert repo.last_change("Home").group == ""
    assert [block.commit.group for block in repo.blame("Home").blocks if "fake" in block.lines] == [""]


# --------------------------------------------------------------------------- versions


def test_versions_read_their_trailers_and_stay_in_the_branch_history(repo: Store) -> None:
    version = repo.create_version("first-draft", "First draft", None, author=BOB)
    assert (version.group, version.username, version.title) == ("civil-society", "bob", "First draft")
    assert [(v.name, v.group) for v in repo.versions()] == [("first-draft", "civil-society")]
    head = repo.head()
    repo.attribution_notes.write(lambda index: {head: "Stakeholder-Group: governments\n"}, author=ANN,
                                 message="note", busy="busy")
    notes_commit = repo.read_ref(ATTRIBUTION_NOTES_REF)
    with pytest.raises(InvalidRevision):
        repo.create_version("from-notes", "Not the document", notes_commit, author=ANN)
    for reserved in ("main", "head", "origin"):
        with pytest.raises(InvalidVersionName):
            repo.create_version(reserved, "Ambiguous", None, author=ANN)
    assert git(repo.path, "for-each-ref", "--format=%(refname)", "refs/tags").split() == ["refs/tags/first-draft"]


# --------------------------------------------------------------------------- pages


def test_revert_refuses_to_recreate_a_case_twin(repo: Store) -> None:
    old = repo.head()
    repo.delete_page("Other", author=ANN)
    repo.save_page("OTHER", "# Twin\n", base=repo.head(), author=ANN, summary="")
    head = repo.head()
    with pytest.raises(PageExists):
        repo.revert_page("Other", old, author=ANN)
    assert repo.head() == head and repo.check() == []


def test_rename_case_only_is_allowed(repo: Store) -> None:
    repo.rename_page("Other", "OTHER", author=ANN)
    assert "OTHER" in repo.list_pages() and "Other" not in repo.list_pages()
