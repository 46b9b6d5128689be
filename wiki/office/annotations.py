"""The comments of a .docx (``w:comment``) or .odt (``office:annotation``), with the passage each
is on, so an import can carry them over as comment threads on the proposal's text.

Word keeps comments in ``word/comments.xml`` (author, date, paragraphs) and marks their ranges in
the text with ``w:commentRangeStart``/``w:commentRangeEnd`` of the same ``w:id``; OpenDocument
puts an ``office:annotation`` at the range's start and an ``office:annotation-end`` of the same
``office:name`` at its end (none for a comment on a point). No Flask, no Git.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import safexml

if TYPE_CHECKING:
    from lxml import etree


W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
DC = "http://purl.org/dc/elements/1.1/"
MAX_COMMENTS = 200  # carried over; more are listed as left out
MAX_TEXT = 5_000
MAX_QUOTE = 500


@dataclass(frozen=True)
class Annotation:
    """One comment: who wrote it (as the word processor recorded), when, its text and the passage."""

    author: str
    date: str
    text: str
    quote: str


def _plain(text: str, limit: int) -> str:
    return " ".join(text.split())[:limit]


def read(data: bytes, kind: str) -> tuple[Annotation, ...]:
    """The comments of a checked .docx or .odt (``kind``), in the order they were written down."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if kind == "docx":
            if "word/comments.xml" not in names:
                return ()
            comments = safexml.parse(archive.read("word/comments.xml"))
            body = safexml.parse(archive.read("word/document.xml"))
            return _docx(comments, body)[:MAX_COMMENTS]
        return _odt(safexml.parse(archive.read("content.xml")))[:MAX_COMMENTS]


def _docx(comments: etree._Element, body: etree._Element) -> tuple[Annotation, ...]:
    quotes: dict[str, list[str]] = {}
    open_ids: list[str] = []
    for element in body.iter(f"{{{W}}}commentRangeStart", f"{{{W}}}commentRangeEnd", f"{{{W}}}t"):
        ident = element.get(f"{{{W}}}id", "")
        if element.tag.endswith("commentRangeStart"):
            open_ids.append(ident)
            quotes.setdefault(ident, [])
        elif element.tag.endswith("commentRangeEnd"):
            if ident in open_ids:
                open_ids.remove(ident)
        else:
            for opened in open_ids:
                quotes[opened].append(element.text or "")
    found = []
    for comment in comments.iter(f"{{{W}}}comment"):
        ident = comment.get(f"{{{W}}}id", "")
        text = "\n".join("".join(t.text or "" for t in paragraph.iter(f"{{{W}}}t"))
                         for paragraph in comment.iter(f"{{{W}}}p"))
        if text.strip():
            found.append(Annotation(author=_plain(comment.get(f"{{{W}}}author", ""), 200),
                                    date=comment.get(f"{{{W}}}date", ""), text=text.strip()[:MAX_TEXT],
                                    quote=_plain("".join(quotes.get(ident, [])), MAX_QUOTE)))
    return tuple(found)


def _odt(root: etree._Element) -> tuple[Annotation, ...]:
    body = root.find(f"{{{OFFICE}}}body")
    if body is None:
        return ()
    notes: dict[str, tuple[str, str, str]] = {}
    order: list[str] = []
    quotes: dict[str, list[str]] = {}
    open_names: list[str] = []
    annotation, end = f"{{{OFFICE}}}annotation", f"{{{OFFICE}}}annotation-end"
    from lxml import etree

    for event, element in etree.iterwalk(body, events=("start", "end")):
        inside = any(ancestor.tag == annotation for ancestor in element.iterancestors())
        if event == "start" and element.tag == annotation:
            name = element.get(f"{{{OFFICE}}}name", "") or f"point-{len(order)}"
            creator = element.find(f"{{{DC}}}creator")
            date = element.find(f"{{{DC}}}date")
            text = "\n".join("".join(p.itertext()) for p in element.iter(f"{{{TEXT}}}p"))
            notes[name] = (creator.text or "" if creator is not None else "", date.text or "" if date is not None
                           else "", text)
            order.append(name)
            if element.get(f"{{{OFFICE}}}name"):
                open_names.append(name)
                quotes[name] = []
        elif event == "start" and element.tag == end:
            name = element.get(f"{{{OFFICE}}}name", "")
            if name in open_names:
                open_names.remove(name)
        elif not inside:
            piece = element.tail if event == "end" else None if element.tag == annotation else element.text
            if piece:
                for name in open_names:
                    quotes[name].append(piece)
    return tuple(Annotation(author=_plain(author, 200), date=date, text=text.strip()[:MAX_TEXT],
                            quote=_plain("".join(quotes.get(name, [])), MAX_QUOTE))
                 for name in order for author, date, text in [notes[name]] if text.strip())
