"""What every pushed commit must be: readable dates, names and messages without control characters,
and at most one known ``Stakeholder-Group`` trailer."""

from __future__ import annotations

import codecs
import re
import unicodedata
from datetime import UTC, datetime

from .. import names
from ..commits import RawCommit
from ..store import GROUP_TRAILER, USER_TRAILER
from ..store.gitlog import trailer_lines
from .refs import ADMIN_ROLE, HookSettings

# Dates: any time from 1970 on (imported history keeps its dates), up to a day ahead of this clock.
MAX_FUTURE_SECONDS = 24 * 3600
SECONDS_PER_YEAR = 31_556_952
MAX_ZONE_HOURS = 23  # what a UTC offset can be shown as (real ones are -12:00 .. +14:00)
IDENT_RE = re.compile(rb"\A(?P<name>[^<>\n]*?) ?<(?P<email>[^<>\n]*)> (?P<seconds>[0-9]{1,20}) "
                      rb"(?P<zone>[+-][0-9]{4})\Z")
MESSAGE_WHITESPACE = frozenset("\t\n\r")


def check_commits(commits: list[str], raw: dict[str, RawCommit], now: float) -> list[str]:
    """Refuse commits the wiki could not show: absurd dates or time zones, control characters."""
    problems = []
    latest = int(now) + MAX_FUTURE_SECONDS
    for commit in commits:
        where = f"commit {commit[:10]}"
        parsed = raw.get(commit)
        if parsed is None:
            problems.append(f"{where}: the commit object cannot be read.")
            continue
        encoding = _encoding(parsed.encoding)
        if encoding is None:
            problems.append(f"{where}: unknown message encoding {parsed.encoding!r}; use UTF-8.")
            continue
        for role, line in (("author", parsed.author), ("committer", parsed.committer)):
            problem = _ident_problem(line, encoding, latest)
            if problem:
                problems.append(f"{where}: {role} {problem}")
        message = parsed.message.decode(encoding, "replace")
        bad = next((char for char in message if _is_control(char) and char not in MESSAGE_WHITESPACE), None)
        if bad is not None:
            problems.append(f"{where}: the commit message (subject, body or trailers) contains the control "
                            f"character U+{ord(bad):04X}; only tabs and line breaks are allowed.")
    return problems


def _encoding(value: bytes | None) -> str | None:
    """The Python codec for a commit's ``encoding`` header (UTF-8 without one), ``None`` if unknown."""
    if value is None:
        return "utf-8"
    try:
        return codecs.lookup(value.decode("ascii")).name
    except (UnicodeDecodeError, LookupError):
        return None


def _ident_problem(line: bytes | None, encoding: str, latest: int) -> str | None:
    """What is wrong with an ``author``/``committer`` header (``Name <email> seconds +hhmm``), or ``None``."""
    if line is None:
        return "line is missing."
    match = IDENT_RE.match(line)
    if match is None:
        return "line is not 'Name <e-mail> seconds +hhmm'."
    for part in ("name", "email"):
        text = match[part].decode(encoding, "replace")
        bad = next((char for char in text if _is_control(char) or char in names.BIDI_CONTROLS), None)
        if bad is not None:
            label = "name" if part == "name" else "e-mail"
            return f"{label} contains the control character U+{ord(bad):04X}."
    seconds = int(match["seconds"])
    if seconds > latest:
        year = 1970 + seconds // SECONDS_PER_YEAR
        limit = datetime.fromtimestamp(latest, UTC).strftime("%Y-%m-%d %H:%M UTC")
        return (f"date {seconds} (about the year {year:,}) is in the future; dates up to {limit} "
                "(a day ahead of the wiki's clock) are accepted. Check the clock of the machine that made it.")
    hours, minutes = int(match["zone"][1:3]), int(match["zone"][3:5])
    if hours > MAX_ZONE_HOURS or minutes > 59:
        return (f"time zone {match['zone'].decode()} is not a real offset from UTC "
                f"(at most {MAX_ZONE_HOURS} hours and 59 minutes).")
    return None


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc"



def group_trailers(raw: dict[str, RawCommit]) -> dict[str, list[str]]:
    """Each commit's ``Stakeholder-Group`` trailer values, by the rule the wiki shows them with."""
    return {commit: [value for key, value in trailer_lines(parsed.message.decode("utf-8", "replace"))
                     if key == GROUP_TRAILER] for commit, parsed in raw.items()}


def check_trailers(raw: dict[str, RawCommit], settings: HookSettings) -> list[str]:
    """Groups must be known (and the pusher's own, unless an admin pushes); users must be the pusher."""
    problems = []
    for commit, groups in group_trailers(raw).items():
        if len(set(groups)) > 1:
            problems.append(f"commit {commit[:10]}: more than one {GROUP_TRAILER} trailer ({', '.join(groups)}).")
        elif groups and groups[0] not in settings.groups:
            problems.append(f"commit {commit[:10]}: unknown {GROUP_TRAILER} {groups[0]!r}; "
                            f"known groups: {', '.join(settings.groups)}.")
        elif groups and groups[0] != settings.pusher_group and settings.pusher_role != ADMIN_ROLE:
            problems.append(f"commit {commit[:10]}: {GROUP_TRAILER} {groups[0]!r} is not your group "
                            f"({settings.pusher_group}); only admins push commits for another group.")
    for commit, parsed in raw.items():
        users = [value for key, value in trailer_lines(parsed.message.decode("utf-8", "replace"))
                 if key == USER_TRAILER]
        other = next((user for user in users if user.casefold() != settings.pusher.casefold()), None)
        if other is not None:
            problems.append(f"commit {commit[:10]}: its {USER_TRAILER} trailer names {other!r}, but "
                            f"{settings.pusher} is pushing; pushed commits are attributed to their pusher. "
                            f"Remove the trailer (or name yourself) and push again.")
    return problems
