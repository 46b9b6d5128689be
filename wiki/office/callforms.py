"""A call for input as a Word form, and a filled-in form read back as answers.

The template is a .docx with the call's title, its description and one Heading 1 per question
(its text), each choice question's options listed under it; respondents write their answers below
each heading. The filled file comes back through the ordinary import (:mod:`.docimport`: all its
checks, pandoc in a limited child process), and :func:`answers_from_markdown` maps its sections
to the questions by their headings: a heading naming a question's text (in any of the call's
languages, numbering and formatting aside), or ``Question N``, or the question's id (``q3``).
Text answers are the section's Markdown; a choice answer is the options the respondent marked
(☒, X, [x]...) or, failing marks, the options they kept. No Flask, no git.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

from ..errors import N_, InvalidContent
from ..store.call_model import Call, Question
from . import convert

# Marks that say "chosen" before (or after) an option, as people type them in Word.
_MARKS = ("☒", "☑", "✓", "✔", "✗", "✘", "🗹", "[x]", "[X]", "(x)", "(X)")  # and a lone X (see _choice_line)
_EMPTY_BOXES = ("☐", "□", "❏", "[ ]", "[]", "( )", "()")
_LIST_MARKER = re.compile(r"\A\s*(?:[-*+•]|\d{1,3}[.)])\s+")
# Linear patterns only: what a respondent uploads is theirs to shape. A heading's closing hashes are
# stripped in code (a lazy group before "\s*#*\s*\Z" backtracked cubically on a run of spaces),
# and the runs of image and link patterns stop where the next match would start ("[" or "(").
_HEADING = re.compile(r"\A(#{1,6})\s+")
_NUMBERING = re.compile(r"\A\s*(?:\d{1,3}|[ivxlc]{1,6}|[a-z])[.)]\s+", re.IGNORECASE)
_IMAGE = re.compile(r"!\[([^\[\]\\]*(?:\\.[^\[\]\\]*)*)\]\([^()\[\]]*\)")  # the description may hold \[ \]
_LINK_ADDRESS = re.compile(r"\]\([^()\[\]]*\)")
_QUESTION_WORDS = ("question", "q")  # with the translated word the view passes in
# pandoc reads a right-to-left paragraph or run of Word as a span that says its direction; such a
# span is not part of what was written (an Arabic heading must still name its question).
_DIRECTION_SPAN = re.compile(r'<span dir="(?:rtl|ltr)">((?:(?!<span\b).)*?)</span>', re.DOTALL)


@dataclass(frozen=True)
class Template:
    """What the Word template says, in one language (the caller translates the fixed words)."""

    title: str
    description_html: str  # sanitized HTML (the wiki's renderer)
    instructions: str
    questions: Sequence[tuple[str, Sequence[str]]]  # (heading text, options) in the call's order
    language: str = "en"
    direction: str = "ltr"


@dataclass
class Mapped:
    """A filled-in form read back: the answers by question id, and what could not be placed."""

    answers: dict[str, object] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)  # headings that name no question
    images_dropped: int = 0


def template_docx(template: Template, limits: convert.Limits = convert.DEFAULT_LIMITS) -> bytes:
    """The form as a .docx, by pandoc with the wiki's reference styles (the title as Word's Title)."""
    from . import reference  # lxml: imported by the first form made, not by every worker's start

    parts = [f'<div dir="{escape(template.direction)}">', template.description_html,
             f"<p><em>{escape(template.instructions)}</em></p>"]
    for heading, options in template.questions:
        parts.append(f"<h1>{escape(heading)}</h1>")
        if options:
            # Paragraphs, not a list: pandoc would make "☐" a list's bullet, which nobody can tick
            parts.append("".join(f"<p>☐ {escape(option)}</p>" for option in options))
        else:  # a line to write on: pandoc drops an empty paragraph, not one of a no-break space
            parts.append("<p>\u00a0</p>")
    parts.append("</div>")
    html = (f'<!DOCTYPE html><html lang="{escape(template.language)}"><head><meta charset="utf-8">'
            f"<title>{escape(template.title)}</title></head><body>{''.join(parts)}</body></html>")
    args = ["--standalone", "--reference-doc=reference.docx", f"--metadata=title:{template.title}",
            f"--metadata=lang:{template.language}"]
    data = convert.pandoc(html, from_format="html", to_format="docx", args=args,
                          files={"reference.docx": reference.reference_doc("docx")}, limits=limits)
    return reference.finish_docx(data, template.title)


# --------------------------------------------------------------------------- reading a filled form


def key(text: str) -> str:
    """What two spellings of a heading share: letters and digits, case-folded, one space apart
    (Markdown emphasis, punctuation, typographic quotes and numbering do not count)."""
    text = unicodedata.normalize("NFKC", _IMAGE.sub(r"\1", text))
    text = _LINK_ADDRESS.sub(" ", text)
    return " ".join(re.sub(r"[\W_]+", " ", text).casefold().split())


def _question_keys(call: Call, plain: dict[str, str]) -> dict[str, str]:
    """Each accepted spelling (key) of each question's text, in every language: question id."""
    keys: dict[str, str] = {}
    for question in call.questions:
        texts = [question.text, *(text for _language, text in question.translations)]
        texts += [plain.get(text, "") for text in texts]
        for text in texts:
            if key(text):
                keys.setdefault(key(text), question.id)
    return keys


def _by_number(call: Call, heading: str, words: Sequence[str]) -> str | None:
    """The question a heading names by number (``Question 2``, ``Q2``) or by id (``q2``)."""
    folded = key(heading)
    for word in (*_QUESTION_WORDS, *(key(word) for word in words if key(word))):
        match = re.match(rf"\A{re.escape(word)}\s?(\d{{1,4}})\b", folded)
        if match:
            number = int(match.group(1))
            by_id = call.question(f"q{number}")
            if word == "q" and by_id is not None:
                return by_id.id
            if 1 <= number <= len(call.questions):
                return call.questions[number - 1].id
    return None


def _identify(call: Call, heading: str, keys: dict[str, str], words: Sequence[str]) -> str | None:
    folded = key(heading)
    unnumbered = key(_NUMBERING.sub("", heading))
    return keys.get(folded) or keys.get(unnumbered) or _by_number(call, heading, words)


def _headings(markdown: str) -> list[tuple[int, int, str]]:
    """(line number, level, text) of the ATX headings pandoc writes (not inside indented code)."""
    found = []
    for number, line in enumerate(markdown.split("\n")):
        match = _HEADING.match(line)
        if match:
            found.append((number, len(match.group(1)), line[match.end():].rstrip().rstrip("#").rstrip()))
    return found


def answers_from_markdown(call: Call, markdown: str, *, plain: dict[str, str] | None = None,
                          question_words: Sequence[str] = ()) -> Mapped:
    """Map an imported document's Markdown to the call's questions (see the module's docstring).

    ``plain`` gives each question text's rendered words (its Markdown without markup), so a heading
    typed from the form matches either; ``question_words`` are the word "Question" in the reader's
    language. Headings deeper than the questions' stay in the answers; the call's title is skipped.

    :raises InvalidContent: an option a choice question does not offer, or no question found.
    """
    keys = _question_keys(call, plain or {})
    markdown = without_direction_spans(markdown)
    titles = {key(call.title), *(key(title) for _language, title in call.titles)}
    lines = markdown.split("\n")
    headings = _headings(markdown)
    named = [(number, level, text, _identify(call, text, keys, question_words)) for number, level, text in headings]
    levels = [level for _number, level, _text, question in named if question]
    mapped = Mapped()
    if not levels:
        mapped.unknown = [text for _number, _level, text, _question in named if key(text) not in titles]
        return mapped
    top = min(levels)
    starts = [(number, text, question) for number, level, text, question in named if level <= top]
    for index, (number, text, question) in enumerate(starts):
        end = starts[index + 1][0] if index + 1 < len(starts) else len(lines)
        if question is None:
            if key(text) not in titles:
                mapped.unknown.append(text)
            continue
        body = "\n".join(lines[number + 1:end]).strip()
        mapped.images_dropped += len(_IMAGE.findall(body))
        body = _IMAGE.sub(r"\1", body).strip()
        found = call.question(question)
        assert found is not None
        answer = _text_answer(body) if found.kind == "text" else _choice_answer(found, body)
        if answer:
            previous = mapped.answers.get(question)
            mapped.answers[question] = _join(previous, answer) if previous else answer
    return mapped


def without_direction_spans(markdown: str) -> str:
    """The Markdown without the direction spans pandoc wraps right-to-left text in (innermost first)."""
    while True:
        unwrapped = _DIRECTION_SPAN.sub(r"\1", markdown)
        if unwrapped == markdown:
            return markdown
        markdown = unwrapped


def _text_answer(body: str) -> str:
    return body.strip()


def _join(previous: object, answer: object) -> object:
    """Two sections for one question: texts joined, options together."""
    if isinstance(previous, str) and isinstance(answer, str):
        return previous + "\n\n" + answer
    return [*previous, *[option for option in answer if option not in previous]]  # type: ignore[union-attr]


def _choice_line(text: str) -> tuple[bool, str]:
    """Whether a line of a choice section is marked (☒ Option, X Option, Option X...) and its text
    without the mark; an empty box (☐) is no mark."""
    for box in _EMPTY_BOXES:
        if text.startswith(box):
            return False, text[len(box):].strip()
    for mark in _MARKS:
        if text.startswith(mark):
            return True, text[len(mark):].strip(" :.)")
        if text.endswith(mark):
            return True, text[:-len(mark)].strip()
    letter = re.match(r"\A[xX](?:\s+|[:.)]\s*)(\S.*)\Z", text) or re.match(r"\A(.*\S)\s+[xX]\Z", text)
    if letter:
        return True, letter.group(1).strip()
    return False, text


def _choice_answer(question: Question, body: str) -> list[str]:
    """The options chosen in a choice section: those marked, else those kept (all kept: none)."""
    options = {key(option): option for option in question.options}
    marked, kept, strange = [], [], []
    for line in body.split("\n"):
        if not line.strip():
            continue
        text = _LIST_MARKER.sub("", line).strip().replace("\\[", "[").replace("\\]", "]").strip("*_ ")
        is_marked, rest = _choice_line(text)
        option = options.get(key(rest))
        if option is None:  # an option whose own words end like a mark ("Plan X") kept as written
            is_marked, option = False, options.get(key(text))
        if option is None:
            strange.append(text)
            continue
        (marked if is_marked else kept).append(option)
    if strange:
        raise InvalidContent(N_("Under the question “%(question)s”, “%(text)s” is not one of its options "
                                "(%(options)s). Keep the options you choose, or mark them with an X."),
                             question=_short(question.text), text=_short(strange[0]),
                             options="; ".join(question.options)[:600])
    chosen = marked or (kept if len(set(kept)) < len(question.options) else [])
    return [option for option in question.options if option in chosen]


def _short(text: str, limit: int = 120) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
