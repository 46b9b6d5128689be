"""Every setting the wiki checks at start: its type and allowed values, one line per error.

Settings come from ``create_app``'s defaults, ``<instance>/config.py``, ``WIKI_*`` variables (which
Flask parses as JSON when it can: ``WIKI_PROPOSALS_REQUIRED=false`` arrives as ``False``, ``=42`` as
an int) and a test config. A wrong value would otherwise surface as a 500 at the first request that
reads it; here it stops ``flask …`` and gunicorn with one line naming the setting and what it
accepts (exit 1, no traceback). Values are normalized in place (``False`` → ``[]``).
"""

from __future__ import annotations

from collections.abc import Callable, MutableMapping
from typing import Any

Check = Callable[[Any], Any]


class InvalidSetting(SystemExit):
    """A setting with a value the wiki cannot use; exits with its one-line message (status 1)."""

    def __init__(self, name: str, value: object, accepts: str) -> None:
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"Invalid setting {name} = {shown}: it accepts {accepts}.")
        self.name = name


def _integer(minimum: int) -> Check:
    def check(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise ValueError
        return value
    return check


def _number(minimum: float) -> Check:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
            raise ValueError
        return value
    return check


def _seconds_below(maximum: float) -> Check:
    def check(value: Any) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= maximum:
            raise ValueError
        return value
    return check


def _site_url(value: Any) -> str:
    """``SITE_URL``: ``http(s)://host[/path]`` without a trailing slash, or empty."""
    import re

    if value is None or value == "":
        return ""
    if not isinstance(value, str) or not re.fullmatch(r"https?://[^\s/?#@]+(/[^\s?#]*)?", value.strip()):
        raise ValueError
    return value.strip().rstrip("/")


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):  # WIKI_SECURE_COOKIES=1 arrives as the int 1
        return bool(value)
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0", "yes", "no"}:
        return value.lower() in {"true", "1", "yes"}
    raise ValueError


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError
    return value


def _optional_text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return _text(value)


def _groups(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not value or not all(
            isinstance(slug, str) and slug and slug == slug.strip() and isinstance(name, str) and name.strip()
            for slug, name in value.items()):
        raise ValueError
    return value


def proposal_sections(value: Any) -> bool | list[str]:
    """``PROPOSALS_REQUIRED``: ``True`` (the whole document), ``False``/``[]`` (nowhere), or a list
    of sections (a comma-separated string is read as one)."""
    if isinstance(value, bool):
        return True if value else []
    if isinstance(value, str):
        if value.strip().lower() in {"true", "false"}:
            return proposal_sections(value.strip().lower() == "true")
        value = [part for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple) and all(isinstance(item, str) and item.strip("/ ") for item in value):
        return [item.strip().strip("/") for item in value]
    raise ValueError


def _log_format(value: Any) -> str:
    if value not in ("text", "json"):
        raise ValueError
    return value


def _language(value: Any) -> str:
    from .names import LANGUAGES

    if value not in LANGUAGES:
        raise ValueError
    return value


RULES: dict[str, tuple[Check, str]] = {
    "SITE_NAME": (_text, "a non-empty text"),
    "PUBLIC_READ": (_boolean, "true or false"),
    "SECURE_COOKIES": (_boolean, "true or false"),
    "GROUPS": (_groups, 'a mapping of group slugs to display names, e.g. {"governments": "Governments"}'),
    "MAX_PAGE_BYTES": (_integer(1), "a whole number of bytes above 0"),
    "MAX_PUSH_BYTES": (_integer(1), "a whole number of bytes above 0"),
    "MAX_ATTACHMENT_BYTES": (_integer(1), "a whole number of bytes above 0"),
    "MAX_IMPORT_BYTES": (_integer(1), "a whole number of bytes above 0"),
    "HISTORY_PAGE_SIZE": (_integer(1), "a whole number above 0"),
    "SEARCH_PAGE_SIZE": (_integer(1), "a whole number above 0"),
    "PROPOSALS_REQUIRED": (proposal_sections, 'true (the whole document), false, or a list of sections such '
                                              'as ["Mapping"]'),
    "CONTENT_LANGUAGE": (_language, "one of ar, zh, en, fr, ru, es"),
    "TRUSTED_PROXIES": (_integer(0), "a whole number of proxies, 0 or more"),
    "WEBHOOKS_ALLOW_PRIVATE": (_boolean, "true or false"),
    "WEBHOOKS_TIMEOUT": (_number(0.1), "a number of seconds above 0"),
    "WEBHOOKS_MAX_ATTEMPTS": (_integer(1), "a whole number above 0"),
    "WEBHOOKS_RETRY_SECONDS": (_number(0), "a number of seconds, 0 or more"),
    "WEBHOOKS_MAX_RETRY_SECONDS": (_number(0), "a number of seconds, 0 or more"),
    "WEBHOOKS_POLL_SECONDS": (_number(0.05), "a number of seconds above 0"),
    "COMMITTER_NAME": (_text, "a non-empty text"),
    "COMMITTER_EMAIL": (_text, "a non-empty text"),
    "SECRETARIAT_GROUP": (_text, "a group slug (not one of GROUPS), e.g. \"secretariat\""),
    "DATABASE_URL": (_optional_text, "a postgresql:// address, or nothing"),
    "ANCHOR_BUDGET_SECONDS": (_number(0.01), "a number of seconds of at least 0.01"),
    "ANCHOR_BUDGET_WORK": (_integer(1), "a whole number above 0"),
    "ANCHOR_BACKGROUND": (_boolean, "true or false"),
    **{f"LIMIT_{action}_PER_HOUR": (_integer(0), "a whole number, 0 or more (0: no limit)")
       for action in ("THREADS", "REPLIES", "PROPOSALS", "RESPONSES", "UPLOADS", "EXPORTS")},
    "PRIMARY_URL": (_optional_text, "the primary's address (http://… or https://…), or nothing"),
    "MAIL_SERVER": (_optional_text, "the SMTP server's host name, or nothing (no mail)"),
    "MAIL_PORT": (_integer(1), "a port number"),
    "MAIL_USE_TLS": (_boolean, "true or false"),
    "MAIL_USE_SSL": (_boolean, "true or false"),
    "MAIL_USERNAME": (_optional_text, "a user name, or nothing"),
    "MAIL_PASSWORD": (_optional_text, "a password, or nothing"),
    "MAIL_FROM": (_optional_text, "an e-mail address, or nothing (COMMITTER_EMAIL)"),
    "MAIL_RETRY_SECONDS": (_number(0), "a number of seconds, 0 or more"),
    "MAIL_MAX_ATTEMPTS": (_integer(1), "a whole number above 0"),
    "SCHEDULER_SECONDS": (_number(0), "a number of seconds, 0 or more (0: only `flask --app wiki scheduled`)"),
    "LOG_FORMAT": (_log_format, "text or json"),
    "METRICS_TOKEN": (_optional_text, "a secret of 16 or more characters, or nothing"),
    "REPLICA_READY_SECONDS": (_number(1), "a number of seconds, 1 or more"),
    "IMPORT_STAGED_PER_USER": (_integer(1), "a whole number above 0"),
    "IMPORT_STAGED_BYTES_PER_USER": (_integer(1), "a whole number of bytes above 0"),
    "EXPORT_WORKERS": (_integer(1), "a whole number of conversions at once, above 0"),
    "JOBS_QUEUED": (_integer(1), "a whole number above 0"),
    "JOBS_PER_CLIENT": (_integer(1), "a whole number above 0"),
    "JOBS_ANONYMOUS": (_integer(0), "a whole number, 0 or more (0: visitors must log in to export)"),
    # A request waits this long for a job: well within gunicorn's 30 s timeout, which kills the worker.
    "EXPORT_WAIT_SECONDS": (_seconds_below(25), "a number of seconds from 0 to 25 (gunicorn stops a request at 30)"),
    "SITE_URL": (_site_url, "the wiki's address, such as https://wiki.example.org, or nothing"),
}


def validate(config: MutableMapping[str, Any]) -> None:
    """Check and normalize every known setting present in ``config``; raise :class:`InvalidSetting`."""
    for name, (check, accepts) in RULES.items():
        if name not in config:
            continue
        try:
            config[name] = check(config[name])
        except (ValueError, TypeError):
            raise InvalidSetting(name, config[name], accepts) from None
    if config.get("SECRETARIAT_GROUP") in config.get("GROUPS", {}):
        raise InvalidSetting("SECRETARIAT_GROUP", config["SECRETARIAT_GROUP"],
                             "a group slug that is not one of the stakeholder groups in GROUPS")
    if config.get("MAIL_SERVER") and not config.get("SITE_URL"):  # mail carries absolute links, never the Host's
        raise InvalidSetting("SITE_URL", config.get("SITE_URL"), "the wiki's address, such as "
                             "https://wiki.example.org, whenever MAIL_SERVER is set (links in mail point there)")
    if config.get("SEED_GROUP") not in config.get("GROUPS", {}):
        config["SEED_GROUP"] = next(iter(config["GROUPS"]))
