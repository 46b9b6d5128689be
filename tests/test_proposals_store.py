"""Amendment proposals in the storage layer, without Flask: a branch per proposal, events on the
metadata branch, consensus of the groups, real merge commits, and a clone that carries it all."""

from __future__ import annotations

import subprocess
import threading
from pathlib import Path

import pytest

from wiki.store import Author, Store
from wiki.store.proposals import META_REF, ProposalRefused

from .conftest import git, seeded_store

GROUPS = ("governments", "civil-society")
GOV = Author(name="Gov Writer", email="gov@example.org", username="gov", group="governments")
CIV = Author(name="Civ Writer", email="civ@example.org", username="civ", group="civil-society")


@pytest.fixture
def repo(tmp_path: Path) -> Store:
    store = seeded_store(tmp_path, {"Home": "# Home\n\nWelcome.\n", "Mandate": "# Mandate\n\none\ntwo\nthree\n"}, GOV)
    yield store
    store.close()


def test_a_proposal_is_a_branch_with_its_events_on_the_metadata_branch(repo: Store) -> None:
    first = repo.proposals.create("Clarify the mandate", "Because *two* is vague.", author=GOV)
    second = repo.proposals.create("Another", "", author=CIV)
    assert (first.number, second.number) == (1, 2)
    assert git(repo.path, "rev-parse", "refs/heads/proposals/1").strip() == repo.head()
    files = git(repo.path, "ls-tree", "-r", "--name-only", META_REF).split()
    assert len(files) == 2 and files[0].startswith("1/") and files[1].startswith("2/")
    event = git(repo.path, "show", f"{META_REF}:{files[0]}")
    assert "kind: create" in event and "title: Clarify the mandate" in event and "Because *two* is vague." in event
    pages = repo.proposals.pages_of(1)
    pages.save_page("Mandate", "# Mandate\n\none\nTWO, precisely\nthree\n", base=repo.head(), author=CIV,
                    summary="Say it")
    proposal = repo.proposals.get(1)
    assert proposal.head != repo.head() and ("civ", "civil-society") in proposal.drafters
    assert git(repo.path, "log", "-1", "--format=%(trailers:key=Proposal,valueonly)", proposal.head).strip() == "1"
    assert repo.read_page("Mandate").text == "# Mandate\n\none\ntwo\nthree\n"  # main untouched
    assert repo.read_page("Mandate", proposal.head).text.count("TWO, precisely") == 1


def test_consensus_of_every_group_then_a_real_merge_commit(repo: Store) -> None:
    number = repo.proposals.create("Clarify", "", author=GOV).number
    repo.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\none\n2\nthree\n", base=repo.head(), author=CIV,
                                               summary="Civil society's line")
    head = repo.proposals.get(number).head
    repo.proposals.position(number, "endorse", head, reason="", author=GOV)
    with pytest.raises(ProposalRefused):
        repo.proposals.merge(number, groups=GROUPS, author=GOV, display_name="Gov Writer", admin=False)
    repo.proposals.position(number, "object", head, reason="Too terse.", author=CIV)
    objecting = repo.proposals.consensus(repo.proposals.get(number), GROUPS).objecting
    assert [position.group for position in objecting] == ["civil-society"]
    repo.proposals.position(number, "withdraw", head, reason="", author=CIV)
    repo.proposals.position(number, "endorse", head, reason="", author=CIV)
    assert repo.proposals.consensus(repo.proposals.get(number), GROUPS).holds
    repo.save_page("Home", "# Home\n\nMeanwhile on main.\n", base=repo.head(), author=GOV, summary="main moves")
    merged = repo.proposals.merge(number, groups=GROUPS, author=GOV, display_name="Gov Writer", admin=False)
    assert git(repo.path, "rev-list", "--parents", "-n1", merged).split()[1:] == [
        git(repo.path, "rev-parse", f"{merged}^1").strip(), head]
    message = git(repo.path, "log", "-1", "--format=%B", merged)
    assert "Proposal: 1" in message and "Endorsed-By: governments" in message
    assert "Endorsed-By: civil-society" in message
    assert "Merged-By: Gov Writer" in message and "Stakeholder-Group: governments" in message
    assert "Meanwhile on main." in repo.read_page("Home").text and "\n2\n" in repo.read_page("Mandate").text
    blame = repo.blame("Mandate")
    assert [block.commit.group for block in blame.blocks if "2" in block.lines] == ["civil-society"]
    assert repo.proposals.get(number).state == "merged"
    with pytest.raises(ProposalRefused):
        repo.proposals.merge(number, groups=GROUPS, author=GOV, display_name="Gov", admin=True, reason="again")


def test_a_new_commit_makes_positions_stale_and_a_moved_head_is_refused(repo: Store) -> None:
    number = repo.proposals.create("P", "", author=GOV).number
    pages = repo.proposals.pages_of(number)
    pages.save_page("Mandate", "# Mandate\n\nv1\n", base=repo.head(), author=GOV, summary="v1")
    read = repo.proposals.get(number).head
    repo.proposals.position(number, "endorse", read, reason="", author=GOV)
    pages.save_page("Mandate", "# Mandate\n\nv2\n", base=read, author=CIV, summary="v2")
    proposal = repo.proposals.get(number)
    assert repo.proposals.consensus(proposal, GROUPS).stale == ("governments",)
    with pytest.raises(ProposalRefused):
        repo.proposals.position(number, "endorse", read, reason="", author=CIV)


def test_without_consensus_only_an_admin_with_a_reason_merges(repo: Store) -> None:
    number = repo.proposals.create("P", "", author=GOV).number
    repo.proposals.pages_of(number).save_page("Home", "# Home\n\nNew.\n", base=repo.head(), author=GOV, summary="x")
    with pytest.raises(ProposalRefused):
        repo.proposals.merge(number, groups=GROUPS, author=GOV, display_name="Gov", admin=True, reason="")
    merged = repo.proposals.merge(number, groups=GROUPS, author=GOV, display_name="Gov", admin=True,
                                  reason="Deadline of the session")
    assert "Override-Reason: Deadline of the session" in git(repo.path, "log", "-1", "--format=%B", merged)


def test_update_merges_main_in_and_refuses_overlaps(repo: Store) -> None:
    number = repo.proposals.create("P", "", author=GOV).number
    repo.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\none\nTWO\nthree\n", base=repo.head(), author=GOV,
                                               summary="p")
    repo.save_page("Home", "# Home\n\nOther page.\n", base=repo.head(), author=CIV, summary="main")
    proposal = repo.proposals.get(number)
    assert repo.proposals.preview(proposal).behind == 1 and repo.proposals.preview(proposal).tree
    assert repo.proposals.update(number, author=GOV) is not None
    assert repo.proposals.preview(repo.proposals.get(number)).behind == 0
    repo.save_page("Mandate", "# Mandate\n\none\ndeux\nthree\n", base=repo.head(), author=CIV, summary="overlap")
    assert repo.proposals.preview(repo.proposals.get(number)).conflicts == ("Mandate.md",)
    with pytest.raises(ProposalRefused):
        repo.proposals.update(number, author=GOV)


def test_closing_and_a_closed_proposal_cannot_change(repo: Store) -> None:
    number = repo.proposals.create("P", "", author=GOV).number
    repo.proposals.close(number, "Withdrawn by the drafter.", author=GOV)
    proposal = repo.proposals.get(number)
    assert proposal.state == "closed" and proposal.closed_reason == "Withdrawn by the drafter."
    with pytest.raises(ProposalRefused):
        repo.proposals.pages_of(number)


def test_concurrent_proposals_and_endorsements_lose_nothing(repo: Store) -> None:
    errors: list[BaseException] = []

    def create(index: int) -> None:
        worker = Store(repo.path)
        try:
            worker.proposals.create(f"Proposal {index}", "", author=GOV)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            worker.close()

    threads = [threading.Thread(target=create, args=(index,)) for index in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert repo.proposals.numbers() == [1, 2, 3, 4, 5, 6]
    assert sorted(p.title for p in repo.proposals.list()) == sorted(f"Proposal {i}" for i in range(6))


def test_a_clone_carries_the_proposal_its_discussion_and_endorsements(repo: Store, tmp_path: Path) -> None:
    number = repo.proposals.create("Carried", "Rationale.", author=GOV).number
    repo.proposals.comment(number, "A comment in the discussion.", author=CIV)
    repo.proposals.position(number, "endorse", repo.proposals.get(number).head, reason="", author=CIV)
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--mirror", str(repo.path), str(clone)], check=True)
    files = git(clone, "ls-tree", "-r", "--name-only", META_REF).split()
    texts = "".join(git(clone, "show", f"{META_REF}:{name}") for name in files)
    assert "Rationale." in texts and "A comment in the discussion." in texts and "kind: endorse" in texts
    mirrored = Store(clone)
    assert mirrored.proposals.get(number).title == "Carried"
    assert [p.group for p in mirrored.proposals.get(number).positions] == ["civil-society"]


def test_merges_endorsements_and_saves_at_once_lose_nothing(repo: Store) -> None:
    """Two merges, a save to main and endorsements of several groups, all at once, each in its own Store
    (as gunicorn workers are): every one lands, by compare-and-swap, and nothing is overwritten."""
    numbers = []
    for index, page in enumerate(("Mandate", "Home")):
        number = repo.proposals.create(f"P{index}", "", author=GOV).number
        base = repo.head()
        text = repo.read_page(page).text + f"\nProposed line {index}.\n"
        repo.proposals.pages_of(number).save_page(page, text, base=base, author=CIV, summary=f"p{index}")
        numbers.append(number)
    third = repo.proposals.create("P2", "", author=GOV).number
    head = repo.proposals.get(third).head
    errors: list[BaseException] = []

    def run(action) -> None:  # noqa: ANN001
        worker = Store(repo.path)
        try:
            action(worker)
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            worker.close()

    actions = [
        *(lambda w, n=n: w.proposals.merge(n, groups=GROUPS, author=GOV, display_name="Gov", admin=True,
                                            reason="At once") for n in numbers),
        lambda w: w.save_page("Other", "# Other\n\nSaved meanwhile.\n", base=w.head(), author=CIV, summary="s"),
        *(lambda w, a=a: w.proposals.position(third, "endorse", head, reason="", author=a) for a in (GOV, CIV)),
    ]
    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert "Proposed line 0." in repo.read_page("Mandate").text and "Proposed line 1." in repo.read_page("Home").text
    assert repo.read_page("Other").text.endswith("Saved meanwhile.\n")
    assert [repo.proposals.get(n).state for n in numbers] == ["merged", "merged"]
    assert {p.group for p in repo.proposals.get(third).positions} == set(GROUPS)
    assert repo.fsck()[0]


def test_the_pages_a_proposal_changes_do_not_depend_on_main(repo: Store) -> None:
    number = repo.proposals.create("P", "", author=GOV).number
    repo.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\nMine.\n", base=repo.head(), author=GOV,
                                               summary="p")
    repo.save_page("Home", "# Home\n\nOn main.\n", base=repo.head(), author=CIV, summary="main")
    repo.proposals.update(number, author=GOV)  # brings main's Home in: not the proposal's own change
    assert repo.proposals.changed_pages(repo.proposals.get(number)) == ("Mandate",)


def test_an_update_that_leaves_the_proposed_text_as_it_was_keeps_endorsements(repo: Store) -> None:
    number = repo.proposals.create("P", "", author=GOV).number
    repo.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\nMine.\n", base=repo.head(), author=GOV,
                                               summary="p")
    repo.proposals.position(number, "endorse", repo.proposals.get(number).head, reason="", author=CIV)
    repo.save_page("Home", "# Home\n\nOn main.\n", base=repo.head(), author=CIV, summary="main")
    repo.proposals.update(number, author=GOV)
    assert [p.current for p in repo.proposals.get(number).positions] == [True]
    repo.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\nMine, changed.\n",
                                               base=repo.proposals.get(number).head, author=GOV, summary="p2")
    assert [p.current for p in repo.proposals.get(number).positions] == [False]
