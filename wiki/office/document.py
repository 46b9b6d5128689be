"""One or many wiki pages as one exportable document: its HTML for WeasyPrint and pandoc, its Markdown.

The pages arrive as the wiki renders them (Markdown → sanitized HTML, wiki links made absolute),
so a PDF looks like the wiki. Here each page's HTML is made fit for a whole document: ids are
prefixed per page (every page has its own ``#description`` and footnote ``1``), every
page opens with a level-1 heading (its title, unless its text opens with one; Word's navigation
pane, PDF bookmarks) while its own headings keep their levels (``##`` is Heading 2), links to pages in
the document become links inside it, images of the wiki's attachments are inlined as ``data:``
URLs (nothing is fetched while converting), blocks written in Arabic get ``dir="rtl"``, and
Python-Markdown's footnotes become real footnotes: CSS ``float: footnote`` for WeasyPrint,
pandoc's own footnote markup for Word and OpenDocument. No Flask, no git.
"""

from __future__ import annotations

import base64
import copy
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from html import escape
from urllib.parse import unquote, urlsplit

import lxml.html
from lxml import etree

from .provenance import Origin
from .xmltree import drop

# Images the converters embed; anything else stays a link with its alternative text.
EMBEDDED_IMAGES = {"image/png", "image/jpeg", "image/gif"}
HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
DIRECTED_BLOCKS = frozenset({"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "td", "th", "blockquote", "dd", "dt"})
_ATTACHMENT_PATH = re.compile(r"\A/(?P<page>.+)/-/attachments/(?P<name>[^/]+)\Z")

# An image of an attachment: (page, file name) -> (MIME type, bytes), or None when absent.
ImageLoader = Callable[[str, str], "tuple[str, bytes] | None"]


@dataclass(frozen=True)
class SourcePage:
    """A wiki page as it enters an export: its path, title, Markdown and sanitized HTML."""

    page: str
    title: str
    text: str
    html: str
    language: str = ""  # the language the text is in, when known (a language version's); else guessed


@dataclass(frozen=True)
class Labels:
    """The words of the title page and contents, in the reader's language (the caller translates)."""

    contents: str = "Contents"
    version: str = ""  # the version's name, when the export was asked for by one ("Chair's draft, 3 May")
    date: str = ""
    commit: str = ""  # e.g. "Commit 3f2a…", in small print
    watermark: str = ""  # "Proposal — not agreed text" on a proposal's revision: every sheet says it
    language: str = "en"
    direction: str = "ltr"


@dataclass(frozen=True)
class ExportDocument:
    """What an exported file contains: a title page, then the pages in order."""

    title: str
    pages: Sequence[SourcePage]
    labels: Labels = field(default_factory=Labels)
    base_url: str = ""  # the wiki's address, for links out of the document
    content_language: str = "en"  # the language pages are written in (CONTENT_LANGUAGE)
    origin: Origin | None = None  # recorded in .docx/.odt files, for their import (issue 28)


@dataclass
class PreparedPage:
    """A page's HTML after :func:`prepare_page`: its anchor, headings (for contents) and notes."""

    anchor: str
    title: str
    body: etree._Element
    headings: list[tuple[int, str, str]]  # (level, id, text)
    notes: list[tuple[str, etree._Element]]  # (note id, <li> of the note)


# --------------------------------------------------------------------------- directions

def first_strong_direction(text: str) -> str | None:
    """``"rtl"`` or ``"ltr"`` from the first letter with a strong direction (as ``dir=auto``)."""
    for character in text:
        kind = unicodedata.bidirectional(character)
        if kind in ("R", "AL"):
            return "rtl"
        if kind == "L":
            return "ltr"
    return None


def text_direction(text: str) -> str:
    """The direction of a page's text: of its first strong letter outside Markdown syntax and links."""
    plain = re.sub(r"\[\[[^\]]*\]\]|\]\([^)]*\)|`[^`]*`|<[^>]*>", " ", text)
    return first_strong_direction(plain) or "ltr"


def text_language(text: str, default: str) -> str:
    """The language a page's fonts are chosen for: Arabic or Chinese when its first letter is in
    that script (a page written in it), else ``default``. Only fonts depend on it."""
    plain = re.sub(r"\[\[[^\]]*\]\]|\]\([^)]*\)|`[^`]*`|<[^>]*>", " ", text)
    for character in plain:
        if character.isalpha():
            name = unicodedata.name(character, "")
            if name.startswith("ARABIC"):
                return "ar"
            if name.startswith("CJK"):
                return "zh"
            return default
    return default


# --------------------------------------------------------------------------- pages

def prepare_page(source: SourcePage, number: int, *, local_pages: dict[str, str], base_url: str,
                 images: ImageLoader, content_language: str = "en", title_heading: bool = True) -> PreparedPage:
    """Turn one page's sanitized HTML into a section of the document (see the module's docstring).

    ``local_pages`` maps the absolute URL of each page in the document to its anchor. Without
    ``title_heading`` (a single page's export, whose title page shows the page's title), the page
    gets no heading of its own and its headings keep their levels: ``#`` is Heading 1.
    """
    prefix = f"p{number}-"
    anchor = f"page-{number}"
    root = lxml.html.fragment_fromstring(source.html or "<p></p>", create_parent="div")
    for element in root.iter():
        if not isinstance(element.tag, str):
            continue
        if element.get("id"):
            element.set("id", prefix + element.get("id"))
        if element.tag == "a" and element.get("href"):
            element.set("href", _link(element.get("href"), prefix, local_pages, base_url))
    for image in list(root.iter("img")):
        _embed(image, base_url, images)
    notes = _take_notes(root)
    first = next((child for child in root if isinstance(child.tag, str)), None)
    if not title_heading and (first is None or first.tag != "h1"):
        root.set("id", anchor)
        headings = [(int(element.tag[1]), element.get("id"), element.text_content().strip())
                    for element in root.iter(*HEADINGS) if element.get("id")]
        return _finish_page(source, root, anchor, source.title, headings, notes, content_language)
    if first is None or first.tag != "h1":  # the page's title opens it; its own headings keep their levels
        heading = lxml.html.Element("h1")
        heading.text = source.title
        root.insert(0, heading)
    page_heading = root[0]
    page_heading.set("id", anchor)
    page_heading.set("class", "page-title")
    headings = []
    for element in root.iter(*HEADINGS):
        if element.get("id"):
            headings.append((int(element.tag[1]), element.get("id"), element.text_content().strip()))
    return _finish_page(source, root, anchor, page_heading.text_content().strip() or source.title, headings, notes,
                        content_language)


def _finish_page(source: SourcePage, root: etree._Element, anchor: str, title: str,
                 headings: list[tuple[int, str, str]], notes: list[tuple[str, etree._Element]],
                 content_language: str) -> PreparedPage:
    """Directions and language of the page's blocks, and the prepared page."""
    page_direction = text_direction(source.text)
    for element in root.iter(*DIRECTED_BLOCKS):  # each block runs its own way (a Chinese line in Arabic)
        direction = first_strong_direction(element.text_content())
        if direction is not None and (direction == "rtl" or page_direction == "rtl"):
            element.set("dir", direction)
    root.set("class", "wiki-page")
    root.set("dir", page_direction)
    root.set("lang", source.language or text_language(source.text, content_language))
    return PreparedPage(anchor=anchor, title=title, body=root, headings=headings, notes=notes)


def _link(href: str, prefix: str, local_pages: dict[str, str], base_url: str) -> str:
    """Where a link in an exported page points: inside the document when it can, else to the wiki."""
    if href.startswith("#"):
        return "#" + prefix + href[1:]
    target, _, fragment = href.partition("#")
    absolute = base_url + target if target.startswith("/") and not target.startswith("//") else target
    if absolute in local_pages:
        return "#" + (prefix_of(local_pages[absolute]) + fragment if fragment else local_pages[absolute])
    return absolute + ("#" + fragment if fragment else "")


def prefix_of(anchor: str) -> str:
    """The id prefix of the page whose anchor is ``anchor`` (``page-3`` → ``p3-``)."""
    return "p" + anchor.removeprefix("page-") + "-"


def _embed(image: etree._Element, base_url: str, images: ImageLoader) -> None:
    """Inline an attachment image as a ``data:`` URL; any other image becomes its alt text as a link."""
    src = image.get("src", "")
    parts = urlsplit(src)
    path = parts.path
    if base_url and src.startswith(base_url):
        path = urlsplit(src[len(base_url):]).path
    match = _ATTACHMENT_PATH.match(path) if (not parts.netloc or src.startswith(base_url)) else None
    loaded = images(unquote(match.group("page")), unquote(match.group("name"))) if match else None
    if loaded is not None and loaded[0] in EMBEDDED_IMAGES:
        mimetype, data = loaded
        image.set("src", f"data:{mimetype};base64,{base64.b64encode(data).decode('ascii')}")
        return
    link = lxml.html.Element("a")
    link.set("href", base_url + src if src.startswith("/") else src)
    link.text = image.get("alt") or src
    link.tail = image.tail
    image.getparent().replace(image, link)


def _take_notes(root: etree._Element) -> list[tuple[str, etree._Element]]:
    """Remove Python-Markdown's footnote list and return its notes (id, ``<li>``) in order."""
    notes: list[tuple[str, etree._Element]] = []
    for block in list(root.iter("div")):
        if "footnote" not in (block.get("class") or "").split():
            continue
        for item in block.iter("li"):
            for back in list(item.iter("a")):
                if "footnote-backref" in (back.get("class") or ""):
                    drop(back)
            for paragraph in item.iter("p"):  # the space Python-Markdown left before the back link
                if len(paragraph):
                    paragraph[-1].tail = (paragraph[-1].tail or "").rstrip() or None
                else:
                    paragraph.text = (paragraph.text or "").rstrip()
            notes.append((item.get("id", ""), item))
        block.getparent().remove(block)
    return notes


def _references(body: etree._Element) -> list[etree._Element]:
    """The footnote references (``<sup>`` around ``a.footnote-ref``) of a page, in order."""
    return [link.getparent() for link in body.iter("a")
            if "footnote-ref" in (link.get("class") or "") and link.getparent().tag == "sup"]


def _note_inline(item: etree._Element) -> etree._Element:
    """A note's content as one inline ``<span class="footnote">`` (for CSS ``float: footnote``)."""
    span = lxml.html.Element("span")
    span.set("class", "footnote")
    blocks = [child for child in item if isinstance(child.tag, str) and child.tag == "p"]
    if not blocks:
        span.text = item.text
        for child in list(item):
            span.append(child)
        return span
    for number, block in enumerate(blocks):
        _append_text(span, (" " if number else "") + (block.text or ""))
        for child in list(block):
            span.append(child)
    return span


def _append_text(element: etree._Element, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


# --------------------------------------------------------------------------- whole documents

def prepare(document: ExportDocument, images: ImageLoader) -> list[PreparedPage]:
    local = {document.base_url + "/" + _url_path(page.page): f"page-{number}"
             for number, page in enumerate(document.pages, start=1)}
    single = len(document.pages) == 1
    return [prepare_page(page, number, local_pages=local, base_url=document.base_url, images=images,
                         content_language=document.content_language, title_heading=not single)
            for number, page in enumerate(document.pages, start=1)]


def _url_path(page: str) -> str:
    from urllib.parse import quote

    return quote(page, safe="/")


def _serialize(element: etree._Element) -> str:
    return etree.tostring(element, encoding="unicode", method="html")


def pdf_html(document: ExportDocument, pages: list[PreparedPage]) -> str:
    """The whole document as HTML for WeasyPrint: title page, contents with page numbers, pages."""
    labels = document.labels
    contents = []
    for page in pages:
        items = [f'<li class="level-{level}"><a href="#{escape(ident)}">{escape(text)}</a></li>'
                 for level, ident, text in page.headings if level <= 2]
        contents.append("\n".join(items))
    sections = []
    for page in pages:
        body = copy.deepcopy(page.body)
        notes = {ident: item for ident, item in page.notes}
        for reference in _references(body):
            link = next(reference.iter("a"))
            note = notes.get(link.get("href", "").lstrip("#"))
            if note is not None:
                inline = _note_inline(copy.deepcopy(note))
                inline.tail = reference.tail
                reference.getparent().replace(reference, inline)
        body.tag = "section"
        sections.append(_serialize(body))
    return f"""<!DOCTYPE html>
<html lang="{escape(labels.language)}" dir="{escape(labels.direction)}">
<head><meta charset="utf-8"><title>{escape(document.title)}</title>
<meta name="generator" content="Living Wiki"></head>
<body>
{f'<div class="watermark">{escape(labels.watermark)}</div>' if labels.watermark else ""}
<section class="title-page">
<h1 class="document-title">{escape(document.title)}</h1>
<p class="document-version">{escape(labels.version)}</p>
<p class="document-date">{escape(labels.date)}</p>
<p class="document-commit">{escape(labels.commit)}</p>
</section>
<nav class="contents"><h2 class="contents-title">{escape(labels.contents)}</h2>
<ol>
{chr(10).join(contents)}
</ol></nav>
{chr(10).join(sections)}
</body></html>"""


def pandoc_html(document: ExportDocument, pages: list[PreparedPage]) -> str:
    """The pages as HTML for pandoc's reader: footnotes in pandoc's own markup (one endnotes list
    for the whole document), right-to-left blocks wrapped in ``<div dir="rtl">`` (which pandoc keeps
    and its docx writer turns into bidi paragraphs). The title page and contents come from pandoc's
    metadata and ``--toc``."""
    sections = []
    endnotes = []
    for page in pages:
        body = copy.deepcopy(page.body)
        notes = {ident: item for ident, item in page.notes}
        prefix = prefix_of(page.anchor)
        for number, reference in enumerate(_references(body), start=1):
            link = next(reference.iter("a"))
            note = notes.get(link.get("href", "").lstrip("#"))
            if note is None:
                continue
            ident = f"{prefix}fn{number}"
            anchor = lxml.html.Element("a")
            anchor.attrib.update({"href": f"#{ident}", "class": "footnote-ref", "id": f"{prefix}fnref{number}",
                                  "role": "doc-noteref"})
            sup = lxml.html.Element("sup")
            sup.text = str(number)
            anchor.append(sup)
            anchor.tail = reference.tail
            reference.getparent().replace(reference, anchor)
            item = copy.deepcopy(note)
            item.attrib.clear()
            item.set("id", ident)
            endnotes.append(_serialize(item))
        for element in list(body.iter(*DIRECTED_BLOCKS)):
            if element.get("dir") == "rtl" and element.tag not in ("li", "td", "th", "dd", "dt"):
                wrapper = lxml.html.Element("div")
                wrapper.set("dir", "rtl")
                element.addprevious(wrapper)
                wrapper.append(element)  # moves it, tail included
                if element.tail:
                    wrapper.tail, element.tail = element.tail, None
        body.attrib.pop("class", None)
        if body.get("dir") != "rtl":
            body.attrib.pop("dir", None)
        sections.append(_serialize(body))
    notes_html = ('<section class="footnotes" role="doc-endnotes"><ol>' + "".join(endnotes) + "</ol></section>"
                  if endnotes else "")
    return f"""<!DOCTYPE html>
<html lang="{escape(document.labels.language)}">
<head><meta charset="utf-8"><title>{escape(document.title)}</title></head>
<body>
{chr(10).join(sections)}
{notes_html}
</body></html>"""


def markdown_text(document: ExportDocument) -> str:
    """The pages' raw Markdown under a metadata block (title, version, date), each page opening
    with its title as a level-1 heading unless its text starts with one. (A single page's export
    is its text exactly as written: the caller sends that.)"""
    head = ["---", f"title: {_yaml(document.title)}"]
    if document.labels.version:
        head.append(f"subtitle: {_yaml(document.labels.version)}")
    if document.labels.date:
        head.append(f"date: {_yaml(document.labels.date)}")
    head.append("---")
    parts = ["\n".join(head)]
    for page in document.pages:
        text = page.text.strip("\n")
        if not text.startswith("# "):
            text = f"# {page.title}\n\n{text}"
        parts.append(f"<!-- {escape(page.page)} -->\n\n{text}")
    return "\n\n".join(parts) + "\n"


def _yaml(value: str) -> str:
    """A YAML double-quoted scalar."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'
