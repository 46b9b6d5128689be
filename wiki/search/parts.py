"""What of a Markdown page the index keeps: its headings, its body as plain text, its wiki links.

Any editor's text is scanned in time linear in its length: the patterns are written so that none
can backtrack (tests/test_search_bounds.py measures each), and scanning never fails: a page the
scanner cannot handle is indexed as plain text. Pure: no Flask, no git, no SQLite.
"""

from __future__ import annotations

import logging
import re

from ..wikilinks import WIKILINK, wiki_links, without_fences

# Pages are at most MAX_PAGE_BYTES (1 MB) when written through the wiki or a push with the hook; a
# longer one (committed around both) is indexed as plain text, cut to this many characters.
MAX_INDEXED_CHARS = 2_000_000

logger = logging.getLogger(__name__)

# The patterns below run on whole pages that anyone with edit rights writes, so each is linear in
# the text: no two parts of a pattern can match the same characters (nothing to backtrack into),
# runs stop at the character that could start the next match, and a line's parts that need more
# than a pattern are done with string methods. tests/test_search_bounds.py measures each.
_HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.*)$", re.MULTILINE)  # the text is stripped of " \t#" after
_MD_LINK = re.compile(r"!?\[([^\[\]\n]*)\]\([^()\n]*\)")
_HTML_TAG = re.compile(r"<[^<>\n]{1,200}>")
# Markdown markup that would show in snippets as noise: quote and list markers, emphasis, table
# rules and pipes, footnote references.
_BLOCK_MARKERS = re.compile(r"^[ \t]*(?:>[ \t]?)*(?:[-*+][ \t]+|\d{1,9}[.)][ \t]+)?", re.MULTILINE)
_TABLE_RULE = re.compile(r"^(?=[ \t|:-]*---)[ \t|:-]*$", re.MULTILINE)  # the lookahead is atomic
_EMPHASIS = re.compile(r"\*{1,3}|_{2,3}|~~")
_FOOTNOTE_REF = re.compile(r"\[\^[^\[\]\n]{1,40}\]:?")


def split_text(text: str) -> tuple[str, str]:
    """``(headings, body)`` of a Markdown page: link targets and markup dropped, code kept as text.

    Time linear in the length of ``text``, whatever it holds.
    """
    headings = " \n".join(heading for match in _HEADING.finditer(without_fences(text))
                          if (heading := match.group(1).rstrip(" \t#")))
    body = _HEADING.sub(" ", text)
    body = WIKILINK.sub(lambda m: (m.group(2) or m.group(1)).replace("_", " "), body)
    body = _MD_LINK.sub(r"\1", body)
    body = _HTML_TAG.sub(" ", body)
    body = _FOOTNOTE_REF.sub("", _TABLE_RULE.sub("", body))
    body = _EMPHASIS.sub("", _BLOCK_MARKERS.sub("", body)).replace("|", " ")
    return headings, body



def indexed_parts(text: str, page: str = "") -> tuple[str, str, set[str]]:
    """``(headings, body, links)`` of a page as the index keeps them.

    Never fails: a page too long, or one the scanning fails on, is indexed as plain text without
    headings or links, so that it is indexed once and no request tries again.
    """
    if len(text) > MAX_INDEXED_CHARS:
        logger.warning("Page %r has %d characters; indexing its start as plain text.", page, len(text))
        return "", text[:MAX_INDEXED_CHARS], set()
    try:
        headings, body = split_text(text)
        return headings, body, wiki_links(text)
    except Exception:
        logger.exception("Could not index page %r; indexing it as plain text.", page)
        return "", text, set()

