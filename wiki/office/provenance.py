"""Where an exported .docx/.odt came from, recorded in the file and read back on import (issue 28).

An export records, as custom document properties (invisible to readers, kept by Word and
LibreOffice when the file is edited and saved): the page(s) it holds (``living-wiki-pages``, one
per line), the commit it was made from (``living-wiki-commit``) and the version name when it was
asked for by one (``living-wiki-version``). Its generated parts (the title page and the contents)
are wrapped in a content control (Word) or a section (OpenDocument) named
:data:`GENERATED`, so an import can take them out and keep only the text; the running headers sit
in header parts, which the import never reads. No Flask, no Git: the import decides whether the
recorded commit is one of this wiki's and the page the one the user chose.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import TYPE_CHECKING

from . import safexml

if TYPE_CHECKING:
    from lxml import etree

PAGES, COMMIT, VERSION = "living-wiki-pages", "living-wiki-commit", "living-wiki-version"
GENERATED = "living-wiki-generated"
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
CUSTOM = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
META = "urn:oasis:names:tc:opendocument:xmlns:meta:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TITLE_PAGE_STYLES = frozenset({"title", "subtitle", "date", "commitline", "watermark"})  # style ids, lower case
MAX_PART_BYTES = 1024 * 1024  # a properties part larger than this is not one the wiki wrote


@dataclass(frozen=True)
class Origin:
    """What an exported file says it was made from (unchecked: a file's properties can be forged)."""

    pages: tuple[str, ...]
    commit: str
    version: str = ""

    def metadata(self) -> list[str]:
        """pandoc ``--metadata`` arguments that write these as custom document properties."""
        args = [f"--metadata={PAGES}:{chr(10).join(self.pages)}", f"--metadata={COMMIT}:{self.commit}"]
        if self.version:
            args.append(f"--metadata={VERSION}:{self.version}")
        return args


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def read(data: bytes, kind: str) -> Origin | None:
    """The origin recorded in a .docx or .odt (``kind``), or ``None`` for a file the wiki did not write."""
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            name = "docProps/custom.xml" if kind == "docx" else "meta.xml"
            if name not in archive.namelist() or archive.getinfo(name).file_size > MAX_PART_BYTES:
                return None
            root = safexml.parse(archive.read(name))
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError):
        return None
    values: dict[str, str] = {}
    if kind == "docx":
        for prop in root.iter(f"{{{CUSTOM}}}property"):
            values[prop.get("name", "")] = "".join(prop.itertext())
    else:
        for prop in root.iter(f"{{{META}}}user-defined"):
            values[prop.get(f"{{{META}}}name", "")] = "".join(prop.itertext())
    commit = values.get(COMMIT, "").strip()
    pages = tuple(line.strip() for line in values.get(PAGES, "").splitlines() if line.strip())
    if not commit or not pages:
        return None
    return Origin(pages=pages, commit=commit, version=values.get(VERSION, "").strip())


def mark_docx_generated(root: etree._Element) -> None:
    """Wrap the title page's paragraphs (Title, Subtitle, Date and the commit line, which open the
    body) in a content control tagged :data:`GENERATED`; tag the contents' content control too."""
    body = root.find(_w("body"))
    title_page = []
    for child in body:
        style = child.find(f"{_w('pPr')}/{_w('pStyle')}")
        if child.tag == _w("p") and style is not None and style.get(_w("val")) in {"Title", "Subtitle", "Date",
                                                                                   "CommitLine", "Watermark"}:
            title_page.append(child)
        else:
            break
    if title_page:
        control = _content_control(root, "Title page")
        title_page[0].addprevious(control)
        content = control.find(_w("sdtContent"))
        for paragraph in title_page:
            content.append(paragraph)
    for properties in body.iter(_w("sdtPr")):
        if properties.find(f"{_w('docPartObj')}/{_w('docPartGallery')}") is not None \
                and properties.find(_w("tag")) is None:
            properties.insert(0, _tag())


def _tag() -> etree._Element:
    from lxml import etree

    tag = etree.Element(_w("tag"))
    tag.set(_w("val"), GENERATED)
    return tag


def _content_control(root: etree._Element, alias: str) -> etree._Element:
    from lxml import etree

    control = etree.Element(_w("sdt"))
    properties = etree.SubElement(control, _w("sdtPr"))
    etree.SubElement(properties, _w("alias")).set(_w("val"), alias)
    properties.append(_tag())
    etree.SubElement(control, _w("sdtContent"))
    return control


def mark_odt_generated(root: etree._Element) -> None:
    """Wrap the title page's paragraphs (styles Title, Subtitle, Date and the commit line) and the
    contents in a section named :data:`GENERATED` (LibreOffice keeps sections)."""
    text = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    if text is None:
        return
    generated = []
    for child in text:
        style = child.get(f"{{{TEXT}}}style-name", "")
        if child.tag == f"{{{TEXT}}}table-of-content" or (child.tag == f"{{{TEXT}}}p" and style in {
                "Title", "Subtitle", "Date", "CommitLine"}):
            generated.append(child)
        elif child.tag in (f"{{{TEXT}}}sequence-decls", f"{{{OFFICE}}}forms") or not generated:
            continue
        else:
            break
    if generated:
        from lxml import etree

        section = etree.Element(f"{{{TEXT}}}section")
        section.set(f"{{{TEXT}}}name", GENERATED)
        generated[0].addprevious(section)
        for element in generated:
            section.append(element)


def _strip_leading_docx(root: etree._Element) -> bool:
    """Drop the title page and contents where an editor kept them but not their mark (LibreOffice
    saves a .docx without the content controls' tags, and the contents' entries after their
    control): the paragraphs of the title page's and contents' styles, the contents' control and
    empty paragraphs that open the body, before any of the text."""
    body = root.find(_w("body"))
    if body is None:
        return False
    removed = False
    for child in list(body):
        style = child.find(f"{_w('pPr')}/{_w('pStyle')}")
        style_id = (style.get(_w("val")) or "").lower() if style is not None else ""
        contents = child.tag == _w("sdt") and child.find(f".//{_w('docPartGallery')}") is not None
        empty = child.tag == _w("p") and not "".join(child.itertext()).strip()
        if contents or empty or (child.tag == _w("p") and (style_id in TITLE_PAGE_STYLES
                                                             or style_id.startswith(("toc", "contents")))):
            body.remove(child)
            removed = True
        elif child.tag in (_w("bookmarkStart"), _w("bookmarkEnd")):
            continue
        else:
            break
    return removed


def strip_generated(data: bytes, kind: str) -> bytes:
    """``data`` without the parts marked :data:`GENERATED` (for an import that keeps only the text)."""
    from lxml import etree

    name = "word/document.xml" if kind == "docx" else "content.xml"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = safexml.parse(archive.read(name))
    removed = False
    if kind == "docx":
        for tag in list(root.iter(_w("tag"))):
            if tag.get(_w("val")) == GENERATED and tag.getparent().tag == _w("sdtPr"):
                control = tag.getparent().getparent()
                if control.getparent() is not None:
                    control.getparent().remove(control)
                    removed = True
        removed |= _strip_leading_docx(root)
    else:
        for section in list(root.iter(f"{{{TEXT}}}section")):
            if section.get(f"{{{TEXT}}}name") == GENERATED and section.getparent() is not None:
                section.getparent().remove(section)
                removed = True
    if not removed:
        return data
    from .reference import rewrite

    return rewrite(data, {name: etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)})
