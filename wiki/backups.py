"""Backup archives: one tar file with everything an instance needs to come back.

``content.bundle`` (a Git bundle of every ref, read at one moment), ``users.sqlite3`` (the
accounts, tokens, sessions and webhook queue, copied consistently while in use), ``config.py``
(the instance's settings: SECRET_KEY, GROUPS, ...) when the instance has one, and
``manifest.json`` (what the archive should hold). An archive is written under a temporary name,
readable by its owner only (it holds password hashes, token digests and secrets), checked as
written, and only then renamed into place: a backup file is complete and verified, or absent.
The same check verifies any archive later (``flask --app wiki backup --check FILE``).
No Flask: the CLI passes the store, the accounts and the paths in.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .database import DatabaseUnavailable
from .errors import WikiError
from .store import Store
from .users import UserStore

FORMAT = "living-wiki-backup"
VERSION = 2  # 2: config.py may be included; version 1 archives restore the same way
MANIFEST, BUNDLE, USERS, CONFIG = "manifest.json", "content.bundle", "users.sqlite3", "config.py"
REQUIRED = (MANIFEST, BUNDLE, USERS)
PRIVATE_FILE = 0o600


class BackupError(Exception):
    """Why an archive cannot be written, read or trusted (one line for the operator)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Contents:
    """What a verified archive holds."""

    refs: dict[str, str]
    users: int
    has_config: bool
    created: int


def write(target: Path, store: Store, users: UserStore, config_file: Path | None) -> Contents:
    """Write the archive ``target`` (mode 0600), verify it as written, then move it into place.

    A failed verification removes what was written and raises :class:`BackupError`.
    """
    target = target.resolve()
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    with tempfile.TemporaryDirectory(prefix="wiki-backup-") as scratch:
        folder = Path(scratch)
        try:
            refs = store.write_bundle(folder / BUNDLE)
        except WikiError as error:
            raise BackupError(error.message) from None
        try:
            users.backup_to(folder / USERS)
            count = UserStore(folder / USERS, users.groups).count()
        except (sqlite3.DatabaseError, DatabaseUnavailable) as error:
            raise BackupError(f"{target}: the accounts database cannot be copied: {error}") from None
        names = [MANIFEST, BUNDLE, USERS]
        if config_file is not None and config_file.is_file():
            shutil.copyfile(config_file, folder / CONFIG)
            names.append(CONFIG)
        manifest = {"format": FORMAT, "version": VERSION, "created": int(time.time()), "refs": refs,
                    "users": count, "config": CONFIG in names}
        (folder / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        descriptor = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, PRIVATE_FILE)
        try:
            with os.fdopen(descriptor, "wb") as raw, tarfile.open(fileobj=raw, mode="w:gz") as archive:
                for name in names:
                    archive.add(folder / name, arcname=name, filter=_private_member)
            contents = verify(partial, store, users.groups, shown=target)
            if contents.refs != refs:
                raise BackupError("The archive's bundle holds other refs than the ones read for it.")
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    os.replace(partial, target)
    return contents


def _private_member(member: tarfile.TarInfo) -> tarfile.TarInfo:
    member.mode, member.uid, member.gid, member.uname, member.gname = PRIVATE_FILE, 0, 0, "", ""
    return member


def verify(path: Path, store: Store, groups: Mapping[str, str], *, shown: Path | None = None) -> Contents:
    """Check the archive at ``path`` (called ``shown`` in messages): its manifest, the bundle
    complete (every object read, every ref connected) with exactly the manifest's refs, ``main``
    among them, the accounts file opening and passing SQLite's integrity check, and
    ``config.py`` present when the manifest says so."""
    archive = shown or path
    with tempfile.TemporaryDirectory(prefix="wiki-backup-check-") as scratch:
        folder = Path(scratch)
        manifest = unpack(path, folder, shown=archive)
        try:
            bundled = store.bundle_refs(folder / BUNDLE)
        except WikiError as error:
            raise BackupError(f"{archive}: the content bundle is damaged: {error.message}") from None
        listed = manifest.get("refs")
        if not isinstance(listed, dict) or store.ref not in listed:
            raise BackupError(f"{archive}: the manifest lists no {store.ref}.")
        missing = sorted(name for name, oid in listed.items() if bundled.get(name) != oid)
        extra = sorted(set(bundled) - set(listed))
        if missing or extra:
            raise BackupError(f"{archive}: the bundle does not hold the refs its manifest lists "
                              f"(missing or different: {', '.join(missing) or 'none'}; "
                              f"not listed: {', '.join(extra) or 'none'}).")
        accounts = UserStore(folder / USERS, groups)
        try:
            problems = accounts.check()
            count = accounts.count()
        except (sqlite3.DatabaseError, DatabaseUnavailable) as error:  # not a database at all
            problems, count = [str(error)], 0
        if problems:
            raise BackupError(f"{archive}: the accounts file is damaged: {'; '.join(problems)}")
        if manifest.get("config") and not (folder / CONFIG).is_file():
            raise BackupError(f"{archive}: the manifest lists config.py, which is missing.")
        return Contents(refs=bundled, users=count, has_config=(folder / CONFIG).is_file(),
                        created=int(manifest.get("created") or 0))


def unpack(path: Path, folder: Path, *, shown: Path | None = None) -> dict[str, object]:
    """Copy the archive's known members into ``folder`` (never a path the archive chooses); its manifest."""
    archive = shown or path
    try:
        with tarfile.open(path, "r:*") as tar:
            members = {member.name: member for member in tar.getmembers()}
            for name in (*REQUIRED, CONFIG):
                member = members.get(name)
                source = tar.extractfile(member) if member is not None and member.isfile() else None
                if source is None:
                    if name == CONFIG:
                        continue
                    raise BackupError(f"{archive} is not a Living Wiki backup: it has no file {name}.")
                descriptor = os.open(folder / name, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_FILE)
                with source, os.fdopen(descriptor, "wb") as target:
                    shutil.copyfileobj(source, target)
    except (tarfile.TarError, OSError, EOFError) as error:
        raise BackupError(f"{archive} is not a readable backup archive: {error}") from None
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{archive} is not a Living Wiki backup (its manifest is missing or of another format).")
    return manifest


def install_config(source: Path, instance: Path) -> Path:
    """Put a backup's ``config.py`` into ``instance`` (mode 0600); where it went.

    An instance that has a ``config.py`` of its own (a new instance writes one with a fresh
    SECRET_KEY) keeps it when it differs, and gets the backup's beside it as
    ``config.from-backup.py``, for the operator to merge: settings are never overwritten silently.
    """
    data = source.read_bytes()
    config = instance / CONFIG
    current = config.read_bytes() if config.is_file() else None
    if current is not None and current != data and not _only_secret_key(current):
        config = instance / "config.from-backup.py"
    temporary = config.with_name(f".{config.name}.{os.getpid()}.tmp")
    descriptor = os.open(temporary, os.O_CREAT | os.O_TRUNC | os.O_WRONLY, PRIVATE_FILE)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    os.replace(temporary, config)
    return config


def _only_secret_key(data: bytes) -> bool:
    """Whether a ``config.py`` is the one a new instance writes for itself: a comment and a SECRET_KEY."""
    lines = [line for line in data.decode("utf-8", "replace").splitlines() if line.strip()]
    return all(line.startswith("#") or line.startswith("SECRET_KEY = ") for line in lines)
