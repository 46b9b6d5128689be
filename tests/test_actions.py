"""The actions layer (issue 22): every way in changes the wiki through ``wiki.actions``, so a rule
holds whichever way a change arrives; settings are checked when the app is made."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from wiki.settings import InvalidSetting
from wiki.store import Author

from .conftest import make_app
from .support.app import bearer

ROOT = Path(__file__).resolve().parent.parent
API = "/-/api/v1"




def test_a_proposal_renaming_a_commented_page_merged_through_the_api_takes_its_threads(
        app: Flask, client: FlaskClient) -> None:
    store = app.extensions["wiki_store"]
    editor, admin = bearer(app, "editor"), bearer(app, "admin")
    started = client.post(f"{API}/comments", headers=editor, json={
        "page": "Mandate", "rev": store.head(), "quote": "Mandate", "text": "Which mandate?"})
    assert started.status_code == 201, started.get_data(as_text=True)
    thread = started.get_json()["number"]
    created = client.post(f"{API}/proposals", headers=editor, json={"title": "Rename the mandate"})
    number = created.get_json()["number"]
    drafter = Author(name="Eda Editor", email="editor@example.org", username="editor", group="civil-society")
    store.proposals.pages_of(number).rename_page("Mandate", "Terms_of_reference", author=drafter)

    merged = client.post(f"{API}/proposals/{number}/merge", headers=admin, json={"reason": "The chair decided"})

    assert merged.status_code == 200, merged.get_data(as_text=True)
    assert client.get(f"{API}/comments/{thread}").get_json()["page"] == "Terms_of_reference"
    listed = client.get("/Terms_of_reference/-/comments").get_data(as_text=True)
    assert f'id="thread-{thread}"' in listed and "Which mandate?" in listed
    assert client.get("/Mandate/-/comments").status_code == 404


@pytest.mark.parametrize("value", ["42", '[""]', '{"a": 1}', "[1, 2]", "3.5"])
def test_a_wrong_setting_stops_the_cli_with_one_line_naming_it(tmp_path: Path, value: str) -> None:
    env = {**os.environ, "WIKI_INSTANCE_PATH": str(tmp_path / "instance"), "WIKI_PROPOSALS_REQUIRED": value}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "wiki", "users", "list"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1
    assert len(lines) == 1 and "PROPOSALS_REQUIRED" in lines[0] and "accepts" in lines[0], result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(("name", "value"), [("MAX_PAGE_BYTES", "big"), ("GROUPS", []), ("PUBLIC_READ", "maybe"),
                                             ("CONTENT_LANGUAGE", "de"), ("HISTORY_PAGE_SIZE", 0)])
def test_wrong_settings_are_refused_when_the_app_is_made(tmp_path: Path, name: str, value: object) -> None:
    with pytest.raises(InvalidSetting) as refused:
        make_app(tmp_path / "instance", **{name: value})
    assert name in str(refused.value.code)


@pytest.mark.parametrize("value", [False, [], "false"])
def test_false_and_an_empty_list_require_no_proposals(tmp_path: Path, value: object) -> None:
    app = make_app(tmp_path / "instance", PROPOSALS_REQUIRED=value)
    client = app.test_client()
    store = app.extensions["wiki_store"]
    saved = client.put(f"{API}/pages/Mandate", headers=bearer(app, "editor"),
                       json={"text": "# Mandate\n\nChanged directly.\n", "base": store.head()})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    store.close()


def test_true_requires_proposals_for_every_page_but_not_for_admins(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance", PROPOSALS_REQUIRED=True)
    client = app.test_client()
    store = app.extensions["wiki_store"]
    body = {"text": "# Mandate\n\nChanged directly.\n", "base": store.head()}
    assert client.put(f"{API}/pages/Mandate", headers=bearer(app, "editor"), json=body).status_code == 409
    assert client.put(f"{API}/pages/Mandate", headers=bearer(app, "admin"), json=body).status_code == 200
    store.close()


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(module, names) of each ``from … import …`` in the file, the module made absolute."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[:len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, node.module or ""]).strip(".")
            found.append((module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((alias.name, []) for alias in node.names)
    return found


def test_the_api_and_the_cli_import_nothing_from_the_views() -> None:
    sources = [*sorted((ROOT / "wiki" / "api").glob("*.py")), ROOT / "wiki" / "cli.py"]
    wrong = [(path.name, module) for path in sources for module, _names in _imports(path)
             if module == "wiki.views" or module.startswith("wiki.views.")]
    assert wrong == []


def test_no_module_imports_another_modules_private_names() -> None:
    wrong = [(str(path.relative_to(ROOT)), module, name) for path in sorted((ROOT / "wiki").rglob("*.py"))
             for module, names in _imports(path) for name in names if name.startswith("_") and name != "__version__"]
    assert wrong == []
