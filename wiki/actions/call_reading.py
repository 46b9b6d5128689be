"""Reading a call's responses: who may see which name, the filters, the answers by question with
their counts per option and per group, one row per respondent for spreadsheets, and the
compilation document's Markdown. Pure reading: the views, the API and the exports share it, so
consent is honoured in one place.

A respondent who chose ``aggregate`` is shown by group only ("A civil society respondent") to
everyone but themselves and the secretariat; a late response is shown to the secretariat (to
accept it) and its author, and counted once accepted.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from flask import current_app

from ..diffs import Diff, diff_texts
from ..errors import N_, InvalidRevision
from ..render import Rendered
from ..store import LRUCache
from ..store.call_model import Answer, Call, Question, Response
from ..store.types import CommitInfo
from .calls import may_run
from .context import Actor, groups, renderer, store

MAX_QUERY_CHARS = 200
PAGE_SIZE = 50


@dataclass(frozen=True)
class Shown:
    """A response as one reader may see it."""

    response: Response
    named: bool  # whether this reader sees who answered
    pending: bool  # late and not (yet) accepted: not counted

    @property
    def name(self) -> str:
        return self.response.name if self.named else ""

    @property
    def organization(self) -> str:
        return self.response.organization if self.named else ""


@dataclass
class QuestionSummary:
    """One question's answers: counts per option (and per group), text answers grouped by group."""

    question: Question
    answered: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    counts_by_group: dict[str, dict[str, int]] = field(default_factory=dict)
    answers_by_group: dict[str, list[tuple[Shown, Answer]]] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerChange:
    """How one answer changed in one commit of a response: a text answer's diff, or the options
    chosen before and after."""

    number: int  # the question's number, as the form shows it
    question: Question
    diff: Diff | None = None
    before: tuple[str, ...] = ()
    after: tuple[str, ...] = ()


def response_change(call: Call, respondent: str, commit: str, history: list[CommitInfo]) -> list[AnswerChange]:
    """What ``commit`` of ``respondent``'s response changed in its answers, against the commit
    before it in the response's ``history`` (newest first, as ``actions.calls.history`` gives it;
    the first commit: everything it answered). One commit's diffs per request: each answer's diff
    is bounded by :func:`diff_texts`'s own limits."""
    commits = [entry.id for entry in history]
    if commit not in commits:
        raise InvalidRevision(N_("This commit did not change this response."))
    position = commits.index(commit)
    previous = commits[position + 1] if position + 1 < len(commits) else None
    after = store().calls.response(call.slug, respondent, tip=commit)
    before = store().calls.response(call.slug, respondent, tip=previous) if previous else None
    changes = []
    for number, question in enumerate(call.questions, start=1):
        old = before.answers.get(question.id) if before else None
        new = after.answers.get(question.id) if after else None
        if old == new:
            continue
        if question.kind == "text":
            changes.append(AnswerChange(number, question, diff=diff_texts(str(old or ""), str(new or ""))))
        else:
            changes.append(AnswerChange(number, question, before=_options(old), after=_options(new)))
    return changes


def _options(answer: Answer | None) -> tuple[str, ...]:
    return () if not answer else (answer,) if isinstance(answer, str) else tuple(answer)


def shown(actor: Actor, call: Call, response: Response) -> Shown:
    own = actor.logged_in and response.respondent == actor.username.lower()
    pending = response.late and response.respondent not in call.accepted_late
    return Shown(response=response, named=response.consent == "cite" or own or may_run(actor), pending=pending)


def visible(actor: Actor, call: Call, *, group: str = "", language: str = "", query: str = "",
            counted_only: bool = False) -> list[Shown]:
    """The responses ``actor`` may read, filtered by group, language and words (in the answers,
    and in names and organizations the reader may see)."""
    words = [word.casefold() for word in query[:MAX_QUERY_CHARS].split()]
    found = []
    for response in store().calls.responses(call.slug):
        item = shown(actor, call, response)
        own = actor.logged_in and response.respondent == actor.username.lower()
        if item.pending and (counted_only or not (own or may_run(actor))):
            continue
        if group and response.group != group:
            continue
        if language and response.language != language:
            continue
        if words and not _matches(item, words):
            continue
        found.append(item)
    return found


def _matches(item: Shown, words: list[str]) -> bool:
    parts = [item.name, item.organization]
    for answer in item.response.answers.values():
        parts.extend([answer] if isinstance(answer, str) else answer)
    haystack = " ".join(parts).casefold()
    return all(word in haystack for word in words)


def by_question(call: Call, items: list[Shown]) -> list[QuestionSummary]:
    """Each question's answers among ``items`` (pending ones left out), in the call's order."""
    counted = [item for item in items if not item.pending]
    order = {slug: index for index, slug in enumerate(groups())}
    summaries = []
    for question in call.questions:
        summary = QuestionSummary(question=question)
        by_group: dict[str, list[tuple[Shown, Answer]]] = defaultdict(list)
        counts: Counter[str] = Counter()
        group_counts: dict[str, Counter[str]] = defaultdict(Counter)
        for item in counted:
            answer = item.response.answers.get(question.id)
            if not answer:
                continue
            summary.answered += 1
            by_group[item.response.group].append((item, answer))
            if question.kind != "text":
                chosen = [answer] if isinstance(answer, str) else list(answer)
                counts.update(chosen)
                group_counts[item.response.group].update(chosen)
        summary.counts = {option: counts.get(option, 0) for option in question.options}
        summary.counts_by_group = {group: {option: counter.get(option, 0) for option in question.options}
                                   for group, counter in sorted(group_counts.items(),
                                                                key=lambda pair: order.get(pair[0], 99))}
        summary.answers_by_group = dict(sorted(by_group.items(), key=lambda pair: order.get(pair[0], 99)))
        summaries.append(summary)
    return summaries


def counts_by_group(items: list[Shown]) -> dict[str, int]:
    """How many counted responses each group sent."""
    counter = Counter(item.response.group for item in items if not item.pending)
    order = {slug: index for index, slug in enumerate(groups())}
    return dict(sorted(counter.items(), key=lambda pair: order.get(pair[0], 99)))


def answer_html(text: str) -> str:
    """A text answer's Markdown as sanitized HTML, cached by the text's digest (so by content)."""
    cache: LRUCache[str, Rendered] = current_app.extensions.setdefault("wiki_answer_html", LRUCache(20_000))
    key = hashlib.sha256(text.encode("utf-8")).hexdigest()
    return cache.get_or_compute(key, lambda: renderer().render(text)).html  # a fallback's notice translated


def answer_text(answer: Answer | None) -> str:
    if answer is None:
        return ""
    return answer if isinstance(answer, str) else "; ".join(answer)


def table(call: Call, items: list[Shown], language: str,
          label: Callable[[Shown], str]) -> tuple[list[str], list[list[str]]]:
    """One row per respondent, one column per question (spreadsheets): header and rows."""
    header = ["respondent", "organization", "group", "consent", "language", "submitted", "late"]
    header += [f"{question.id}: {question.text_in(language)}" for question in call.questions]
    rows = []
    for item in items:
        response = item.response
        row = [label(item), item.organization, response.group, response.consent, response.language,
               str(response.submitted), "late" if response.late else ""]
        row += [answer_text(response.answers.get(question.id)) for question in call.questions]
        rows.append(row)
    return header, rows


def compilation_markdown(call: Call, items: list[Shown], language: str, *, label: Callable[[Shown], str],
                         texts: dict[str, str], direction: str = "ltr") -> str:
    """The compilation: the call's text and deadline, then each question with its answers as
    numbered paragraphs, attributed by name only where the respondent consented (``cite``).

    ``texts`` gives the translated fixed words (``deadline``, ``responses``, ``no_answers``);
    ``direction`` is the language's. Each answer's paragraph starts with the mark of that direction
    (invisible), as a paragraph takes the direction of its first letter: in an Arabic compilation,
    an answer signed with a Latin name ran left to right, the others right to left."""
    mark = "\u200f" if direction == "rtl" else "\u200e"
    counted = [item for item in items if not item.pending]
    lines = [f"# {call.title_in(language)}", ""]
    description = call.description_in(language)
    if description:
        lines += [_contained(description, "d"), ""]
    lines += [f"*{texts['deadline']}*", "", f"*{texts['responses']}*", ""]
    number = 0
    for index, summary in enumerate(by_question(call, counted), start=1):
        question = summary.question
        lines += [f"## {index}. {_one_line(question.text_in(language))}", ""]
        if question.kind != "text":
            for option, count in summary.counts.items():
                lines.append(f"- {_one_line(option)}: {count}")
            lines.append("")
        if not summary.answered:
            lines += [f"*{texts['no_answers']}*", ""]
        for _group, answers in summary.answers_by_group.items():
            for item, answer in answers:
                if question.kind != "text":
                    continue
                number += 1
                body = _contained(str(answer), f"a{number}").strip()
                lines += [f"{mark}**{number}.** *{_text(label(item))}*: {body}", ""]
    return "\n".join(lines).rstrip() + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


_MARKUP = re.compile(r"([\\`*_\[\]])")  # inside a line, no link, image, code or emphasis starts without one


def _text(value: str) -> str:
    """Plain text (a name, an organization) as Markdown that shows it as typed: never a link, an
    image, a wiki link or emphasis of the compilation, which is meant to be published."""
    return _MARKUP.sub(r"\\\1", _one_line(value)).replace("&", "&amp;").replace("<", "&lt;")


_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_UNDERLINE = re.compile(r"^ {0,3}(=+|-+)\s*$")
_FOOTNOTE = re.compile(r"\[\^([^\[\]\s]+)\]")  # linear: a run stops at the "[" of the next one


def _contained(markdown: str, scope: str) -> str:
    """A respondent's text made to stay inside its own paragraphs of the compilation: its headings
    (``#`` or underlined) become bold paragraphs, so the outline is one heading per question; a
    code block left open is closed, so it cannot swallow the answers after it; its footnotes are
    renamed for ``scope``, so two answers' ``[^1]`` stay apart."""
    out: list[str] = []
    fence = ""
    for line in markdown.splitlines():
        marker = _FENCE.match(line)
        if fence:
            out.append(line)
            if marker and marker.group(1)[0] == fence[0] and len(marker.group(1)) >= len(fence) \
                    and line.strip() == marker.group(1):
                fence = ""
            continue
        if marker:
            fence = marker.group(1)
            out.append(line)
            continue
        stripped = line.lstrip()
        if stripped.startswith("#"):
            text = stripped.lstrip("#").strip()
            out.append(f"**{text}**" if text else "")
        elif _UNDERLINE.match(line) and out and out[-1].strip():
            out.append("")  # an underline would make the line above it a heading
        else:
            out.append(line)
    if fence:
        out.append(fence)
    return _FOOTNOTE.sub(lambda match: f"[^{scope}-{match.group(1)}]", "\n".join(out))
