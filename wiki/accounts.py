"""Accounts managed in the browser (issue 29): admins create users, change their role or group,
disable and re-enable them and issue password-set links; every change is recorded (who, when, what).

Built on :class:`wiki.users.UserStore` (the same database and checks as ``flask users …``). A
password-set link holds a random secret of which only the SHA-256 digest is stored; it works once,
until it expires, and issuing a new one for the same user voids the older ones. No Flask import.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from .errors import N_
from .operations.logs import security_event
from .users import User, UserError, UserStore

LINK_HOURS = 72  # a password-set link works this long after it was issued
RECORD_LIMIT = 50  # the record shown on /-/admin/users: the newest changes
ACTIONS = ("created", "role", "group", "disabled", "enabled", "password-link", "password-set")


@dataclass(frozen=True)
class AccountEvent:
    """One recorded change to an account."""

    at: int
    actor: str
    username: str
    action: str  # one of ACTIONS
    detail: str


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class AccountAdmin:
    """The changes an admin makes to accounts, each recorded in ``account_events``."""

    def __init__(self, users: UserStore) -> None:
        self.users = users
        self.database = users.database

    def record(self, actor: str, username: str, action: str, detail: str = "") -> None:
        with self.database.connect() as db:
            db.execute("INSERT INTO account_events (at, actor, username, action, detail) VALUES (?, ?, ?, ?, ?)",
                       (int(time.time()), actor, username, action, detail))
        security_event("account_changed", user=username, by=actor, action=action, detail=detail)

    def events(self, limit: int = RECORD_LIMIT) -> list[AccountEvent]:
        """The newest changes first."""
        with self.database.connect() as db:
            rows = db.execute("SELECT at, actor, username, action, detail FROM account_events"
                              " ORDER BY id DESC LIMIT ?", (limit,)).fetchall()
        return [AccountEvent(row["at"], row["actor"], row["username"], row["action"], row["detail"]) for row in rows]

    def create(self, actor: str, username: str, *, display_name: str, email: str, group: str, role: str
               ) -> tuple[User, str]:
        """A new account with no usable password, and the secret of its first password-set link."""
        user = self.users.create(username, secrets.token_urlsafe(32), group=group, role=role,
                                 display_name=display_name, email=email)
        self.record(actor, user.username, "created", f"{role} {group}")
        return user, self.issue_link(actor, user.username)

    def set_role(self, actor: str, username: str, role: str) -> User:
        self._not_oneself(actor, username, N_("You cannot change your own role here: another admin must."))
        user = self.users.set_role(username, role)
        self.record(actor, user.username, "role", role)
        return user

    def set_group(self, actor: str, username: str, group: str) -> User:
        user = self.users.set_group(username, group)
        self.record(actor, user.username, "group", group)
        return user

    def disable(self, actor: str, username: str) -> User:
        """Refuse the account's log-ins, end its sessions; its tokens and links stop working too."""
        self._not_oneself(actor, username, N_("You cannot disable your own account."))
        user = self.users.require(username)
        with self.database.connect() as db:
            db.execute("UPDATE users SET disabled_at = ? WHERE id = ?", (int(time.time()), user.id))
            db.execute("DELETE FROM logins WHERE user_id = ?", (user.id,))
            db.execute("DELETE FROM password_links WHERE user_id = ?", (user.id,))
        self.record(actor, user.username, "disabled")
        return self.users.require(username)

    def enable(self, actor: str, username: str) -> User:
        user = self.users.require(username)
        with self.database.connect() as db:
            db.execute("UPDATE users SET disabled_at = NULL WHERE id = ?", (user.id,))
        self.record(actor, user.username, "enabled")
        return self.users.require(username)

    def issue_link(self, actor: str, username: str) -> str:
        """A new password-set link's secret (shown once); older links of the same user stop working."""
        user = self.users.require(username)
        if user.disabled_at is not None:
            raise UserError(N_("The account %(username)s is disabled: enable it first."), username=user.username)
        secret = secrets.token_urlsafe(32)
        now = int(time.time())
        with self.database.connect() as db:
            db.execute("DELETE FROM password_links WHERE user_id = ?", (user.id,))
            db.execute("INSERT INTO password_links (token_hash, user_id, created_by, created_at, expires_at)"
                       " VALUES (?, ?, ?, ?, ?)", (_digest(secret), user.id, actor, now, now + LINK_HOURS * 3600))
        self.record(actor, user.username, "password-link")
        return secret

    def link_user(self, secret: str) -> User | None:
        """The user whose unused, unexpired link this is; ``None`` for any other secret."""
        if not secret or len(secret) > 100:
            return None
        with self.database.connect() as db:
            row = db.execute("SELECT user_id FROM password_links WHERE token_hash = ? AND used_at IS NULL"
                             " AND expires_at > ?", (_digest(secret), int(time.time()))).fetchone()
        user = self.users.get(row["user_id"]) if row else None
        return user if user is not None and user.disabled_at is None else None

    def use_link(self, secret: str, password: str) -> User:
        """Set the password through a link, once; raises :class:`UserError` when the link does not work."""
        user = self.link_user(secret)
        if user is None:
            raise UserError(N_("This link has expired or was used already. Ask an administrator for a new one."))
        self.users.check_password(password)
        with self.database.connect() as db:  # spend the link first: two requests with it cannot both set
            spent = db.execute("UPDATE password_links SET used_at = ? WHERE token_hash = ? AND used_at IS NULL",
                               (int(time.time()), _digest(secret))).rowcount
        if spent != 1:
            raise UserError(N_("This link has expired or was used already. Ask an administrator for a new one."))
        user = self.users.set_password(user.username, password)
        self.record(user.username, user.username, "password-set")
        return user

    @staticmethod
    def _not_oneself(actor: str, username: str, message: str) -> None:
        if actor.casefold() == username.casefold():
            raise UserError(message)
