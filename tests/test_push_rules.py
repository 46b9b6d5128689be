"""Push rules for what would break the wiki after an accepted push (issue 12, items 7-9).

Each refusal is made by the real git client over HTTP against a served wiki and must leave
every ref where it was; the near misses next to them must still be accepted.
"""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wiki.store import ATTRIBUTION_NOTES_REF

from .conftest import git
from .support.git_http import TIMEOUT, Wiki, serve

NOW = int(time.time())
DAY = 24 * 3600


@pytest.fixture
def wiki(tmp_path: Path) -> Iterator[Wiki]:
    yield from serve(tmp_path)


def refs(wiki: Wiki) -> str:
    return git(wiki.store.path, "for-each-ref", "--format=%(refname) %(objectname)")


def raw_commit(clone: Path, *, author: bytes = b"Maintainer <maintainer@example.org>",
               author_date: bytes = str(NOW).encode() + b" +0000",
               committer: bytes = b"Maintainer <maintainer@example.org>",
               committer_date: bytes = str(NOW).encode() + b" +0000",
               message: bytes = b"Edit the mandate\n", page: bytes = b"# Mandate\n\nPushed.\n") -> str:
    """A commit on HEAD changing Mandate.md, written byte for byte (git would not write these)."""
    def run(*args: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", *args], cwd=clone, input=data, capture_output=True, check=True,
                              timeout=TIMEOUT).stdout.decode().strip()

    blob = run("hash-object", "-w", "--stdin", data=page)
    entries = run("ls-tree", "HEAD").splitlines()
    lines = [entry for entry in entries if not entry.endswith("\tMandate.md")] + [f"100644 blob {blob}\tMandate.md"]
    tree = run("mktree", data="".join(f"{line}\n" for line in lines).encode())
    parent = run("rev-parse", "HEAD")
    body = (b"tree " + tree.encode() + b"\nparent " + parent.encode() + b"\nauthor " + author + b" " + author_date
            + b"\ncommitter " + committer + b" " + committer_date + b"\n\n" + message)
    return run("hash-object", "--literally", "-w", "-t", "commit", "--stdin", data=body)


def push_commit(wiki: Wiki, clone: Path, commit: str) -> subprocess.CompletedProcess[str]:
    return wiki.push(clone, f"{commit}:refs/heads/main")


def notes_merge(wiki: Wiki, clone: Path, *, notes_first: bool) -> str:
    """A merge of main and the wiki's attribution notes (files named by commit ids, not pages)."""
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nFirst push.\n"}, "First push")
    assert wiki.push(clone).returncode == 0  # the post-receive hook writes the notes ref
    wiki.git("fetch", "-q", "origin", f"+{ATTRIBUTION_NOTES_REF}:{ATTRIBUTION_NOTES_REF}", cwd=clone)
    if notes_first:
        wiki.git("checkout", "-q", "-b", "from-notes", ATTRIBUTION_NOTES_REF, cwd=clone)
        wiki.git("merge", "-q", "--allow-unrelated-histories", "--no-edit", "main", cwd=clone)
    else:
        wiki.git("merge", "-q", "--allow-unrelated-histories", "--no-edit", ATTRIBUTION_NOTES_REF, cwd=clone)
    return wiki.git("rev-parse", "HEAD", cwd=clone).stdout.strip()


Push = Callable[[], subprocess.CompletedProcess[str]]
Scenario = Callable[[Wiki, Path], Push]  # prepares, and returns the push to refuse


def _author_date_absurd(wiki: Wiki, clone: Path) -> Push:
    return lambda: push_commit(wiki, clone, raw_commit(clone, author_date=b"99999999999999 +0000"))


def _committer_date_absurd(wiki: Wiki, clone: Path) -> Push:
    return lambda: push_commit(wiki, clone, raw_commit(clone, committer_date=b"99999999999999 +0000"))


def _committer_date_next_year(wiki: Wiki, clone: Path) -> Push:
    next_year = str(NOW + 365 * DAY).encode() + b" +0000"
    return lambda: push_commit(wiki, clone, raw_commit(clone, committer_date=next_year))


def _absurd_time_zone(wiki: Wiki, clone: Path) -> Push:
    return lambda: push_commit(wiki, clone, raw_commit(clone, author_date=str(NOW).encode() + b" +9959"))


def _record_separator_in_author_name(wiki: Wiki, clone: Path) -> Push:
    return lambda: push_commit(wiki, clone, raw_commit(clone, author=b"Mal\x1elory <mallory@example.org>"))


def _control_character_in_committer_email(wiki: Wiki, clone: Path) -> Push:
    return lambda: push_commit(wiki, clone, raw_commit(clone, committer=b"Mallory <mal\x07lory@example.org>"))


def _unit_separator_in_trailer(wiki: Wiki, clone: Path) -> Push:
    message = b"Edit\n\nStakeholder-Group: civil-society\x1fgovernments\n"
    commit = raw_commit(clone, message=message)
    return lambda: push_commit(wiki, clone, commit)


def _record_separator_in_subject(wiki: Wiki, clone: Path) -> Push:
    return lambda: push_commit(wiki, clone, raw_commit(clone, message=b"Edit\x1ethe mandate\n"))


def _notes_as_first_parent(wiki: Wiki, clone: Path) -> Push:
    merge = notes_merge(wiki, clone, notes_first=True)
    return lambda: push_commit(wiki, clone, merge)


def _notes_as_second_parent(wiki: Wiki, clone: Path) -> Push:
    merge = notes_merge(wiki, clone, notes_first=False)
    return lambda: push_commit(wiki, clone, merge)


def _tag_main(wiki: Wiki, clone: Path) -> Push:
    wiki.git("tag", "main", "HEAD", cwd=clone)
    return lambda: wiki.push(clone, "refs/tags/main:refs/tags/main")


def _tag_head(wiki: Wiki, clone: Path) -> Push:
    return lambda: wiki.push(clone, "HEAD:refs/tags/head")


def _tag_upper_case_head(wiki: Wiki, clone: Path) -> Push:
    return lambda: wiki.push(clone, "HEAD:refs/tags/HEAD")


def _tag_origin(wiki: Wiki, clone: Path) -> Push:
    return lambda: wiki.push(clone, "HEAD:refs/tags/origin")


def _branch_named_like_a_tag(wiki: Wiki, clone: Path) -> Push:
    wiki.git("tag", "-a", "first-edition", "-m", "First edition", cwd=clone)
    assert wiki.push(clone, "refs/tags/first-edition").returncode == 0
    return lambda: wiki.push(clone, "HEAD:refs/heads/first-edition")


@pytest.mark.parametrize(("scenario", "message"), [
    (_author_date_absurd, "author date 99999999999999 (about the year 3,170,"),
    (_committer_date_absurd, "committer date 99999999999999"),
    (_committer_date_next_year, "is in the future"),
    (_absurd_time_zone, "time zone +9959 is not a real offset"),
    (_record_separator_in_author_name, "author name contains the control character U+001E"),
    (_control_character_in_committer_email, "committer e-mail contains the control character U+0007"),
    (_unit_separator_in_trailer, "contains the control character U+001F"),
    (_record_separator_in_subject, "contains the control character U+001E"),
    (_notes_as_first_parent, "only pages (Markdown files"),
    (_notes_as_second_parent, "only pages (Markdown files"),
    (_tag_main, "refs/tags/main: a branch named 'main' exists"),
    (_tag_head, "'head' is reserved"),
    (_tag_upper_case_head, "'HEAD' is reserved"),
    (_tag_origin, "'origin' is reserved"),
    (_branch_named_like_a_tag, "refs/heads/first-edition: a tag named 'first-edition' exists"),
])
def test_push_the_wiki_could_not_show_is_refused(wiki: Wiki, scenario: Scenario, message: str) -> None:
    clone = wiki.clone()
    push = scenario(wiki, clone)
    before = refs(wiki)
    result = push()
    after = refs(wiki)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert "The wiki refused this push; nothing was changed" in result.stderr
    assert "! [remote rejected]" in result.stderr
    assert after == before
    assert wiki.app.test_client().get("/-/changes").status_code == 200


def test_notes_merge_refusal_names_the_note_file(wiki: Wiki) -> None:
    clone = wiki.clone()
    merge = notes_merge(wiki, clone, notes_first=True)
    first_push = wiki.git("rev-parse", "main", cwd=clone).stdout.strip()
    result = push_commit(wiki, clone, merge)
    assert result.returncode != 0
    assert f"{first_push}: only pages" in result.stderr, result.stderr
    assert wiki.store.head() == first_push


# --------------------------------------------------------------------------- what must still pass


def test_old_dates_time_zones_and_tabs_pass(wiki: Wiki) -> None:
    """Imported history keeps its dates (1970 on); real offsets of either sign; tabs in messages."""
    clone = wiki.clone()
    commit = raw_commit(clone, author_date=b"0 -1200", committer_date=str(NOW + 3600).encode() + b" +1400",
                        author="Zoë Ünïcode <zoe@example.org>".encode(),
                        message=b"Import the 1970 mandate\n\n\tIndented line\r\n\nStakeholder-Group: governments\n")
    result = push_commit(wiki, clone, commit)
    assert result.returncode == 0, result.stderr
    assert wiki.store.head() == commit
    client = wiki.app.test_client()
    for url in ("/-/changes", "/Mandate/-/history", "/-/pages", "/Mandate"):
        assert client.get(url).status_code == 200, url
    assert "Import the 1970 mandate" in client.get("/Mandate/-/history").get_data(as_text=True)


def test_merges_of_pages_and_version_tags_pass(wiki: Wiki) -> None:
    clone = wiki.clone()
    wiki.git("checkout", "-q", "-b", "side", cwd=clone)
    wiki.commit(clone, {"Side_page.md": b"# Side\n"}, "Add a side page")
    wiki.git("checkout", "-q", "main", cwd=clone)
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nMain line.\n"}, "Edit the mandate")
    wiki.git("merge", "-q", "--no-edit", "side", cwd=clone)
    wiki.git("tag", "-a", "second-edition", "-m", "Second edition", cwd=clone)
    result = wiki.push(clone, "HEAD:refs/heads/main", "refs/tags/second-edition")
    assert result.returncode == 0, result.stderr
    assert wiki.store.head() == wiki.git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    assert "refs/tags/second-edition" in refs(wiki)
    # A merge whose first parent is the side branch (both new) passes too.
    wiki.git("checkout", "-q", "side", cwd=clone)
    wiki.commit(clone, {"Side_page.md": b"# Side\n\nMore.\n"}, "Extend the side page")
    wiki.git("merge", "-q", "--no-edit", "main", cwd=clone)
    result = wiki.push(clone, "HEAD:refs/heads/main")
    assert result.returncode == 0, result.stderr


def test_a_push_cannot_turn_a_page_into_a_folder(wiki: Wiki) -> None:
    """``Mandate.md/Child.md`` would make the page file ``Mandate.md`` a folder (issue 12, item 4)."""
    clone = wiki.clone()
    (clone / "Mandate.md").unlink()
    wiki.git("rm", "-q", "--cached", "Mandate.md", cwd=clone)
    wiki.commit(clone, {"Mandate.md/Child.md": b"# Child\n"}, "Replace a page by a folder")
    before = refs(wiki)
    result = wiki.push(clone)
    assert result.returncode != 0 and "Mandate.md/Child.md" in result.stderr
    assert refs(wiki) == before and wiki.store.page_exists("Mandate")
