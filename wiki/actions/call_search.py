"""Search in the responses to calls for input (issue 30): the text answers every reader may see,
matched like pages are (all words, phrases, prefixes), each hit naming the call and the question,
and who answered only where the respondent chose ``cite`` (else their stakeholder group alone).

What is searched is what an anonymous reader sees (:func:`call_reading.visible`: late responses
not yet accepted are left out), so results are the same for everyone and cacheable. A call's
answers are prepared once per object id of its responses folder (and the late responses it
accepted), each answer once per text, so a new response costs the next search that one answer.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..search.texts import Matcher, Prepared, prepare
from ..store import LRUCache
from ..store.call_model import Call, Question
from . import call_reading
from .context import Actor, store

MAX_HITS = 20  # shown; the total is counted in full
CALLS_KEPT = 16  # calls whose prepared answers each process keeps
TEXTS_KEPT = 50_000  # prepared answers each process keeps (500 respondents x 18 questions x 5 calls)


@dataclass(frozen=True)
class Entry:
    question: str  # its id
    group: str
    name: str  # "" unless the respondent consented to be cited
    text: Prepared


@dataclass(frozen=True)
class AnswerHit:
    call: Call
    question: Question
    group: str
    name: str
    snippet: tuple[tuple[str, bool], ...]


@dataclass(frozen=True)
class AnswerResults:
    hits: tuple[AnswerHit, ...]
    total: int


def _caches() -> tuple[LRUCache[tuple[object, ...], tuple[Entry, ...]], LRUCache[str, Prepared]]:
    extensions = current_app.extensions
    return (extensions.setdefault("wiki_call_search", LRUCache(CALLS_KEPT)),
            extensions.setdefault("wiki_call_search_texts", LRUCache(TEXTS_KEPT)))


def _entries(call: Call) -> tuple[Entry, ...]:
    calls, texts = _caches()
    text_questions = tuple(question.id for question in call.questions if question.kind == "text")
    key = (call.slug, store().calls.responses_id(call.slug), call.accepted_late, text_questions)

    def compute() -> tuple[Entry, ...]:
        found = []
        for item in call_reading.visible(Actor(), call, counted_only=True):
            for question in text_questions:
                answer = item.response.answers.get(question)
                if isinstance(answer, str) and answer:
                    found.append(Entry(question, item.response.group, item.name,
                                       texts.get_or_compute(answer, lambda answer=answer: prepare(answer))))
        return tuple(found)

    return calls.get_or_compute(key, compute)


def search(query: str, *, limit: int = MAX_HITS) -> AnswerResults:
    """The answers holding every term of ``query``: the calls with the latest deadline first, each
    in the order of its questions and responses."""
    matcher = Matcher(query)
    if not matcher.valid:
        return AnswerResults((), 0)
    hits: list[AnswerHit] = []
    total = 0
    for call in store().calls.all():
        questions = {question.id: question for question in call.questions}
        order = {question.id: position for position, question in enumerate(call.questions)}
        matched = [entry for entry in _entries(call) if matcher.matches(entry.text)]
        matched.sort(key=lambda entry: order[entry.question])  # stable: responses keep their order
        total += len(matched)
        for entry in matched[:max(0, limit - len(hits))]:
            hits.append(AnswerHit(call, questions[entry.question], entry.group, entry.name,
                                  matcher.snippet(entry.text)))
    return AnswerResults(tuple(hits), total)
