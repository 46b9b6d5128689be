"""The tracked changes of a .docx or .odt, read from its XML: who inserted or deleted what, when.

The import lists them by author in the preview and makes a file that has any a proposal (a
redline is a suggestion, never agreed text by itself). Word writes ``w:ins``/``w:del`` (and
``w:moveTo``/``w:moveFrom`` for moves) with ``w:author`` and ``w:date`` around the runs;
OpenDocument a ``text:tracked-changes`` block of ``text:changed-region`` elements (creator, date,
the deleted text) and ``text:change-start``/``text:change-end`` marks around inserted text.
Paragraph-mark changes (no text of their own) are not listed. :func:`resolve` writes the file
with some changes accepted and the others rejected (a proposal's commits, one per author; the
secretariat's choice of what to leave out): Word's here, OpenDocument's in :mod:`.tracked_odt`.
No Flask, no Git.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from . import safexml

if TYPE_CHECKING:
    from lxml import etree

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DC = "http://purl.org/dc/elements/1.1/"
MAX_CHANGES = 2_000  # listed; a file with more says how many were left out of the list
MAX_TEXT = 300  # characters of one change's text shown
_DOCX_KINDS = {"ins": "insertion", "moveTo": "insertion", "del": "deletion", "moveFrom": "deletion"}


@dataclass(frozen=True)
class TrackedChange:
    """One tracked change: ``kind`` is ``"insertion"`` or ``"deletion"``; ``moved`` for Word's moves;
    ``number`` its place among the file's listed changes (what a choice to leave it out names)."""

    kind: str
    author: str
    date: str
    text: str
    moved: bool = False
    number: int = -1


# Whether a change stays in the text: (its number among the listed changes, or None for one not
# listed, such as a paragraph mark's; its author) -> accepted.
Accept = Callable[[int | None, str], bool]


def read(data: bytes, kind: str) -> tuple[TrackedChange, ...]:
    """The tracked changes of a checked .docx or .odt (``kind``), in document order."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = ["word/document.xml", "word/footnotes.xml", "word/endnotes.xml"] if kind == "docx" else ["content.xml"]
        parts = [safexml.parse(archive.read(name)) for name in names if name in archive.namelist()]
    found: list[TrackedChange] = []
    for root in parts:
        found.extend(change for _, change in (_docx(root) if kind == "docx" else _odt(root)))
    return tuple(replace(change, number=number) for number, change in enumerate(found[:MAX_CHANGES]))


def _clip(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_TEXT else text[:MAX_TEXT - 1] + "…"


def _docx(root: etree._Element) -> list[tuple[etree._Element, TrackedChange]]:
    """The listed changes of a part, each with its element: not a paragraph mark's, not nested in
    another change, with text."""
    changes = []
    tags = {f"{{{W}}}{name}" for name in _DOCX_KINDS}
    for element in root.iter(*tags):
        if element.getparent() is not None and element.getparent().tag in (f"{{{W}}}rPr", f"{{{W}}}pPr"):
            continue  # a paragraph mark's change
        if any(ancestor.tag in tags for ancestor in element.iterancestors()):
            continue  # nested inside another change: part of its text
        text = "".join(node.text or "" for node in element.iter(f"{{{W}}}t", f"{{{W}}}delText"))
        if not text.strip():
            continue
        name = element.tag.rpartition("}")[2]  # the local name
        changes.append((element, TrackedChange(kind=_DOCX_KINDS[name], author=element.get(f"{{{W}}}author", ""),
                                               date=element.get(f"{{{W}}}date", ""), text=_clip(text),
                                               moved=name.startswith("move"))))
    return changes


def _odt(root: etree._Element) -> list[tuple[str, TrackedChange]]:
    """The listed changes of ``content.xml`` (those with text), each with its region's id."""
    regions: dict[str, tuple[str, str, str, str]] = {}  # id: (kind, author, date, deleted text)
    for region in root.iter(f"{{{TEXT}}}changed-region"):
        ident = region.get(f"{{{TEXT}}}id") or region.get("{http://www.w3.org/XML/1998/namespace}id") or ""
        for kind in ("insertion", "deletion"):
            change = region.find(f"{{{TEXT}}}{kind}")
            if change is None:
                continue
            creator = change.find(f"{{{OFFICE}}}change-info/{{{DC}}}creator")
            date = change.find(f"{{{OFFICE}}}change-info/{{{DC}}}date")
            deleted = "".join(text for child in change if child.tag != f"{{{OFFICE}}}change-info"
                              for text in child.itertext())
            regions[ident] = (kind, creator.text or "" if creator is not None else "",
                              date.text or "" if date is not None else "", deleted)
    body = root.find(f"{{{OFFICE}}}body")
    if body is None:
        return []
    inserted: dict[str, list[str]] = {}
    order: list[str] = []
    open_ids: list[str] = []
    start, end, point = f"{{{TEXT}}}change-start", f"{{{TEXT}}}change-end", f"{{{TEXT}}}change"
    from lxml import etree

    for event, element in etree.iterwalk(body, events=("start", "end")):
        if element.tag == f"{{{TEXT}}}tracked-changes":
            continue
        ident = element.get(f"{{{TEXT}}}change-id", "")
        if event == "start":
            if element.tag == start:
                open_ids.append(ident)
                order.append(ident)
                inserted.setdefault(ident, [])
            elif element.tag == end and ident in open_ids:
                open_ids.remove(ident)
            elif element.tag == point:
                order.append(ident)
            elif element.text and not _inside_tracked(element):
                for opened in open_ids:
                    inserted[opened].append(element.text)
        elif element.tail and not _inside_tracked(element):
            for opened in open_ids:
                inserted[opened].append(element.tail)
    changes = []
    for ident in order:
        if ident not in regions:
            continue
        kind, author, date, deleted = regions[ident]
        text = "".join(inserted.get(ident, [])) if kind == "insertion" else deleted
        if text.strip():
            changes.append((ident, TrackedChange(kind=kind, author=author, date=date, text=_clip(text))))
    return changes


def _inside_tracked(element: etree._Element) -> bool:
    return any(ancestor.tag == f"{{{TEXT}}}tracked-changes" for ancestor in element.iterancestors())


def by_author(changes: tuple[TrackedChange, ...]) -> list[tuple[str, list[TrackedChange]]]:
    """The changes grouped by author, in the order each author first appears."""
    groups: dict[str, list[TrackedChange]] = {}
    for change in changes:
        groups.setdefault(change.author, []).append(change)
    return list(groups.items())


MAX_AUTHORS = 12  # authors credited one commit each; a file with more is credited in one commit
_PARTS = ("word/document.xml", "word/footnotes.xml", "word/endnotes.xml")


def _join_next(paragraph: etree._Element) -> None:
    """Move the next paragraph's runs to the end of ``paragraph`` (its mark removed), keeping
    ``paragraph``'s properties; nothing when no paragraph follows in the same container."""
    following = paragraph.getnext()
    if following is None or following.tag != f"{{{W}}}p":
        return
    for child in list(following):
        if child.tag != f"{{{W}}}pPr":
            paragraph.append(child)
    following.getparent().remove(following)


def authors(changes: tuple[TrackedChange, ...]) -> tuple[str, ...]:
    """The authors of ``changes``, in the order each first appears."""
    return tuple(dict.fromkeys(change.author for change in changes))


@dataclass(frozen=True)
class Choice:
    """Which of a file's tracked ``changes`` stay: all but those ``left_out`` (by number; the
    secretariat's choice, per change or per author). Changes that are not listed (a paragraph
    mark's, nested ones) follow their author: they stay unless every listed change of theirs is
    left out."""

    changes: tuple[TrackedChange, ...]
    left_out: frozenset[int] = frozenset()

    @property
    def credited(self) -> tuple[str, ...]:
        """The authors with a change that stays, in the order each first appears."""
        return tuple(dict.fromkeys(change.author for change in self.changes if change.number not in self.left_out))

    @property
    def refused(self) -> frozenset[str]:
        """The authors all of whose listed changes are left out."""
        return frozenset(authors(self.changes)) - frozenset(self.credited)

    @property
    def kept(self) -> tuple[TrackedChange, ...]:
        return tuple(change for change in self.changes if change.number not in self.left_out)

    @property
    def dropped(self) -> tuple[TrackedChange, ...]:
        return tuple(change for change in self.changes if change.number in self.left_out)

    def step(self, count: int) -> Accept:
        """The changes that stay by the first ``count`` credited authors (a proposal's commits)."""
        chosen = frozenset(self.credited[:count])
        return lambda number, author: author in chosen and number not in self.left_out

    def final(self) -> Accept:
        """Every change that stays."""
        refused = self.refused
        return lambda number, author: author not in refused and number not in self.left_out


def resolve(data: bytes, kind: str, accept: Accept) -> bytes:
    """The file with every tracked change that ``accept`` keeps accepted and every other rejected
    (inserted text removed, deleted text back), and no tracked change left: the text as it reads
    with only those changes. Changes are numbered as :func:`read` lists them."""
    from lxml import etree

    from .reference import rewrite

    changes = {}
    counter = iter(range(1 << 30))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in _PARTS if kind == "docx" else ("content.xml",):
            if name in archive.namelist():
                root = safexml.parse(archive.read(name))
                if kind == "docx":
                    numbers = {element: next(counter) for element, _ in _docx(root)}
                    _resolve_docx(root, accept, numbers)
                else:
                    from .tracked_odt import resolve_odt

                    resolve_odt(root, accept, {ident: next(counter) for ident, _ in _odt(root)})
                changes[name] = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return rewrite(data, changes)


def _resolve_docx(root: etree._Element, accept: Accept, numbers: dict[etree._Element, int]) -> None:
    tags = [f"{{{W}}}{name}" for name in _DOCX_KINDS]
    for element in reversed(list(root.iter(*tags))):  # innermost first
        parent = element.getparent()
        if parent is None:
            continue
        name = element.tag.rpartition("}")[2]  # the local name
        number = numbers.get(element)
        accepted = accept(number if number is not None and number < MAX_CHANGES else None,
                          element.get(f"{{{W}}}author", ""))
        keep = (_DOCX_KINDS[name] == "insertion") == accepted
        if parent.tag in (f"{{{W}}}rPr", f"{{{W}}}pPr"):  # a paragraph mark's change
            paragraph = parent.getparent()
            paragraph = paragraph.getparent() if paragraph is not None and parent.tag == f"{{{W}}}rPr" else paragraph
            parent.remove(element)
            if not keep and paragraph is not None and paragraph.tag == f"{{{W}}}p":
                _join_next(paragraph)  # the mark goes: the paragraph runs on into the next one
            continue
        if parent.tag == f"{{{W}}}trPr":  # a table row's: a row inserted and rejected, or deleted and accepted, goes
            row = parent.getparent()
            parent.remove(element)
            if not keep and row is not None and row.getparent() is not None:
                row.getparent().remove(row)
            continue
        if not keep:
            parent.remove(element)  # text that does not stay
            continue
        for node in element.iter(f"{{{W}}}delText", f"{{{W}}}delInstrText"):
            node.tag = f"{{{W}}}t" if node.tag.endswith("delText") else f"{{{W}}}instrText"
        index = parent.index(element)
        for child in reversed(list(element)):
            parent.insert(index, child)
        parent.remove(element)
