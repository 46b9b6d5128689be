"""Bidirectional text (issue 29): in Arabic, every user name, display name, page path and date that
the wiki puts into a translated sentence is isolated (``<bdi>``, or an element with ``dir``), so an
Arabic sentence around a Latin name or a date scrambles neither (``07 · [المجتمع المدني] 2026/12/omar``).

Walks every GET row of tests/routes.py that answers HTML, as an admin (every form and action) and
as an anonymous reader. A watched value is isolated when it shares no text with Arabic words and
the nearest element around it that is either isolating or a block of its own (a paragraph, a list
item, a cell, a button...) is the isolating one, or is a block holding no Arabic.
"""

from __future__ import annotations

import re
from pathlib import Path

import lxml.html

from .conftest import Auth, make_app
from .routes import ROUTES
from .support.app import USERS
from .support.matrix import MATRIX_AUTHOR, call, prepare

ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F]")
# What the pages show that is not translated: people, pages and dates (Arabic dates read 07‏/12‏/2026).
PEOPLE = sorted({name for user, (_role, _group, display) in USERS.items() for name in (user, display)}
                | {MATRIX_AUTHOR.name}, key=len, reverse=True)
WATCHED = re.compile("|".join([r"\bMatrix/[\w/.-]+", r"\bHome\b", r"\d{1,2}\u200f?/\d{1,2}\u200f?/\d{4}[^<]*?UTC",
                               *(rf"\b{re.escape(name)}\b" for name in PEOPLE)]))
# Elements that make a bidirectional paragraph (or a box) of their own.
BLOCKS = frozenset({"html", "body", "main", "header", "footer", "nav", "section", "article", "aside", "div", "p",
                    "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "caption",
                    "thead", "tbody", "tr", "td", "th", "form", "fieldset", "legend", "label", "blockquote",
                    "figure", "figcaption", "details", "summary", "button", "select", "option", "pre"})
NOT_TEXT = frozenset({"head", "title", "script", "style", "textarea", "code", "pre", "option"})


def unisolated(html: bytes) -> list[str]:
    """The watched values in ``html`` that sit in an Arabic sentence without isolation."""
    found = []
    root = lxml.html.document_fromstring(html.decode("utf-8"))
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        for text, owner in ((element.text, element), (element.tail, element.getparent())):
            if not text or owner is None or not WATCHED.search(text):
                continue
            if any(node.tag in NOT_TEXT for node in (owner, *owner.iterancestors())):
                continue
            if ARABIC.search(WATCHED.sub("", text)):
                found.append(f"{text.strip()!r} shares its text with an Arabic sentence in <{owner.tag}>")
                continue
            for node in (owner, *owner.iterancestors()):
                if node.tag == "bdi" or node.get("dir") is not None:
                    break
                if node.tag in BLOCKS:
                    sentence = " ".join(node.text_content().split())
                    if ARABIC.search(WATCHED.sub("", sentence)):  # an Arabic date alone is no sentence
                        found.append(f"{text.strip()!r} is not isolated in <{node.tag}>: {sentence[:160]!r}")
                    break
    return found


def test_names_paths_and_dates_in_arabic_sentences_are_isolated(tmp_path: Path) -> None:
    app = make_app(tmp_path / "instance")
    values = prepare(app)
    failures: dict[str, list[str]] = {}
    for role in ("admin", "anonymous"):
        client = app.test_client()
        if role != "anonymous":
            Auth(client).login(role)
        for route in ROUTES:
            if route.method != "GET" or route.basic_auth or route.bearer:
                continue
            client.set_cookie("lang", "ar")  # again: the language rows change it
            response = call(client, route, values, role)
            response.close()
            if response.mimetype != "text/html" or response.status_code in (301, 302, 303, 307, 308):
                continue
            assert 'lang="ar"' in response.get_data(as_text=True)[:200], route.url
            if problems := unisolated(response.data):
                failures[f"{role} {route.url}"] = problems
    assert not failures, "\n".join(f"{url}:\n  " + "\n  ".join(problems) for url, problems in failures.items())


def test_the_check_finds_a_scrambled_byline() -> None:
    scrambled = "<p>عدّل omar الصفحة Matrix/Gaps في 07\u200f/12\u200f/2026، 2:22:00 م UTC</p>".encode()
    assert len(unisolated(scrambled)) == 1
    isolated = ("<p>عدّل <bdi>omar</bdi> الصفحة <a dir=\"auto\">Matrix/Gaps</a> في "
                "<bdi>07\u200f/12\u200f/2026، 2:22:00 م UTC</bdi></p>").encode()
    assert unisolated(isolated) == []
    assert unisolated("<table><tr><td>Matrix/Gaps</td><td>تعديل</td></tr></table>".encode()) == []
