"""Push integrity (issue 25, item 8): who may push where, and whose name a pushed commit carries.

A pushed commit is attributed to the authenticated pusher (a ``Wiki-User`` trailer naming anyone
else is refused, for admins too); editors push to the branches of open proposals they created and
nowhere else; a page that still holds conflict markers is refused as in the editor. All with the
real git client over HTTP against a served wiki; every refusal leaves every ref where it was.
"""

from __future__ import annotations

import re
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wiki.store import ATTRIBUTION_NOTES_REF, Author

from .conftest import USERS, git
from .support.git_http import Wiki, serve

CONFLICTED = (b"# Mandate\n\n<<<<<<< your version\nOurs.\n=======\nTheirs.\n>>>>>>> their version\n")


@pytest.fixture
def wiki(tmp_path: Path) -> Iterator[Wiki]:
    yield from serve(tmp_path)


def refs(wiki: Wiki) -> str:
    return git(wiki.store.path, "for-each-ref", "--format=%(refname) %(objectname)")


def author(username: str) -> Author:
    role, group, display = USERS[username]
    return Author(name=display, email=f"{username}@example.org", username=username, group=group)


def propose(wiki: Wiki, by: str) -> int:
    return wiki.store.proposals.create(f"A proposal by {by}", "Because.", author=author(by)).number


def on_proposal(wiki: Wiki, number: int, user: str = "editor") -> Path:
    clone = wiki.clone(user)
    wiki.git("checkout", "-q", "-b", "work", f"origin/proposals/{number}", cwd=clone)
    return clone


def note(wiki: Wiki, clone: Path, commit: str) -> str:
    wiki.git("fetch", "-q", "origin", f"+{ATTRIBUTION_NOTES_REF}:{ATTRIBUTION_NOTES_REF}", cwd=clone)
    return wiki.git("notes", f"--ref={ATTRIBUTION_NOTES_REF}", "show", commit, cwd=clone).stdout


# --------------------------------------------------------------------------- accepted


@pytest.mark.parametrize("user", ["editor", "reviewer"])
def test_an_editor_pushes_to_a_proposal_of_their_own(wiki: Wiki, user: str) -> None:
    number = propose(wiki, user)
    main_before = wiki.store.head()
    clone = on_proposal(wiki, number, user)
    group = USERS[user][1]
    commit = wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nFrom my proposal.\n"},
                         f"Reword the mandate\n\nStakeholder-Group: {group}\nWiki-User: {user}")
    result = wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", user=user)
    assert result.returncode == 0, result.stderr
    assert wiki.store.proposals.get(number).head == commit
    assert wiki.store.head() == main_before
    assert note(wiki, clone, commit) == f"Stakeholder-Group: {group}\nPushed-By: {user}\n"


def test_a_write_token_pushes_to_its_owners_proposal(wiki: Wiki) -> None:
    owner = wiki.app.extensions["wiki_users"].require("editor")
    _, secret = wiki.app.extensions["wiki_tokens"].create(owner, "laptop", "write", int(time.time()) + 3600)
    number = propose(wiki, "editor")
    clone = on_proposal(wiki, number)
    commit = wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nWith a token.\n"}, "Token push")
    result = wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", user="editor", password=secret)
    assert result.returncode == 0, result.stderr
    assert wiki.store.proposals.get(number).head == commit


def test_an_admin_may_name_themselves_and_push_one_conflict_marker(wiki: Wiki) -> None:
    """Near misses: a trailer naming the pusher, and a page with only one of the two markers."""
    clone = wiki.clone()
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nGit writes <<<<<<< your version before a conflict.\n"},
                "Explain conflicts\n\nWiki-User: admin")
    result = wiki.push(clone)
    assert result.returncode == 0, result.stderr
    change = wiki.store.page_history("Mandate")[0]
    assert change.username == "admin"


# --------------------------------------------------------------------------- refused

Push = Callable[[], subprocess.CompletedProcess[str]]
Scenario = Callable[[Wiki], Push]


def _admin_names_someone_else(wiki: Wiki) -> Push:
    clone = wiki.clone()
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nWritten by lee?\n"}, "Edit\n\nWiki-User: lee")
    return lambda: wiki.push(clone)


def _someone_else_deep_in_the_push(wiki: Wiki) -> Push:
    clone = wiki.clone()
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nFirst.\n"}, "First\n\nWiki-User: editor")
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nSecond.\n"}, "Second")
    return lambda: wiki.push(clone)


def _editor_names_someone_else(wiki: Wiki) -> Push:
    number = propose(wiki, "editor")
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nMine.\n"}, "Edit\n\nWiki-User: admin")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", user="editor")


def _editor_pushes_main(wiki: Wiki) -> Push:
    clone = wiki.clone("editor")
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nStraight to main.\n"}, "Edit")
    return lambda: wiki.push(clone, user="editor")


def _editor_pushes_a_tag(wiki: Wiki) -> Push:
    clone = wiki.clone("editor")
    return lambda: wiki.push(clone, "HEAD:refs/tags/my-version", user="editor")


def _editor_pushes_another_users_proposal(wiki: Wiki) -> Push:
    number = propose(wiki, "editor2")
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nNot my proposal.\n"}, "Edit")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", user="editor")


def _editor_writes_for_another_group(wiki: Wiki) -> Push:
    number = propose(wiki, "editor")
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nFor governments.\n"}, "Edit\n\nStakeholder-Group: governments")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", user="editor")


def _conflict_markers_on_main(wiki: Wiki) -> Push:
    clone = wiki.clone()
    wiki.commit(clone, {"Mandate.md": CONFLICTED}, "Forgot to resolve")
    return lambda: wiki.push(clone)


def _conflict_markers_in_a_proposal(wiki: Wiki) -> Push:
    number = propose(wiki, "editor")
    clone = on_proposal(wiki, number)
    wiki.commit(clone, {"Mandate.fr.md": CONFLICTED}, "Forgot to resolve")
    return lambda: wiki.push(clone, f"HEAD:refs/heads/proposals/{number}", user="editor")


@pytest.mark.parametrize(("scenario", "message"), [
    (_admin_names_someone_else, "its Wiki-User trailer names 'lee', but admin is pushing"),
    (_someone_else_deep_in_the_push, "its Wiki-User trailer names 'editor', but admin is pushing"),
    (_editor_names_someone_else, "its Wiki-User trailer names 'admin', but editor is pushing"),
    (_editor_pushes_main, "refs/heads/main: with the role 'editor' you can push only to the branches of "
                          "proposals you created"),
    (_editor_pushes_a_tag, "refs/tags/my-version: with the role 'editor' you can push only"),
    (_editor_pushes_another_users_proposal, "proposal 1 was created by editor2"),
    (_editor_writes_for_another_group, "Stakeholder-Group 'governments' is not your group (civil-society)"),
    (_conflict_markers_on_main, "Mandate.md: still contains conflict markers"),
    (_conflict_markers_in_a_proposal, "Mandate.fr.md: still contains conflict markers"),
])
def test_refused_push_changes_nothing(wiki: Wiki, scenario: Scenario, message: str) -> None:
    push = scenario(wiki)
    before = refs(wiki)
    result = push()
    assert result.returncode != 0
    assert message in re.sub(r"\s*\nremote:\s*", " ", result.stderr), result.stderr
    assert "The wiki refused this push; nothing was changed" in result.stderr
    assert refs(wiki) == before
