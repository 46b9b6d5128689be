"""Issue 30's speed targets, in-process (the Flask test client), on the small repository with one
call for input of 18 questions (a stakeholder category, 15 text questions, a multiple choice and
other comments) and 500 responses from the five groups, half of them ``aggregate``:

- the responses by question (``/-/calls/<slug>/responses?by=question``), p50 once warm (target
  < 150 ms), and the first view after a new response;
- the compilation as Word (``/-/calls/<slug>/compilation?format=docx``) after a new response, so
  never from the export cache (target < 10 s), and the responses as a spreadsheet (``.xlsx``,
  target < 3 s; ``.csv`` beside it);
- search over the responses (``/-/search``), warm and after a new response, and the API's list of
  responses (100 a page).

A view not on this branch yet is reported as missing, not failed. Responses are written through
the calls store (500 accounts are not needed); each sample's request goes through the app.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from typing import Any

from flask.testing import FlaskClient
from generate import cached

from wiki import create_app
from wiki.store import Author
from wiki.store.call_model import Call, Question, Response

from .common import OUT, SIZES, build_instance, close_app

RESPONSES = 500
GROUPS = ("governments", "private-sector", "civil-society", "technical-academic", "international-organizations")
WORDS = ("access", "affordability", "capacity", "development", "cooperation", "governance", "security", "rights",
         "infrastructure", "multistakeholder", "spectrum", "standards", "data", "privacy", "trade", "jurisdiction",
         "developing", "countries", "digital", "divide", "innovation", "the", "and", "of", "to", "in", "with")
AUTHOR = Author(name="Bench", email="bench@example.org", username="bench", group="governments")
TARGETS = {"by_question": 150.0, "docx": 10_000.0, "xlsx": 3_000.0}


def questions() -> tuple[Question, ...]:
    found = [Question(id="q1", kind="choice", text="Your stakeholder category", options=tuple(GROUPS))]
    found += [Question(id=f"q{n}", kind="text", text=f"Question {n}: what should the mapping say about issue {n}?")
              for n in range(2, 17)]
    found.append(Question(id="q17", kind="choices", text="Which issues matter most?",
                          options=("Access", "Security", "Rights", "Trade", "Development")))
    found.append(Question(id="q18", kind="text", text="Other comments"))
    return tuple(found)


def answer_text(rng: random.Random) -> str:
    """A paragraph or two of Markdown, about 200 to 1,200 characters (600 on average)."""
    paragraphs = []
    for _ in range(rng.randint(1, 2)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(30, 100))]
        words[0] = words[0].capitalize()
        paragraphs.append(" ".join(words) + ".")
    return "\n\n".join(paragraphs)


def p50(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Refused(Exception):
    """A request answered neither 200 nor 202: the figure is reported as a failure."""


def timed(client: FlaskClient, path: str) -> float:
    """Seconds for ``path`` to answer 200, following an export's 202 (poll the same URL)."""
    started = time.perf_counter()
    while True:
        response = client.get(path)
        response.get_data()
        if response.status_code == 200:
            return time.perf_counter() - started
        if response.status_code != 202 or time.perf_counter() - started > 120:
            raise Refused(f"answered {response.status_code} after {time.perf_counter() - started:.1f} s")
        time.sleep(0.05)


def measure_calls(quick: bool) -> dict[str, Any]:
    instance, routes = build_instance("calls", cached(SIZES["small"], OUT))
    app = create_app({"SCHEDULER_SECONDS": 0, "LIMIT_RESPONSES_PER_HOUR": 0,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000"}, instance_path=str(instance))
    store = app.extensions["wiki_store"]
    slug = store.calls.create(Call(slug="questionnaire", title="Questionnaire on the mapping", description="Tell us.",
                                   questions=questions(), deadline=int(time.time()) + 30 * 86400, audience="users",
                                   state="open", created=int(time.time()), created_by="bench", language="en"),
                              author=AUTHOR).slug
    rng = random.Random(30)
    started = time.perf_counter()
    for number in range(RESPONSES):
        respond(store, slug, f"respondent{number:03d}", rng, number)
    written = time.perf_counter() - started
    print(f"[calls] {RESPONSES} responses of 18 questions written in {written:.1f} s", file=sys.stderr)
    count = 5 if quick else 15
    client = app.test_client()
    results: dict[str, Any] = {"responses": RESPONSES, "questions": 18, "missing": [], "failed": {}}

    def series(key: str, path: str, route: str, samples: int, *, changed: bool = False) -> None:
        """p50 of ``samples`` requests (after a new response before each, with ``changed``)."""
        if route not in routes:
            results["missing"].append(key)
            return
        timings = []
        for index in range(samples + (0 if changed else 1)):
            if changed:
                respond(store, slug, f"late{key}{index:03d}", rng, index)
            try:
                elapsed = timed(client, path)
            except Refused as error:
                results["failed"][key] = str(error)
                print(f"[calls] {path} {error}", file=sys.stderr)
                return
            if changed or index:  # warm series: the first request fills the caches, unmeasured
                timings.append(elapsed)
        results[key] = p50(timings)

    base = f"/-/calls/{slug}"
    series("by_question", f"{base}/responses?by=question", "/-/calls/<slug>/responses", count)
    series("by_question_after_response", f"{base}/responses?by=question", "/-/calls/<slug>/responses",
           max(3, count // 3), changed=True)
    series("xlsx", f"{base}/responses.xlsx", "/-/calls/<slug>/responses.xlsx", max(3, count // 3))
    series("csv", f"{base}/responses.csv", "/-/calls/<slug>/responses.csv", max(3, count // 3))
    series("docx", f"{base}/compilation?format=docx", "/-/calls/<slug>/compilation", 3 if quick else 5,
           changed=True)
    series("search", "/-/search?q=spectrum+divide", "/-/search", count)
    series("search_after_response", "/-/search?q=spectrum+divide", "/-/search", max(3, count // 3), changed=True)
    series("api_responses", f"/-/api/v1/calls/{slug}/responses?limit=100", "/-/api/v1/calls/<slug>/responses",
           count)
    markdown = client.get(f"{base}/compilation?format=md").get_data()
    results["compilation_md_bytes"] = len(markdown)
    print("[calls] " + ", ".join(f"{key} {value:,.0f} ms" for key, value in results.items()
                                 if isinstance(value, float)), file=sys.stderr)
    close_app(app)
    return results


def respond(store: Any, slug: str, respondent: str, rng: random.Random, number: int) -> None:
    answers: dict[str, Any] = {"q1": GROUPS[number % len(GROUPS)], "q17": ["Access", "Rights"][: 1 + number % 2]}
    answers.update({f"q{n}": answer_text(rng) for n in range(2, 17) if rng.random() < 0.9})
    answers["q18"] = answer_text(rng)
    now = int(time.time())
    store.calls.save_response(slug, respondent, lambda call, previous: Response(
        call=call.slug, respondent=respondent, name=f"Respondent {number}", organization=f"Organization {number}",
        group=GROUPS[number % len(GROUPS)], consent="cite" if number % 2 else "aggregate", language="en",
        answers=answers, submitted=previous.submitted if previous else now, updated=now), author=AUTHOR)


def calls_table(results: dict[str, Any]) -> str:
    rows = [(f"calls for input ({results['responses']} responses x {results['questions']} questions)", "p50",
             "target", "met")]
    labels = {"by_question": "responses by question", "by_question_after_response": "  after a new response",
              "xlsx": "responses.xlsx", "csv": "responses.csv", "docx": "compilation .docx (after a new response)",
              "search": "search over the responses", "search_after_response": "  after a new response",
              "api_responses": "API: 100 responses"}
    for key, label in labels.items():
        limit = TARGETS.get(key)
        if key in results:
            value = results[key]
            rows.append((label, f"{value:,.1f} ms", "" if limit is None else f"< {limit:,.0f} ms",
                         "" if limit is None else ("yes" if value < limit else "NO")))
        elif key in results["missing"]:
            rows.append((label, "not on this branch", "" if limit is None else f"< {limit:,.0f} ms", ""))
        elif key in results["failed"]:
            rows.append((label, results["failed"][key], "" if limit is None else f"< {limit:,.0f} ms", "NO"))
    rows.append(("compilation's Markdown", f"{results.get('compilation_md_bytes', 0):,} bytes", "", ""))
    widths = [max(len(str(r[i])) for r in rows) for i in range(4)]
    return "\n".join("  ".join(str(cell).ljust(width) for cell, width in zip(r, widths, strict=True)) for r in rows)

