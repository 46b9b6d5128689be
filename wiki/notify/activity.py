"""What happened and who is told: an :class:`Activity` on a proposal, a thread or a page, and the
rule that picks each recipient's reason. Pure: no Flask, no database.

A recipient has one reason per activity, the strongest that applies: their group is awaited
(``awaiting``), they were mentioned (``mention``, ``@user`` or ``@group``), it is their proposal or
thread (``mine``), or they watch it or a page it changes (``watching``). Whoever acted is not told, nor,
as members of an awaited group, the people the activity spares (those who already answered a call).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

REASONS = ("awaiting", "mention", "mine", "watching")  # strongest first; also the kinds of mail settings
MENTION_RE = re.compile(r"(?<![\w@./-])@([A-Za-z0-9][A-Za-z0-9._-]{0,39})")
MAX_MENTIONS = 20  # names looked up per text: a text full of @s costs no more than this


@dataclass(frozen=True)
class Activity:
    """One thing that happened, as the notifications and mails describe it."""

    subject: str  # proposal/<n>, thread/<n>, page/<name> or call/<slug>: one inbox row per user and subject
    activity: str  # proposed, drafted, commented, endorsed, objected, withdrew, merged, closed, reopened,
    #               deadline, adopted, silence_broken, thread, replied, resolved, reopened_thread, edited,
    #               call_opened, responded, responded_unnamed, call_deadline
    actor: str  # the user name of whoever acted ("" for the wiki itself: deadlines)
    title: str  # the proposal's title, or the page's name
    page: str = ""
    proposal: int | None = None
    owners: tuple[str, ...] = ()  # user names whose proposal or thread it is
    groups: tuple[str, ...] = ()  # groups whose position it awaits
    watched: tuple[str, ...] = ()  # subjects whose watchers are told (the subject and the pages it changes)
    text: str = ""  # where mentions are looked for
    spared: tuple[str, ...] = ()  # user names not told as members of ``groups`` (those who already answered)


@dataclass(frozen=True)
class Person:
    id: int
    username: str
    group: str
    role: str
    email: str = ""
    language: str = ""


def mentions(text: str) -> tuple[str, ...]:
    """The names mentioned with ``@name`` in ``text`` (at most ``MAX_MENTIONS``, in order, once each)."""
    found: dict[str, None] = {}
    for match in MENTION_RE.finditer(text or ""):
        found[match.group(1).rstrip(".").lower()] = None
        if len(found) >= MAX_MENTIONS:
            break
    return tuple(found)


def subject_of_proposal(number: int) -> str:
    return f"proposal/{number}"


def subject_of_thread(number: int) -> str:
    return f"thread/{number}"


def subject_of_page(page: str) -> str:
    return f"page/{page}"


def subject_of_call(slug: str) -> str:
    return f"call/{slug}"


def subject_of_section(page: str) -> str:
    """Watching a section: the page ``page`` and every page under it."""
    return f"section/{page}"


def page_subjects(page: str) -> tuple[str, ...]:
    """Whose watchers a change of ``page`` concerns: the page, and the sections it is in (itself
    and each of its ancestors: ``Mapping/Cybersecurity`` is in ``Mapping``)."""
    parts = page.split("/")
    return (subject_of_page(page), *(subject_of_section("/".join(parts[:end])) for end in range(len(parts), 0, -1)))


def reasons(activity: Activity, people: Iterable[Person], watchers: Iterable[int]) -> dict[int, str]:
    """Each recipient's reason (user id -> reason), the strongest first; never the actor."""
    mentioned = set(mentions(activity.text))
    owners = {owner.lower() for owner in activity.owners}
    spared = {name.lower() for name in activity.spared}
    found: dict[int, str] = {}

    def tell(user_id: int, reason: str) -> None:
        if user_id not in found or REASONS.index(reason) < REASONS.index(found[user_id]):
            found[user_id] = reason

    actor_ids = set()
    for person in people:
        name = person.username.lower()
        if name == activity.actor.lower():
            actor_ids.add(person.id)
            continue
        if person.group in activity.groups and name not in spared:
            tell(person.id, "awaiting")
        if name in mentioned or person.group.lower() in mentioned:
            tell(person.id, "mention")
        if name in owners:
            tell(person.id, "mine")
    for user_id in watchers:
        tell(user_id, "watching")
    for user_id in actor_ids:
        found.pop(user_id, None)
    return found


def frequency(settings: Mapping[str, str], reason: str, role: str) -> str:
    """How often a user wants mail of this kind: their setting, else the default ("awaits my
    group" immediately for reviewers and admins, everything else in a daily digest)."""
    chosen = settings.get(reason, "")
    if chosen in FREQUENCIES:
        return chosen
    return "immediately" if reason == "awaiting" and role in ("reviewer", "admin") else "daily"


FREQUENCIES = ("immediately", "daily", "weekly", "never")
