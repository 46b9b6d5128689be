"""``flask --app wiki ...`` commands: set up the instance and manage users."""

from __future__ import annotations

import secrets
import sys

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .users import ROLES, UserError, UserStore

users_cli = AppGroup("users", help="Create and manage wiki accounts.")


def _users() -> UserStore:
    return current_app.extensions["wiki_users"]


def _fail(error: UserError) -> None:
    click.echo(f"Error: {error.message}", err=True)
    sys.exit(1)


@click.command("init")
@with_appcontext
def init_command() -> None:
    """Create the instance (done on first start) and an admin account when there are no users."""
    store = current_app.extensions["wiki_store"]
    users = _users()
    click.echo(f"Instance: {current_app.instance_path}")
    click.echo(f"Content repository: {store.path} (branch main at {store.head()})")
    indexed = current_app.extensions["wiki_search"].sync()  # so the first search after start is fast
    click.echo(f"Search index: {current_app.config['SEARCH_DATABASE']} (at {indexed})")
    if users.count() == 0:
        password = secrets.token_urlsafe(12)
        group = next(iter(current_app.config["GROUPS"]))
        users.create("admin", password, group=group, role="admin", display_name="Administrator")
        click.echo("")
        click.echo("Created the account 'admin' with the password (shown only this once):")
        click.echo(f"    {password}")
        click.echo(f"Its stakeholder group is '{group}'; change it with: flask --app wiki users set-group admin GROUP")
        click.echo("")


def _read_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users_cli.command("create")
@click.argument("name")
@click.option("--group", required=True, help="Stakeholder group slug.")
@click.option("--role", type=click.Choice(ROLES), default="editor", show_default=True)
@click.option("--display-name", default="", help="Name shown in the wiki and in commits.")
@click.option("--email", default="", help="E-mail address for commits.")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
def create_user(name: str, group: str, role: str, display_name: str, email: str, password_stdin: bool) -> None:
    """Create the user NAME."""
    users = _users()
    try:
        users.check_group(group)
        password = _read_password(password_stdin)
        user = users.create(name, password, group=group, role=role, display_name=display_name, email=email)
    except UserError as error:
        _fail(error)
        return
    click.echo(f"Created {user.username} ({user.role}, {user.group}).")


@users_cli.command("list")
def list_users() -> None:
    """List users: name, role, group, display name, e-mail."""
    for user in _users().all():
        click.echo(f"{user.username}\t{user.role}\t{user.group}\t{user.display_name}\t{user.email}")


@users_cli.command("set-role")
@click.argument("name")
@click.argument("role", type=click.Choice(ROLES))
def set_role(name: str, role: str) -> None:
    """Give NAME the role ROLE."""
    try:
        _users().set_role(name, role)
    except UserError as error:
        _fail(error)
    click.echo(f"{name} is now {role}.")


@users_cli.command("set-group")
@click.argument("name")
@click.argument("group")
def set_group(name: str, group: str) -> None:
    """Put NAME in the stakeholder group GROUP (a slug)."""
    try:
        _users().set_group(name, group)
    except UserError as error:
        _fail(error)
    click.echo(f"{name} now edits for {group}.")


@users_cli.command("set-password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from one line of standard input.")
def set_password(name: str, password_stdin: bool) -> None:
    """Set NAME's password (ends their other sessions)."""
    users = _users()
    try:
        users.require(name)
        users.set_password(name, _read_password(password_stdin))
    except UserError as error:
        _fail(error)
    click.echo(f"Password of {name} changed.")


@users_cli.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def delete_user(name: str, yes: bool) -> None:
    """Delete the account NAME (their commits stay in the history)."""
    if not yes:
        click.confirm(f"Delete the account {name}?", abort=True)
    try:
        _users().delete(name)
    except UserError as error:
        _fail(error)
    click.echo(f"Deleted {name}.")


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(users_cli)
