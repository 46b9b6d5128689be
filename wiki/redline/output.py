"""A redline as a Word file with tracked changes, or as a PDF with changes coloured by group.

Word: pandoc writes the ``insertion``/``deletion`` spans as ``w:ins``/``w:del`` runs; lxml then
marks the paragraphs inserted or deleted whole (``w:pPr/w:rPr/w:ins|w:del``, which pandoc's writer
does not do, so accepting or rejecting them removes the paragraph too) and numbers every change
uniquely. PDF: pandoc's HTML of the same redline in a page of our own with a legend (each group's
colour and users), insertions underlined and deletions struck through in the group's colour, and
a bar in the margin beside every changed block; WeasyPrint lays it out in a child process. The
styles of :mod:`wiki.office.reference` give the .docx the wiki's fonts and heading styles.
"""

from __future__ import annotations

import io
import json
import zipfile
from html import escape
from typing import Any

from lxml import etree

from ..office import convert, reference
from . import Legend, Redline

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
NS = {"w": W}
PANDOC_API = [1, 23, 1, 1]
# Colours of the groups (by their order in GROUPS), readable on white, told apart in grey too.
COLOURS = ("#1b6ac9", "#b5161b", "#1e7b34", "#8a3ab9", "#b35c00", "#00796b", "#5d4037", "#c2185b")
PDF_CSS = """
@page { size: A4; margin: 22mm 20mm 22mm 26mm;
        @bottom-center { content: counter(page) " / " counter(pages); font-size: 9pt; color: #555; } }
body { font-family: "Noto Serif", "Noto Naskh Arabic", "Noto Sans CJK SC", serif; font-size: 10.5pt;
       line-height: 1.45; }
h1, h2, h3, h4, h5, h6 { font-family: "Noto Sans", "Noto Sans CJK SC", sans-serif; }
.redline-title { font-size: 16pt; margin: 0 0 2mm; }
.redline-range { color: #444; margin: 0 0 4mm; }
.legend { border: 1px solid #bbb; padding: 2mm 4mm; margin: 0 0 6mm; font-size: 9.5pt; }
.legend ul { list-style: none; padding: 0; margin: 1mm 0; }
.legend li { margin: 1mm 0; }
.swatch { display: inline-block; width: 8mm; height: 3mm; margin-inline-end: 2mm; vertical-align: middle; }
.insertion { text-decoration: underline; text-decoration-thickness: 1.5pt; }
.deletion { text-decoration: line-through; text-decoration-thickness: 1.2pt; opacity: 0.85; }
.changed { position: relative; }
.changed::before { content: ""; position: absolute; left: -7mm; top: 0; bottom: 0; border-left: 2.5pt solid #222; }
table { border-collapse: collapse; } td, th { border: 1px solid #999; padding: 1mm 2mm; vertical-align: top; }
pre, code { font-family: "Noto Sans Mono", monospace; font-size: 9pt; }
""" + "".join(f".g{index} {{ color: {colour}; }} .swatch.g{index} {{ background: {colour}; }}\n"
               for index, colour in enumerate(COLOURS))


def _document(blocks: list[Any]) -> str:
    return json.dumps({"pandoc-api-version": PANDOC_API, "meta": {}, "blocks": blocks}, ensure_ascii=False)


# A proposal's text: repeated on every sheet (position: fixed), faint, across the page.
WATERMARK_CSS = (".watermark { position: fixed; top: 40%; left: 0; right: 0; text-align: center; font-size: 36pt; "
                 "font-weight: bold; color: rgba(180, 0, 0, 0.18); transform: rotate(-30deg); z-index: -1; }")


def to_docx(redline: Redline, *, title: str, limits: convert.Limits = convert.DEFAULT_LIMITS,
            watermark: str = "") -> bytes:
    """The redline as a .docx whose tracked changes name the group and user and carry the date
    (with a ``watermark`` under the title and in every sheet's header, for a proposal's text)."""
    data = convert.pandoc(_document(redline.docx_blocks), from_format="json", to_format="docx",
                          args=["--reference-doc=reference.docx", f"--metadata=title:{title}"],
                          files={"reference.docx": reference.reference_doc("docx")}, limits=limits)
    return mark_paragraphs(reference.finish_docx(data, title, watermark=watermark))


def mark_paragraphs(data: bytes) -> bytes:
    """Mark paragraphs (and table rows) whose every run is inserted (deleted) as inserted (deleted)
    paragraphs (rows), and give every tracked change its own id."""
    source = zipfile.ZipFile(io.BytesIO(data))
    root = etree.fromstring(source.read("word/document.xml"))
    for paragraph in root.iter(f"{{{W}}}p"):
        runs = paragraph.xpath(".//w:r", namespaces=NS)
        if not runs:
            continue
        for kind in ("ins", "del"):
            changes = [run.xpath(f"ancestor::w:{kind}[1]", namespaces=NS) for run in runs]
            if all(changes):
                first = changes[0][0]
                properties = paragraph.find(f"{{{W}}}pPr")
                if properties is None:
                    properties = etree.Element(f"{{{W}}}pPr")
                    paragraph.insert(0, properties)
                run_properties = properties.find(f"{{{W}}}rPr")
                if run_properties is None:
                    run_properties = etree.SubElement(properties, f"{{{W}}}rPr")
                mark = etree.SubElement(run_properties, f"{{{W}}}{kind}")
                mark.set(f"{{{W}}}author", first.get(f"{{{W}}}author", ""))
                mark.set(f"{{{W}}}date", first.get(f"{{{W}}}date", ""))
                break
    for row in root.iter(f"{{{W}}}tr"):  # rows inserted or deleted whole: Word's row marks
        runs = row.xpath(".//w:r", namespaces=NS)
        for kind in ("ins", "del"):
            changes = [run.xpath(f"ancestor::w:{kind}[1]", namespaces=NS) for run in runs]
            if runs and all(changes):
                properties = row.find(f"{{{W}}}trPr")
                if properties is None:
                    properties = etree.Element(f"{{{W}}}trPr")
                    row.insert(1 if row.find(f"{{{W}}}tblPrEx") is not None else 0, properties)
                mark = etree.SubElement(properties, f"{{{W}}}{kind}")
                mark.set(f"{{{W}}}author", changes[0][0].get(f"{{{W}}}author", ""))
                mark.set(f"{{{W}}}date", changes[0][0].get(f"{{{W}}}date", ""))
                break
    for number, change in enumerate(root.xpath("//w:ins|//w:del", namespaces=NS), start=1):
        change.set(f"{{{W}}}id", str(number))
    document = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, document if info.filename == "word/document.xml" else source.read(info))
    return output.getvalue()


def to_html(redline: Redline, *, title: str, subtitle: str, legend_title: str, inserted: str, deleted: str,
            language: str = "en", direction: str = "ltr", content_language: str = "en",
            limits: convert.Limits = convert.DEFAULT_LIMITS, watermark: str = "") -> str:
    """The PDF's HTML: a title, the range, the legend (in the reader's ``language``), then the
    redline (pandoc's HTML, escaped text) in the pages' own language and direction."""
    content_direction = "rtl" if content_language == "ar" else "ltr"
    body = convert.pandoc(_document(redline.pdf_blocks), from_format="json", to_format="html",
                          args=["--wrap=none"], limits=limits).decode("utf-8")
    mark = f'<div class="watermark">{escape(watermark)}</div>' if watermark else ""
    return (f'<!doctype html><html lang="{escape(language)}" dir="{escape(direction)}"><head><meta charset="utf-8">'
            f"<title>{escape(title)}</title><style>{PDF_CSS}{WATERMARK_CSS if watermark else ''}</style></head><body>"
            f"{mark}"
            f'<h1 class="redline-title">{escape(title)}</h1><p class="redline-range">{escape(subtitle)}</p>'
            f"{legend_html(redline.legend, legend_title, inserted, deleted)}"
            f'<div lang="{escape(content_language)}" dir="{content_direction}">{body}</div></body></html>')


def legend_html(legend: Legend, heading: str, inserted: str, deleted: str) -> str:
    items = []
    for _slug, (name, colour, users) in sorted(legend.entries.items(), key=lambda item: item[1][1]):
        people = ", ".join(sorted(users))
        items.append(f'<li><span class="swatch g{colour % 8}"></span><strong class="g{colour % 8}">{escape(name)}'
                     f"</strong>{' (' + escape(people) + ')' if people else ''}</li>")
    return (f'<section class="legend"><strong>{escape(heading)}</strong><ul>{"".join(items)}</ul>'
            f'<p><span class="insertion">{escape(inserted)}</span> · <span class="deletion">{escape(deleted)}'
            "</span></p></section>")


def to_pdf(html: str, *, limits: convert.Limits = convert.DEFAULT_LIMITS) -> bytes:
    return convert.html_to_pdf(html, limits=limits).data
