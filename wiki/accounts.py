"""Accounts managed in the browser (issue 29): admins create users, change their role or group,
disable and re-enable them and issue password-set links; every change is recorded (who, when, what).

Built on :class:`wiki.users.UserStore` (the same database and checks as ``flask users …``). A
password-set link holds a random secret of which only the SHA-256 digest is stored; it works once,
until it expires. Issuing a new one for the same user (or disabling the account) voids the older
ones and drops their mails still waiting in the outbox, so a mailed link works when it leaves.
No Flask import.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass

from .database import Connection
from .errors import N_
from .notify.outbox import drop_password_mail
from .operations.logs import security_event
from .users import User, UserError, UserStore

LINK_HOURS = 72  # a password-set link works this long after it was issued
RESET_WINDOW = 3600  # reset requests are counted over the last hour:
RESET_PER_ADDRESS = 5  # from one client address (more are refused with a 429, whatever they name)
RESET_PER_ACCOUNT = 3  # links mailed to one account (more requests get the same answer and no mail)
RECORD_LIMIT = 50  # the record shown on /-/admin/users: the newest changes
ACTIONS = ("created", "role", "group", "disabled", "enabled", "password-link", "password-reset", "password-set")


@dataclass(frozen=True)
class AccountEvent:
    """One recorded change to an account."""

    at: int
    actor: str
    username: str
    action: str  # one of ACTIONS
    detail: str


class ResetThrottled(UserError):
    """Too many password reset requests from one client address within the hour."""

    code = 429


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
            self._void_links(db, user.id)
        self.record(actor, user.username, "disabled")
        return self.users.require(username)

    def enable(self, actor: str, username: str) -> User:
        user = self.users.require(username)
        with self.database.connect() as db:
            db.execute("UPDATE users SET disabled_at = NULL WHERE id = ?", (user.id,))
        self.record(actor, user.username, "enabled")
        return self.users.require(username)

    def issue_link(self, actor: str, username: str, *, action: str = "password-link") -> str:
        """A new password-set link's secret (shown once, or mailed); older links of the same user stop working."""
        user = self.users.require(username)
        if user.disabled_at is not None:
            raise UserError(N_("The account %(username)s is disabled: enable it first."), username=user.username)
        secret = secrets.token_urlsafe(32)
        now = int(time.time())
        with self.database.connect() as db:
            self._void_links(db, user.id)
            db.execute("INSERT INTO password_links (token_hash, user_id, created_by, created_at, expires_at)"
                       " VALUES (?, ?, ?, ?, ?)", (_digest(secret), user.id, actor, now, now + LINK_HOURS * 3600))
        self.record(actor, user.username, action)
        return secret

    def request_reset(self, name_or_email: str, *, address: str) -> tuple[User, str] | None:
        """A forgotten password: the matching account and a new password-set link's secret, to be
        mailed to the account's own address; ``None`` when no enabled account with an address
        matches, or when that account was sent ``RESET_PER_ACCOUNT`` links this hour (the caller
        answers alike in every case, so the form tells nobody which accounts exist). Raises
        :class:`ResetThrottled` after ``RESET_PER_ADDRESS`` requests from ``address``."""
        now = time.time()
        typed = name_or_email.strip()[:254]
        with self.database.connect() as db:
            db.execute("DELETE FROM reset_requests WHERE at < ?", (now - RESET_WINDOW,))
            asked = db.execute("SELECT COUNT(*) AS n FROM reset_requests WHERE address = ? AND at >= ?",
                               (address, now - RESET_WINDOW)).fetchone()["n"]
        if asked >= RESET_PER_ADDRESS:
            security_event("password_reset_throttled", client=address)
            raise ResetThrottled(N_("Too many password reset requests from your address. Wait an hour and try again, "
                                    "or ask an administrator."))
        user = self._reset_account(typed)
        account = user.username.casefold() if user is not None else ""
        with self.database.connect() as db:
            sent = db.execute("SELECT COUNT(*) AS n FROM reset_requests WHERE account = ? AND at >= ?",
                              (account, now - RESET_WINDOW)).fetchone()["n"] if account else 0
            db.execute("INSERT INTO reset_requests (address, account, at) VALUES (?, ?, ?)", (address, account, now))
        if user is None or sent >= RESET_PER_ACCOUNT:
            security_event("password_reset_ignored", user=typed, client=address)
            return None
        return user, self.issue_link("", user.username, action="password-reset")

    def _reset_account(self, typed: str) -> User | None:
        """The enabled account with an address whose user name or e-mail address is ``typed``."""
        user = self.users.by_username(typed) if typed else None
        if user is None and "@" in typed:
            user = self.users.by_email(typed)
        return user if user is not None and user.email and user.disabled_at is None else None

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
    def _void_links(db: Connection, user_id: int) -> None:
        """The account's password-set links stop working, and their mails not sent yet are dropped
        with them: an older mail must not go out later with a link that no longer works."""
        db.execute("DELETE FROM password_links WHERE user_id = ?", (user_id,))
        drop_password_mail(db, user_id)

    @staticmethod
    def _not_oneself(actor: str, username: str, message: str) -> None:
        if actor.casefold() == username.casefold():
            raise UserError(message)
