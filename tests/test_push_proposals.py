"""Pushes to amendment proposals over /content.git (issue 14, "Git and data").

``refs/heads/proposals/<n>`` of an open proposal takes pushes under the rules of ``main``; every
other new branch, a proposal that is unknown, closed or merged, and the metadata branch
``refs/heads/meta/proposals`` are refused and leave every ref where it was. All with the real git
client over HTTP against a served wiki.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wiki.store import ATTRIBUTION_NOTES_REF, Author
from wiki.store.proposals import META_REF

from .conftest import git
from .support.git_http import Wiki, serve
from .support.servers import wait_until

GOV = Author(name="Gov Writer", email="gov@example.org", username="gov", group="governments")
ADMIN_GROUP = "international-organizations"  # the pusher's (admin's) group in tests/conftest.py


@pytest.fixture
def wiki(tmp_path: Path) -> Iterator[Wiki]:
    yield from serve(tmp_path)


def refs(wiki: Wiki) -> str:
    return git(wiki.store.path, "for-each-ref", "--format=%(refname) %(objectname)")


def propose(wiki: Wiki, title: str = "Clarify the mandate") -> int:
    return wiki.store.proposals.create(title, "Because it is vague.", author=GOV).number


def on_proposal(wiki: Wiki, number: int) -> Path:
    """A clone with the proposal's branch checked out as ``work``."""
    clone = wiki.clone()
    wiki.git("checkout", "-q", "-b", "work", f"origin/proposals/{number}", cwd=clone)
    return clone


def note(wiki: Wiki, clone: Path, commit: str) -> str:
    wiki.git("fetch", "-q", "origin", f"+{ATTRIBUTION_NOTES_REF}:{ATTRIBUTION_NOTES_REF}", cwd=clone)
    return wiki.git("notes", f"--ref={ATTRIBUTION_NOTES_REF}", "show", commit, cwd=clone).stdout


# --------------------------------------------------------------------------- accepted


def test_fast_forward_push_to_an_open_proposal_lands_in_the_proposal(wiki: Wiki) -> None:
    number = propose(wiki)
    main_before = wiki.store.head()
    clone = on_proposal(wiki, number)
    first = wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nPushed to the proposal.\n"}, "Reword the mandate")
    second = wiki.commit(clone, {"Mandate.fr.md": b"# Mandat\n\nPropose.\n"},
                         "Add the French version\n\nStakeholder-Group: governments")
    result = wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")
    assert result.returncode == 0, result.stderr

    proposal = wiki.store.proposals.get(number)
    assert proposal.state == "open" and proposal.head == second
    assert wiki.store.head() == main_before  # main did not move
    assert "Pushed to the proposal." not in wiki.store.read_page("Mandate").text
    assert "Pushed to the proposal." in wiki.store.read_page("Mandate", proposal.head).text
    # Attribution: the pusher's group without a trailer, the trailer's otherwise.
    assert note(wiki, clone, first) == f"Stakeholder-Group: {ADMIN_GROUP}\nPushed-By: admin\n"
    assert note(wiki, clone, second) == "Stakeholder-Group: governments\nPushed-By: admin\n"
    assert {group for _, group in wiki.store.proposals.get(number).drafters} == {ADMIN_GROUP, "governments"}


def test_proposal_push_that_merges_main_keeps_mains_attribution(wiki: Wiki) -> None:
    """Merging main into a proposal and pushing it passes, and notes only the proposal's new commits."""
    number = propose(wiki)
    clone = wiki.clone()
    on_main = wiki.commit(clone, {"Other.md": b"# Other\n"}, "A page on main")  # no trailer: noted on push
    assert wiki.push(clone).returncode == 0
    assert note(wiki, clone, on_main).startswith(f"Stakeholder-Group: {ADMIN_GROUP}\n")
    wiki.git("fetch", "-q", "origin", cwd=clone)
    wiki.git("checkout", "-q", "-b", "work", f"origin/proposals/{number}", cwd=clone)
    edit = wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nProposed.\n"}, "Propose")
    wiki.git("merge", "-q", "--no-edit", "main", cwd=clone)
    merge = wiki.git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    notes_before = git(wiki.store.path, "rev-parse", ATTRIBUTION_NOTES_REF).strip()
    result = wiki.git("push", "-q", wiki.url("admin"), f"HEAD:refs/heads/proposals/{number}",
                      cwd=clone, check=False)
    assert result.returncode == 0, result.stderr
    assert wiki.store.proposals.get(number).head == merge
    assert git(wiki.store.path, "rev-parse", ATTRIBUTION_NOTES_REF).strip() != notes_before
    changed = git(wiki.store.path, "diff-tree", "-r", "--name-only", "--no-commit-id", notes_before,
                  ATTRIBUTION_NOTES_REF).split()
    assert sorted(changed) == sorted([edit, merge])  # main's commit kept its note as it was


# --------------------------------------------------------------------------- refused

Push = Callable[[], subprocess.CompletedProcess[str]]
Scenario = Callable[[Wiki], Push]  # prepares, and returns the push to refuse


def _unknown_proposal(wiki: Wiki) -> Push:
    propose(wiki)
    clone = on_proposal(wiki, 1)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nNew.\n"}, "Edit")
    return lambda: wiki.push(clone, "HEAD:refs/heads/proposals/7")


def _closed_proposal(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nToo late.\n"}, "Edit")
    wiki.store.proposals.close(number, "Withdrawn by its authors.", author=GOV)
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")


def _merged_proposal(wiki: Wiki) -> Push:
    number = propose(wiki)
    wiki.store.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\nAgreed.\n", base=wiki.store.head(),
                                                    author=GOV, summary="Agree")
    wiki.store.proposals.merge(number, groups=("governments",), author=GOV, display_name="Gov Writer", admin=True,
                               reason="Testing a merged proposal.")
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nAfter the merge.\n"}, "Edit")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")


def _non_fast_forward(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    wiki.store.proposals.pages_of(number).save_page("Mandate", "# Mandate\n\nWeb edit.\n", base=wiki.store.head(),
                                                    author=GOV, summary="Web edit")
    wiki.git("fetch", "-q", "origin", cwd=clone)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nMine instead.\n"}, "Replace the web edit")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", force=True)


def _bad_page_file(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nFine.\n"}, "Good edit")
    wiki.commit(clone, {"script.js": b"alert(1)\n"}, "Not a page")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")


def _invalid_utf8_page(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\n\xff\xfe\n"}, "Broken bytes")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")


def _orphan_version(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Nowhere.fr.md": b"# Nulle part\n"}, "A version without its page")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")


def _unknown_group(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nOk.\n"}, "Edit\n\nStakeholder-Group: aliens")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")


def _delete_proposal_branch(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = wiki.clone()
    return lambda: wiki.push(clone, f":refs/heads/proposals/{number}")


def _recreate_missing_branch(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    git(wiki.store.path, "update-ref", "-d", f"refs/heads/proposals/{number}")
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nNew.\n"}, "Edit")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}")


def _metadata_branch(wiki: Wiki) -> Push:
    number = propose(wiki)
    clone = wiki.clone()
    wiki.git("checkout", "-q", "-b", "meta", "origin/meta/proposals", cwd=clone)
    event = (b"kind: endorse\nuser: mallory\ngroup: governments\ntime: 2026-01-01T00:00:00Z\nhead: x\n\n"
             b"Endorsed by hand.\n")
    wiki.commit(clone, {f"{number}/000002-endorse-abcdef.txt": event}, "Endorse by hand")
    return lambda: wiki.push(clone, f"HEAD:{META_REF}")


def _other_branch(wiki: Wiki) -> Push:
    propose(wiki)
    clone = wiki.clone()
    return lambda: wiki.push(clone, "HEAD:refs/heads/other")


def _proposal_branch_not_a_number(wiki: Wiki) -> Push:
    propose(wiki)
    clone = wiki.clone()
    return lambda: wiki.push(clone, "HEAD:refs/heads/proposals/x")


def _proposal_number_with_leading_zero(wiki: Wiki) -> Push:
    propose(wiki)
    clone = wiki.clone()
    return lambda: wiki.push(clone, "HEAD:refs/heads/proposals/01")


def _good_proposal_push_with_a_bad_branch(wiki: Wiki) -> Push:
    """One refused ref refuses the whole push: the open proposal does not move either."""
    number = propose(wiki)
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nFine.\n"}, "Good edit")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", "HEAD:refs/heads/other")


@pytest.mark.parametrize(("scenario", "message"), [
    (_unknown_proposal, "refs/heads/proposals/7: there is no proposal 7"),
    (_closed_proposal, "proposal 1 is closed; it can no longer change"),
    (_merged_proposal, "proposal 1 is merged; it can no longer change"),
    (_non_fast_forward, "a proposal's branch only moves forward"),
    (_bad_page_file, "script.js: only pages"),
    (_invalid_utf8_page, "Mandate.md: The page is not valid UTF-8 text"),
    (_orphan_version, "Nowhere.fr.md: the 'fr' version of 'Nowhere', which does not exist"),
    (_unknown_group, "unknown Stakeholder-Group 'aliens'"),
    (_delete_proposal_branch, "a proposal's branch cannot be deleted"),
    (_recreate_missing_branch, "the branch of proposal 1 does not exist yet"),
    (_metadata_branch, "refs/heads/meta/proposals: the proposals' rationales, discussion"),
    (_other_branch, "refs/heads/other: only refs/heads/main and new tags"),
    (_proposal_branch_not_a_number, "refs/heads/proposals/x: not a proposal's branch"),
    (_proposal_number_with_leading_zero, "refs/heads/proposals/01: not a proposal's branch"),
    (_good_proposal_push_with_a_bad_branch, "refs/heads/other: only refs/heads/main and new tags"),
])
def test_refused_proposal_push_changes_nothing(wiki: Wiki, scenario: Scenario, message: str) -> None:
    push = scenario(wiki)
    before = refs(wiki)
    result = push()
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "The wiki refused this push; nothing was changed" in result.stderr
    assert "! [remote rejected]" in result.stderr
    assert refs(wiki) == before


def test_a_push_tells_the_watchers_and_the_groups_awaited(wiki: Wiki) -> None:
    """A push is told like the same change made in the wiki (issue 27): a page changed on main to
    its watchers, a proposal's new draft to the groups it now awaits."""
    app = wiki.app
    users, inbox = app.extensions["wiki_users"], app.extensions["wiki_inbox"]
    watcher = users.require("editor")
    inbox.watch(watcher.id, "page/Mandate")
    clone = wiki.clone()
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nPushed to main.\n"}, "Reword the mandate")
    wiki.push(clone, "HEAD:main")
    wait_until(lambda: inbox.unread(watcher.id), "the watcher told of the push")  # told once the push is over
    search = app.extensions["wiki_search"]  # and the search index follows the push by itself
    wait_until(lambda: search.indexed_commit() == wiki.store.head(), "the search index after the push", seconds=20)
    [row] = inbox.page(watcher.id)
    assert (row.subject, row.reason, row.activity, row.actor) == ("page/Mandate", "watching", "edited", "admin")
    number = propose(wiki)
    reviewer = users.require("reviewer")
    inbox.mark_read(reviewer.id)
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nPushed to the proposal.\n"}, "Reword it again")
    wiki.push(clone, f"work:proposals/{number}")
    wait_until(lambda: inbox.unread(reviewer.id), "the reviewer told of the push")
    assert inbox.unread(reviewer.id) == 1
    [row] = [row for row in inbox.page(reviewer.id) if row.subject == f"proposal/{number}"]
    assert (row.reason, row.activity) == ("awaiting", "drafted")
