"""The ``flask --app wiki`` commands: init and user management."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.request
from pathlib import Path

from flask import Flask
from flask.testing import FlaskCliRunner

from .conftest import csrf_token
from .support.servers import gunicorn


def test_users_create_with_password_stdin_and_login(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "maria", "--group", "governments", "--role", "reviewer",
                                 "--display-name", "María Pérez", "--email", "maria@example.org",
                                 "--password-stdin"], input="a good password\n")
    assert result.exit_code == 0, result.output
    user = app.extensions["wiki_users"].authenticate("maria", "a good password")
    assert user and user.role == "reviewer" and user.group == "governments" and user.display_name == "María Pérez"
    client = app.test_client()
    response = client.post("/-/login", data={"username": "maria", "password": "a good password",
                                             "csrf_token": csrf_token(client)})
    assert response.status_code == 302


def test_users_create_prompts_for_password(app: Flask, runner: FlaskCliRunner) -> None:
    result = runner.invoke(args=["users", "create", "omar", "--group", "civil-society"],
                           input="long enough pw\nlong enough pw\n")
    assert result.exit_code == 0, result.output
    assert app.extensions["wiki_users"].authenticate("omar", "long enough pw").role == "editor"


def test_users_create_refusals(runner: FlaskCliRunner) -> None:
    cases = [
        (["users", "create", "x1", "--group", "nope", "--password-stdin"], "password1\n", "Unknown stakeholder group"),
        (["users", "create", "editor", "--group", "governments", "--password-stdin"], "password1\n", "already exists"),
        (["users", "create", "bad name!", "--group", "governments", "--password-stdin"], "password1\n", "user name"),
        (["users", "create", "shorty", "--group", "governments", "--password-stdin"], "short\n", "at least 8"),
    ]
    for args, stdin, message in cases:
        result = runner.invoke(args=args, input=stdin)
        assert result.exit_code != 0 and message in result.output, (args, result.output)


def test_users_list_set_role_group_password_delete(app: Flask, runner: FlaskCliRunner) -> None:
    listing = runner.invoke(args=["users", "list"]).output
    assert "editor\teditor\tcivil-society\tEda Editor" in listing
    assert runner.invoke(args=["users", "set-role", "editor", "reviewer"]).exit_code == 0
    assert runner.invoke(args=["users", "set-group", "editor", "governments"]).exit_code == 0
    assert runner.invoke(args=["users", "set-group", "editor", "martians"]).exit_code == 1
    assert runner.invoke(args=["users", "set-password", "editor", "--password-stdin"],
                         input="brand new password\n").exit_code == 0
    user = app.extensions["wiki_users"].authenticate("editor", "brand new password")
    assert user and user.role == "reviewer" and user.group == "governments"
    assert runner.invoke(args=["users", "delete", "editor", "--yes"]).exit_code == 0
    assert app.extensions["wiki_users"].by_username("editor") is None
    assert runner.invoke(args=["users", "delete", "editor", "--yes"]).exit_code == 1


def test_init_creates_admin_once(tmp_path: Path) -> None:
    from wiki import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                     instance_path=str(tmp_path / "inst"))
    first = app.test_cli_runner().invoke(args=["init"])
    assert "Created the account 'admin'" in first.output
    assert app.extensions["wiki_search"].indexed_commit() == app.extensions["wiki_store"].head()
    password = first.output.split("shown only this once):")[1].split()[0]
    assert app.extensions["wiki_users"].authenticate("admin", password).role == "admin"
    assert "Created the account" not in app.test_cli_runner().invoke(args=["init"]).output


def test_init_compiles_every_template_for_the_first_worker(tmp_path: Path) -> None:
    """After `init`, a new instance's first page view loads compiled templates instead of compiling."""
    from wiki import create_app

    instance = tmp_path / "inst"
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"},
                     instance_path=str(instance))
    output = app.test_cli_runner().invoke(args=["init"]).output
    count = len(app.jinja_env.list_templates())
    assert f"Templates: {count} compiled" in output
    assert len(list((instance / "template-cache").iterdir())) == count
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x"}, instance_path=str(instance))
    compiled: list[str] = []
    original = fresh.jinja_env._compile  # what Jinja calls to compile a template's source

    def counting(source: str, filename: str) -> object:
        compiled.append(filename)
        return original(source, filename)

    fresh.jinja_env._compile = counting  # type: ignore[method-assign]
    assert fresh.test_client().get("/Home").status_code == 200
    assert compiled == []


def test_fresh_instance_served_by_gunicorn(tmp_path: Path) -> None:
    """What `make run` does: init a new instance (config, users, seeded repo), then gunicorn, 2 workers."""
    instance = tmp_path / "instance"
    env = {**os.environ, "WIKI_INSTANCE_PATH": str(instance)}
    bin_dir = Path(sys.executable).parent
    init = subprocess.run([bin_dir / "flask", "--app", "wiki", "init"], env=env, capture_output=True, text=True,
                          timeout=60, cwd=Path(__file__).parent.parent)
    assert init.returncode == 0, init.stderr
    assert "SECRET_KEY" in (instance / "config.py").read_text()
    assert (instance / "content.git" / "HEAD").exists() and (instance / "users.sqlite3").exists()
    with gunicorn(instance, env=env) as served, urllib.request.urlopen(served.base + "/", timeout=5) as response:
        body = response.read().decode()
    assert "Living Wiki" in body and "Enhanced Cooperation" in body
