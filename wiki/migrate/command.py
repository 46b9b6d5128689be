"""``flask --app wiki import-repo SOURCE [--authors FILE] [--dry-run] [--force]``: migration in.

Reads the source repository and the authors file, plans where every file goes
(wiki/migrate/plan.py), prints the plan, and unless ``--dry-run`` writes it through the store
(wiki/store/imports.py). Everything that can be refused is refused before anything is written.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext

from ..store import Author, Store
from ..store.imports import ImportSource
from .plan import FilePlan, ImportRefused, plan_files, read_authors

SHOWN = 20  # lines of each list printed; the rest is counted


@click.command("import-repo")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--authors", "authors_file", type=click.Path(dir_okay=False, path_type=Path),
              help="CSV file of email,group lines: the stakeholder group of each author's commits.")
@click.option("--dry-run", is_flag=True, help="Report what would be imported; write nothing.")
@click.option("--force", is_flag=True, help="Import even though the wiki has edits (beside its pages).")
@with_appcontext
def import_repo_command(source: Path, authors_file: Path | None, dry_run: bool, force: bool) -> None:
    """Import a Git repository of Markdown pages (An Otter Wiki, Gollum, wikmd, Wiki.js...) with its history."""
    started = time.monotonic()
    try:
        _import(source, authors_file, dry_run=dry_run, force=force)
    except ImportRefused as error:
        click.echo(f"Error: {error}", err=True)
        click.echo("Nothing was written.", err=True)
        sys.exit(1)
    click.echo(f"Done in {time.monotonic() - started:.1f} s.")


def _import(source_path: Path, authors_file: Path | None, *, dry_run: bool, force: bool) -> None:
    config = current_app.config
    if config.get("PRIMARY_URL"):
        raise ImportRefused(f"This instance is a read replica of {config['PRIMARY_URL']}; import on the primary.")
    store: Store = current_app.extensions["wiki_store"]
    authors: dict[str, str] = {}
    if authors_file is not None:
        try:
            text = authors_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise ImportRefused(f"Cannot read the authors file {authors_file}: {error}") from error
        authors = read_authors(text, config["GROUPS"])
    replace = store.is_pristine()
    if not replace and not force and not dry_run:
        raise ImportRefused("The wiki already has edits. Use --force to import beside its pages "
                            "(the imported history is merged in), or import into a new instance.")
    source = ImportSource(source_path)
    try:
        commits = source.commits()
        files = source.files()
        kind = "bare repository" if source.bare else "working copy"
        click.echo(f"Source: {source.path} ({kind}), branch {source.branch} at {source.tip[:10]}: "
                   f"{len(commits)} commits, {len(files)} files.")
        with click.progressbar(length=len(files) + len(commits) + 2, label="Importing", file=sys.stderr) as bar:
            plan = plan_files(files, lambda blob: _read(source, blob, bar), max_page_bytes=config["MAX_PAGE_BYTES"],
                              max_attachment_bytes=config["MAX_ATTACHMENT_BYTES"],
                              existing_pages=() if replace else store.list_pages())
            if plan.problems:
                raise ImportRefused("these files cannot be imported:\n  " + "\n  ".join(plan.problems[:SHOWN])
                                    + _more(plan.problems))
            if not plan.pages:
                raise ImportRefused(f"{source.path} has no Markdown pages (.md files) in its last commit.")
            groups = {commit: authors[email] for commit, email, _ in commits if email in authors}
            bar.update(len(commits))
            _report(plan, commits, groups, authors)
            if dry_run:
                click.echo("Dry run: nothing was written.")
                return
            changes = _changes(plan, source, replace)
            importer = Author(name=config["COMMITTER_NAME"], email=config["COMMITTER_EMAIL"], username="import",
                              group=config["SEED_GROUP"])
            message = (f"Import {source.path.name or source.path}: move {len(plan.moves)} file(s) to the wiki's names"
                       if replace else f"Import {source.path.name or source.path} beside the wiki's pages")
            done = store.importer.import_history(source, changes=changes, groups=groups, replace=replace,
                                                 author=importer, message=message, progress=bar.update)
    finally:
        source.close()
    current_app.extensions["wiki_search"].rebuild()
    click.echo(f"Imported {len(commits)} commits; main is now {done.main[:10]}"
               + (" (the seed pages were replaced)." if replace else " (merged beside the wiki's pages)."))


def _read(source: ImportSource, blob: str, bar: object) -> bytes:
    bar.update(1)  # type: ignore[attr-defined]
    return source.read(blob)


def _changes(plan: FilePlan, source: ImportSource, replace: bool) -> dict[str, bytes | None]:
    """What the last commit changes: on the imported tree, moves and removals; beside the wiki's
    pages, every kept file at its new path."""
    blobs = {item.path: item.blob for item in source.files()}
    changes: dict[str, bytes | None] = {}
    kept = {**plan.pages, **plan.attachments}
    if replace:
        for old in plan.dropped:
            changes[old] = None
        for old in plan.moves:
            changes[old] = None
        for old, new in plan.moves.items():
            changes[new] = source.read(blobs[old])
    else:
        for old, new in kept.items():
            changes[new] = source.read(blobs[old])
    return changes


def _more(items: list[str] | dict[str, str]) -> str:
    return f"\n  ... and {len(items) - SHOWN} more" if len(items) > SHOWN else ""


def _listed(title: str, lines: list[str]) -> None:
    """``title: <count>`` and the first lines, when there are any."""
    if lines:
        click.echo(f"{title}: {len(lines)}")
        for line in lines[:SHOWN]:
            click.echo(f"  {line}")
        if len(lines) > SHOWN:
            click.echo(f"  ... and {len(lines) - SHOWN} more")


def _report(plan: FilePlan, commits: list[tuple[str, str, str]], groups: dict[str, str],
            authors: dict[str, str]) -> None:
    click.echo(f"Pages: {len(plan.pages)}; attachments: {len(plan.attachments)}.")
    _listed("Renamed to this wiki's names (one commit at the end)",
            [f"{old} -> {new}" for old, new in plan.moves.items()])
    _listed("Left in the history only (not pages or attachments the wiki accepts)",
            [f"{path}: {why}" for path, why in plan.dropped.items()])
    by_group: dict[str, int] = {}
    for group in groups.values():
        by_group[group] = by_group.get(group, 0) + 1
    unmapped: dict[str, int] = {}
    for _, email, _ in commits:
        if email not in authors:
            unmapped[email] = unmapped.get(email, 0) + 1
    if by_group:
        click.echo("Groups from the authors file: " + ", ".join(f"{group} {count}" for group, count in
                                                                  sorted(by_group.items())) + " commit(s).")
    if unmapped:
        click.echo(f"Commits without a group ({sum(unmapped.values())}), by author e-mail: "
                   + ", ".join(f"{email or '(none)'} {count}" for email, count in sorted(unmapped.items())[:SHOWN])
                   + (" ..." if len(unmapped) > SHOWN else ""))
