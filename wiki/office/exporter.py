"""Write an :class:`~wiki.office.document.ExportDocument` as .pdf, .docx, .odt or .md.

PDF: the wiki's HTML laid out by WeasyPrint with ``pdf.css`` (and the wiki's Pygments colours).
Word and OpenDocument: the same HTML read by pandoc, with a title page from its metadata, a real
contents field (``--toc``), the styles of :mod:`wiki.office.reference`, and the record of where the
file came from (:mod:`wiki.office.provenance`). Markdown: the raw text.
Conversions run in child processes under :class:`~wiki.office.convert.Limits`. No Flask.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from pathlib import Path

from . import convert, document, reference
from .convert import DEFAULT_LIMITS, Converted, Limits
from .document import ExportDocument, ImageLoader

FORMATS = ("docx", "odt", "pdf", "md")
EXTENSIONS = {"docx": "docx", "odt": "odt", "pdf": "pdf", "md": "md"}
HERE = Path(__file__).resolve().parent
PYGMENTS_CSS = HERE.parent / "static" / "pygments.css"

# Progress callbacks: (fraction done 0..1, English stage name marked with N_ by the caller).
Progress = Callable[[float, str], None]


def _no_progress(fraction: float, stage: str) -> None:
    return None


@cache
def stylesheets() -> tuple[str, ...]:
    """The PDF's CSS: the Pygments colours of the wiki (light only), then ``pdf.css``."""
    pygments = PYGMENTS_CSS.read_text(encoding="utf-8").split("@media (prefers-color-scheme: dark)")[0]
    return pygments, (HERE / "pdf.css").read_text(encoding="utf-8")


def export(doc: ExportDocument, fmt: str, *, images: ImageLoader, limits: Limits = DEFAULT_LIMITS,
           progress: Progress = _no_progress) -> Converted:
    """``doc`` as a file in ``fmt`` (one of :data:`FORMATS`).

    :raises ValueError: an unknown format (callers check first).
    :raises convert.ConversionError: the converter failed or ran out of time or memory.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}")
    if fmt == "md":
        return Converted(document.markdown_text(doc).encode("utf-8"))
    progress(0.1, "Preparing the pages")
    pages = document.prepare(doc, images)
    progress(0.4, "Converting")
    if fmt == "pdf":
        return convert.html_to_pdf(document.pdf_html(doc, pages), stylesheets=stylesheets(), limits=limits)
    data = convert.pandoc(document.pandoc_html(doc, pages), from_format="html", to_format=fmt,
                          args=pandoc_args(doc, fmt), files={f"reference.{fmt}": reference.reference_doc(fmt)},
                          limits=limits)
    contents = [(level, ident, text) for page in pages for level, ident, text in page.headings if level <= 2]
    return Converted(finish(doc, fmt, data, contents))


def pandoc_args(doc: ExportDocument, fmt: str) -> list[str]:
    """pandoc's options for a .docx or .odt of ``doc``: title page from metadata, contents, styles."""
    labels = doc.labels
    args = ["--standalone", "--toc", "--toc-depth=2", f"--reference-doc=reference.{fmt}",
            f"--metadata=title:{doc.title}", f"--metadata=toc-title:{labels.contents}",
            f"--metadata=lang:{labels.language}"]
    if labels.version:
        args.append(f"--metadata=subtitle:{labels.version}")
    if labels.date:
        args.append(f"--metadata=date:{labels.date}")
    if doc.origin is not None:
        args.extend(doc.origin.metadata())
    return args


def finish(doc: ExportDocument, fmt: str, data: bytes, contents: list[tuple[int, str, str]]) -> bytes:
    """pandoc's .docx or .odt with the wiki's running header, contents, commit line and watermark."""
    labels = doc.labels
    if fmt == "docx":
        return reference.finish_docx(data, doc.title, contents, commit_line=labels.commit,
                                     watermark=labels.watermark)
    return reference.finish_odt(data, labels.commit, watermark=labels.watermark)
