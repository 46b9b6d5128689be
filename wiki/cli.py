"""``flask --app wiki ...`` commands: set up the instance and manage users."""

from __future__ import annotations

import os
import secrets
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup, with_appcontext

from . import backups
from .errors import WikiError
from .migrate.command import import_repo_command
from .templating import compile_templates
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
    compiled = compile_templates(current_app)  # so that no worker's first page view compiles them
    click.echo(f"Templates: {compiled} compiled into {current_app.jinja_env.bytecode_cache.directory}")
    if users.count() == 0:  # a new instance
        password = secrets.token_urlsafe(12)
        group = current_app.config["SECRETARIAT_GROUP"]
        users.create("admin", password, group=group, role="admin", display_name="Administrator")
        click.echo("")
        click.echo("Created the account 'admin' with the password (shown only this once):")
        click.echo(f"    {password}")
        click.echo(f"Its group is the secretariat ('{group}'); change it with: "
                   "flask --app wiki users set-group admin GROUP")
        if _require_proposals_by_default():
            click.echo("The agreed text changes by consensus: editors' changes become proposals "
                       "(PROPOSALS_REQUIRED = True in config.py; set it to False or a list of sections).")
        click.echo("")


def _require_proposals_by_default() -> bool:
    """Write ``PROPOSALS_REQUIRED = True`` into a new instance's config.py unless it is set there or in
    the environment: consensus by default for new instances; existing ones keep what they have."""
    config = Path(current_app.instance_path) / "config.py"
    text = config.read_text(encoding="utf-8") if config.exists() else ""
    if "PROPOSALS_REQUIRED" in text or "WIKI_PROPOSALS_REQUIRED" in os.environ:
        return False
    with open(config, "a", encoding="utf-8") as file:
        file.write("# Consensus by default: only the secretariat and admins change the agreed text directly;\n"
                   "# editors' changes become proposals. False, or a list of sections, to relax it.\n"
                   "PROPOSALS_REQUIRED = True\n")
    current_app.config["PROPOSALS_REQUIRED"] = True
    return True


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
    _change(lambda: _users().set_role(name, role), f"{name} is now {role}.")


@users_cli.command("set-group")
@click.argument("name")
@click.argument("group")
def set_group(name: str, group: str) -> None:
    """Put NAME in the stakeholder group GROUP (a slug)."""
    _change(lambda: _users().set_group(name, group), f"{name} now edits for {group}.")


def _change(change: Callable[[], object], done: str) -> None:
    """Make one change to an account and say ``done``; a refused change is one Error line, exit 1."""
    try:
        change()
    except UserError as error:
        _fail(error)
    click.echo(done)


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
    _change(lambda: _users().delete(name), f"Deleted {name}.")


@click.command("replica")
@click.option("--primary", required=True, help="The primary wiki's address, e.g. https://wiki.example.org")
@click.option("--token", default=None,
              help="A read token of an account on a private primary (kept as PRIMARY_TOKEN in config.py).")
@with_appcontext
def replica_command(primary: str, token: str | None) -> None:
    """Make this instance a read replica of the wiki at PRIMARY: mirror its content repository and
    record PRIMARY_URL in the instance's config.py (reads are served here, writes go there).
    Exit status 1, with one line saying why, when the primary cannot be reached or refuses."""
    from . import replica
    from .store import replication

    store = current_app.extensions["wiki_store"]
    token = token or current_app.config.get("PRIMARY_TOKEN")
    problem = replica.probe_primary(primary, token)
    if problem:
        raise click.ClickException(problem)
    url = replication.content_url(primary)
    result = replication.mirror(store.reader, primary, store.branch, token=token)
    if result is None:
        raise click.ClickException(f"Another process is fetching into {store.path}; try again in a minute.")
    if result[1].error or store.head() is None:
        raise click.ClickException(f"Could not fetch the content repository from {url}: {result[1].error}")
    settings = f"PRIMARY_URL = {primary.rstrip('/')!r}\n" + (f"PRIMARY_TOKEN = {token!r}\n" if token else "")
    config = Path(current_app.instance_path) / "config.py"
    with os.fdopen(os.open(config, os.O_CREAT | os.O_APPEND | os.O_WRONLY, 0o600), "a", encoding="utf-8") as file:
        file.write(settings)
    current_app.extensions["wiki_search"].rebuild()
    click.echo(f"This instance mirrors {url} (at {store.head()[:10]}) and sends every write there.")
    if not current_app.config.get("DATABASE_URL"):
        click.echo("Set DATABASE_URL and SECRET_KEY to the primary's, so that logins hold on both.")
    if not current_app.config.get("REPLICA_NOTIFY_SECRET"):
        click.echo("Set REPLICA_NOTIFY_SECRET here and on the primary (and list this replica in its REPLICAS) "
                   "for changes to arrive at once; until then it fetches every REPLICA_FETCH_SECONDS.")


@click.command("import-doc")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("page", required=False, default="")
@click.option("--user", "username", required=True, help="The wiki user (editor or above) the commit is made for.")
@click.option("--summary", default="", help="The commit subject (default: Import FILE).")
@click.option("--proposal", is_flag=True, help="Start a proposal with the text instead of changing the agreed text.")
@click.option("--leave-out-author", "leave_out", multiple=True, metavar="NAME",
              help="Leave this tracked-change author's changes out of the proposal (the secretariat and admins; "
                   "repeatable).")
@with_appcontext
def import_doc_command(file: Path, page: str, username: str, summary: str, proposal: bool,
                       leave_out: tuple[str, ...]) -> None:
    """Import the .docx or .odt FILE as PAGE (a new page, or a new revision of it), its images attached.
    Without PAGE, or with a section ending in /, the page is named after the file's Word Title."""
    from .actions import Actor
    from .actions.imports import convert_document, import_base, import_page, left_out, save_document, title_notice
    from .office import tracked
    from .users import role_at_least

    user = _users().by_username(username)
    if user is None or not role_at_least(user.role, "editor"):
        raise click.ClickException(f"{username!r} is not a wiki user with the role editor or above.")
    actor = Actor(username=user.username, display_name=user.display_name, email=user.commit_email,
                  group=user.group, role=user.role)
    try:
        data = file.read_bytes()
        if len(data) > current_app.config["MAX_IMPORT_BYTES"]:
            raise click.ClickException(f"{file} is larger than MAX_IMPORT_BYTES "
                                       f"({current_app.config['MAX_IMPORT_BYTES']} bytes).")
        converted = convert_document(data)
        if leave_out:
            kept = {change.author for change in converted.changes} - set(leave_out)
            numbers = left_out(actor, converted, authors=kept, changes={change.number for change in converted.changes},
                               authors_before={change.author for change in converted.changes})
            converted = convert_document(data, left_out=numbers) if numbers else converted
        page = import_page(converted, page)
        untitled = title_notice(converted, page)
        if untitled is not None:
            click.echo(untitled[0] % untitled[1], err=True)
        base = import_base(converted, page)  # the exported revision, or the page as it is now
        if base.notice:
            click.echo(base.notice % (base.params or {}), err=True)
        dropped = "".join(f"\n- {change.author or 'Unknown author'}: "
                          f"{'Inserted' if change.kind == 'insertion' else 'Deleted'} “{change.text}”"
                          for change in converted.choice.dropped)
        imported = save_document(actor, page, converted, base=base.commit,
                                 summary_text=summary or f"Import {file.name}", as_proposal=proposal,
                                 rationale="Imported from a document." + (
                                     "\n\nTracked changes in the file that were left out of this proposal:\n"
                                     + dropped if dropped else ""))
    except WikiError as error:
        raise click.ClickException(error.message) from None
    where = f" in proposal {imported.proposal.number}" if imported.proposal else ""
    if imported.conflict is not None:
        raise click.ClickException(f"{page} changed while importing{where}; nothing was saved but the images.")
    if imported.result is None or imported.result.commit is None:
        click.echo(f"{page} already has this text{where}; nothing to commit.")
    else:
        click.echo(f"Imported {file.name} as {page}{where}: commit {imported.result.commit}, "
                   f"{len(converted.images)} image(s) attached.")
    for author, items in tracked.by_author(converted.changes):
        left = sum(1 for change in items if change.number in converted.left_out)
        click.echo(f"Tracked changes by {author or 'an unknown author'}: {len(items)}"
                   + (f" ({left} left out)" if left else ""), err=True)
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

def _stop(message: str) -> None:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--check", "check_only", is_flag=True, help="Verify the existing archive FILE instead of writing one.")
@with_appcontext
def backup_command(file: Path, check_only: bool) -> None:
    """Write the content repository (a Git bundle of every branch, tag and note, as they were at
    one moment), the user database (an online backup) and config.py into the tar archive FILE,
    readable by its owner only, and verify it; with --check, verify an existing archive FILE.
    Exit status 1 when the archive fails (a new one is then removed)."""
    store = current_app.extensions["wiki_store"]
    try:
        if check_only:
            contents = backups.verify(file, store, current_app.config["GROUPS"])
        else:
            config = Path(current_app.instance_path) / backups.CONFIG
            contents = backups.write(file, store, _users(), config)
    except backups.BackupError as error:
        _stop(error.message)
    config_note = "and config.py" if contents.has_config else "(no config.py)"
    verb = "verified" if check_only else "backed up to"
    click.echo(f"OK: {len(contents.refs)} refs (main at {contents.refs[store.ref][:10]}), "
               f"{contents.users} users {config_note} {verb} {file.resolve()}.")


@click.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@with_appcontext
def restore_command(file: Path) -> None:
    """Restore a backup FILE made by `backup` into this instance, which must be new (no users, no
    commits beyond the seed import)."""
    store = current_app.extensions["wiki_store"]
    users = _users()
    instance = Path(current_app.instance_path)
    if users.count() > 0 or not store.is_pristine():
        _stop(f"The instance {instance} is not empty (it has users or edits); a backup is "
              "restored only into a new instance. Point WIKI_INSTANCE_PATH at a new folder and run restore there.")
    with tempfile.TemporaryDirectory(prefix="wiki-restore-") as scratch:
        folder = Path(scratch)
        try:
            manifest = backups.unpack(file, folder)
        except backups.BackupError as error:
            _stop(error.message)
        problems = UserStore(folder / backups.USERS, current_app.config["GROUPS"]).check()
        if problems:
            _stop("The user database in the backup is damaged: " + "; ".join(problems))
        try:
            refs = store.restore_bundle(folder / backups.BUNDLE)
            users.restore_from(folder / backups.USERS)
        except WikiError as error:
            _stop(error.message)
        config = backups.install_config(folder / backups.CONFIG, instance) \
            if (folder / backups.CONFIG).is_file() else None
    if refs != manifest.get("refs"):
        _stop("The restored refs differ from the ones the backup's manifest lists.")
    kinds = {"branches": "refs/heads/", "tags": "refs/tags/", "notes": "refs/notes/"}
    counts = ", ".join(f"{sum(ref.startswith(prefix) for ref in refs)} {kind}" for kind, prefix in kinds.items())
    click.echo(f"Restored the content repository {store.path}: {len(refs)} refs ({counts}), main at {store.head()}.")
    click.echo(f"Restored {users.count()} users (with their tokens, sessions and webhooks) into {users.path}.")
    if config is None:
        click.echo("The backup has no config.py; set SECRET_KEY and the other settings as before.")
    elif config.name == backups.CONFIG:
        click.echo(f"Restored the settings into {config}; they apply when the wiki starts next.")
    else:
        click.echo(f"This instance has settings of its own; the backup's are in {config}: merge them into "
                   f"{instance / backups.CONFIG} (SECRET_KEY must match for sessions and tokens to hold).")


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
