"""Users, roles and stakeholder groups, kept in an SQLite file in the instance folder or, when the
setting ``DATABASE_URL`` names one, in PostgreSQL (see wiki/database/ for the differences).

Passwords are hashed with werkzeug's default (scrypt). Each user has a session version that is
part of the login cookie's id, so changing a password ends every other session. No Flask import.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash

from .database import Connection, Database, IntegrityError, sqlite_integrity_problems, sqlite_uri
from .database.schema import MIGRATIONS, TABLES, add_missing_columns, adopt_unversioned
from .errors import N_, Term, WikiError
from .operations.logs import security_event

ROLES = ("reader", "editor", "reviewer", "admin")
EDITOR_MODES = ("visual", "markdown")  # the edit page's two modes
# The interface languages (the six official languages of the United Nations); "" is no setting.
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
SECRETARIAT_NAME = N_("Secretariat")  # the group that runs the process (SECRETARIAT_GROUP); not a stakeholder group
DEFAULT_GROUPS: dict[str, str] = {
    "governments": N_("Governments"),
    "private-sector": N_("Private sector"),
    "civil-society": N_("Civil society"),
    "technical-academic": N_("Technical and academic community"),
    "international-organizations": N_("International organizations"),
}
GUEST_PREFIX = "guest-"  # invited guests of calls for input answer as guest-<hex>, beside user names
USERNAME_RE = re.compile(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,39}\Z")
EMAIL_RE = re.compile(r"\A[^@\s<>\"']{1,64}@[^@\s<>\"']{1,190}\Z")
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024
MAX_DISPLAY_NAME = 80
# Log-in limits (see UserStore.log_in): failures count for 15 minutes. An account that failed
# LOGIN_FAILURE_LIMIT times, from anywhere, waits; an address that failed ADDRESS_FAILURE_LIMIT
# times may still log in to accounts without failures of their own, but to no other.
LOGIN_FAILURE_WINDOW = 15 * 60
LOGIN_FAILURE_LIMIT = 10
ADDRESS_FAILURE_LIMIT = 10
LOGIN_MAX_AGE = 30 * 24 * 3600  # a login session ends after 30 days at the latest

# The accounts database's schema and its migrations: wiki/database/schema.py.
NAMED = "lower(username) = lower(?)"  # the user with this name, whatever its case (index in migration 2)


class UserError(WikiError):
    """A user operation was refused (bad name, unknown group, duplicate user, …)."""

    code = 400


class LoginThrottled(UserError):
    """Too many failed log-ins: this attempt was refused without looking at the password."""

    code = 429


@dataclass(frozen=True)
class User:
    """A wiki account; also what flask-login keeps as ``current_user``."""

    id: int
    username: str
    display_name: str
    email: str
    role: str
    group: str
    session_version: int
    language: str = ""  # the interface language chosen on /-/account ("" for none)
    login_token: str = ""  # the server-side record of this login session (see UserStore.open_login)
    disabled_at: int | None = None  # when an admin disabled the account (it cannot log in); None if active
    last_login_at: int | None = None
    editor_mode: str = ""  # the editing mode last chosen on an edit page (EDITOR_MODES; "" for none)

    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}:{self.login_token}"

    def has_role(self, role: str) -> bool:
        return role_at_least(self.role, role)

    @property
    def commit_email(self) -> str:
        """The e-mail in this user's commits: theirs, or a stable per-user address."""
        return self.email or f"{self.username}@users.living-wiki.invalid"


def can_moderate(user: object) -> bool:
    """Whether ``user`` (an account, an actor) may moderate: hide threads as spam and show them
    again, write without per-user limits. The one place that says who moderates: admins, and the
    secretariat's editors (``SECRETARIAT_GROUP``)."""
    return bool(getattr(user, "username", "") and (role_at_least(getattr(user, "role", ""), "admin")
                                                   or in_secretariat(user)))


def in_secretariat(user: object) -> bool:
    """Whether ``user`` (an account, an actor) is an editor or more of the secretariat, the group
    that runs the process (``SECRETARIAT_GROUP``): it edits directly, merges by consensus, moderates."""
    return bool(has_app_context() and getattr(user, "username", "")
                and getattr(user, "group", "") == current_app.config["SECRETARIAT_GROUP"]
                and role_at_least(getattr(user, "role", ""), "editor"))


def role_at_least(role: str, needed: str) -> bool:
    """Whether ``role`` includes ``needed`` (reader < editor < reviewer < admin)."""
    if role not in ROLES or needed not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(needed)


def _clean_text(value: str, what: str, limit: int) -> str:
    value = unicodedata.normalize("NFC", (value or "").strip())
    if not value:
        raise UserError(N_("The %(what)s is empty."), what=Term(what))
    if len(value) > limit:
        raise UserError(N_("The %(what)s is longer than %(limit)s characters."), what=Term(what), limit=limit)
    if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"} for c in value):
        raise UserError(N_("The %(what)s contains control or invisible formatting characters."), what=Term(what))
    return value


class UserStore:
    """The user database; opens a short-lived connection per operation (safe across threads)."""

    def __init__(self, path: str | Path, groups: Mapping[str, str], *, hash_method: str = "scrypt") -> None:
        """``path``: the SQLite file, or a ``postgresql://`` URL (the setting ``DATABASE_URL``)."""
        self.database = Database(path)
        # The SQLite file; for PostgreSQL, the URL without its password (for messages).
        self.path: Path | str = self.database.path or str(self.database)
        self.groups = dict(groups)
        self.hash_method = hash_method

    @property
    def kind(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.database.kind

    def exists(self) -> bool:
        return self.database.exists()

    @contextmanager
    def _db(self) -> Iterator[Connection]:
        with self.database.connect() as connection:
            yield connection

    def create_schema(self) -> tuple[int, int]:
        """Apply the migrations the database lacks (idempotent); ``(version before, after)``.

        Raises :class:`wiki.database.DatabaseUnavailable` (one line) when it cannot be reached.
        """
        # The repair: columns that databases made by hand or before migrations may lack.
        return self.database.migrate(MIGRATIONS, adopt=adopt_unversioned, repair=add_missing_columns)

    def schema_version(self) -> int:
        return self.database.version()

    # ----------------------------------------------------------------- validation

    def check_group(self, group: str) -> str:
        if group not in self.groups:
            raise UserError(N_("Unknown stakeholder group %(group)s; known groups: %(groups)s."),
                            group=repr(group), groups=', '.join(self.groups))
        return group

    @staticmethod
    def check_role(role: str) -> str:
        if role not in ROLES:
            raise UserError(N_("Unknown role %(role)s; roles are %(roles)s."), role=repr(role), roles=', '.join(ROLES))
        return role

    @staticmethod
    def check_password(password: str) -> str:
        if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
            raise UserError(N_("The password must have at least %(limit)s characters."), limit=MIN_PASSWORD_LENGTH)
        if len(password) > MAX_PASSWORD_LENGTH:
            raise UserError(N_("The password is longer than %(limit)s characters."), limit=MAX_PASSWORD_LENGTH)
        return password

    # ----------------------------------------------------------------- queries

    @staticmethod
    def _user(row: Mapping | None) -> User | None:
        if row is None:
            return None
        return User(id=row["id"], username=row["username"], display_name=row["display_name"],
                    email=row["email"], role=row["role"], group=row["group_slug"],
                    session_version=row["session_version"], language=row["language"],
                    disabled_at=row["disabled_at"], last_login_at=row["last_login_at"],
                    editor_mode=row["editor_mode"])

    def count(self) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) AS n FROM users").fetchone()["n"]

    def get(self, user_id: int) -> User | None:
        """The account ``user_id`` (every logged-in request loads it: a connection kept per thread)."""
        with self.database.reader() as db:
            return self._user(db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone())

    def by_username(self, username: str) -> User | None:
        with self._db() as db:
            return self._user(db.execute(f"SELECT * FROM users WHERE {NAMED}", (username,)).fetchone())

    def by_email(self, email: str) -> User | None:
        """The one account with this address (whatever its case); ``None`` when none or several have it."""
        with self._db() as db:
            rows = db.execute("SELECT * FROM users WHERE lower(email) = lower(?) LIMIT 2", (email.strip(),)).fetchall()
        return self._user(rows[0]) if len(rows) == 1 else None

    def require(self, username: str) -> User:
        user = self.by_username(username)
        if user is None:
            raise UserError(N_("There is no user %(username)s."), username=repr(username))
        return user

    def display_names(self) -> dict[str, str]:
        """Every account's display name by user name (its user name when it has none), in one query."""
        with self._db() as db:
            rows = db.execute("SELECT username, display_name FROM users").fetchall()
        return {row["username"]: row["display_name"] or row["username"] for row in rows}

    def all(self) -> list[User]:
        with self._db() as db:
            rows = db.execute("SELECT * FROM users ORDER BY lower(username)").fetchall()
        return [user for user in map(self._user, rows) if user is not None]

    def authenticate(self, username: str, password: str) -> User | None:
        """The user if the password matches; ``None`` otherwise (same answer for unknown users)."""
        with self._db() as db:
            row = db.execute(f"SELECT * FROM users WHERE {NAMED}", (username,)).fetchone()
        if row is None:
            check_password_hash(_dummy_hash(), password)  # same cost whether or not the user exists
            return None
        if not check_password_hash(row["password_hash"], password) or row["disabled_at"] is not None:
            return None  # a disabled account is refused like a wrong password (see wiki/accounts.py)
        return self._user(row)

    # ----------------------------------------------------------------- changes

    def create(self, username: str, password: str, *, group: str, role: str = "editor",
               display_name: str = "", email: str = "") -> User:
        if not USERNAME_RE.match(username or ""):
            raise UserError(N_("A user name has 1-40 letters, digits, '.', '_' or '-' and starts with a letter or "
                               "digit."))
        if username.lower().startswith(GUEST_PREFIX):  # a user by that name would read and answer as that guest
            raise UserError(N_("User names starting with %(prefix)s are kept for the invited guests of calls for "
                               "input."), prefix=repr(GUEST_PREFIX))
        self.check_group(group)
        self.check_role(role)
        self.check_password(password)
        display_name = _clean_text(display_name or username, N_("display name"), MAX_DISPLAY_NAME)
        email = self._check_email(email)
        try:
            with self._db() as db:
                db.execute(
                    "INSERT INTO users (username, display_name, email, password_hash, role, group_slug, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (username, display_name, email, generate_password_hash(password, self.hash_method), role, group,
                     int(time.time())),
                )
        except IntegrityError as error:
            raise UserError(N_("A user named %(username)s already exists."), username=repr(username)) from error
        return self.require(username)

    @staticmethod
    def _check_email(email: str) -> str:
        email = (email or "").strip()
        if email and not EMAIL_RE.match(email):
            raise UserError(N_("%(email)s is not an e-mail address."), email=repr(email))
        return email

    def _update(self, username: str, sql: str, *values: object) -> User:
        with self._db() as db:
            cursor = db.execute(f"UPDATE users SET {sql} WHERE {NAMED}", (*values, username))
            if cursor.rowcount == 0:
                raise UserError(N_("There is no user %(username)s."), username=repr(username))
        return self.require(username)

    def set_role(self, username: str, role: str) -> User:
        return self._update(username, "role = ?", self.check_role(role))

    def set_group(self, username: str, group: str) -> User:
        return self._update(username, "group_slug = ?", self.check_group(group))

    def set_email(self, username: str, email: str) -> User:
        """Set the address mail goes to (set by an admin, or confirmed by its owner's signed link)."""
        return self._update(username, "email = ?", self._check_email(email))

    def check_email(self, email: str) -> str:
        """The address without surrounding spaces; a :class:`UserError` when it is not one."""
        return self._check_email(email)

    def set_language(self, username: str, language: str) -> User:
        """Set the interface language (one of ``LANGUAGES``, or "" to follow the browser)."""
        if language and language not in LANGUAGES:
            raise UserError(N_("Unknown language %(language)s; the languages are %(languages)s."),
                            language=repr(language), languages=", ".join(LANGUAGES))
        return self._update(username, "language = ?", language)

    def set_password(self, username: str, password: str) -> User:
        """Change the password and end every session opened with the old one."""
        self.check_password(password)
        with self._db() as db:
            db.execute(f"DELETE FROM logins WHERE user_id IN (SELECT id FROM users WHERE {NAMED})", (username,))
        return self._update(username, "password_hash = ?, session_version = session_version + 1",
                            generate_password_hash(password, self.hash_method))

    def delete(self, username: str) -> None:
        """Delete the account, end its sessions and drop its tokens (a later account may get the same id)."""
        with self._db() as db:
            db.execute(f"DELETE FROM logins WHERE user_id IN (SELECT id FROM users WHERE {NAMED})", (username,))
            # its tokens too: a later account may get the same id
            db.execute(f"DELETE FROM api_tokens WHERE user_id IN (SELECT id FROM users WHERE {NAMED})", (username,))
            for table in ("notifications", "watches", "notify_settings", "mail_outbox", "password_links"):  # theirs too
                db.execute(f"DELETE FROM {table} WHERE user_id IN (SELECT id FROM users WHERE {NAMED})", (username,))
            if db.execute(f"DELETE FROM users WHERE {NAMED}", (username,)).rowcount == 0:
                raise UserError(N_("There is no user %(username)s."), username=repr(username))

    # ----------------------------------------------------------------- login sessions

    def open_login(self, user: User) -> User:
        """Record a new login session server-side; the returned user carries its token in its id.

        The session cookie is signed, not stored: without this record, a copied cookie would
        keep working after its owner logged out.
        """
        token = secrets.token_urlsafe(24)
        with self._db() as db:
            db.execute("DELETE FROM logins WHERE created_at < ?", (int(time.time()) - LOGIN_MAX_AGE,))
            db.execute("INSERT INTO logins (user_id, token, created_at) VALUES (?, ?, ?)",
                       (user.id, token, int(time.time())))
        return replace(user, login_token=token)

    def login_open(self, user_id: int, token: str) -> bool:
        """Whether this login is still open (checked on every logged-in request, like :meth:`get`)."""
        with self.database.reader() as db:
            return db.execute("SELECT 1 FROM logins WHERE user_id = ? AND token = ? AND created_at >= ?",
                              (user_id, token, int(time.time()) - LOGIN_MAX_AGE)).fetchone() is not None

    def set_editor_mode(self, username: str, mode: str) -> User:
        """Remember the editing mode (``visual`` or ``markdown``) the user chose: every browser opens it."""
        if mode not in EDITOR_MODES:
            raise UserError(N_("The editing mode must be visual or markdown."))
        return self._update(username, "editor_mode = ?", mode)

    def close_login(self, user_id: int, token: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM logins WHERE user_id = ? AND token = ?", (user_id, token))

    # ----------------------------------------------------------------- login throttling

    def log_in(self, username: str, password: str, *, address: str) -> User | None:
        """The user if the password matches, ``None`` if not; raises :class:`LoginThrottled`.

        The limits never let failures from one address lock another account out, while guessing
        any one password stays slow:

        - an account with ``LOGIN_FAILURE_LIMIT`` failures in the window (from any addresses)
          is refused everywhere, even with the right password, until its failures age out;
        - an address with ``ADDRESS_FAILURE_LIMIT`` failures (password spraying, made-up names) is
          refused for every account that has failures of its own; an account without any is
          still checked, so its owner logs in even from the same address (one proxy, one office).

        A failure is recorded for the typed name and the address; a success clears the account's.
        """
        account = username.casefold()
        since = time.time() - LOGIN_FAILURE_WINDOW
        with self._db() as db:
            account_failures = db.execute("SELECT COUNT(*) AS n FROM failed_logins WHERE account = ? AND at >= ?",
                                          (account, since)).fetchone()["n"]
            address_failures = db.execute("SELECT COUNT(*) AS n FROM failed_logins WHERE address = ? AND at >= ?",
                                          (address, since)).fetchone()["n"]
        if account_failures >= LOGIN_FAILURE_LIMIT or (account_failures and address_failures >= ADDRESS_FAILURE_LIMIT):
            security_event("login_locked", user=username, client=address)
            raise LoginThrottled(N_("Too many failed log-in attempts. Wait 15 minutes and try again, or ask an "
                                 "administrator to reset your password."))
        user = self.authenticate(username, password)
        if user is None:
            self._record_failure(account, address)
            security_event("login_failed", user=username, client=address)
        else:
            with self._db() as db:
                db.execute("DELETE FROM failed_logins WHERE account = ?", (account,))
                db.execute("UPDATE users SET last_login_at = ? WHERE id = ?", (int(time.time()), user.id))
        return user

    def _record_failure(self, account: str | None, address: str | None) -> None:
        now = time.time()
        with self._db() as db:
            db.execute("DELETE FROM failed_logins WHERE at < ?", (now - LOGIN_FAILURE_WINDOW,))
            db.execute("INSERT INTO failed_logins (account, address, at) VALUES (?, ?, ?)", (account, address, now))

    # ----------------------------------------------------------------- backup and check

    def backup_to(self, target: str | Path) -> None:
        """Copy the accounts into the SQLite file ``target``, consistent while in use: SQLite's
        online backup API, or from PostgreSQL one snapshot copied into a new file of the same schema."""
        if self.database.path is None:
            copy = UserStore(target, self.groups, hash_method=self.hash_method)
            copy.create_schema()
            copy.database.copy_rows_from(self.database, TABLES)
            return
        with self.database.connect() as source:  # the file must exist: never back up an empty one made here
            destination = sqlite3.connect(target)
            try:
                source.raw.backup(destination)
            finally:
                destination.close()

    def restore_from(self, source_path: str | Path) -> None:
        """Replace every table's content by the SQLite database at ``source_path`` (checked first)."""
        source = sqlite3.connect(sqlite_uri(source_path, "ro"), uri=True)
        try:
            problems = sqlite_integrity_problems(source)
            if problems:
                raise UserError(N_("The user database in the backup is damaged: %(problems)s"),
                                problems='; '.join(problems))
            if self.database.path is None:
                self.create_schema()
                self.database.copy_rows_from(Database(Path(source_path)), TABLES)
                return
            self.database.path.parent.mkdir(parents=True, exist_ok=True)
            destination = sqlite3.connect(self.database.path, timeout=30)
            try:
                source.backup(destination)
            finally:
                destination.close()
        finally:
            source.close()
        self.create_schema()  # a backup made by an older version gets today's schema

    def check(self) -> list[str]:
        """Problems found by ``PRAGMA integrity_check`` (SQLite) and in the users' roles and groups."""
        problems = self.database.integrity_problems()
        if problems:
            return problems
        for user in self.all():
            if user.role not in ROLES:
                problems.append(f"user {user.username!r} has the unknown role {user.role!r}")
            if user.group not in self.groups:
                problems.append(f"user {user.username!r} is in the unknown group {user.group!r}")
        return problems


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not-a-real-password")
