"""Diffs take bounded time whatever the texts: growth from n to 4n, and 1 MB of each kind of input.

Anyone can ask for a diff between any two versions, so no content may make it slow. Times are
CPU times of this process (other work on the machine does not count), compared within one run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

import pytest
from babel.numbers import format_decimal
from flask.testing import FlaskClient

from wiki.diffs import MAX_LINES, diff_texts
from wiki.store import Author, Store

AUTHOR = Author(name="Script", email="script@example.org", username="script", group="governments")
MB = 1_000_000


def _words(count: int, seed: int) -> list[str]:
    chooser = random.Random(seed)
    return [chooser.choice(("policy", "group", "text", "issue", "access")) + str(chooser.randrange(10**5))
            for _ in range(count)]


def repeated_one_changed(size: int) -> tuple[str, str]:
    """The report in issue 12: many identical lines, one of them changed."""
    lines = ["x"] * (size // 2)
    changed = list(lines)
    changed[len(lines) // 2] = "y"
    return "\n".join(lines), "\n".join(changed)


def repeated_shifted(size: int) -> tuple[str, str]:
    """Two lines alternating, shifted by one: nothing unique to align on."""
    lines = ["x", "y"] * (size // 4)
    return "\n".join(lines), "\n".join(lines[1:] + ["x"])


def few_distinct_many_changes(size: int) -> tuple[str, str]:
    lines = ["", "a", "", "b", "---"] * (size // 10)
    changed = ["c" if index % 97 == 0 else line for index, line in enumerate(lines)]
    return "\n".join(lines), "\n".join(changed)


def all_lines_different(size: int) -> tuple[str, str]:
    count = size // 12
    return "\n".join(_words(count, 1)), "\n".join(_words(count, 2))


def long_line_one_word(size: int) -> tuple[str, str]:
    words = _words(size // 12, 3)
    changed = list(words)
    changed[len(words) // 2] = "changed"
    return " ".join(words), " ".join(changed)


def long_line_all_words(size: int) -> tuple[str, str]:
    return " ".join(_words(size // 12, 4)), " ".join(_words(size // 12, 5))


def long_line_of_one_word(size: int) -> tuple[str, str]:
    """Issue 12's 16,000-word line, at any length: the same word repeated, one changed."""
    words = ["word"] * (size // 5)
    changed = list(words)
    changed[len(words) // 3] = "term"
    return " ".join(words), " ".join(changed)


def many_short_changes(size: int) -> tuple[str, str]:
    lines = [" ".join(_words(8, seed)) for seed in range(size // 88)]
    changed = [line.replace(" ", " new ", 1) if index % 3 == 0 else line for index, line in enumerate(lines)]
    return "\n".join(lines), "\n".join(changed)


def random_words_shuffled(size: int) -> tuple[str, str]:
    """One random word a line, the lines shuffled: many small unaligned changes."""
    words = _words(size // 12, 6)
    shuffled = list(words)
    random.Random(7).shuffle(shuffled)
    return "\n".join(words), "\n".join(shuffled)


def markdown_with_edits(size: int) -> tuple[str, str]:
    """An ordinary document (paragraphs between blank lines) with edits all through it."""
    chooser = random.Random(8)
    lines: list[str] = []
    for index in range(size // 200):
        lines += [" ".join(_words(chooser.randrange(10, 30), index)), ""]
    changed = list(lines)
    for _ in range(len(lines) // 20):
        index = chooser.randrange(len(changed))
        changed[index] = changed[index].replace(" ", " amended ", 1) if chooser.random() < .7 else ""
    return "\n".join(lines), "\n".join(changed)


KINDS: list[Callable[[int], tuple[str, str]]] = [
    repeated_one_changed, repeated_shifted, few_distinct_many_changes, all_lines_different,
    long_line_one_word, long_line_all_words, long_line_of_one_word, many_short_changes,
    random_words_shuffled, markdown_with_edits,
]


def cpu_time(old: str, new: str) -> float:
    start = time.process_time()
    diff = diff_texts(old, new)
    elapsed = time.process_time() - start
    assert diff.added or diff.removed
    return elapsed


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_time_grows_about_linearly(kind: Callable[[int], tuple[str, str]]) -> None:
    small, large = kind(40_000), kind(160_000)
    cpu_time(*small)  # warm up
    # Best of two each: one sample of the larger size could take a collection or a busy machine's cache misses.
    at_n, at_4n = min(cpu_time(*small) for _ in range(2)), min(cpu_time(*large) for _ in range(2))
    # The constant covers SequenceMatcher's budget, spent in full before a fallback on larger texts.
    assert at_4n < 8 * at_n + 0.25, (at_n, at_4n)


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.__name__)
def test_one_megabyte_diff_shows_its_change(kind: Callable[[int], tuple[str, str]]) -> None:
    """At the page size limit the change is still found (the time is a figure of make bench)."""
    old, new = kind(MB)
    assert len(old) >= 0.9 * MB
    cpu_time(old, new)  # asserts that lines were added or removed


def test_diff_page_of_issue_12_answers_quickly_and_says_when_it_is_coarse(client: FlaskClient, store: Store) -> None:
    put = lambda text: store.save_page("Big", text, base=store.head(), author=AUTHOR, summary="").commit  # noqa: E731
    first = put("x\ny\n" * 30_000)
    second = put("x\n" * 30_000 + "y\n" + "x\n" * 29_999)
    html = client.get(f"/Big/-/diff?from={first}&to={second}&view=inline").get_data(as_text=True)
    assert "diff-notice" in html and "too long to show in full" in html
    assert client.get(f"/Big/-/diff?from={first}&to={second}").status_code == 200  # the formatted view too
    third = put("x\n" * 30_000 + "z\n" + "x\n" * 29_999)
    html = client.get(f"/Big/-/diff?from={second}&to={third}&view=split").get_data(as_text=True)
    assert "diff-notice" not in html and "<del>y</del>" in html and "<ins>z</ins>" in html


@pytest.mark.parametrize(("language", "sentence"), [
    ("fr", "Cette comparaison est trop longue pour être affichée en entier ; seules ses {lines} premières lignes "
           "sont affichées."),
    ("ar", "هذه المقارنة أطول من أن تُعرض كاملة؛ لا يُعرض منها إلا بدايتها (عدد الأسطر المعروضة: {lines})."),
], ids=["fr", "ar"])
def test_the_notice_of_a_long_diff_is_in_the_readers_language(client: FlaskClient, store: Store, language: str,
                                                              sentence: str) -> None:
    """The notices are English templates in wiki/diffs.py: the page translates them, count included."""
    put = lambda text: store.save_page("Long", text, base=store.head(), author=AUTHOR, summary="").commit  # noqa: E731
    first = put("".join(f"line {number}\n" for number in range(MAX_LINES // 2 + 500)))
    second = put("".join(f"LINE {number}\n" for number in range(MAX_LINES // 2 + 500)))
    for view in ("inline", "split"):
        html = client.get(f"/Long/-/diff?from={first}&to={second}&view={view}",
                          headers={"Accept-Language": language}).get_data(as_text=True)
        assert sentence.format(lines=format_decimal(MAX_LINES, locale=language)) in html
        assert "too long to show in full" not in html
