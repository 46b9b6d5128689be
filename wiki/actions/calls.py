"""Calls for input: the secretariat opens a call (questions, deadline, who may answer), extends,
closes, reopens it and accepts late responses; respondents keep a private draft, then submit and
change their response until the deadline. The web views, the API and the Word upload call these,
so every rule (who may answer, the deadline, consent, the answers a question allows) is written once.

Who answers is a :class:`Respondent`: a logged-in user (their account gives name and group), or a
guest holding the call's invitation link (they give name and group themselves).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, replace

from flask import current_app

from .. import limits
from ..errors import N_, InvalidContent, LoginRequired, NotPermitted, Term
from ..store.call_model import (
    AUDIENCES,
    CONSENTS,
    LANGUAGES,
    MAX_DESCRIPTION_BYTES,
    MAX_NAME_CHARS,
    MAX_ORGANIZATION_CHARS,
    MAX_TITLE_CHARS,
    RESPONDENT_RE,
    Call,
    CallRefused,
    Response,
    check_answers,
    clean_line,
    clean_text,
    make_questions,
    slug_for,
    version,
)
from ..store.types import CommitInfo
from . import call_drafts, notices
from .context import Actor, groups, store
from .proposals import deadline_timestamp


@dataclass(frozen=True)
class Respondent:
    """Who answers: ``actor`` logged in, or an invited guest (``guest`` is their id, ``guest-<hex>``)."""

    actor: Actor
    guest: str = ""
    name: str = ""  # a guest's name as they gave it
    group: str = ""  # a guest's stakeholder group as they chose it
    address: str = ""  # a guest's client address: guests are limited per address (their ids are free to make)

    @property
    def id(self) -> str:
        return self.guest or self.actor.username.lower()

    @property
    def display_name(self) -> str:
        return self.name if self.guest else (self.actor.display_name or self.actor.username)

    @property
    def stakeholder_group(self) -> str:
        return self.group if self.guest else self.actor.group


def now() -> int:
    return int(time.time())


def may_run(actor: Actor) -> bool:
    """Whether ``actor`` runs calls: the secretariat and admins."""
    return actor.secretariat or actor.can("admin")


def _require_secretariat(actor: Actor) -> None:
    if not may_run(actor):
        raise NotPermitted(N_("Only the secretariat and admins can open and run calls for input."))


def get(slug: str) -> Call:
    return store().calls.get(slug)


def all_calls() -> list[Call]:
    return store().calls.all()


def response_of(slug: str, respondent: str) -> Response | None:
    """``respondent``'s submitted response (what anyone may read of it is :mod:`.call_reading`'s)."""
    return store().calls.response(slug, respondent) if RESPONDENT_RE.match(respondent) else None


def history(slug: str, respondent: str) -> list[CommitInfo]:
    """The commits that made and changed one response, newest first."""
    return store().calls.history(slug, respondent)


# --------------------------------------------------------------------------- running a call


def _deadline(value: object) -> int:
    """A deadline in the future: seconds since the epoch, or ISO 8601 text (UTC unless it says)."""
    if isinstance(value, str):
        value = deadline_timestamp(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidContent(N_("The deadline must be a date and time."))
    if value <= now():
        raise InvalidContent(N_("The deadline must be in the future."))
    if value > now() + 20 * 365 * 86400:
        raise InvalidContent(N_("The deadline is too far in the future."))
    return int(value)


def create(actor: Actor, *, title: str, description: str, questions: list[dict[str, object]], deadline: object,
           audience: str = "users", language: str = "en") -> Call:
    """Open a call: checked, then stored under a slug made from its title."""
    _require_secretariat(actor)
    title = clean_line(title, N_("The title"), MAX_TITLE_CHARS)
    description = clean_text(description, N_("The description"), MAX_DESCRIPTION_BYTES)
    if audience not in AUDIENCES:
        raise InvalidContent(N_("Who may answer must be one of: %(values)s."), values=", ".join(AUDIENCES))
    if language not in LANGUAGES:
        raise InvalidContent(N_("The language must be one of: %(values)s."), values=", ".join(LANGUAGES))
    call = Call(slug=slug_for(title), title=title, description=description, questions=make_questions(questions),
                deadline=_deadline(deadline), audience=audience, state="open", created=now(),
                created_by=actor.username, language=language)
    created = store().calls.create(call, author=actor.author)
    notices.call_opened(actor, created)
    return created


def edit(actor: Actor, slug: str, *, title: str | None = None, description: str | None = None,
         questions: list[dict[str, object]] | None = None, audience: str | None = None,
         base: str | None = None) -> Call:
    """Change a call's text, questions (ids kept; options may only grow; a question with answers
    stays) or audience. ``base``: the :func:`~wiki.store.call_model.version` the change was made
    from (a form's); when the call changed since, nothing is saved (409), so two editors never
    undo each other's questions."""
    _require_secretariat(actor)
    changes: dict[str, object] = {}
    if title is not None:
        changes["title"] = clean_line(title, N_("The title"), MAX_TITLE_CHARS)
    if description is not None:
        changes["description"] = clean_text(description, N_("The description"), MAX_DESCRIPTION_BYTES)
    if audience is not None:
        if audience not in AUDIENCES:
            raise InvalidContent(N_("Who may answer must be one of: %(values)s."), values=", ".join(AUDIENCES))
        changes["audience"] = audience

    def change(call: Call) -> Call:
        if base is not None and base != version(call):
            raise CallRefused(N_("Someone changed this call since you opened the form, so nothing was saved. What "
                                 "you typed is below: compare it with the call's page, then save it again to "
                                 "replace their changes."))
        updated = replace(call, **changes)  # type: ignore[arg-type]
        if questions is not None:
            updated = replace(updated, questions=make_questions(questions, call.questions))
            _keep_answered(call, updated)
        return updated

    return store().calls.update(slug, change, "Edit the call", author=actor.author)


def _keep_answered(before: Call, after: Call) -> None:
    """Refuse to remove a question that has answers: they would vanish from every view, and the
    respondent's next change would delete them. Read on the branch the edit lands on (a response
    landing meanwhile moves it, so the edit is planned again with that response counted)."""
    kept = {question.id for question in after.questions}
    removed = [question for question in before.questions if question.id not in kept]
    if not removed:
        return
    answered = {question for response in store().calls.responses(before.slug) for question in response.answers}
    for question in removed:
        if question.id in answered:
            raise InvalidContent(N_("Question %(id)s (“%(text)s”) has answers, so it cannot be removed: its answers "
                                    "would no longer be shown."), id=question.id,
                                 text=" ".join(question.text.split())[:80])


def set_deadline(actor: Actor, slug: str, deadline: object) -> Call:
    """Move the deadline (to a time still ahead); a closed call stays closed."""
    _require_secretariat(actor)
    when = _deadline(deadline)
    return store().calls.update(slug, lambda call: replace(call, deadline=when), "Move the deadline",
                                author=actor.author)


def close(actor: Actor, slug: str) -> Call:
    """Close the call now: no response is sent or changed any more."""
    _require_secretariat(actor)

    def change(call: Call) -> Call:
        if call.state == "closed":
            raise CallRefused(N_("This call is already closed."))
        return replace(call, state="closed")

    return store().calls.update(slug, change, "Close the call", author=actor.author)


def reopen(actor: Actor, slug: str, deadline: object) -> Call:
    """Reopen a closed (or past) call until a new deadline: responses may be sent and changed again."""
    _require_secretariat(actor)
    when = _deadline(deadline)

    def change(call: Call) -> Call:
        if call.open_at(now()):
            raise CallRefused(N_("This call is open: move its deadline instead."))
        return replace(call, state="open", deadline=when)

    return store().calls.update(slug, change, "Reopen the call", author=actor.author)


def accept_late(actor: Actor, slug: str, respondent: str) -> Call:
    """Count a response that came after the deadline (it is kept, but not counted, until then)."""
    _require_secretariat(actor)
    response = response_of(slug, respondent)
    if response is None or not response.late:
        raise CallRefused(N_("There is no late response from %(name)s to accept."), name=respondent[:40])

    def change(call: Call) -> Call:
        if respondent in call.accepted_late:
            return call
        return replace(call, accepted_late=(*call.accepted_late, respondent))

    return store().calls.update(slug, change, f"Accept the late response of {respondent}", author=actor.author)


def translate(actor: Actor, slug: str, language: str, *, title: str, description: str,
              questions: dict[str, str]) -> Call:
    """Set the call's text in ``language`` (empty values leave that text untranslated)."""
    _require_secretariat(actor)
    if language not in LANGUAGES:
        raise InvalidContent(N_("The language must be one of: %(values)s."), values=", ".join(LANGUAGES))
    title = clean_line(title, N_("The title"), MAX_TITLE_CHARS, required=False)
    description = clean_text(description, N_("The description"), MAX_DESCRIPTION_BYTES)
    texts = {key: clean_text(value, N_("The question's text"), 8_000) for key, value in questions.items()}

    def with_language(pairs: tuple[tuple[str, str], ...], text: str) -> tuple[tuple[str, str], ...]:
        kept = {key: value for key, value in pairs if key != language}
        if text:
            kept[language] = text
        return tuple(sorted(kept.items()))

    def change(call: Call) -> Call:
        unknown = set(texts) - {question.id for question in call.questions}
        if unknown:
            raise InvalidContent(N_("The call has no question %(id)s."), id=sorted(unknown)[0][:20])
        translated = tuple(replace(question, translations=with_language(question.translations,
                                                                         texts.get(question.id, "")))
                           if question.id in texts else question for question in call.questions)
        return replace(call, titles=with_language(call.titles, title),
                       descriptions=with_language(call.descriptions, description), questions=translated)

    return store().calls.update(slug, change, f"Translate the call into {language}", author=actor.author)


# --------------------------------------------------------------------------- invitations


def invitation_token(call: Call) -> str:
    """The secret of the call's invitation link (its generation renews it); never stored."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"call-invitation:{call.slug}:{call.invitation}".encode(), hashlib.sha256).hexdigest()[:32]


def invited(call: Call, token: str | None) -> bool:
    return call.audience == "invited" and bool(token) and same_secret(invitation_token(call), str(token))


def renew_invitation(actor: Actor, slug: str) -> Call:
    """Make a new invitation link; the old one stops working."""
    _require_secretariat(actor)
    return store().calls.update(slug, lambda call: replace(call, invitation=call.invitation + 1),
                                "Renew the invitation link", author=actor.author)


def guest_key(call: Call, guest: str) -> str:
    """The secret that lets guest ``guest`` come back to their response (from their link)."""
    key = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(key, f"call-guest:{call.slug}:{guest}".encode(), hashlib.sha256).hexdigest()[:32]


def same_secret(expected: str, given: str) -> bool:
    """Whether ``given`` is the secret ``expected``, in constant time (as bytes: a link may carry
    any character, and comparing non-ASCII text would raise)."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8", "replace"))


def new_guest() -> str:
    return f"guest-{secrets.token_hex(6)}"


def respondent_for(actor: Actor, call: Call, *, invitation: str | None = None, guest: str = "",
                   key: str = "", name: str = "", group: str = "", address: str = "") -> Respondent:
    """Who answers ``call``: the logged-in actor (of a stakeholder group), or a guest with a valid
    invitation (and, to come back to a response, its key). Raises 401 without either, 403 with a
    wrong invitation or for the secretariat."""
    if actor.logged_in:
        if actor.group not in groups():  # the secretariat runs the calls: an answer from it would count for no group
            raise NotPermitted(N_("Calls for input are answered for a stakeholder group, and your account is in "
                                  "none of them: the secretariat runs the calls and reads the responses."))
        return Respondent(actor)
    if call.audience != "invited":
        raise LoginRequired(N_("Log in to answer this call for input."))
    if not invited(call, invitation):
        if invitation:
            raise NotPermitted(N_("This invitation link is not valid (it may have been renewed)."))
        raise LoginRequired(N_("Log in, or use the invitation link you were sent, to answer this call."))
    if guest and not (guest.startswith("guest-") and RESPONDENT_RE.match(guest)
                      and same_secret(guest_key(call, guest), key)):
        raise NotPermitted(N_("This link to a response is not valid."))
    if name:
        name = clean_line(name, N_("Your name"), MAX_NAME_CHARS)
    if group and group not in groups():
        raise InvalidContent(N_("The stakeholder group must be one of: %(groups)s."), groups=", ".join(groups()))
    return Respondent(Actor(), guest=guest or new_guest(), name=name, group=group, address=address)


# --------------------------------------------------------------------------- responding


def submit(respondent: Respondent, slug: str, *, answers: dict[str, object], consent: str,
           organization: str = "", language: str = "en") -> tuple[Response, bool]:
    """Submit or change a response. Refused after the deadline (a first response then is kept as
    late, counted once the secretariat accepts it) and when the call is closed. The response, and
    whether anything changed."""
    if consent not in CONSENTS:
        raise InvalidContent(N_("Choose whether your response may be cited by name (cite) or only counted "
                                "and quoted without your name (aggregate)."))
    if language not in LANGUAGES:
        raise InvalidContent(N_("The language must be one of: %(values)s."), values=", ".join(LANGUAGES))
    organization = clean_line(organization, N_("The organization"), MAX_ORGANIZATION_CHARS, required=False)
    if respondent.guest and not respondent.name:
        raise InvalidContent(N_("%(name)s is required."), name=Term(N_("Your name")))
    if not respondent.stakeholder_group:
        raise InvalidContent(N_("Choose your stakeholder group."))
    call = get(slug)
    checked = check_answers(call, answers)
    if not checked:
        raise InvalidContent(N_("Answer at least one question."))
    _count_against_limit(respondent)
    moment = now()
    first = False

    def make(current: Call, previous: Response | None) -> Response:
        nonlocal first
        first = previous is None  # as of the tip the response lands on
        if current.state == "closed":
            raise CallRefused(N_("This call for input is closed: responses can no longer be sent or changed."))
        late = False
        if moment > current.deadline:
            if previous is not None:
                raise CallRefused(N_("The deadline of this call has passed: your response can no longer be "
                                     "changed. The secretariat can reopen the call."))
            late = True
        made = Response(call=current.slug, respondent=respondent.id, name=respondent.display_name,
                        organization=organization, group=respondent.stakeholder_group, consent=consent,
                        language=language, answers=check_answers(current, dict(checked)),
                        submitted=previous.submitted if previous else moment, updated=moment,
                        late=previous.late if previous else late)
        # the same response sent again is no change: no commit, and its "last changed" stays
        return previous if previous is not None and replace(made, updated=previous.updated) == previous else made

    author = respondent.actor.author if not respondent.guest else replace(
        respondent.actor.author, name=respondent.name, username=respondent.id, group=respondent.group)
    saved, changed = store().calls.save_response(slug, respondent.id, make, author=author)
    discard_draft(slug, respondent.id)
    if changed and first:  # the watchers hear of new responses, not of every change
        notices.response(call, saved)
    return saved, changed


# --------------------------------------------------------------------------- drafts


def _count_against_limit(respondent: Respondent) -> None:
    """One write of ``respondent`` against ``LIMIT_RESPONSES_PER_HOUR``: a user's by their account,
    an invited guest's by their address (a new guest id costs nothing to make)."""
    limits.check("responses", Actor(username=f"guest@{respondent.address}") if respondent.guest else respondent.actor)


def save_draft(respondent: Respondent, slug: str, form: dict[str, object]) -> None:
    """Keep ``form`` (answers, organization, consent, language) as the respondent's private draft.
    A user has one draft per call, replaced each time; each guest's draft is a new row, so a
    guest's drafts count against the hourly limit of responses (and expire: :mod:`.call_drafts`)."""
    get(slug)
    if respondent.guest:
        _count_against_limit(respondent)
    call_drafts.save(slug, respondent.id, form)


def draft(respondent: Respondent, slug: str) -> dict[str, object] | None:
    """The respondent's own draft (nobody else ever reads it), or ``None``."""
    return call_drafts.read(slug, respondent.id)


def standing(actor: Actor, calls: list[Call]) -> dict[str, str]:
    """Where each of ``calls`` stands for ``actor`` as a respondent: ``answered``, ``draft`` (saved,
    not submitted) or ``awaiting``; empty for someone who answers no call (a visitor, the secretariat)."""
    if not actor.logged_in or actor.group not in groups():
        return {}
    respondent = Respondent(actor)
    found = {}
    for call in calls:
        if response_of(call.slug, respondent.id) is not None:
            found[call.slug] = "answered"
        else:
            found[call.slug] = "draft" if draft(respondent, call.slug) is not None else "awaiting"
    return found


def discard_draft(slug: str, respondent: str) -> None:
    call_drafts.discard(slug, respondent)
