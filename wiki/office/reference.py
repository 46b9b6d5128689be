"""The reference documents that give exported .docx and .odt files their styles.

Built from the installed pandoc's own defaults (``pandoc --print-default-data-file reference.docx``)
and patched with lxml, once per process, in memory: Noto fonts for Latin, Cyrillic, Arabic and
Chinese text, the contents on a sheet of their own, each page of the wiki starting on a new sheet
(``finish_docx``: headings themselves never break, so one page's text takes the sheets it needs),
a small-print style for the title page's commit line, and a running header (the document's title
and the current page's heading) with page numbers in the footer. Derived at run time from the
pandoc that converts, so the styles always match its writer and no binary file sits in the
repository; nothing is downloaded.
"""

from __future__ import annotations

import io
import tempfile
import threading
import zipfile
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from lxml import etree

from .convert import Limits, pandoc_path, run_limited

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
R = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES = "http://schemas.openxmlformats.org/package/2006/content-types"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
SVG = "urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"

# Replaced in the exported file's header by the document's title (see ``finish_docx``).
HEADER_PLACEHOLDER = "LIVING-WIKI-RUNNING-HEADER"
BODY_FONT, HEADING_FONT = "Noto Serif", "Noto Sans"
CJK_FONT, ARABIC_FONT = "Noto Sans CJK SC", "Noto Naskh Arabic"

_lock = threading.Lock()


def reference_doc(kind: str) -> bytes:
    """The patched reference document for ``kind`` (``"docx"`` or ``"odt"``), built once per process."""
    with _lock:
        return _build(kind)


@cache
def _build(kind: str) -> bytes:
    result = run_limited([pandoc_path(), "--print-default-data-file", f"reference.{kind}"],
                         Path(tempfile.gettempdir()), Limits(60))
    return _patch_docx(result.stdout) if kind == "docx" else _patch_odt(result.stdout)


def _w(tag: str) -> str:
    return f"{{{W}}}{tag}"


def rewrite(source: bytes, changes: dict[str, bytes]) -> bytes:
    """``source`` (a zip) with the members in ``changes`` replaced or added; ``mimetype`` stays first."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as old, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as new:
        for item in old.infolist():
            data = changes.pop(item.filename, None)
            compress = zipfile.ZIP_STORED if item.filename == "mimetype" else zipfile.ZIP_DEFLATED
            new.writestr(item.filename, old.read(item) if data is None else data, compress_type=compress)
        for name, data in changes.items():
            new.writestr(name, data)
    return out.getvalue()


def _fonts(parent: etree._Element, *, latin: str) -> None:
    """Set ``parent``'s ``w:rFonts`` to the Noto fonts (theme fonts dropped: they would win)."""
    fonts = parent.find(_w("rFonts"))
    if fonts is None:
        fonts = etree.Element(_w("rFonts"))
        parent.insert(0, fonts)
    for attribute in list(fonts.attrib):
        del fonts.attrib[attribute]
    fonts.set(_w("ascii"), latin)
    fonts.set(_w("hAnsi"), latin)
    fonts.set(_w("eastAsia"), CJK_FONT)
    fonts.set(_w("cs"), ARABIC_FONT)


def _page_break_before(style: etree._Element) -> None:
    ppr = style.find(_w("pPr"))
    if ppr is None:
        ppr = etree.SubElement(style, _w("pPr"))
    if ppr.find(_w("pageBreakBefore")) is None:
        ppr.insert(0, etree.Element(_w("pageBreakBefore")))


_HEADER = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:hdr xmlns:w="{W}"><w:p><w:pPr><w:pStyle w:val="Header"/><w:pBdr><w:bottom w:val="single" w:sz="4" w:space="1"
 w:color="999999"/></w:pBdr><w:tabs><w:tab w:val="right" w:pos="9000"/></w:tabs></w:pPr>
<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:t xml:space="preserve">{HEADER_PLACEHOLDER}</w:t></w:r>
<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:tab/></w:r>
<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:fldChar w:fldCharType="begin"/></w:r>
<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:instrText xml:space="preserve"> STYLEREF "Heading 1" </w:instrText></w:r>
<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:fldChar w:fldCharType="separate"/></w:r>
<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:t></w:t></w:r>
<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:fldChar w:fldCharType="end"/></w:r></w:p></w:hdr>"""

_FOOTER = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<w:ftr xmlns:w="{W}"><w:p><w:pPr><w:pStyle w:val="Footer"/><w:jc w:val="center"/></w:pPr>
<w:r><w:fldChar w:fldCharType="begin"/></w:r>
<w:r><w:instrText xml:space="preserve"> PAGE </w:instrText></w:r>
<w:r><w:fldChar w:fldCharType="separate"/></w:r>
<w:r><w:t>1</w:t></w:r>
<w:r><w:fldChar w:fldCharType="end"/></w:r>
<w:r><w:t xml:space="preserve"> / </w:t></w:r>
<w:r><w:fldChar w:fldCharType="begin"/></w:r>
<w:r><w:instrText xml:space="preserve"> NUMPAGES </w:instrText></w:r>
<w:r><w:fldChar w:fldCharType="separate"/></w:r>
<w:r><w:t>1</w:t></w:r>
<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:ftr>"""


_TOC_STYLE = f"""<w:style xmlns:w="{W}" w:type="paragraph" w:styleId="TOC{{level}}"><w:name w:val="toc {{level}}"/>
<w:basedOn w:val="Normal"/><w:next w:val="Normal"/><w:uiPriority w:val="39"/><w:unhideWhenUsed/>
<w:pPr><w:tabs><w:tab w:val="right" w:leader="dot" w:pos="9060"/></w:tabs><w:spacing w:before="60" w:after="60"/>
<w:ind w:left="{{indent}}"/></w:pPr><w:rPr>{{bold}}</w:rPr></w:style>"""


_COMMIT_STYLE = f"""<w:style xmlns:w="{W}" w:type="paragraph" w:customStyle="1" w:styleId="CommitLine">
<w:name w:val="Commit line"/><w:basedOn w:val="Normal"/><w:next w:val="Normal"/>
<w:pPr><w:jc w:val="center"/><w:spacing w:before="480"/></w:pPr><w:rPr><w:color w:val="666666"/><w:sz w:val="16"/>
<w:szCs w:val="16"/></w:rPr></w:style>"""


def _patch_docx(source: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        styles = etree.fromstring(archive.read("word/styles.xml"))
        document = etree.fromstring(archive.read("word/document.xml"))
        rels = etree.fromstring(archive.read("word/_rels/document.xml.rels"))
        types = etree.fromstring(archive.read("[Content_Types].xml"))
    defaults = styles.find(f"{_w('docDefaults')}/{_w('rPrDefault')}/{_w('rPr')}")
    _fonts(defaults, latin=BODY_FONT)
    for style in styles.iter(_w("style")):
        style_id = style.get(_w("styleId"), "")
        rpr = style.find(_w("rPr"))
        if rpr is not None and rpr.find(_w("rFonts")) is not None:
            _fonts(rpr, latin=HEADING_FONT if style_id.startswith(("Heading", "Title", "TOC")) else BODY_FONT)
        if style_id == "TOCHeading":
            _page_break_before(style)
    styles.append(etree.fromstring(_COMMIT_STYLE))
    for level in (1, 2):  # the contents' entries (Word's built-in "toc N" styles, defined here for other readers)
        styles.append(etree.fromstring(_TOC_STYLE.format(level=level, indent=(level - 1) * 440,
                                                         bold='<w:b/>' if level == 1 else "")))
    rels.append(etree.Element(f"{{{PKG_REL}}}Relationship", Id="rIdLivingWikiHeader", Target="header1.xml",
                              Type=f"{R}/header"))
    rels.append(etree.Element(f"{{{PKG_REL}}}Relationship", Id="rIdLivingWikiFooter", Target="footer1.xml",
                              Type=f"{R}/footer"))
    for part, kind in (("header1", "header"), ("footer1", "footer")):
        types.append(etree.Element(f"{{{CONTENT_TYPES}}}Override", PartName=f"/word/{part}.xml",
                                   ContentType=f"application/vnd.openxmlformats-officedocument.wordprocessingml.{kind}+xml"))
    section = document.find(f"{_w('body')}/{_w('sectPr')}")
    header = etree.Element(_w("headerReference"))
    header.set(_w("type"), "default")
    header.set(f"{{{R}}}id", "rIdLivingWikiHeader")
    footer = etree.Element(_w("footerReference"))
    footer.set(_w("type"), "default")
    footer.set(f"{{{R}}}id", "rIdLivingWikiFooter")
    section.insert(0, footer)
    section.insert(0, header)
    size = etree.SubElement(section, _w("pgSz"))  # A4, the UN's paper
    size.set(_w("w"), "11906")
    size.set(_w("h"), "16838")
    margins = etree.SubElement(section, _w("pgMar"))
    for side, value in (("top", "1418"), ("right", "1418"), ("bottom", "1418"), ("left", "1418"),
                        ("header", "709"), ("footer", "709"), ("gutter", "0")):
        margins.set(_w(side), value)
    etree.SubElement(section, _w("titlePg"))  # the title page has no header and no number
    return rewrite(source, {
        "word/styles.xml": etree.tostring(styles, xml_declaration=True, encoding="UTF-8", standalone=True),
        "word/document.xml": etree.tostring(document, xml_declaration=True, encoding="UTF-8", standalone=True),
        "word/_rels/document.xml.rels": etree.tostring(rels, xml_declaration=True, encoding="UTF-8"),
        "[Content_Types].xml": etree.tostring(types, xml_declaration=True, encoding="UTF-8"),
        "word/header1.xml": _HEADER.encode(),
        "word/footer1.xml": _FOOTER.encode(),
    })


def finish_docx(data: bytes, title: str, contents: Sequence[tuple[int, str, str]] = (), *,
                commit_line: str = "", watermark: str = "") -> bytes:
    """Put the document's ``title`` into the running header pandoc copied from the reference, and
    ``contents`` ((level, bookmark, text) of each heading listed) into the contents field as its
    last result: Word recomputes the field with page numbers (pandoc marks it dirty); readers
    that do not update fields (LibreOffice, python-docx) still show the list. Then the title
    page's ``commit_line`` in small print, a new sheet where each wiki page starts (bookmark
    ``page-N``), and the title page and contents marked as generated (:mod:`.provenance`). A
    ``watermark`` is put on the title page and, in red, at the head of every other sheet."""
    escaped = _escape(title).encode()
    changes = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("word/header") and name.endswith(".xml"):
                part = archive.read(name)
                if HEADER_PLACEHOLDER.encode() in part:
                    if watermark and _HEADER_RUN in part:  # the watermark first, bold and red
                        part = part.replace(_HEADER_RUN, _WATERMARK_RUN.format(_escape(watermark)).encode()
                                            + _HEADER_RUN, 1)
                    changes[name] = part.replace(HEADER_PLACEHOLDER.encode(), escaped)
        body = archive.read("word/document.xml")
    if contents:
        body = _fill_contents(body, contents) or body
    changes["word/document.xml"] = _finish_body(body, commit_line, watermark)
    return rewrite(data, changes)


_HEADER_RUN = f'<w:r><w:rPr><w:sz w:val="18"/></w:rPr><w:t xml:space="preserve">{HEADER_PLACEHOLDER}'.encode()
_WATERMARK_RUN = ('<w:r><w:rPr><w:b/><w:color w:val="B00000"/><w:sz w:val="18"/></w:rPr>'
                  '<w:t xml:space="preserve">{} · </w:t></w:r>')


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _watermark_paragraph(watermark: str) -> etree._Element:
    """The watermark's line on the title page: large, bold, red."""
    line = etree.Element(_w("p"))
    paragraph = etree.SubElement(line, _w("pPr"))
    etree.SubElement(paragraph, _w("pStyle")).set(_w("val"), "Watermark")  # known to the import (provenance)
    etree.SubElement(paragraph, _w("jc")).set(_w("val"), "center")
    run = etree.SubElement(line, _w("r"))
    properties = etree.SubElement(run, _w("rPr"))
    etree.SubElement(properties, _w("b"))
    etree.SubElement(properties, _w("color")).set(_w("val"), "B00000")
    etree.SubElement(properties, _w("sz")).set(_w("val"), "32")
    etree.SubElement(run, _w("t")).text = watermark
    return line


def _finish_body(document_xml: bytes, commit_line: str, watermark: str = "") -> bytes:
    root = etree.fromstring(document_xml)
    body = root.find(_w("body"))
    last = None
    for child in body:
        style = child.find(f"{_w('pPr')}/{_w('pStyle')}")
        if child.tag != _w("p") or style is None or style.get(_w("val")) not in {"Title", "Subtitle", "Date"}:
            break
        last = child
    if last is not None and commit_line:
        line = etree.Element(_w("p"))
        etree.SubElement(etree.SubElement(line, _w("pPr")), _w("pStyle")).set(_w("val"), "CommitLine")
        etree.SubElement(etree.SubElement(line, _w("r")), _w("t")).text = commit_line
        last.addnext(line)
        last = line
    if last is not None and watermark:
        last.addnext(_watermark_paragraph(watermark))
    for mark in list(body.iter(_w("bookmarkStart"))):
        if not (mark.get(_w("name")) or "").startswith("page-"):
            continue
        paragraph = next((element for element in mark.itersiblings() if element.tag == _w("p")), None)
        if paragraph is None:
            continue
        properties = paragraph.find(_w("pPr"))
        if properties is None:
            properties = etree.Element(_w("pPr"))
            paragraph.insert(0, properties)
        if properties.find(_w("pageBreakBefore")) is None:
            style = properties.find(_w("pStyle"))
            properties.insert(0 if style is None else 1, etree.Element(_w("pageBreakBefore")))
    from .provenance import mark_docx_generated

    mark_docx_generated(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


def _fill_contents(document_xml: bytes, contents: Sequence[tuple[int, str, str]]) -> bytes | None:
    """``document.xml`` with one paragraph per entry between the TOC field's separator and end."""
    root = etree.fromstring(document_xml)
    for instruction in root.iter(_w("instrText")):
        if not (instruction.text or "").strip().startswith("TOC"):
            continue
        run = instruction.getparent()
        paragraph = run.getparent()
        separator = next((c for c in run if c.tag == _w("fldChar") and c.get(_w("fldCharType")) == "separate"), None)
        end = next((c for c in run if c.tag == _w("fldChar") and c.get(_w("fldCharType")) == "end"), None)
        if paragraph.tag != _w("p") or separator is None or end is None:
            return None
        run.remove(end)  # the field ends in a paragraph of its own, after the entries
        anchor = paragraph
        for level, bookmark, text in contents:
            entry = etree.Element(_w("p"))
            properties = etree.SubElement(entry, _w("pPr"))
            etree.SubElement(properties, _w("pStyle")).set(_w("val"), f"TOC{min(level, 2)}")
            link = etree.SubElement(entry, _w("hyperlink"))
            link.set(_w("anchor"), bookmark)
            etree.SubElement(etree.SubElement(link, _w("r")), _w("t")).text = text
            anchor.addnext(entry)
            anchor = entry
        closing = etree.Element(_w("p"))
        etree.SubElement(etree.SubElement(closing, _w("r")), _w("fldChar")).set(_w("fldCharType"), "end")
        anchor.addnext(closing)
        return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    return None


def _patch_odt(source: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        styles = etree.fromstring(archive.read("styles.xml"))
    faces = styles.find(f"{{{OFFICE}}}font-face-decls")
    for name in (BODY_FONT, HEADING_FONT, CJK_FONT, ARABIC_FONT):
        face = etree.SubElement(faces, f"{{{STYLE}}}font-face")
        face.set(f"{{{STYLE}}}name", name)
        face.set(f"{{{SVG}}}font-family", f"'{name}'")
    for default in styles.iter(f"{{{STYLE}}}default-style"):
        for properties in default.iter(f"{{{STYLE}}}text-properties"):
            properties.set(f"{{{STYLE}}}font-name", BODY_FONT)
            properties.set(f"{{{STYLE}}}font-name-asian", CJK_FONT)
            properties.set(f"{{{STYLE}}}font-name-complex", ARABIC_FONT)
    for style in styles.iter(f"{{{STYLE}}}style"):
        if style.get(f"{{{STYLE}}}name") == "Contents_20_Heading":
            paragraph = style.find(f"{{{STYLE}}}paragraph-properties")
            if paragraph is None:
                paragraph = etree.Element(f"{{{STYLE}}}paragraph-properties")
                style.insert(0, paragraph)
            paragraph.set(f"{{{FO}}}break-before", "page")
        if style.get(f"{{{STYLE}}}name") == "Heading":
            for properties in style.iter(f"{{{STYLE}}}text-properties"):
                properties.set(f"{{{STYLE}}}font-name", HEADING_FONT)
    commit_style = etree.SubElement(styles.find(f"{{{OFFICE}}}styles"), f"{{{STYLE}}}style")
    commit_style.attrib.update({f"{{{STYLE}}}name": "CommitLine", f"{{{STYLE}}}display-name": "Commit line",
                                f"{{{STYLE}}}family": "paragraph", f"{{{STYLE}}}parent-style-name": "Standard"})
    etree.SubElement(commit_style, f"{{{STYLE}}}paragraph-properties").attrib.update({
        f"{{{FO}}}text-align": "center", f"{{{FO}}}margin-top": "8mm"})
    etree.SubElement(commit_style, f"{{{STYLE}}}text-properties").attrib.update({
        f"{{{FO}}}font-size": "8pt", f"{{{FO}}}color": "#666666"})
    for layout in styles.iter(f"{{{STYLE}}}page-layout"):
        properties = layout.find(f"{{{STYLE}}}page-layout-properties")
        if properties is not None:  # A4
            properties.set(f"{{{FO}}}page-width", "210mm")
            properties.set(f"{{{FO}}}page-height", "297mm")
            for side in ("top", "bottom", "left", "right"):
                properties.set(f"{{{FO}}}margin-{side}", "25mm")
        header_style = layout.find(f"{{{STYLE}}}header-style")
        if header_style is not None and len(header_style) == 0:
            etree.SubElement(header_style, f"{{{STYLE}}}header-footer-properties").attrib.update({
                f"{{{FO}}}min-height": "0.4in", f"{{{FO}}}margin-bottom": "0.2in"})
    for master in styles.iter(f"{{{STYLE}}}master-page"):
        if master.find(f"{{{STYLE}}}header") is None:
            header = etree.Element(f"{{{STYLE}}}header")
            master.insert(0, header)
            paragraph = etree.SubElement(header, f"{{{TEXT}}}p")
            etree.SubElement(paragraph, f"{{{TEXT}}}title")
            separator = etree.SubElement(paragraph, f"{{{TEXT}}}span")
            separator.text = " — "
            chapter = etree.SubElement(paragraph, f"{{{TEXT}}}chapter")
            chapter.set(f"{{{TEXT}}}display", "name")
            chapter.set(f"{{{TEXT}}}outline-level", "1")
        for page_number in master.iter(f"{{{TEXT}}}page-number"):
            parent = page_number.getparent()
            page_number.tail = " / "
            count = etree.Element(f"{{{TEXT}}}page-count")
            count.text = "1"
            parent.insert(parent.index(page_number) + 1, count)
    return rewrite(source, {"styles.xml": etree.tostring(styles, xml_declaration=True, encoding="UTF-8")})


def finish_odt(data: bytes, commit_line: str = "", *, watermark: str = "") -> bytes:
    """The title page's ``commit_line`` in small print (after the date), then the ``watermark``
    when there is one, a new sheet where each wiki page starts, and the title page and contents
    marked as generated (:mod:`.provenance`)."""
    from .provenance import mark_odt_generated

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = etree.fromstring(archive.read("content.xml"))
    text = root.find(f"{{{OFFICE}}}body/{{{OFFICE}}}text")
    if commit_line and text is not None:
        last = None
        for child in text:
            if child.tag == f"{{{TEXT}}}p" and child.get(f"{{{TEXT}}}style-name") in {"Title", "Subtitle", "Date"}:
                last = child
            elif last is not None:
                break
        if last is not None:
            line = etree.Element(f"{{{TEXT}}}p")
            line.set(f"{{{TEXT}}}style-name", "CommitLine")
            line.text = commit_line
            last.addnext(line)
            if watermark:
                mark = etree.Element(f"{{{TEXT}}}p")
                mark.set(f"{{{TEXT}}}style-name", "Title")
                mark.text = watermark
                line.addnext(mark)
    _break_before_pages(root)
    mark_odt_generated(root)
    return rewrite(data, {"content.xml": etree.tostring(root, xml_declaration=True, encoding="UTF-8")})


def _break_before_pages(root: etree._Element) -> None:
    """A new sheet where each wiki page of a whole document starts (its heading holds the bookmark
    ``page-N``), through an automatic style derived from the heading's own."""
    automatic = root.find(f"{{{OFFICE}}}automatic-styles")
    derived: dict[str, str] = {}
    for mark in root.iter(f"{{{TEXT}}}bookmark-start"):
        heading = mark.getparent()
        if not (mark.get(f"{{{TEXT}}}name") or "").startswith("page-") or heading.tag != f"{{{TEXT}}}h" \
                or automatic is None:
            continue
        parent = heading.get(f"{{{TEXT}}}style-name", "Heading_20_1")
        if parent not in derived:
            derived[parent] = f"LivingWikiPageStart{len(derived) + 1}"
            style = etree.SubElement(automatic, f"{{{STYLE}}}style")
            style.attrib.update({f"{{{STYLE}}}name": derived[parent], f"{{{STYLE}}}family": "paragraph",
                                 f"{{{STYLE}}}parent-style-name": parent})
            etree.SubElement(style, f"{{{STYLE}}}paragraph-properties").set(f"{{{FO}}}break-before", "page")
        heading.set(f"{{{TEXT}}}style-name", derived[parent])
