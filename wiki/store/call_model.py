"""Calls for input as data: a call (its questions, deadline and audience) and the responses to it,
as stored on the branch ``refs/heads/meta/calls`` (see :mod:`wiki.store.calls` for the layout).

Pure: no git, no Flask. The rules that need only the values (a question's kind, an answer that a
question does not allow, the limits) live here, so the store and the actions share them.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass, field, replace

from ..errors import N_, Count, InvalidContent, Term, WikiError

CALLS_REF = "refs/heads/meta/calls"
CALL_TRAILER = "Call"
RESPONSE_TRAILER = "Response"
KINDS = ("text", "choice", "choices")  # free text; one option; any number of options
CONSENTS = ("cite", "aggregate")  # may be quoted by name; counted and quoted without a name
AUDIENCES = ("users", "invited")  # logged-in users; also anyone holding the invitation link
STATES = ("open", "closed")
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")

MAX_TITLE_CHARS = 200
MAX_DESCRIPTION_BYTES = 100_000
MAX_QUESTIONS = 60
MAX_QUESTION_CHARS = 2_000
MAX_OPTIONS = 40
MAX_OPTION_CHARS = 200
MAX_ANSWER_BYTES = 100_000  # one answer
MAX_ORGANIZATION_CHARS = 200
MAX_NAME_CHARS = 80
MAX_SLUG_CHARS = 60
QUESTION_ID_RE = re.compile(r"\Aq[1-9][0-9]{0,3}\Z")
RESPONDENT_RE = re.compile(r"\A[a-z0-9][a-z0-9._-]{0,39}\Z")
SLUG_RE = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")

Answer = str | tuple[str, ...]


class CallRefused(WikiError):
    """What was asked cannot be done to this call now (past its deadline, closed, not yours)."""

    code = 409


@dataclass(frozen=True)
class Question:
    id: str  # q1, q2, ...: stable, never reused, so answers keep their question
    kind: str
    text: str
    options: tuple[str, ...] = ()
    translations: tuple[tuple[str, str], ...] = ()  # (language, text), sorted

    def text_in(self, language: str) -> str:
        return dict(self.translations).get(language) or self.text


@dataclass(frozen=True)
class Call:
    slug: str
    title: str
    description: str
    questions: tuple[Question, ...]
    deadline: int  # seconds since the epoch, UTC
    audience: str
    state: str
    created: int
    created_by: str
    language: str  # the language the call was written in
    invitation: int = 1  # the invitation link's generation: renewing it makes older links fail
    titles: tuple[tuple[str, str], ...] = ()  # (language, title) translations
    descriptions: tuple[tuple[str, str], ...] = ()  # (language, description) translations
    accepted_late: tuple[str, ...] = ()  # respondents whose late responses the secretariat accepted

    def question(self, question_id: str) -> Question | None:
        return next((question for question in self.questions if question.id == question_id), None)

    def title_in(self, language: str) -> str:
        return dict(self.titles).get(language) or self.title

    def description_in(self, language: str) -> str:
        return dict(self.descriptions).get(language) or self.description

    def open_at(self, now: int) -> bool:
        """Whether responses may be sent and changed at ``now`` (open, the deadline not passed)."""
        return self.state == "open" and now <= self.deadline


@dataclass(frozen=True)
class Response:
    call: str
    respondent: str  # the user name (case-folded), or ``guest-<hex>`` for an invited guest
    name: str  # who answered, as they gave it (shown only with consent ``cite``)
    organization: str
    group: str
    consent: str
    language: str
    answers: dict[str, Answer] = field(default_factory=dict)
    submitted: int = 0  # first submission
    updated: int = 0  # last change
    late: bool = False  # first submitted after the deadline: counted once the secretariat accepts it

    @property
    def guest(self) -> bool:
        return self.respondent.startswith("guest-")


# --------------------------------------------------------------------------- checking


def clean_line(value: object, what: str, limit: int, *, required: bool = True) -> str:
    """``value`` as one line of text: whitespace runs made one space, control characters refused."""
    text = " ".join(str(value or "").split())
    if required and not text:
        raise InvalidContent(N_("%(name)s is required."), name=Term(what))
    if len(text) > limit:
        raise InvalidContent(N_("%(name)s is longer than %(limit)s characters."), name=Term(what), limit=Count(limit))
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise InvalidContent(N_("%(name)s contains control characters."), name=Term(what))
    return text


def clean_text(value: object, what: str, limit_bytes: int | None, *, required: bool = False) -> str:
    """Multi-line text (Markdown), with Windows line ends made plain, NULs refused, at most
    ``limit_bytes`` (``None``: the caller checks the size and says it)."""
    text = str(value or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if required and not text:
        raise InvalidContent(N_("%(name)s is required."), name=Term(what))
    if "\0" in text:
        raise InvalidContent(N_("%(name)s contains control characters."), name=Term(what))
    if limit_bytes is not None and len(text.encode("utf-8")) > limit_bytes:
        raise InvalidContent(N_("%(name)s is longer than %(limit)s bytes."), name=Term(what), limit=Count(limit_bytes))
    return text


def make_questions(raw: list[dict[str, object]], existing: tuple[Question, ...] = ()) -> tuple[Question, ...]:
    """Questions from plain values (``id`` kept when it names an existing question, else the next
    free number), checked: a known kind, text, options for choices and none for text."""
    if not isinstance(raw, list) or not raw:
        raise InvalidContent(N_("A call needs at least one question."))
    if len(raw) > MAX_QUESTIONS:
        raise InvalidContent(N_("A call can have at most %(limit)s questions."), limit=MAX_QUESTIONS)
    known = {question.id: question for question in existing}
    next_number = max((int(question.id[1:]) for question in existing), default=0) + 1
    questions: list[Question] = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise InvalidContent(N_("Question %(number)s is not an object."), number=position)
        kind = str(item.get("kind") or "text")
        if kind not in KINDS:
            raise InvalidContent(N_("Question %(number)s: the kind must be one of: %(kinds)s."),
                                 number=position, kinds=", ".join(KINDS))
        text = clean_text(item.get("text"), N_("The question's text"), MAX_QUESTION_CHARS * 4, required=True)
        raw_options = item.get("options") or []
        if not isinstance(raw_options, list):
            raise InvalidContent(N_("Question %(number)s: the options must be a list."), number=position)
        options = tuple(clean_line(option, N_("An option"), MAX_OPTION_CHARS) for option in raw_options
                        if str(option or "").strip())
        if kind == "text" and options:
            raise InvalidContent(N_("Question %(number)s: a text question has no options."), number=position)
        if kind != "text" and len(options) < 2:
            raise InvalidContent(N_("Question %(number)s: a choice needs at least two options."), number=position)
        if len(options) > MAX_OPTIONS or len(set(options)) != len(options):
            raise InvalidContent(N_("Question %(number)s: at most %(limit)s options, each different."),
                                 number=position, limit=MAX_OPTIONS)
        given = str(item.get("id") or "")
        previous = known.pop(given, None)
        if previous is not None:
            identifier, translations = given, previous.translations
            if previous.kind != kind or (previous.options and not set(previous.options) <= set(options)):
                translations = previous.translations  # answers keep their question; options may only grow
                if previous.kind != kind:
                    raise InvalidContent(N_("Question %(number)s: the kind of an existing question cannot change."),
                                         number=position)
                raise InvalidContent(N_("Question %(number)s: options already offered cannot be removed."),
                                     number=position)
        else:
            identifier, translations = f"q{next_number}", ()
            next_number += 1
        questions.append(Question(id=identifier, kind=kind, text=text, options=options, translations=translations))
    return tuple(questions)


def check_answers(call: Call, answers: dict[str, object]) -> dict[str, Answer]:
    """The answers, checked against the call's questions: known questions, offered options, sizes.
    Empty answers are left out."""
    if not isinstance(answers, dict):
        raise InvalidContent(N_("The answers must be an object of question ids."))
    checked: dict[str, Answer] = {}
    for question_id, value in answers.items():
        question = call.question(str(question_id))
        if question is None:
            raise InvalidContent(N_("The call has no question %(id)s."), id=str(question_id)[:20])
        if question.kind == "text":
            if not isinstance(value, str | type(None)):
                raise InvalidContent(N_("The answer to %(id)s must be text."), id=question.id)
            text = clean_text(value, N_("An answer"), None)
            if len(text.encode("utf-8")) > MAX_ANSWER_BYTES:  # said with the number the respondent sees
                number = call.questions.index(question) + 1
                raise InvalidContent(N_("The answer to question %(number)s is longer than %(limit)s bytes."),
                                     number=Count(number), limit=Count(MAX_ANSWER_BYTES))
            if text:
                checked[question.id] = text
            continue
        chosen = [value] if isinstance(value, str) else value
        if value is None or chosen == [""]:
            continue
        if not isinstance(chosen, list | tuple) or not all(isinstance(option, str) for option in chosen):
            raise InvalidContent(N_("The answer to %(id)s must be one of its options."), id=question.id)
        unknown = [option for option in chosen if option not in question.options]
        if unknown:
            raise InvalidContent(N_("Question %(id)s does not offer the option “%(option)s”."),
                                 id=question.id, option=unknown[0][:MAX_OPTION_CHARS])
        if question.kind == "choice":
            if len(chosen) > 1:
                raise InvalidContent(N_("Question %(id)s takes one option."), id=question.id)
            if chosen:
                checked[question.id] = chosen[0]
        elif chosen:
            checked[question.id] = tuple(option for option in question.options if option in chosen)
    return checked


def call_path(slug: str) -> str:
    """The call's page in the wiki (relative to the site's root), for links made outside a request
    (mail, webhooks)."""
    return f"/-/calls/{slug}"


def slug_for(title: str) -> str:
    """A URL name from the title (ASCII letters and digits), or ``call`` when none is left."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = _NOT_SLUG.sub("-", ascii_title).strip("-")[:MAX_SLUG_CHARS].strip("-")
    return slug or "call"


# --------------------------------------------------------------------------- files


def dump(record: dict[str, object]) -> bytes:
    """A JSON file, one key per line, so diffs and blame of the record stay readable."""
    return (json.dumps(record, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode("utf-8")


def version(call: Call) -> str:
    """What identifies this state of the call (its file's digest): a form made from it says it, so
    a save over a newer state is noticed instead of undoing it."""
    return hashlib.sha256(call_file(call)).hexdigest()[:20]


def call_file(call: Call) -> bytes:
    return dump({
        "title": call.title, "description": call.description, "deadline": call.deadline,
        "audience": call.audience, "state": call.state, "created": call.created, "created_by": call.created_by,
        "language": call.language, "invitation": call.invitation,
        "titles": dict(call.titles), "descriptions": dict(call.descriptions),
        "accepted_late": list(call.accepted_late),
        "questions": [{"id": question.id, "kind": question.kind, "text": question.text,
                       "options": list(question.options), "translations": dict(question.translations)}
                      for question in call.questions],
    })


def _pairs(value: object) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        return ()
    return tuple(sorted((str(key), str(text)) for key, text in value.items() if key in LANGUAGES and text))


def _int(value: object) -> int:
    return value if isinstance(value, int) and 0 <= value < 2 ** 40 else 0


def parse_call(slug: str, data: bytes) -> Call | None:
    """A call from its file, or ``None`` for a file the wiki did not write."""
    try:
        record = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict) or not isinstance(record.get("questions"), list):
        return None
    questions = []
    for item in record["questions"]:
        if not isinstance(item, dict) or not QUESTION_ID_RE.match(str(item.get("id", ""))):
            continue
        options = item.get("options") if isinstance(item.get("options"), list) else []
        kind = str(item.get("kind", "text"))
        questions.append(Question(id=str(item["id"]), kind=kind if kind in KINDS else "text",
                                  text=str(item.get("text", "")), options=tuple(str(option) for option in options),
                                  translations=_pairs(item.get("translations"))))
    accepted = record.get("accepted_late") if isinstance(record.get("accepted_late"), list) else []
    audience, state = str(record.get("audience", "users")), str(record.get("state", "open"))
    return Call(slug=slug, title=str(record.get("title", slug)), description=str(record.get("description", "")),
                questions=tuple(questions), deadline=_int(record.get("deadline")),
                audience=audience if audience in AUDIENCES else "users", state=state if state in STATES else "open",
                created=_int(record.get("created")), created_by=str(record.get("created_by", "")),
                language=str(record.get("language", "en")), invitation=_int(record.get("invitation")) or 1,
                titles=_pairs(record.get("titles")), descriptions=_pairs(record.get("descriptions")),
                accepted_late=tuple(str(name) for name in accepted))


def response_files(response: Response, call: Call) -> dict[str, bytes]:
    """A response's files: ``response.json`` (who, consent, the choices) and one Markdown file per
    text answer (``q3.md``), so history and blame follow each answer line by line."""
    files: dict[str, bytes] = {}
    choices: dict[str, object] = {}
    for question in call.questions:
        answer = response.answers.get(question.id)
        if isinstance(answer, str) and question.kind == "text":
            files[f"{question.id}.md"] = (answer + "\n").encode("utf-8")
        elif answer:
            choices[question.id] = list(answer) if isinstance(answer, tuple) else answer
    files["response.json"] = dump({
        "respondent": response.respondent, "name": response.name, "organization": response.organization,
        "group": response.group, "consent": response.consent, "language": response.language,
        "choices": choices, "submitted": response.submitted, "updated": response.updated, "late": response.late,
    })
    return files


def parse_response(call: str, files: dict[str, bytes]) -> Response | None:
    """A response from its folder's files, or ``None`` without a readable ``response.json``."""
    try:
        record = json.loads(files.get("response.json", b"").decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    answers: dict[str, Answer] = {}
    choices = record.get("choices") if isinstance(record.get("choices"), dict) else {}
    for question_id, value in choices.items():
        if isinstance(value, str):
            answers[str(question_id)] = value
        elif isinstance(value, list):
            answers[str(question_id)] = tuple(str(option) for option in value)
    for name, data in files.items():
        if name.endswith(".md") and QUESTION_ID_RE.match(name[:-3]):
            answers[name[:-3]] = data.decode("utf-8", "replace").rstrip("\n")
    consent = str(record.get("consent", "aggregate"))
    return Response(call=call, respondent=str(record.get("respondent", "")), name=str(record.get("name", "")),
                    organization=str(record.get("organization", "")), group=str(record.get("group", "")),
                    consent=consent if consent in CONSENTS else "aggregate",
                    language=str(record.get("language", "")), answers=answers,
                    submitted=_int(record.get("submitted")), updated=_int(record.get("updated")),
                    late=record.get("late") is True)


def with_changes(call: Call, **changes: object) -> Call:
    return replace(call, **changes)  # type: ignore[arg-type]
