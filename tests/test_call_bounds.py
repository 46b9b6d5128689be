"""What a respondent sends costs time about linear in its size (issue 30's attacker pass): a
filled-in Word form mapped to the questions, the images of any imported document, and the
compilation that anyone may download. Each pattern below made a regular expression backtrack:
a 20 KB heading of no-break spaces kept a worker for minutes, a 90 KB answer of ``[^x`` made
every compilation request take 46 s. Growth is measured as tests/test_render_bounds.py does it:
CPU time at four times the size stays within eight times (plus a constant), so a quadratic or
cubic cost fails and a loaded machine does not."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from flask import Flask

from wiki.actions import call_reading
from wiki.office import callforms, docimport
from wiki.store.call_model import Call, Question, Response

CALL = Call(slug="c", title="A call", description="", deadline=0, audience="users", state="open", created=0,
            created_by="sec", language="en",
            questions=(Question(id="q1", kind="text", text="What should the mapping cover?"),
                       Question(id="q2", kind="choice", text="Your category", options=("Government", "Other"))))


def _answers(markdown: str) -> object:
    return callforms.answers_from_markdown(CALL, markdown).answers


def _compiled(answer: str) -> str:
    """The compilation's Markdown of one response holding ``answer``."""
    response = Response(call="c", respondent="eda", name="Eda", organization="", group="governments",
                        consent="cite", language="en", answers={"q1": answer})
    item = call_reading.Shown(response=response, named=True, pending=False)
    return call_reading.compilation_markdown(CALL, [item], "en", label=lambda shown: shown.name,
                                             texts={"deadline": "", "responses": "", "no_answers": ""})


# name: (the work on an input of about ``size`` characters, the smaller size measured)
WORK: dict[str, tuple[Callable[[int], object], int]] = {
    # a heading whose words end in a long run of no-break spaces (pandoc keeps them): was cubic
    "form heading": (lambda size: _answers("# What should the mapping cover?" + "\u00a0" * size + "x\n\nAn answer"),
                     300),
    # an answer full of image openers that never close
    "form images": (lambda size: _answers("# What should the mapping cover?\n\n" + "\\![x" * (size // 4)), 10_000),
    # a line full of link closers: a heading's key drops link addresses
    "form keys": (lambda size: callforms.key("\\](x" * (size // 4)), 10_000),
    # any imported document's text (the ordinary import too), before its images are named
    "import images": (lambda size: docimport.replace_images("\\![x" * (size // 4), {}), 10_000),
    "import image paths": (lambda size: docimport.replace_images("![a](media/x" * (size // 12), {}), 10_000),
    # one answer of footnote openers, in the compilation anyone downloads
    "compilation footnotes": (lambda size: _compiled("[^x" * (size // 3)), 10_000),
}


def _cpu(work: Callable[[int], object], size: int, tries: int = 3) -> float:
    best = float("inf")
    for _ in range(tries):
        start = time.process_time()
        work(size)
        best = min(best, time.process_time() - start)
    return best


@pytest.mark.parametrize("name", WORK)
def test_the_time_grows_about_linearly(app: Flask, name: str) -> None:
    work, size = WORK[name]
    with app.app_context():  # the compilation names the groups
        small = _cpu(work, size)
        large = _cpu(work, 4 * size, tries=2)  # the best of two at each size: one sample may meet a busy moment
    assert large < 8 * small + 0.1, (name, small, large)


def test_a_long_heading_still_names_its_question() -> None:
    markdown = "# What should the mapping cover?" + "\u00a0" * 20_000 + "\n\nMore data.\n\n# Q2\n\nOther X"
    assert callforms.answers_from_markdown(CALL, markdown).answers == {"q1": "More data.", "q2": ["Other"]}


def test_footnotes_of_a_long_answer_are_still_its_own(app: Flask) -> None:
    with app.app_context():
        compiled = _compiled("Intro[^1] and [^x" * 2 + "\n\n[^1]: mine")
    assert "Intro[^a1-1]" in compiled and "[^a1-1]: mine" in compiled


def test_an_image_with_brackets_in_its_description_is_left_out_of_an_answer() -> None:
    markdown = "# Question 1\n\nSee ![a \\[b\\] map](media/x.png) here."
    mapped = callforms.answers_from_markdown(CALL, markdown)
    assert mapped.answers == {"q1": "See a \\[b\\] map here."} and mapped.images_dropped == 1
