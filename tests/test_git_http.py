"""/content.git: the real git client clones, pulls and pushes against a served wiki."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from wiki.store import ATTRIBUTION_NOTES_REF, Author, Store
from wiki.users import LOGIN_FAILURE_LIMIT

from .conftest import PASSWORD, git
from .support.git_http import MAX_ATTACHMENT_BYTES, MAX_PAGE_BYTES, MAX_PUSH_BYTES, TIMEOUT, Wiki, serve


@pytest.fixture
def wiki(tmp_path: Path) -> Iterator[Wiki]:
    yield from serve(tmp_path)


@pytest.fixture
def private_wiki(tmp_path: Path) -> Iterator[Wiki]:
    yield from serve(tmp_path, PUBLIC_READ=False)


def history_html(wiki: Wiki, page: str) -> str:
    return wiki.app.test_client().get(f"/{page}/-/history").get_data(as_text=True)


# --------------------------------------------------------------------------- clone, push, attribution


def test_clone_push_shows_change_and_group(wiki: Wiki) -> None:
    clone = wiki.clone()
    assert (clone / "Mandate.md").is_file()
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nPushed by a maintainer.\n"},
                "Rewrite the mandate\n\nStakeholder-Group: civil-society")
    result = wiki.push(clone)
    assert result.returncode == 0, result.stderr
    pushed = wiki.git("rev-parse", "HEAD", cwd=clone).stdout.strip()
    assert wiki.store.head() == pushed

    client = wiki.app.test_client()
    assert "Pushed by a maintainer." in client.get("/Mandate").get_data(as_text=True)
    history = history_html(wiki, "Mandate")
    assert "Rewrite the mandate" in history
    assert "Civil society" in history


def test_commit_without_trailer_gets_pushers_group_in_a_note(wiki: Wiki) -> None:
    clone = wiki.clone()
    commit = wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nNo trailer here.\n"}, "Edit without trailer")
    chain = wiki.store.path / "objects" / "info" / "commit-graphs" / "commit-graph-chain"
    graphs_before = chain.read_text() if chain.exists() else ""
    assert wiki.push(clone).returncode == 0
    assert chain.read_text() != graphs_before  # the pushed commits joined the commit-graph
    change = wiki.store.page_history("Mandate")[0]
    assert (change.id, change.group) == (commit, "international-organizations")  # admin's group
    assert "International organizations" in history_html(wiki, "Mandate")

    wiki.git("fetch", "-q", "origin", "refs/notes/*:refs/notes/*", cwd=clone)
    note = wiki.git("notes", f"--ref={ATTRIBUTION_NOTES_REF}", "show", commit, cwd=clone).stdout
    assert note == "Stakeholder-Group: international-organizations\nPushed-By: admin\n"


def test_attachments_can_be_pushed_beside_their_page(wiki: Wiki) -> None:
    clone = wiki.clone()
    png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
    wiki.commit(clone, {"Mandate.files/Chart_2014.png": png, "Mandate.files/notes.csv": b"group,count\na,1\n"},
                "Add the chart and its data\n\nStakeholder-Group: governments")
    result = wiki.push(clone)
    assert result.returncode == 0, result.stderr
    client = wiki.app.test_client()
    with client.get("/Mandate/-/attachments/Chart_2014.png") as response:
        assert response.status_code == 200 and response.data == png
    assert "notes.csv" in client.get("/Mandate/-/attachments").get_data(as_text=True)


def test_pushed_group_note_reaches_blame_changes_and_contributions(wiki: Wiki) -> None:
    clone = wiki.clone()
    wiki.commit(clone, {"Mandate.md": b"# Mandate\n\nA line without a trailer.\n"}, "Untrailered push")
    assert wiki.push(clone).returncode == 0
    client = wiki.app.test_client()
    blame = client.get("/Mandate/-/blame").get_data(as_text=True)
    assert "A line without a trailer." in blame and "International organizations" in blame
    changes = client.get("/-/changes?group=international-organizations").get_data(as_text=True)
    assert "Untrailered push" in changes
    assert "Untrailered push" not in client.get("/-/changes?group=civil-society").get_data(as_text=True)
    contributions = wiki.app.extensions["wiki_store"].contributions()
    assert "(none)" not in [tally.key for tally in contributions.groups]


def test_pull_sees_web_edits_and_tags_can_be_pushed(wiki: Wiki) -> None:
    clone = wiki.clone()
    author = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    wiki.store.save_page("Mandate", "# Mandate\n\nEdited on the web.\n", base=wiki.store.head(), author=author,
                         summary="Web edit")
    wiki.git("pull", "-q", "--ff-only", cwd=clone)
    assert (clone / "Mandate.md").read_text(encoding="utf-8") == "# Mandate\n\nEdited on the web.\n"

    wiki.git("tag", "-a", "v1", "-m", "First edition", cwd=clone)
    assert wiki.push(clone, "refs/tags/v1").returncode == 0
    other = wiki.clone()
    assert wiki.git("tag", "--list", cwd=other).stdout.split() == ["v1"]
    moved = wiki.push(clone, "HEAD~1:refs/tags/v1", force=True)
    assert moved.returncode != 0 and "tags cannot be moved" in moved.stderr


def test_push_racing_a_web_edit_is_a_normal_rejection(wiki: Wiki) -> None:
    clone = wiki.clone()
    base = wiki.store.head()
    seed = wiki.store.read_page("Mandate").text
    wiki.commit(clone, {"Mandate.md": (seed + "\nAppended with git.\n").encode()}, "Git edit")
    author = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    wiki.store.save_page("Working_modalities", "Web text.\n", base=base, author=author, summary="Web edit")
    web_head = wiki.store.head()

    rejected = wiki.push(clone)
    assert rejected.returncode != 0
    assert "[rejected]" in rejected.stderr and "fetch first" in rejected.stderr
    assert wiki.store.head() == web_head

    wiki.git("pull", "-q", "--rebase", cwd=clone)
    assert wiki.push(clone).returncode == 0
    assert wiki.store.read_page("Mandate").text.endswith("Appended with git.\n")
    assert wiki.store.read_page("Working_modalities").text == "Web text.\n"

    # A web editor that opened the page before the push merges with it instead of overwriting it.
    result = wiki.store.save_page("Mandate", seed.replace("# Mandate", "# The mandate", 1), base=base,
                                  author=author, summary="Late web edit")
    assert result.merged
    text = wiki.store.read_page("Mandate").text
    assert text.startswith("# The mandate") and text.endswith("Appended with git.\n")


def test_private_wiki_needs_an_account_to_clone(private_wiki: Wiki) -> None:
    refused = private_wiki.git("clone", "-q", private_wiki.url(), str(private_wiki.tmp / "anon"), check=False)
    assert refused.returncode != 0 and "could not read Username" in refused.stderr
    clone = private_wiki.clone("reader")
    assert (clone / "Mandate.md").is_file()


# --------------------------------------------------------------------------- refusals


def _tree_entry(mode: str, name: bytes, object_id: str) -> bytes:
    return mode.encode() + b" " + name + b"\0" + bytes.fromhex(object_id)


def _crafted_commit(wiki: Wiki, clone: Path, directory: bytes, name: bytes) -> str:
    """A commit whose tree holds ``directory/name``, which git would never let us add."""
    def write(kind: str, data: bytes) -> str:
        return subprocess.run(["git", "hash-object", "--literally", "-w", "-t", kind, "--stdin"], cwd=clone,
                              input=data, capture_output=True, check=True, timeout=TIMEOUT).stdout.decode().strip()

    blob = write("blob", b"# Sneaky\n")
    subtree = write("tree", _tree_entry("100644", name, blob))
    existing = subprocess.run(["git", "cat-file", "tree", "HEAD^{tree}"], cwd=clone, capture_output=True,
                              check=True, timeout=TIMEOUT).stdout
    root = write("tree", _tree_entry("40000", directory, subtree) + existing)  # '.' sorts before letters
    return wiki.git("commit-tree", root, "-p", "HEAD", "-m", "Crafted tree", cwd=clone).stdout.strip()


def _random_pages(count: int) -> dict[str, bytes]:
    """Pages of incompressible text, each under the page limit, together over the push limit."""
    import base64
    return {f"Noise_{i}.md": base64.encodebytes(os.urandom(2200)) for i in range(count)}


Scenario = Callable[[Wiki, Path], subprocess.CompletedProcess[str]]


def _anonymous(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.md": b"anonymous\n"}, "Anonymous edit")
    return wiki.push(clone, user=None)


def _wrong_password(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.md": b"guessing\n"}, "Guess")
    return wiki.push(clone, password="not the password")


def _reader(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.md": b"reader\n"}, "Reader edit")
    return wiki.push(clone, user="reader")


def _editor(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.md": b"editor\n"}, "Editor edit")
    return wiki.push(clone, user="editor")


def _delete_main(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    return wiki.push(clone, ":refs/heads/main")


def _force_push(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.git("commit", "-q", "--amend", "-m", "Rewritten history", cwd=clone)
    return wiki.push(clone, force=True)


def _huge_page(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.md": b"long line\n" * (MAX_PAGE_BYTES // 10 + 1)}, "Huge page")
    return wiki.push(clone)


def _huge_pack(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, _random_pages(MAX_PUSH_BYTES // 2000 + 5), "Huge pack")
    return wiki.push(clone)


def _dotdot(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    return wiki.push(clone, _crafted_commit(wiki, clone, b"..", b"x.md") + ":refs/heads/main")


def _dotgit(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    return wiki.push(clone, _crafted_commit(wiki, clone, b".git", b"config") + ":refs/heads/main")


def _not_markdown(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"script.js": b"alert(1)\n"}, "Add a script")
    return wiki.push(clone)


def _fake_attachment(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.files/chart.png": b"<script>alert(1)</script>\n"}, "A text file named .png")
    return wiki.push(clone)


def _bad_attachment_name(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.files/tool.exe": b"MZ\x90\x00"}, "An executable")
    return wiki.push(clone)


def _huge_attachment(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.files/big.txt": b"x" * (MAX_ATTACHMENT_BYTES + 1)}, "A big text")
    return wiki.push(clone)


def _bad_name(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mapping/-x.md": b"dash\n"}, "Bad name")
    return wiki.push(clone)


def _invalid_utf8(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.md": b"caf\xe9 latin-1\n"}, "Latin-1")
    return wiki.push(clone)


def _symlink(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    (clone / "Link.md").symlink_to("/etc/passwd")
    wiki.git("add", "Link.md", cwd=clone)
    wiki.git("commit", "-q", "-m", "Symlink", cwd=clone)
    return wiki.push(clone)


def _unknown_group(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"Mandate.md": b"ok\n"}, "Edit\n\nStakeholder-Group: aliens")
    return wiki.push(clone)


def _other_branch(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    return wiki.push(clone, "HEAD:refs/heads/draft")


def _notes(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.git("notes", f"--ref={ATTRIBUTION_NOTES_REF}", "add", "-m", "Stakeholder-Group: governments", "HEAD",
             cwd=clone)
    return wiki.push(clone, f"{ATTRIBUTION_NOTES_REF}:{ATTRIBUTION_NOTES_REF}")


def _bad_tag_name(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.git("tag", "Release_1", cwd=clone)
    return wiki.push(clone, "refs/tags/Release_1")


def _bad_commit_among_good(wiki: Wiki, clone: Path) -> subprocess.CompletedProcess[str]:
    wiki.commit(clone, {"notes.txt": b"scratch\n"}, "Scratch file")
    wiki.git("rm", "-q", "notes.txt", cwd=clone)
    wiki.git("commit", "-q", "-m", "Remove scratch file", cwd=clone)
    return wiki.push(clone)


@pytest.mark.parametrize(("scenario", "message"), [
    (_anonymous, "could not read Username"),
    (_wrong_password, "Authentication failed"),
    (_reader, "Pushing needs the role 'editor'; reader has the role 'reader'"),
    (_editor, "with the role 'editor' you can push only to the branches of proposals you created"),
    (_delete_main, "main cannot be deleted"),
    (_force_push, "main only moves forward"),
    (_huge_page, "a page can have at most 4,000 bytes"),
    (_huge_pack, "pack exceeds maximum allowed size"),
    (_dotdot, "hasDotdot"),
    (_dotgit, "hasDotgit"),
    (_not_markdown, "script.js: only pages"),
    (_bad_name, "not a valid page name"),
    (_fake_attachment, "but its name ends in '.png'"),
    (_bad_attachment_name, "not a valid attachment name"),
    (_huge_attachment, "an attachment can have at most"),
    (_invalid_utf8, "Mandate.md: The page is not valid UTF-8 text"),
    (_symlink, "not a symbolic link"),
    (_unknown_group, "unknown Stakeholder-Group 'aliens'"),
    (_other_branch, "only refs/heads/main and new tags"),
    (_notes, "notes are written by the wiki"),
    (_bad_tag_name, "tags are the wiki's named versions"),
    (_bad_commit_among_good, "notes.txt: only pages"),
])
def test_refused_push_changes_nothing(wiki: Wiki, scenario: Scenario, message: str) -> None:
    clone = wiki.clone()
    refs_before = git(wiki.store.path, "for-each-ref", "--format=%(refname) %(objectname)")
    result = scenario(wiki, clone)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert git(wiki.store.path, "for-each-ref", "--format=%(refname) %(objectname)") == refs_before
    assert "remote: " in result.stderr or "could not read Username" in result.stderr  # the wiki said why
    if "The wiki refused this push" in result.stderr or "unpack failed" in result.stderr:
        assert "! [remote rejected]" in result.stderr


# --------------------------------------------------------------------------- the HTTP surface


def test_failed_basic_logins_are_rate_limited(wiki: Wiki) -> None:
    client = wiki.app.test_client()
    url = "/content.git/info/refs?service=git-upload-pack"
    for _ in range(LOGIN_FAILURE_LIMIT):
        assert client.get(url, auth=("admin", "wrong password")).status_code == 401
    locked = client.get(url, auth=("admin", PASSWORD))
    assert locked.status_code == 429
    assert "Too many failed" in locked.get_data(as_text=True)


def test_http_answers_for_non_git_requests(wiki: Wiki) -> None:
    client = wiki.app.test_client()
    anonymous = client.post("/content.git/git-receive-pack", data=b"0000",
                            headers={"Content-Type": "application/x-git-receive-pack-request"})
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"].startswith("Basic ")
    assert client.get("/content.git/info/refs").status_code == 403  # the dumb protocol is not served
    for path in ("/content.git", "/content.git/HEAD", "/content.git/objects/info/packs", "/content.git/config"):
        response = client.get(path)
        assert response.status_code == 404
        assert "git clone" in response.get_data(as_text=True)
    advert = client.get("/content.git/info/refs?service=git-upload-pack")
    assert advert.status_code == 200
    assert advert.headers["Content-Type"] == "application/x-git-upload-pack-advertisement"
    assert advert.get_data().startswith(b"001e# service=git-upload-pack\n")
    gzipped = client.post("/content.git/git-upload-pack", data=b"x",
                          headers={"Content-Encoding": "br", "Content-Type": "application/x-git-upload-pack-request"})
    assert gzipped.status_code == 415


def test_store_create_installs_hooks_idempotently(tmp_path: Path) -> None:
    store = Store(tmp_path / "content.git")
    store.create()
    hook = store.path / "hooks" / "pre-receive"
    first = hook.read_text(encoding="utf-8")
    assert "wiki.hooks pre-receive" in first and os.access(hook, os.X_OK)
    store.create()
    assert hook.read_text(encoding="utf-8") == first
    assert os.access(store.path / "hooks" / "post-receive", os.X_OK)
