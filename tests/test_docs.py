"""The documentation site (issue 29) names what the code has: every setting the wiki reads is in
the operator guide's settings page, every `flask --app wiki` command and option in the command-line
page, every operation of the OpenAPI document in the API page. `make docs` (mkdocs --strict) checks
the links; this checks that nothing the code grows is left out of the docs."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest
from flask import Flask

from wiki import settings
from wiki.api.openapi import operations
from wiki.limits import ACTIONS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
# A setting read anywhere in the package: config["X"], config.get("X"...), config.setdefault("X"...),
# and the defaults passed to from_mapping in create_app (`X=...` at the start of a line).
READ = re.compile(r"""config(?:\.get|\.setdefault)?\(?\[?\s*["']([A-Z][A-Z0-9_]+)["']""")
DEFAULT = re.compile(r"^\s+([A-Z][A-Z0-9_]+)=", re.MULTILINE)
# Flask's, Flask-WTF's and Flask-Login's own settings, which the wiki derives or fixes and never asks
# an operator to set (SECRET_KEY and SECRET_KEY_FALLBACKS are documented all the same).
FRAMEWORK = ("WTF_", "REMEMBER_COOKIE_", "SESSION_COOKIE_", "BABEL_")
# Names of a feature still being built, documented when it is finished (none now).
PENDING: set[str] = set()


def read_settings() -> set[str]:
    """Every setting name the package reads or defaults, without the framework's own."""
    found = set(settings.RULES) | {action.setting for action in ACTIONS.values()}
    for path in (ROOT / "wiki").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        found |= set(READ.findall(text))
        if path == ROOT / "wiki" / "__init__.py":
            found |= set(DEFAULT.findall(text))
    return {name for name in found
            if not name.startswith(FRAMEWORK) and (name not in Flask.default_config or name.startswith("SECRET_KEY"))}


def documented(page: str) -> str:
    return (DOCS / page).read_text(encoding="utf-8")


def test_every_setting_is_in_the_settings_page() -> None:
    names = read_settings()
    assert {"PUBLIC_READ", "MAIL_SERVER", "LIMIT_EXPORTS_PER_HOUR", "EXPORT_TIMEOUT", "REPLICAS"} <= names
    page = documented("operator/settings.md")
    missing = sorted(name for name in names - PENDING if f"`{name}`" not in page)
    assert not missing, (f"settings the code reads but docs/operator/settings.md does not name: {missing} "
                         "(document them there; a feature still being built may list them in PENDING)")


def commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    """``{"users create": command, ...}``: every command of ``group``, subcommands by their full name."""
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found.update(commands(command, f"{full} "))
        else:
            found[full] = command
    return found


def test_every_command_and_option_is_in_the_cli_page(app: Flask) -> None:
    found = commands(app.cli)
    assert {"init", "users create", "backup", "scheduled", "version", "import-repo"} <= set(found)
    page = documented("operator/cli.md")
    missing = [name for name in found if not re.search(rf"`{re.escape(name)}[ `]", page)]
    assert not missing, f"commands docs/operator/cli.md does not list: {missing}"
    options = [f"{name} {option}" for name, command in found.items() for param in command.params
               for option in param.opts if option.startswith("--") and option not in page]
    assert not options, f"options docs/operator/cli.md does not name: {options}"


@pytest.mark.parametrize("path, method", sorted((path, method) for path, method, _ in operations().values()))
def test_every_api_operation_is_in_the_api_page(path: str, method: str) -> None:
    assert f"`{method.upper()} {path}`" in documented("api/index.md")
