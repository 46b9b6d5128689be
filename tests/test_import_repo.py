"""flask --app wiki import-repo: a repository written by An Otter Wiki itself, one with renames and
non-ASCII names made with real git, bare and non-bare sources, and bad input that writes nothing.
What was imported is checked through the wiki's HTTP views."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.migrate.plan import clean_segment, page_name, read_authors

from .conftest import git, make_app

ROOT = Path(__file__).resolve().parent.parent
OTTERWIKI_PYTHON = Path(os.environ.get("WIKI_TEST_OTTERWIKI_PYTHON", ROOT / ".venv-otterwiki" / "bin" / "python"))
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000" "1f15c4890000000d49444154789c63f8cf"
                    "c0f01f0005000201ffa1d9e3a60000000049454e44ae426082")
AUTHORS = "email,group\nann@example.org,governments\nBOB@example.org,civil-society\n"


def run_git(repo: Path, *args: str, author: tuple[str, str] = ("Ann", "ann@example.org"),
            date: str = "2020-01-02T03:04:05+00:00") -> str:
    env = {"PATH": os.environ["PATH"], "HOME": str(repo.parent), "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
           "GIT_AUTHOR_NAME": author[0], "GIT_AUTHOR_EMAIL": author[1], "GIT_AUTHOR_DATE": date,
           "GIT_COMMITTER_NAME": author[0], "GIT_COMMITTER_EMAIL": author[1], "GIT_COMMITTER_DATE": date}
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True,
                          env=env).stdout


def commit(repo: Path, files: dict[str, bytes | None], message: str, **who: object) -> str:
    for name, data in files.items():
        path = repo / name
        if data is None:
            run_git(repo, "rm", "-q", "--", name)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        run_git(repo, "add", "--", name)
    run_git(repo, "commit", "-q", "-m", message, **who)  # type: ignore[arg-type]
    return run_git(repo, "rev-parse", "HEAD").strip()


def import_repo(app: Flask, *args: str):  # noqa: ANN201
    return app.test_cli_runner().invoke(args=["import-repo", *args])


@pytest.fixture
def authors(tmp_path: Path) -> Path:
    path = tmp_path / "authors.csv"
    path.write_text(AUTHORS, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- An Otter Wiki


@pytest.fixture(scope="module")
def otter_repository(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A repository written by An Otter Wiki's own code (tests/otterwiki_writer.py, in its virtualenv)."""
    if not OTTERWIKI_PYTHON.exists():
        pytest.fail(f"An Otter Wiki's virtualenv is missing ({OTTERWIKI_PYTHON}): `make test` makes it "
                    "(see the Makefile's .venv-otterwiki rule)")
    repository = tmp_path_factory.mktemp("otter") / "wiki"
    result = subprocess.run([str(OTTERWIKI_PYTHON), str(ROOT / "tests" / "otterwiki_writer.py"), str(repository)],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    return repository, json.loads(result.stdout)


def test_an_otter_wiki_repository_imports_with_history_attachments_and_groups(
        tmp_path: Path, otter_repository: tuple[Path, dict], authors: Path) -> None:
    repository, written = otter_repository
    assert sorted(written["files"]) == ["guides/getting started.md", "home.md", "home/otter.png"]
    app = make_app(tmp_path / "instance")
    result = import_repo(app, str(repository), "--authors", str(authors))
    assert result.exit_code == 0, result.output
    assert "home.md -> Home.md" in result.output and "home/otter.png -> Home.files/otter.png" in result.output
    assert "Imported 8 commits" in result.output
    store = app.extensions["wiki_store"]
    client = app.test_client()

    home = client.get("/Home").get_data(as_text=True)
    assert "Welcome to the otters" in home
    assert "Second steps." in client.get("/guides/Getting_Started").get_data(as_text=True)
    assert client.get("/Notes").status_code == 404  # deleted in An Otter Wiki, so not here either

    history = client.get("/Home/-/history").get_data(as_text=True)
    assert "Write the home page" in history and "Initial commit" in history  # across the rename
    assert "Governments" in history and "Ann Otter" in history
    guide = client.get("/guides/Getting_Started/-/history").get_data(as_text=True)
    for subject in ("Add a guide", "Extend the guide", "Move the guide"):
        assert subject in guide
    assert "Civil society" in guide and "Governments" in guide
    blame = client.get("/guides/Getting_Started/-/blame").get_data(as_text=True)
    assert "Civil society" in blame and "Governments" in blame

    assert "otter.png" in client.get("/Home/-/attachments").get_data(as_text=True)
    download = client.get("/Home/-/attachments/otter.png")
    assert download.status_code == 200 and download.data.startswith(b"\x89PNG")
    contributions = client.get("/-/contributions").get_data(as_text=True)
    assert "Civil society" in contributions and "Governments" in contributions

    # every commit of An Otter Wiki kept its id, author, date and message; one commit on top
    source = [line.split(" ", 2) for line in written["log"]]
    ours = git(store.path, "log", "--format=%H %ae %s", "main").splitlines()
    assert [line.split(" ", 2) for line in ours[1:]] == source
    assert git(store.path, "log", "-1", "--format=%ad", source[-1][0]) == git(
        repository / ".git", "log", "-1", "--format=%ad", source[-1][0])
    assert store.pushed_group(source[0][0]) == "civil-society"  # bob, written as BOB@ in the authors file
    assert store.pushed_group(source[-1][0]) == ""  # An Otter Wiki's robot: in no group
    assert store.check() == [] and store.fsck()[0]
    assert not any(ref.startswith("refs/import/") for ref in store.refs())


# --------------------------------------------------------------------------- renames, non-ASCII names


@pytest.fixture
def renamed_repository(tmp_path: Path) -> Path:
    """A Gollum-like repository made with real git: renames, non-ASCII names, names to fix."""
    repo = tmp_path / "source"
    repo.mkdir()
    run_git(repo, "init", "-q", "-b", "master")
    commit(repo, {"Home.md": b"# Home\n\nStart.\n", "Draft: plan?.md": "Plan *première*.\n".encode()},
           "Start", date="2019-05-01T10:00:00+00:00")
    commit(repo, {"Über uns.md": "# Über uns\n\nWir.\n".encode(),
                  "Картина/Кибербезопасность.md": "# Кибербезопасность\n\nТекст.\n".encode()},
           "Add the non-ASCII pages", author=("Bob", "bob@example.org"), date="2019-05-02T10:00:00+00:00")
    run_git(repo, "mv", "Über uns.md", "Über das Projekt.md")
    run_git(repo, "commit", "-q", "-m", "Rename a page", date="2019-05-03T10:00:00+00:00")
    commit(repo, {"docs/互联网治理.markdown": "# 互联网治理\n\n内容。\n".encode(), "docs/images/logo.png": PNG,
                  "custom.css": b"body{}\n", "README.md": b"readme\n", "readme.MD": b"twin\n"},
           "Add docs", author=("Carla", "carla@example.org"), date="2019-05-04T10:00:00+00:00")
    commit(repo, {"Über das Projekt.md": "# Über das Projekt\n\nWir und ihr.\n".encode()}, "Edit after the rename",
           author=("Bob", "bob@example.org"), date="2019-05-05T10:00:00+00:00")
    return repo


@pytest.mark.parametrize("bare", [False, True], ids=["working-copy", "bare"])
def test_renames_and_non_ascii_names(tmp_path: Path, renamed_repository: Path, authors: Path, bare: bool) -> None:
    source = renamed_repository
    if bare:
        source = tmp_path / "source.git"
        subprocess.run(["git", "clone", "-q", "--bare", str(renamed_repository), str(source)], check=True)
    app = make_app(tmp_path / "instance")
    result = import_repo(app, str(source), "--authors", str(authors))
    assert result.exit_code == 0, result.output
    assert ("bare repository" if bare else "working copy") in result.output
    store = app.extensions["wiki_store"]
    assert set(store.list_pages()) == {"Home", "Draft_plan", "Über_das_Projekt", "Картина/Кибербезопасность",
                                       "docs/互联网治理", "README", "readme_2"}
    assert "custom.css: not a kind of file the wiki accepts" in result.output
    client = app.test_client()
    assert "Wir und ihr." in client.get("/Über_das_Projekt").get_data(as_text=True)
    history = client.get("/Über_das_Projekt/-/history").get_data(as_text=True)
    assert "Edit after the rename" in history and "Add the non-ASCII pages" in history  # across git mv
    assert "Civil society" in history
    assert "Текст." in client.get("/Картина/Кибербезопасность").get_data(as_text=True)
    assert "内容" in client.get("/docs/互联网治理").get_data(as_text=True)
    assert client.get("/docs/互联网治理/-/attachments/logo.png").status_code == 404  # no page docs/images
    assert client.get("/Home/-/attachments/logo.png").data == PNG  # attached to Home instead
    changes = client.get("/-/changes").get_data(as_text=True)
    assert "Add docs" in changes and "Carla" in changes
    last = git(store.path, "log", "-1", "--format=%s", "main")
    assert last.startswith("Import source") and git(store.path, "log", "--format=%ad", "--date=short",
                                                    "main~1") .startswith("2019-05-05")


# --------------------------------------------------------------------------- refusals and modes


def test_a_dry_run_reports_and_writes_nothing(tmp_path: Path, renamed_repository: Path) -> None:
    app = make_app(tmp_path / "instance")
    store = app.extensions["wiki_store"]
    before = store.refs()
    result = import_repo(app, str(renamed_repository), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "Draft: plan?.md -> Draft_plan.md" in result.output and "Dry run: nothing was written." in result.output
    assert store.refs() == before


def test_a_wiki_with_edits_is_refused_unless_forced(tmp_path: Path, app: Flask, client: FlaskClient,
                                                     renamed_repository: Path) -> None:
    store = app.extensions["wiki_store"]
    from wiki.store import Author

    store.save_page("Home", "# Our own home\n", base=store.head(), summary="ours",
                    author=Author(name="Eda", email="eda@example.org", username="editor", group="civil-society"))
    head = store.head()
    refused = import_repo(app, str(renamed_repository))
    assert refused.exit_code != 0 and "already has edits" in refused.output and store.head() == head
    forced = import_repo(app, str(renamed_repository), "--force")
    assert forced.exit_code == 0, forced.output
    assert "Our own home" in client.get("/Home").get_data(as_text=True)  # kept
    assert "Start." in client.get("/Home_2").get_data(as_text=True)  # the imported Home beside it
    assert store.commit_info(store.head()).parents == (head, run_git(renamed_repository, "rev-parse", "HEAD").strip())


def bad_sources(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "file.txt").write_text("not a repository")
    no_commits = tmp_path / "no-commits"
    no_commits.mkdir()
    run_git(no_commits, "init", "-q")
    binary = tmp_path / "binary"
    binary.mkdir()
    run_git(binary, "init", "-q")
    commit(binary, {"Home.md": b"# Home\n", "Blob.md": b"\x00\x01\x02binary\xff"}, "binary page")
    huge = tmp_path / "huge"
    huge.mkdir()
    run_git(huge, "init", "-q")
    commit(huge, {"Home.md": b"# Home\n", "Big.md": b"x" * 5000}, "huge page")
    huge_file = tmp_path / "huge-file"
    huge_file.mkdir()
    run_git(huge_file, "init", "-q")
    commit(huge_file, {"Home.md": b"# Home\n", "Home/big.png": PNG + b"\0" * 9000}, "huge attachment")
    no_pages = tmp_path / "no-pages"
    no_pages.mkdir()
    run_git(no_pages, "init", "-q")
    commit(no_pages, {"notes.txt": b"text\n"}, "no pages")
    return {
        "missing": (tmp_path / "nowhere", "is not a folder"),
        "not a repository": (empty, "is not a Git repository"),
        "no commits": (no_commits, "has no commits"),
        "binary page": (binary, "Blob.md: The page is not valid UTF-8 text; binary content"),
        "huge page": (huge, "Big.md: 5000 bytes, over the page limit MAX_PAGE_BYTES"),
        "huge attachment": (huge_file, "Home/big.png: 9071 bytes, over the attachment limit"),
        "no pages": (no_pages, "has no Markdown pages"),
    }


@pytest.mark.parametrize("case", ["missing", "not a repository", "no commits", "binary page", "huge page",
                                  "huge attachment", "no pages"])
def test_bad_sources_write_nothing(tmp_path: Path, case: str) -> None:
    app = make_app(tmp_path / "instance", MAX_PAGE_BYTES=4000, MAX_ATTACHMENT_BYTES=9000)
    store = app.extensions["wiki_store"]
    before = store.refs()
    source, message = bad_sources(tmp_path)[case]
    result = import_repo(app, str(source))
    assert result.exit_code != 0
    assert message in result.output and "Nothing was written." in result.output
    assert store.refs() == before and store.is_pristine()


@pytest.mark.parametrize(("text", "message"), [
    ("ann@example.org,governments,extra\n", "line 1: expected two fields"),
    ("email,group\nnot-an-address,governments\n", "line 2: 'not-an-address' is not an e-mail address"),
    ("ann@example.org,astronauts\n", "line 1: 'astronauts' is not one of this wiki's groups"),
    ("ann@example.org,governments\nANN@example.org,civil-society\n", "line 2: 'ANN@example.org' was given another"),
])
def test_a_malformed_authors_file_writes_nothing(tmp_path: Path, renamed_repository: Path, text: str,
                                                 message: str) -> None:
    app = make_app(tmp_path / "instance")
    store = app.extensions["wiki_store"]
    before = store.refs()
    (tmp_path / "authors.csv").write_text(text, encoding="utf-8")
    result = import_repo(app, str(renamed_repository), "--authors", str(tmp_path / "authors.csv"))
    assert result.exit_code != 0 and message in result.output, result.output
    assert store.refs() == before


def test_the_authors_file_reader() -> None:
    groups = {"governments": "Governments", "civil-society": "Civil society"}
    assert read_authors("# people\n\nAnn@Example.org , governments\n", groups) == {"ann@example.org": "governments"}


@pytest.mark.parametrize(("path", "heading", "page"), [
    ("home.md", "Home", "Home"),
    ("getting started.md", "Getting Started", "Getting_Started"),
    ("Getting-Started.md", None, "Getting-Started"),
    ("a/b:c?.markdown", None, "a/b_c"),
    ("notes.fr.md", None, "notes_fr"),
    (".hidden/x.md", None, "hidden/x"),
    ("x.git.md", None, "x_git"),
    ("Über uns.md", "Über uns", "Über_uns"),
    ("/".join("abcdefghij") + ".md", None, "a/b/c/d/e/f/g/h_i_j"),
])
def test_page_names_for_files(path: str, heading: str | None, page: str) -> None:
    assert page_name(path, heading) == page


def test_clean_segment_never_returns_a_refused_part() -> None:
    for raw in ("...", "-x-", "a.md", "b.files", "\u202ex", "", "_x_"):
        assert clean_segment(raw) and clean_segment(raw)[0] not in ".-_"


def test_the_command_is_listed(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["import-repo", "--help"])
    assert result.exit_code == 0 and "--authors" in result.output and "--dry-run" in result.output
    assert sys.executable  # the same interpreter runs the command as the app
