"""Personal access tokens: what scripts use instead of a password, for the JSON API and for Git.

A token is ``lwt_`` followed by 256 random bits. Only its SHA-256 is stored (a random secret that
long needs no slow hash: nothing can be guessed from the digest), with a short hint (its first
characters) so its owner can tell tokens apart. Each has a name, a scope (``read`` or ``write``)
and an expiry; it is listed with its last use and can be revoked. It acts as its owner, with the
owner's current role and group, never more than its scope allows. Tokens live in the accounts
database (the table ``api_tokens``, migration 3 in wiki/users.py), on SQLite or PostgreSQL alike.
No Flask import.
"""

from __future__ import annotations

import hashlib
import secrets
import time
import unicodedata
from dataclasses import dataclass

from .database import Connection
from .errors import N_, WikiError
from .operations.logs import security_event
from .users import User, UserStore

TOKEN_PREFIX = "lwt_"
SCOPES = ("read", "write")
MAX_NAME = 80
MAX_DAYS = 366  # the longest a token may live: a year and a day
HINT_LENGTH = 8  # characters after the prefix shown in lists
LAST_USE_EVERY = 60  # seconds: the last use is written at most this often (reads stay reads)
COLUMNS = ("t.id, t.user_id, t.name, t.scope, t.hint, t.created_at, t.expires_at, t.last_used_at, "
           "t.last_used_from, t.revoked_at, u.username")
USER_COLUMNS = "u.display_name, u.email, u.role, u.group_slug, u.session_version, u.language"


class TokenError(WikiError):
    """A token that cannot be made or changed as asked (bad name, scope or expiry; not yours)."""

    code = 400


class TokenNotFound(TokenError):
    code = 404


@dataclass(frozen=True)
class Token:
    """One token as its owner and the admins see it (never the secret)."""

    id: int
    user_id: int
    username: str
    name: str
    scope: str
    hint: str
    created_at: int
    expires_at: int
    last_used_at: int | None
    last_used_from: str
    revoked_at: int | None

    def state(self, now: float | None = None) -> str:
        """``active``, ``expired`` or ``revoked``."""
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= (now if now is not None else time.time()) else "active"

    @property
    def can_write(self) -> bool:
        return self.scope == "write"


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogateescape")).hexdigest()


def looks_like_token(value: str) -> bool:
    """Whether ``value`` has a token's shape (so a Git password field holding one is not a password)."""
    return value.startswith(TOKEN_PREFIX) and 20 < len(value) < 200


class TokenStore:
    """The tokens of a :class:`UserStore`'s database; a short connection per operation."""

    def __init__(self, users: UserStore) -> None:
        self.users = users
        self.database = users.database

    @staticmethod
    def _token(row: object) -> Token:
        return Token(id=row["id"], user_id=row["user_id"], username=row["username"], name=row["name"],  # type: ignore[index]
                     scope=row["scope"], hint=row["hint"], created_at=row["created_at"],  # type: ignore[index]
                     expires_at=row["expires_at"], last_used_at=row["last_used_at"],  # type: ignore[index]
                     last_used_from=row["last_used_from"] or "", revoked_at=row["revoked_at"])  # type: ignore[index]

    @staticmethod
    def check_name(name: str) -> str:
        name = unicodedata.normalize("NFC", " ".join((name or "").split()))
        if not name:
            raise TokenError(N_("Give the token a name that says what uses it, like “publishing script”."))
        if len(name) > MAX_NAME:
            raise TokenError(N_("A token's name has at most %(limit)s characters."), limit=MAX_NAME)
        if any(unicodedata.category(c) in {"Cc", "Cf", "Cs", "Co", "Cn"} for c in name):
            raise TokenError(N_("A token's name may not contain control or invisible formatting characters."))
        return name

    @staticmethod
    def check_scope(scope: str) -> str:
        if scope not in SCOPES:
            raise TokenError(N_("The scope must be 'read' or 'write'."))
        return scope

    @staticmethod
    def check_expiry(expires_at: int, now: float | None = None) -> int:
        now = time.time() if now is None else now
        if expires_at <= now:
            raise TokenError(N_("The expiry must be in the future."))
        if expires_at > now + (MAX_DAYS + 1) * 86400:
            raise TokenError(N_("A token lives at most %(days)s days."), days=MAX_DAYS)
        return int(expires_at)

    def create(self, user: User, name: str, scope: str, expires_at: int) -> tuple[Token, str]:
        """A new token for ``user``; returns it and its secret, which is shown once and never stored."""
        name, scope = self.check_name(name), self.check_scope(scope)
        expires_at = self.check_expiry(expires_at)
        secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
        with self.database.connect() as db:
            db.execute("INSERT INTO api_tokens (user_id, name, scope, token_hash, hint, created_at, expires_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?)",
                       (user.id, name, scope, digest(secret), secret[:len(TOKEN_PREFIX) + HINT_LENGTH],
                        int(time.time()), expires_at))
            row = self._select(db, "t.token_hash = ?", (digest(secret),))[0]
        token = self._token(row)
        security_event("token_created", user=user.username, token=token.id, name=name, scope=scope)
        return token, secret

    @staticmethod
    def _select(db: Connection, where: str, params: tuple[object, ...]) -> list[object]:
        return db.execute(f"SELECT {COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE {where}"
                          " ORDER BY t.created_at DESC, t.id DESC", params).fetchall()

    def of_user(self, user_id: int) -> list[Token]:
        with self.database.connect() as db:
            return [self._token(row) for row in self._select(db, "t.user_id = ?", (user_id,))]

    def all(self) -> list[Token]:
        with self.database.connect() as db:
            return [self._token(row) for row in self._select(db, "1 = 1", ())]

    def get(self, token_id: int) -> Token:
        with self.database.connect() as db:
            rows = self._select(db, "t.id = ?", (token_id,))
        if not rows:
            raise TokenNotFound(N_("There is no token %(id)s."), id=token_id)
        return self._token(rows[0])

    def revoke(self, token_id: int, *, owner: int | None) -> Token:
        """Revoke a token: its owner's (``owner`` = their id) or, for an admin (``None``), anyone's.
        Revoking twice keeps the first time."""
        token = self.get(token_id)
        if owner is not None and token.user_id != owner:
            raise TokenNotFound(N_("There is no token %(id)s."), id=token_id)  # others' tokens are not shown
        with self.database.connect() as db:
            db.execute("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL",
                       (int(time.time()), token_id))
        security_event("token_revoked", token=token_id, owner=token.username, by_admin=owner is None)
        return self.get(token_id)

    def verify(self, secret: str, *, address: str = "") -> tuple[User, Token] | None:
        """The owner and the token for ``secret`` when it is active; ``None`` when it is unknown,
        expired or revoked (the caller answers all three alike). Records the use (at most once a
        minute, so reading stays cheap)."""
        if not looks_like_token(secret):
            return None
        now = time.time()
        with self.database.reader() as db:  # one query on a kept connection: this runs on every API request
            row = db.execute(f"SELECT {COLUMNS}, {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id"
                             " WHERE t.token_hash = ? AND u.disabled_at IS NULL", (digest(secret),)).fetchone()
        if row is None:
            return None
        token = self._token(row)
        if token.state(now) != "active":
            return None
        if token.last_used_at is None or now - token.last_used_at >= LAST_USE_EVERY \
                or token.last_used_from != address[:64]:
            with self.database.connect() as db:
                db.execute("UPDATE api_tokens SET last_used_at = ?, last_used_from = ? WHERE id = ?",
                           (int(now), address[:64], token.id))
        user = User(id=row["user_id"], username=row["username"], display_name=row["display_name"],
                    email=row["email"], role=row["role"], group=row["group_slug"],
                    session_version=row["session_version"], language=row["language"])
        return user, token
