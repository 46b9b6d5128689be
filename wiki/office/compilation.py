"""A call's compilation as Word or OpenDocument, converted by pandoc straight from its Markdown.

Issue 30: a call of 500 responses makes ~7 MB of Markdown. Rendering it to HTML and having pandoc
read the HTML (the path of page exports) took ~18 s of CPU and over 1 GB; pandoc's Markdown reader
takes a third of that. So what the HTML path did is done on the Markdown here: wiki links become
links into the wiki, headings get the bookmarks the contents field points at (``page-1`` for the
title, ``question-N``), right-to-left paragraphs (or the whole text) go into ``dir="rtl"`` divs,
and in the file, links keep only the schemes the sanitizer allows (others point at the wiki) and
relative ones point into the wiki (a Lua filter would do it at 2 s and 250 MB more); pandoc's
``--sandbox`` fetches no image, so an image is its description. The reader's extensions that
could execute, fetch or swallow text (raw HTML and TeX, YAML blocks, citations, TeX math) are
off: such text stays text, and quotes stay as typed (no ``smart``). No Flask.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from html import escape
from urllib.parse import quote

from ..wikilinks import WIKILINK, link_target
from . import convert, exporter, reference
from .convert import DEFAULT_LIMITS, Limits
from .document import ExportDocument, first_strong_direction, text_direction

ALLOWED_SCHEMES = ("http:", "https:", "mailto:")
READER = ("markdown-yaml_metadata_block-pandoc_title_block-raw_html-raw_tex-raw_attribute-tex_math_dollars"
          "-citations-latex_macros-inline_notes-example_lists-implicit_figures-smart")
_HEADING = re.compile(r"\A(#{1,2}) (.*)\Z")
_DOCX_LINK, _DOCX_TARGET = re.compile(rb"<Relationship [^>]*>"), re.compile(rb'( Target=")([^"]*)(")')
_ODT_LINK, _ODT_TARGET = re.compile(rb"<text:a [^>]*>"), re.compile(rb'( xlink:href=")([^"]*)(")')
_NUMBERED = re.compile(r"(\d+\. )?(.*)", re.DOTALL)  # a question's number stays out of ``plain`` (a list)


def wiki_link(match: re.Match[str], base_url: str) -> str:
    """A ``[[Page]]`` or ``[[Page|label]]`` as a Markdown link to the page in the wiki."""
    target = link_target(match)
    if target is None:
        return match.group(0)
    label = (match.group(2) or match.group(1).strip()).strip()
    href = base_url + "/" + quote(target.page, safe="/")
    if target.fragment:
        href += "#" + re.sub(r"[^\w-]", "", target.fragment.strip().replace(" ", "-"))
    return f"[{label}](<{href}>)"


def pandoc_markdown(text: str, *, base_url: str,
                    plain: Callable[[str], str]) -> tuple[str, list[tuple[int, str, str]]]:
    """The compilation's Markdown for pandoc, and its contents (level, bookmark, text).

    ``text`` is :func:`wiki.actions.call_reading.compilation_markdown`'s, whose only headings are
    its own (the answers' are made bold): the title, then one ``##`` per question. ``plain``
    gives a heading's text without its Markdown (for the contents)."""
    rtl = text_direction(text) == "rtl"
    blocks, contents, questions = [], [], 0
    for block in text.split("\n\n"):
        heading = _HEADING.match(block)
        if heading:
            level = len(heading.group(1))
            questions += level == 2
            ident = "page-1" if level == 1 else f"question-{questions}"
            number, words = _NUMBERED.match(heading.group(2)).groups()
            contents.append((level, ident, (number or "") + plain(words)))
            blocks.append(f"{block} {{#{ident}}}")
            continue
        block = WIKILINK.sub(lambda match: wiki_link(match, base_url), block)
        if not rtl and first_strong_direction(block) == "rtl":
            block = f'::: {{dir="rtl"}}\n{block}\n:::'
        blocks.append(block)
    body = "\n\n".join(blocks)
    if rtl:
        body = f'::: {{dir="rtl"}}\n{body}\n:::\n'
    return body, contents


def export(doc: ExportDocument, fmt: str, text: str, *, plain: Callable[[str], str],
           limits: Limits = DEFAULT_LIMITS) -> bytes:
    """The compilation ``text`` as .docx or .odt, with the title page, contents and styles of the
    page exports (:mod:`wiki.office.exporter`).

    :raises convert.ConversionError: pandoc failed or ran out of time or memory.
    """
    markdown, contents = pandoc_markdown(text, base_url=doc.base_url, plain=plain)
    data = convert.pandoc(markdown, from_format=READER, to_format=fmt, args=exporter.pandoc_args(doc, fmt),
                          files={f"reference.{fmt}": reference.reference_doc(fmt)}, limits=limits)
    return exporter.finish(doc, fmt, safe_links(data, fmt, doc.base_url), contents)


def safe_target(url: str, base_url: str) -> str:
    """Where a link of the file may point: http, https, mailto and fragments as written, relative
    addresses into the wiki, anything else (``javascript:``, ``file:``…) at the wiki itself."""
    from html import unescape

    plain = unescape(url).strip()
    lowered = plain.lower()
    if lowered.startswith(ALLOWED_SCHEMES) or plain.startswith("#"):
        return url
    if re.match(r"[a-z][a-z0-9+.-]*:", lowered) or plain.startswith("//"):
        return base_url + "/"
    return base_url + ("" if plain.startswith("/") else "/") + url


def safe_links(data: bytes, fmt: str, base_url: str) -> bytes:
    """The file with each link's target made :func:`safe_target` (docx: its relationships)."""
    import zipfile

    docx = fmt == "docx"
    member, link, target = ("word/_rels/document.xml.rels", _DOCX_LINK, _DOCX_TARGET) if docx else \
        ("content.xml", _ODT_LINK, _ODT_TARGET)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        part = archive.read(member)
    base = escape(base_url, quote=True)

    def fix_target(match: re.Match[bytes]) -> bytes:
        url = match.group(2).decode("utf-8")
        url = url if docx else url.removeprefix("../")  # pandoc's ODT addresses relative links from the package
        return match.group(1) + safe_target(url, base).encode("utf-8") + match.group(3)

    def fix(match: re.Match[bytes]) -> bytes:
        if docx and b'/relationships/hyperlink"' not in match.group(0):
            return match.group(0)
        return target.sub(fix_target, match.group(0), count=1)

    fixed = link.sub(fix, part)
    return data if fixed == part else reference.rewrite(data, {member: fixed})
