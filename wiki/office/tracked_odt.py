"""Accepting or rejecting an OpenDocument text's tracked changes, one by one, in ``content.xml``.

Writer keeps a change in two places: a ``text:changed-region`` in the ``text:tracked-changes``
block (who, when, and for a deletion the deleted paragraphs) and marks in the text: an insertion is
the text between ``text:change-start`` and ``text:change-end`` (it may run over several
paragraphs, list items or table cells), a deletion a ``text:change`` point where the text was.
Accepting an insertion or rejecting a deletion keeps the text (the deleted paragraphs put back);
rejecting an insertion cuts its range, joining the paragraphs it split; accepting a deletion
drops the point. Format changes are accepted. Afterwards no mark and no region is left, so pandoc
reads plain text. No Flask, no Git.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from lxml import etree

from .xmltree import drop

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
DC = "http://purl.org/dc/elements/1.1/"
MAX_LISTED = 2_000  # as tracked.MAX_CHANGES: later changes are decided by their author alone
_START, _END, _POINT = f"{{{TEXT}}}change-start", f"{{{TEXT}}}change-end", f"{{{TEXT}}}change"
_BLOCKS = frozenset({f"{{{TEXT}}}p", f"{{{TEXT}}}h"})


def resolve_odt(root: etree._Element, accept: Callable[[int | None, str], bool], numbers: dict[str, int]) -> None:
    """Resolve every tracked change of ``root`` (a ``content.xml``): ``accept(number, author)``
    (``number`` from ``numbers``, the listed regions' ids, or ``None``) says which stay."""
    marks: dict[str, list[etree._Element]] = {}
    for mark in list(root.iter(_START, _END, _POINT)):
        marks.setdefault(mark.get(f"{{{TEXT}}}change-id", ""), []).append(mark)
    for block in list(root.iter(f"{{{TEXT}}}tracked-changes")):
        regions = list(block.iter(f"{{{TEXT}}}changed-region"))
        for region in reversed(regions):  # later first: a cut never moves a mark still to resolve before it
            ident = region.get(f"{{{TEXT}}}id") or region.get("{http://www.w3.org/XML/1998/namespace}id") or ""
            change = next((child for child in region if isinstance(child.tag, str)), None)
            if change is None:
                continue
            kind = etree.QName(change).localname
            creator = change.find(f"{{{OFFICE}}}change-info/{{{DC}}}creator")
            number = numbers.get(ident)
            accepted = kind == "format-change" or accept(
                number if number is not None and number < MAX_LISTED else None,
                creator.text or "" if creator is not None else "")
            found = marks.get(ident, [])
            if kind == "insertion" and not accepted:
                start = next((mark for mark in found if mark.tag == _START), None)
                end = next((mark for mark in found if mark.tag == _END), None)
                if start is not None and end is not None:
                    _cut(start, end)
            elif kind == "deletion" and not accepted:
                for point in (mark for mark in found if mark.tag == _POINT):
                    _put_back(point, [child for child in change if child.tag != f"{{{OFFICE}}}change-info"])
            for mark in found:
                if mark.getparent() is not None:
                    drop(mark)
        block.getparent().remove(block)
    for mark in list(root.iter(_START, _END, _POINT)):  # marks of no region: nothing to resolve
        drop(mark)


def _block_of(element: etree._Element) -> etree._Element | None:
    return next((ancestor for ancestor in element.iterancestors() if ancestor.tag in _BLOCKS), None)


def _cut(start: etree._Element, end: etree._Element) -> None:
    """Remove everything between ``start`` and ``end`` (in document order) and join the paragraph
    the range began in with the one it ended in."""
    top = start.getroottree().getroot()
    first, last = _block_of(start), _block_of(end)
    inside = False
    started_inside: set[etree._Element] = set()
    ended_inside: list[etree._Element] = []
    for event, element in etree.iterwalk(top, events=("start", "end")):
        if event == "start":
            if element is end:
                break
            if inside:
                started_inside.add(element)
                element.text = None
        else:
            if element is start:
                inside = True
                element.tail = None
            elif inside:
                if element in started_inside:
                    ended_inside.append(element)
                element.tail = None
    within = set(ended_inside)
    for element in ended_inside:  # the outermost of those wholly inside the range
        if not any(ancestor in within for ancestor in element.iterancestors()):
            element.getparent().remove(element)
    if first is not None and last is not None and first is not last and last.getparent() is not None:
        _join(first, last)


def _join(first: etree._Element, last: etree._Element) -> None:
    """Move ``last``'s content to the end of ``first``, then remove ``last`` and any container it
    leaves empty (a list item, a list)."""
    if last.text:
        if len(first):
            first[-1].tail = (first[-1].tail or "") + last.text
        else:
            first.text = (first.text or "") + last.text
    for child in list(last):
        first.append(child)
    parent = last.getparent()
    parent.remove(last)
    while parent is not None and len(parent) == 0 and not (parent.text or "").strip() \
            and parent not in first.iterancestors():
        above = parent.getparent()
        if above is None:
            break
        above.remove(parent)
        parent = above


def _put_back(point: etree._Element, deleted: list[etree._Element]) -> None:
    """Put a rejected deletion's paragraphs back where ``point`` stands: the first one's text at the
    point, the others as paragraphs after it (the rest of the point's paragraph after the last);
    whole blocks (tables, lists) after the point's paragraph."""
    if not deleted:
        return
    block = _block_of(point)
    if block is None or not all(element.tag in _BLOCKS for element in deleted):
        anchor = block if block is not None else point
        for element in reversed(deleted):
            anchor.addnext(copy.deepcopy(element))
        return
    head, *rest = [copy.deepcopy(element) for element in deleted]
    if rest and point.getparent() is block:  # split the point's paragraph: its rest follows the last
        tail_part = etree.SubElement(rest[-1], f"{{{TEXT}}}span")
        tail_part.text = point.tail
        point.tail = None
        for sibling in list(point.itersiblings()):
            rest[-1].append(sibling)
        if not tail_part.text:
            rest[-1].remove(tail_part)
        for element in reversed(rest):
            block.addnext(element)
    elif rest:  # a point inside a span: the paragraphs' text joined at it
        for element in rest:
            element.text = " " + (element.text or "")
    _insert_inline(point, [head, *([] if point.getparent() is block else rest)])


def _insert_inline(point: etree._Element, paragraphs: list[etree._Element]) -> None:
    """The content of ``paragraphs`` inserted at ``point`` (before its tail)."""
    for paragraph in paragraphs:
        span = etree.Element(f"{{{TEXT}}}span")
        span.text = paragraph.text
        for child in list(paragraph):
            span.append(child)
        point.addprevious(span)
