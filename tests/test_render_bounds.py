"""Rendering takes bounded time whatever the text: growth is about linear, 1 MB stays fast."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from wiki import render
from wiki.render import Renderer

SENTINEL = "closingwordsentinel"


def _repeat(unit: str) -> Callable[[int], str]:
    return lambda size: unit * (size // len(unit))


def _lines(make: Callable[[int], str]) -> Callable[[int], str]:
    """Lines from ``make(index)`` up to ``size`` characters."""
    def build(size: int) -> str:
        parts, total, index = [], 0, 0
        while total < size:
            line = make(index)
            parts.append(line)
            total += len(line)
            index += 1
        return "".join(parts)
    return build


CLASSES: dict[str, Callable[[int], str]] = {
    "brackets": _repeat("["),
    "links": _repeat("[a]("),
    "references": _repeat("[a]["),
    "images": _repeat("![a]("),
    "wikilinks": _repeat("[[a"),
    "wikilink-openers": _repeat("[["),
    "footnotes": _repeat("[^"),
    "footnote-definitions": _lines(lambda i: f"[^a{i % 7}]:" * 3 + "\n"),
    "nested-divs": _repeat("<div>"),
    "nested-lists": _lines(lambda i: "    " * (i % 600) + "- a\n"),
    "nested-quotes": _lines(lambda i: ">" * (i % 600) + " a\n"),
    "quotes-and-lists": _repeat("> - "),
    "emphasis": _repeat("*"),
    "emphasis-words": _repeat("_a"),
    "strong": _repeat("**a"),
    "spaces": lambda size: "a" + " " * size + "b",
    "comments": _repeat("<!--"),
    "backticks": _repeat("`"),
    "backtick-runs": _lines(lambda i: "`" * (i % 97 + 1) + "a"),
    "unfinished-tags": _repeat("<a"),
    "autolinks": _repeat("<http://a"),
    "attributes": _repeat('<a href="'),
    "fences": _repeat("~~~a\n"),
    "headers": _repeat("# a\n"),
    "loose-list": _repeat("- a\n\n"),
}


def _time(text: str) -> tuple[float, str]:
    """The CPU time of one rendering (this process's, so other work on a busy machine does not count)."""
    renderer = Renderer(lambda page: "/" + page)
    start = time.process_time()
    html = renderer.render(text).html
    return time.process_time() - start, html


def _best_time(text: str, tries: int = 3) -> float:
    return min(_time(text)[0] for _ in range(tries))


@pytest.mark.parametrize("name", CLASSES)
def test_render_time_grows_about_linearly(name: str) -> None:
    small = _best_time(CLASSES[name](16_000))
    large = _best_time(CLASSES[name](64_000))
    assert large < 8 * small + 0.4, (name, small, large)


@pytest.mark.parametrize("name", CLASSES)
def test_a_megabyte_of_any_class_keeps_its_text(name: str) -> None:
    """Formatted or shown as written, every word stays (the time at 1 MB is a figure of make bench)."""
    _, html = _time(CLASSES[name](1_000_000) + "\n\n" + SENTINEL)
    assert SENTINEL in html, name


def test_an_ordinary_megabyte_is_formatted_not_shown_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Within the work budget; the deadline is a backstop that a loaded test machine could reach."""
    monkeypatch.setattr(render.bounds, "TIME_BASE", 60.0)
    paragraph = ("Lorem ipsum dolor sit amet, *consectetur* adipiscing elit, sed do [[Page]] eiusmod **tempor** "
                 "incididunt ut [labore](http://example.org) et `dolore` magna aliqua.\n\n")
    _, html = _time(paragraph * (1_000_000 // len(paragraph)))
    assert "render-notice" not in html and "<strong>tempor</strong>" in html


def test_a_fallback_for_lack_of_time_is_retried_before_it_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadline depends on the machine's load: a busy moment must not freeze a page as plain text."""
    renderer = Renderer(lambda page: f"/{page}")
    monkeypatch.setattr(render.bounds, "TIME_BASE", -1.0)  # every rendering is out of time at once
    first = renderer.render("# Title\n\nText.\n", cache_key="blob")
    assert not first.complete and "render-notice" in first.html
    assert not renderer.render("# Title\n\nText.\n", cache_key="blob").complete
    kept = renderer.render("# Title\n\nText.\n", cache_key="blob")  # third time: it is the text, keep it
    assert kept.complete and renderer.render("# Title\n\nText.\n", cache_key="blob") is kept
    monkeypatch.setattr(render.bounds, "TIME_BASE", 0.75)
    assert "<h1" in renderer.render("# Title\n\nText.\n", cache_key="other").html
