"""Edits of lxml trees that the export (``document``) and the tracked-change import (``tracked_odt``)
both make. No Flask, no Git."""

from __future__ import annotations

from lxml import etree


def drop(element: etree._Element) -> None:
    """Remove ``element`` but keep its tail text where it was (on the previous sibling or the parent)."""
    parent = element.getparent()
    if element.tail:
        previous = element.getprevious()
        if previous is not None:
            previous.tail = (previous.tail or "") + element.tail
        else:
            parent.text = (parent.text or "") + element.tail
    parent.remove(element)
