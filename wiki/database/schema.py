"""The accounts database's schema: one numbered migration per change, the tables a backup holds,
and how a database made before versioned migrations is brought up to the first one. Both engines
(SQLite and PostgreSQL) run the same statements (see ``Database.migrate``)."""

from __future__ import annotations

from . import Connection, Migration

# The schema, one numbered step per change: `flask --app wiki init` (and every start) applies the
# steps a database lacks. Never edit a released step; add the next one.
MIGRATIONS = (
    Migration(1, "accounts, login sessions and failed log-ins", (
        """CREATE TABLE IF NOT EXISTS users (
            id {id},
            username TEXT NOT NULL UNIQUE {nocase},
            display_name TEXT NOT NULL,
            email TEXT NOT NULL DEFAULT '',
            password_hash TEXT NOT NULL,
            role TEXT NOT NULL,
            group_slug TEXT NOT NULL,
            session_version INTEGER NOT NULL DEFAULT 1,
            created_at {bigint} NOT NULL,
            language TEXT NOT NULL DEFAULT ''  -- interface language, one of LANGUAGES; '' for none
        )""",
        """CREATE TABLE IF NOT EXISTS failed_logins (
            account TEXT,  -- the user name as typed, case-folded (it may name no account)
            address TEXT,  -- the client's address (behind proxies: see TRUSTED_PROXIES)
            at {float} NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS failed_logins_account ON failed_logins (account, at)",
        "CREATE INDEX IF NOT EXISTS failed_logins_address ON failed_logins (address, at)",
        """CREATE TABLE IF NOT EXISTS logins (
            user_id {bigint} NOT NULL,
            token TEXT NOT NULL,
            created_at {bigint} NOT NULL,
            PRIMARY KEY (user_id, token)
        )""",
    )),
    Migration(2, "user names unique and found regardless of case on every engine; logins by age", (
        "CREATE UNIQUE INDEX IF NOT EXISTS users_username_folded ON users (lower(username))",
        "CREATE INDEX IF NOT EXISTS logins_created_at ON logins (created_at)",
    )),
    Migration(3, "personal access tokens for the API and Git (stored as SHA-256 digests)", (
        """CREATE TABLE IF NOT EXISTS api_tokens (
            id {id},
            user_id {bigint} NOT NULL,
            name TEXT NOT NULL,
            scope TEXT NOT NULL,  -- read or write
            token_hash TEXT NOT NULL UNIQUE,  -- hex SHA-256 of the secret; the secret is never stored
            hint TEXT NOT NULL,  -- the secret's first characters, to tell tokens apart
            created_at {bigint} NOT NULL,
            expires_at {bigint} NOT NULL,
            last_used_at {bigint},
            last_used_from TEXT,
            revoked_at {bigint}
        )""",
        "CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id)",
    )),
    Migration(4, "webhooks: endpoints, the delivery queue and its log, the refs last seen", (
        """CREATE TABLE IF NOT EXISTS webhooks (
            id {id},
            url TEXT NOT NULL,
            events TEXT NOT NULL,  -- comma-separated: commit, proposal, endorsement, comment, version
            secret TEXT NOT NULL,  -- the HMAC key (it must be readable to sign)
            site_url TEXT NOT NULL DEFAULT '',  -- the wiki's address as the admin saw it, for links
            created_by TEXT NOT NULL DEFAULT '',
            created_at {bigint} NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS webhook_deliveries (
            id {id},
            webhook_id {bigint} NOT NULL,
            delivery TEXT NOT NULL UNIQUE,  -- the X-Wiki-Delivery id
            event TEXT NOT NULL,
            body TEXT NOT NULL,  -- the exact JSON that is signed and sent
            state TEXT NOT NULL DEFAULT 'pending',  -- pending, delivered, failed
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at {float} NOT NULL,
            next_attempt_at {float} NOT NULL,
            lease_owner TEXT,  -- the sender that claimed it, until lease_until
            lease_until {float},
            last_status INTEGER,
            last_error TEXT NOT NULL DEFAULT '',
            finished_at {float}
        )""",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at)",
        "CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id)",
        """CREATE TABLE IF NOT EXISTS webhook_attempts (
            id {id},
            webhook_id {bigint} NOT NULL,
            delivery_id {bigint} NOT NULL,
            event TEXT NOT NULL,
            attempt INTEGER NOT NULL,
            at {float} NOT NULL,
            status INTEGER,  -- the HTTP status, or NULL when no answer came
            error TEXT NOT NULL DEFAULT '',
            duration {float} NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS webhook_attempts_webhook ON webhook_attempts (webhook_id, id)",
        """CREATE TABLE IF NOT EXISTS webhook_refs (
            ref TEXT PRIMARY KEY,  -- a watched ref of the content repository
            target TEXT NOT NULL  -- the id it had when its events were last queued
        )""",
    )),
    Migration(5, "notifications, watches, notification settings, the mail outbox, digests and job leases", (
        """CREATE TABLE IF NOT EXISTS notifications (
            id {id},
            user_id {bigint} NOT NULL,
            subject TEXT NOT NULL,  -- proposal/<n>, thread/<n> or page/<name>: one row per user and subject
            reason TEXT NOT NULL,  -- awaiting, mine, watching, mention
            activity TEXT NOT NULL,  -- what happened last (proposed, commented, replied, edited, ...)
            actor TEXT NOT NULL DEFAULT '',  -- who did it (a user name; '' for the wiki itself)
            title TEXT NOT NULL DEFAULT '',  -- the proposal's title or the page's name, as shown
            page TEXT NOT NULL DEFAULT '',  -- the page of a thread or a page subject
            proposal {bigint},  -- the proposal of a proposal subject, or of a thread on a proposal
            created_at {float} NOT NULL,
            updated_at {float} NOT NULL,
            read_at {float},  -- NULL while unread; new activity makes the row unread again
            UNIQUE (user_id, subject)
        )""",
        "CREATE INDEX IF NOT EXISTS notifications_user ON notifications (user_id, updated_at)",
        "CREATE INDEX IF NOT EXISTS notifications_unread ON notifications (user_id) WHERE read_at IS NULL",
        """CREATE TABLE IF NOT EXISTS watches (
            subject TEXT NOT NULL,
            user_id {bigint} NOT NULL,
            created_at {bigint} NOT NULL,
            PRIMARY KEY (subject, user_id)
        )""",
        "CREATE INDEX IF NOT EXISTS watches_user ON watches (user_id)",
        """CREATE TABLE IF NOT EXISTS notify_settings (
            user_id {bigint} PRIMARY KEY,
            autowatch INTEGER NOT NULL DEFAULT 1,  -- watch what I edit, propose or comment on
            awaiting TEXT NOT NULL DEFAULT '',  -- mail frequency per kind: immediately, daily, weekly,
            mine TEXT NOT NULL DEFAULT '',  -- never; '' for the default
            watching TEXT NOT NULL DEFAULT '',
            mention TEXT NOT NULL DEFAULT '',
            pending_email TEXT NOT NULL DEFAULT ''  -- an address typed by the user, until confirmed
        )""",
        """CREATE TABLE IF NOT EXISTS mail_outbox (
            id {id},
            user_id {bigint} NOT NULL,
            message_key TEXT NOT NULL UNIQUE,  -- what the mail is (a notification, a digest's period): never twice
            payload TEXT NOT NULL,  -- JSON: what to write, rendered in the user's language when sent
            state TEXT NOT NULL DEFAULT 'pending',  -- pending, sent, failed
            attempts INTEGER NOT NULL DEFAULT 0,
            created_at {float} NOT NULL,
            next_attempt_at {float} NOT NULL,
            lease_owner TEXT,
            lease_until {float},
            last_error TEXT NOT NULL DEFAULT '',
            sent_at {float}
        )""",
        "CREATE INDEX IF NOT EXISTS mail_outbox_due ON mail_outbox (state, next_attempt_at)",
        """CREATE TABLE IF NOT EXISTS jobs_done (
            job TEXT PRIMARY KEY,  -- digest:<user>:<period>, remind:<n>:<deadline>, deadline:<n>:<deadline>
            done_at {float} NOT NULL
        )""",
        """CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,  -- the scheduler: one process at a time runs the due jobs
            owner TEXT NOT NULL,
            until {float} NOT NULL
        )""",
    )),
    Migration(6, "accounts managed in the browser: disabled accounts, last log-in, password-set links, the record", (
        "ALTER TABLE users ADD COLUMN disabled_at {bigint}",  # NULL while the account may log in
        "ALTER TABLE users ADD COLUMN last_login_at {bigint}",
        """CREATE TABLE IF NOT EXISTS password_links (
            token_hash TEXT PRIMARY KEY,  -- hex SHA-256 of the link's secret; the secret is never stored
            user_id {bigint} NOT NULL,
            created_by TEXT NOT NULL,  -- the admin's user name
            created_at {bigint} NOT NULL,
            expires_at {bigint} NOT NULL,
            used_at {bigint}
        )""",
        "CREATE INDEX IF NOT EXISTS password_links_user ON password_links (user_id)",
        """CREATE TABLE IF NOT EXISTS account_events (
            id {id},
            at {bigint} NOT NULL,
            actor TEXT NOT NULL,  -- who made the change (a user name; '' for the command line)
            username TEXT NOT NULL,  -- whose account changed
            action TEXT NOT NULL,  -- created, role, group, disabled, enabled, password-link, password-set
            detail TEXT NOT NULL DEFAULT ''  -- the new role or group
        )""",
        "CREATE INDEX IF NOT EXISTS account_events_at ON account_events (at)",
    )),
    Migration(7, "drafts of responses to calls for input, private to their author until submitted", (
        """CREATE TABLE IF NOT EXISTS call_drafts (
            call TEXT NOT NULL,  -- the call's slug
            respondent TEXT NOT NULL,  -- a user name (case-folded) or an invited guest's id
            data TEXT NOT NULL,  -- the form as JSON: answers, organization, consent, language
            updated_at {bigint} NOT NULL,
            PRIMARY KEY (call, respondent)
        )""",
    )),
    Migration(8, "password reset requests by e-mail, counted per client address and per account", (
        """CREATE TABLE IF NOT EXISTS reset_requests (
            address TEXT NOT NULL,  -- the client's address (behind proxies: see TRUSTED_PROXIES)
            account TEXT NOT NULL,  -- the account's user name, case-folded; '' when none matched
            at {float} NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS reset_requests_address ON reset_requests (address, at)",
        "CREATE INDEX IF NOT EXISTS reset_requests_account ON reset_requests (account, at)",
    )),
    Migration(9, "the editing mode each user last chose (visual or Markdown), remembered across browsers", (
        "ALTER TABLE users ADD COLUMN editor_mode TEXT NOT NULL DEFAULT ''",  # one of EDITOR_MODES; '' for none
    )),
)

TABLES = ("users", "logins", "failed_logins", "api_tokens",  # what a backup holds
          "webhooks", "webhook_refs", "webhook_deliveries", "webhook_attempts",
          "notifications", "watches", "notify_settings", "mail_outbox", "jobs_done",
          "password_links", "account_events", "call_drafts", "reset_requests")
# Columns added to ``users`` before versioned migrations: create_schema adds them to older databases.
ADDED_COLUMNS = {"language": "TEXT NOT NULL DEFAULT ''"}


def adopt_unversioned(db: Connection) -> None:
    """Bring a database made before versioned migrations to migration 1's schema."""
    db.execute("DROP TABLE IF EXISTS login_failures")  # replaced by failed_logins
    add_missing_columns(db)
    for statement in MIGRATIONS[0].statements:  # tables it may lack (all IF NOT EXISTS)
        db.execute(statement)


def add_missing_columns(db: Connection) -> None:
    if "users" not in db.tables():
        return
    columns = db.columns("users")
    for column, definition in ADDED_COLUMNS.items():
        if column not in columns:  # a database made before the column existed
            db.execute(f"ALTER TABLE users ADD COLUMN {column} {definition}")  # under the schema lock
