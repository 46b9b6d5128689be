"""``flask --app wiki ...`` commands: set up the instance and manage users."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from .errors import WikiError
from .migrate.command import import_repo_command
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
    _, version = users.create_schema()  # the migrations (also applied on start); one line if unreachable
    click.echo(f"User database: {users.path} (schema version {version})")
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


@click.command("replica")
@click.option("--primary", required=True, help="The primary wiki's address, e.g. https://wiki.example.org")
@with_appcontext
def replica_command(primary: str) -> None:
    """Make this instance a read replica of the wiki at PRIMARY: mirror its content repository and
    record PRIMARY_URL in the instance's config.py (reads are served here, writes go there)."""
    from .store import replication

    store = current_app.extensions["wiki_store"]
    try:
        url = replication.content_url(primary)
    except WikiError as error:
        raise click.ClickException(error.message) from None
    replication.mirror(store.reader, primary, store.branch)
    if store.head() is None or not store.commit_exists(store.head()):
        raise click.ClickException(f"Could not fetch the content repository from {url}.")
    config = Path(current_app.instance_path) / "config.py"
    with open(config, "a", encoding="utf-8") as file:
        file.write(f"PRIMARY_URL = {primary.rstrip('/')!r}\n")
    current_app.extensions["wiki_search"].rebuild()
    click.echo(f"This instance mirrors {url} (at {store.head()[:10]}) and sends every write there.")
    if not current_app.config.get("DATABASE_URL"):
        click.echo("Set DATABASE_URL (and SECRET_KEY) to the primary's, so that logins hold on both.")


@click.command("import-doc")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("page")
@click.option("--user", "username", required=True, help="The wiki user (editor or above) the commit is made for.")
@click.option("--summary", default="", help="The commit subject (default: Import FILE).")
@click.option("--proposal", is_flag=True, help="Start a proposal with the text instead of changing the agreed text.")
@with_appcontext
def import_doc_command(file: Path, page: str, username: str, summary: str, proposal: bool) -> None:
    """Import the .docx or .odt FILE as PAGE (a new page, or a new revision of it), its images attached."""
    from . import names
    from .office import docimport
    from .store import Author
    from .users import role_at_least

    store = current_app.extensions["wiki_store"]
    user = _users().by_username(username)
    if user is None or not role_at_least(user.role, "editor"):
        raise click.ClickException(f"{username!r} is not a wiki user with the role editor or above.")
    try:
        page = names.normalize_page_name(page)
        data = file.read_bytes()
        if len(data) > current_app.config["MAX_IMPORT_BYTES"]:
            raise click.ClickException(f"{file} is larger than MAX_IMPORT_BYTES "
                                       f"({current_app.config['MAX_IMPORT_BYTES']} bytes).")
        with current_app.test_request_context():  # the attachments' URLs, as the web import writes them
            from .views.export import limits
            from .views.imports import _attachments_url

            converted = docimport.convert(data, limits=limits())
            text = docimport.for_page(converted, _attachments_url(page))
        author = Author(name=user.display_name, email=user.commit_email, username=user.username, group=user.group)
        summary = summary or f"Import {file.name}"
        pages, base = store.pages, store.head()  # a new revision over whatever the page holds now
        if proposal:
            created = store.proposals.create(summary, "Imported from a document.", author=author)
            number, pages, base = created.number, store.proposals.pages_of(created.number), created.head
        result = pages.save_page(page, text, base=base, author=author, summary=summary, files=converted.images)
    except WikiError as error:
        raise click.ClickException(error.message) from None
    where = f" in proposal {number}" if proposal else ""
    if result.commit is None:
        click.echo(f"{page} already has this text{where}; nothing to commit.")
    else:
        click.echo(f"Imported {file.name} as {page}{where}: commit {result.commit}, "
                   f"{len(converted.images)} image(s) attached.")
    for name in converted.dropped:
        click.echo(f"Left out the image {name} (not PNG, JPEG, GIF or WebP).", err=True)


def init_app(app: Flask) -> None:
    app.cli.add_command(init_command)
    app.cli.add_command(import_doc_command)
    app.cli.add_command(replica_command)
    app.cli.add_command(users_cli)
    app.cli.add_command(import_repo_command)
    init_backup_commands(app)


# --------------------------------------------------------------------------- backup, restore, check

BACKUP_FORMAT = "living-wiki-backup"
BACKUP_MEMBERS = ("content.bundle", "users.sqlite3")


def _stop(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@with_appcontext
def backup_command(file: Path) -> None:
    """Write the content repository (a Git bundle of every branch, tag and note) and the user
    database (an online SQLite backup) into the tar archive FILE."""
    store = current_app.extensions["wiki_store"]
    file = file.resolve()
    partial = file.with_name(file.name + ".partial")
    with tempfile.TemporaryDirectory(prefix="wiki-backup-") as scratch:
        folder = Path(scratch)
        try:
            refs = store.write_bundle(folder / "content.bundle")
        except WikiError as error:
            _stop(error.message)
        _users().backup_to(folder / "users.sqlite3")
        manifest = {"format": BACKUP_FORMAT, "version": 1, "created": int(time.time()), "refs": refs,
                    "users": _users().count()}
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        with tarfile.open(partial, "w:gz") as archive:
            for name in ("manifest.json", *BACKUP_MEMBERS):
                archive.add(folder / name, arcname=name)
    os.replace(partial, file)  # a backup file is complete or absent, never half-written
    click.echo(f"Backed up {len(refs)} refs and {manifest['users']} users to {file}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore a backup FILE made by `backup` into this instance, which must be new (no users, no
    commits beyond the seed import)."""
    store = current_app.extensions["wiki_store"]
    users = _users()
    if users.count() > 0 or not store.is_pristine():
        _stop(f"The instance {current_app.instance_path} is not empty (it has users or edits); a backup is "
              "restored only into a new instance. Point WIKI_INSTANCE_PATH at a new folder and run restore there.")
    with tempfile.TemporaryDirectory(prefix="wiki-restore-") as scratch:
        folder = Path(scratch)
        manifest = _unpack_backup(file, folder)
        problems = UserStore(folder / "users.sqlite3", current_app.config["GROUPS"]).check()
        if problems:
            _stop("The user database in the backup is damaged: " + "; ".join(problems))
        try:
            refs = store.restore_bundle(folder / "content.bundle")
            users.restore_from(folder / "users.sqlite3")
        except WikiError as error:
            _stop(error.message)
    if refs != manifest.get("refs"):
        _stop("The restored refs differ from the ones the backup's manifest lists.")
    click.echo(f"Restored {len(refs)} refs (main at {store.head()}) and {users.count()} users.")


def _unpack_backup(file: Path, folder: Path) -> dict[str, object]:
    """Copy the archive's known members into ``folder`` (never a path the archive chooses)."""
    try:
        with tarfile.open(file, "r:*") as archive:
            members = {member.name: member for member in archive.getmembers()}
            for name in ("manifest.json", *BACKUP_MEMBERS):
                member = members.get(name)
                source = archive.extractfile(member) if member is not None and member.isfile() else None
                if source is None:
                    _stop(f"{file} is not a Living Wiki backup: it has no file {name}.")
                with source, open(folder / name, "wb") as target:
                    shutil.copyfileobj(source, target)
    except (tarfile.TarError, OSError, EOFError) as error:
        _stop(f"{file} is not a readable backup archive: {error}")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != BACKUP_FORMAT:
        _stop(f"{file} is not a Living Wiki backup (its manifest is missing or of another format).")
    return manifest


@click.command("check")
@with_appcontext
def check_command() -> None:
    """Check the content repository (git fsck --strict, the branch, page files at its tip) and the
    user database (PRAGMA integrity_check); exit 1 when anything is wrong."""
    store = current_app.extensions["wiki_store"]
    problems = [f"content: {problem}" for problem in store.check()]
    problems += [f"users: {problem}" for problem in _users().check()]
    for problem in problems:
        click.echo(f"PROBLEM {problem}", err=True)
    if problems:
        _stop(f"{len(problems)} problem(s) found.")
    click.echo(f"OK: {store.path} (main at {store.head()}, {len(store.list_pages())} pages) and "
               f"{_users().path} ({_users().count()} users).")


def init_backup_commands(app: Flask) -> None:
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(check_command)
