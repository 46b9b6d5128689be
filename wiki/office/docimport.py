"""Word (.docx) and OpenDocument text (.odt) files turned into a page's Markdown and its images.

A file is judged by its bytes, never its name: an OLE compound file (an encrypted Word file or an
old binary .doc), a zip that is not a Word or OpenDocument text (its ``[Content_Types].xml`` or
``mimetype``), one with macros (``vbaProject.bin``, a macro-enabled content type, ODF ``Basic/``
or ``Scripts/``), encrypted members, a zip bomb (declared and actual unpacked sizes and ratios are
checked, streaming, before pandoc unpacks anything) and images of too many pixels are refused
with a message. pandoc then converts it (tracked changes accepted: the import is the file's final
text) in a child process with a time and memory limit; a Lua filter keeps images plain and table
headers real. Images become attachments named by their content, so importing the same file again
reuses them. A file the wiki exported (:mod:`.provenance`) loses its title page and contents and
keeps the record of the revision it came from. No Flask, no Git.
"""

from __future__ import annotations

import hashlib
import io
import re
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import N_, DocumentRefused, DocumentTooLarge, NotADocument
from . import annotations, provenance, tracked
from . import convert as converters
from .provenance import Origin

OLE_HEADER = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
MAX_MEMBERS = 5_000
MAX_UNPACKED_BYTES = 200 * 1024 * 1024  # everything in the zip, declared and actual
MAX_RATIO = 200  # uncompressed / compressed, for members over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_PIXELS = 40_000_000  # width × height of one image
MAX_IMAGES = 1_000  # images in one document: each becomes an attachment of the page, in one commit
IMAGE_KINDS = {"PNG": "png", "JPEG": "jpg", "GIF": "gif", "WEBP": "webp"}
FILTER = Path(__file__).with_name("docimport.lua")
_CHUNK = 1 << 16
ATTACHMENT_PREFIX = "attachment:"  # images point here until the page they will be attached to is known


@dataclass(frozen=True)
class Converted:
    """A converted document: its Markdown, the images to attach (name: bytes), and what was left out."""

    kind: str
    markdown: str
    images: dict[str, bytes] = field(default_factory=dict)
    dropped: tuple[str, ...] = ()
    origin: Origin | None = None  # what a file the wiki exported says it was made from (unchecked)
    changes: tuple[tracked.TrackedChange, ...] = ()  # its tracked changes, in document order
    # (author, Markdown): the text without tracked changes (author ""), then with each author's
    # accepted in turn; empty when they cannot be told apart (an .odt, too many authors)
    steps: tuple[tuple[str, str], ...] = ()
    comments: tuple[annotations.Annotation, ...] = ()  # the file's comments, for threads on the text


def check_document(data: bytes) -> str:
    """``"docx"`` or ``"odt"`` for an acceptable upload; raise a :class:`DocumentRefused` saying why not."""
    if data.startswith(OLE_HEADER):
        raise DocumentRefused(N_("This file is encrypted (password-protected) or an old binary Word .doc. Save it "
                                 "as .docx or .odt without a password and import that."))
    if not data.startswith(b"PK\x03\x04"):
        raise NotADocument(N_("This file is not a Word (.docx) or OpenDocument text (.odt) document."))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_sizes(infos)
            names = {info.filename for info in infos}
            kind = _kind(archive, names)
            _check_macros(archive, names, kind)
            _check_unpacked(archive, infos)
            _check_images(archive, infos, kind)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, NotImplementedError, ValueError, OSError,
            RuntimeError, UnicodeDecodeError) as error:
        raise DocumentRefused(N_("This file is damaged and cannot be read as a document (%(detail)s)."),
                              detail=str(error)[:120]) from None
    return kind


def _check_sizes(infos: list[zipfile.ZipInfo]) -> None:
    if len(infos) > MAX_MEMBERS:
        raise DocumentTooLarge(N_("The document holds more than %(count)s files; it cannot be imported."),
                               count=MAX_MEMBERS)
    if sum(info.file_size for info in infos) > MAX_UNPACKED_BYTES:
        raise DocumentTooLarge(N_("The document unpacks to more than %(size)s MB; it cannot be imported."),
                               size=MAX_UNPACKED_BYTES // (1024 * 1024))
    for info in infos:
        if info.flag_bits & 0x1:
            raise DocumentRefused(N_("Parts of this file are encrypted. Save it without a password and import "
                                     "that."))
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise DocumentTooLarge(N_("The document is compressed suspiciously well (a zip bomb?); it cannot be "
                                      "imported."))


def _kind(archive: zipfile.ZipFile, names: set[str]) -> str:
    if "mimetype" in names and archive.getinfo("mimetype").file_size <= 200:
        mimetype = archive.read("mimetype").strip()
        if mimetype == ODT_MIMETYPE and "content.xml" in names:
            manifest = _small(archive, "META-INF/manifest.xml") if "META-INF/manifest.xml" in names else ""
            if "encryption-data" in manifest:
                raise DocumentRefused(N_("This file is encrypted (password-protected). Save it without a "
                                         "password and import that."))
            return "odt"
    if "[Content_Types].xml" in names:
        types = _small(archive, "[Content_Types].xml")
        if "macroEnabled" in types or "vbaProject" in types:
            raise DocumentRefused(N_("This document contains macros (a .docm file). Save it as a .docx without "
                                     "macros and import that."))
        if DOCX_MAIN in types and "word/document.xml" in names:
            return "docx"
    raise NotADocument(N_("This file is not a Word (.docx) or OpenDocument text (.odt) document."))


def _small(archive: zipfile.ZipFile, name: str) -> str:
    info = archive.getinfo(name)
    if info.file_size > 1024 * 1024:
        raise DocumentRefused(N_("The part %(name)s of this document is too large."), name=name)
    return archive.read(info).decode("utf-8", "replace")


def _check_macros(archive: zipfile.ZipFile, names: set[str], kind: str) -> None:
    lowered = {name.lower() for name in names}
    macro = any(name.endswith(("vbaproject.bin", "vbadata.xml")) for name in lowered)
    if kind == "odt":
        macro |= any(name.startswith(("basic/", "scripts/")) and not name.endswith("/") for name in lowered)
    if macro:
        raise DocumentRefused(N_("This document contains macros. Save it without macros and import that."))


def _check_unpacked(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> None:
    """Unpack every member as a stream, counting: more than declared, or than the limit, is refused."""
    total = 0
    for info in infos:
        size = 0
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                size += len(chunk)
                total += len(chunk)
                if size > info.file_size or total > MAX_UNPACKED_BYTES:
                    raise DocumentTooLarge(N_("The document unpacks to more than it says (a zip bomb?); it cannot "
                                              "be imported."))


def _image_size(data: bytes) -> tuple[str, int, int] | None:
    """``(format, width, height)`` read from an image's header by Pillow, or ``None`` if not an image."""
    from PIL import Image

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(io.BytesIO(data)) as image:
                return image.format or "", image.width, image.height
        except Image.DecompressionBombError:
            return "huge", MAX_PIXELS, MAX_PIXELS
        except Exception:  # noqa: BLE001 (Pillow's plugins raise anything on hostile headers, e.g. WMF: ZeroDivisionError)
            return None


def _check_images(archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], kind: str) -> None:
    """Not too many images (counted before pandoc, which takes long over thousands), none too large."""
    folders = ("word/media/",) if kind == "docx" else ("pictures/", "media/")
    images = [info for info in infos if not info.is_dir() and info.filename.lower().startswith(folders)]
    if len(images) > MAX_IMAGES:
        raise DocumentTooLarge(N_("The document holds %(count)s images; a page may get at most %(limit)s. Split the "
                                  "document and import each part as its own page."),
                               count=len(images), limit=MAX_IMAGES)
    for info in images:
        found = _image_size(archive.read(info))
        if found is not None and found[1] * found[2] > MAX_PIXELS:
            raise DocumentTooLarge(N_("The image %(name)s is %(width)s × %(height)s pixels; images may have at most "
                                      "%(limit)s million pixels."), name=info.filename.rpartition("/")[2],
                                   width=found[1], height=found[2], limit=MAX_PIXELS // 1_000_000)


def convert(data: bytes, *, limits: converters.Limits = converters.DEFAULT_LIMITS) -> Converted:
    """Check ``data`` and convert it to the wiki's Markdown with its images (not yet named for a page).

    pandoc runs through :func:`wiki.office.convert.run_limited` (a child process under ``limits``)
    in a scratch directory, where it extracts the images.
    """
    kind = check_document(data)
    origin = provenance.read(data, kind)
    if origin is not None:  # the wiki's own export: its title page and contents are not the text
        data = provenance.strip_generated(data, kind)
    changes = tracked.read(data, kind)
    comments = annotations.read(data, kind)
    with tempfile.TemporaryDirectory(prefix="wiki-import-") as scratch:
        markdown = _pandoc(data, kind, Path(scratch), "page", limits)
        who = tracked.authors(changes)
        texts = []  # the text with no tracked change, then with each author's accepted in turn
        if kind == "docx" and 0 < len(who) <= tracked.MAX_AUTHORS:
            for count in range(len(who)):
                texts.append(_pandoc(tracked.with_authors_accepted(data, frozenset(who[:count])), kind,
                                     Path(scratch), f"step{count}", limits))
        images: dict[str, bytes] = {}
        dropped: list[str] = []
        targets: dict[str, str | None] = {}  # the path pandoc wrote each image to: its attachment, or None
        media = Path(scratch) / "media"
        for file in sorted(media.rglob("*")) if media.is_dir() else ():
            if not file.is_file():
                continue
            blob = file.read_bytes()
            found = _image_size(blob)
            extension = IMAGE_KINDS.get(found[0]) if found else None
            if extension is None:  # EMF, WMF, TIFF...: not something a browser shows
                dropped.append(file.name)
                targets[file.relative_to(scratch).as_posix()] = None
                continue
            name = f"image-{hashlib.sha256(blob).hexdigest()[:12]}.{extension}"
            images[name] = blob
            targets[file.relative_to(scratch).as_posix()] = name
        markdown = replace_images(markdown, targets)
        steps = tuple(("" if number == 0 else who[number - 1], replace_images(text, targets).strip() + "\n")
                      for number, text in enumerate(texts))
        if steps:  # the last author's step is the whole text
            steps += ((who[-1], markdown.strip() + "\n"),)
    return Converted(kind=kind, markdown=markdown.strip() + "\n", images=images, dropped=tuple(dropped),
                     origin=origin, changes=changes, steps=steps, comments=comments)


def _pandoc(data: bytes, kind: str, scratch: Path, name: str, limits: converters.Limits) -> str:
    """``data`` as the wiki's Markdown, by pandoc in ``scratch`` (images extracted to ``media/``,
    named by their content, so every conversion of the same file names them alike)."""
    source = scratch / f"{name}.{kind}"
    source.write_bytes(data)
    heap = f"-M{max(64, limits.memory_bytes // 2 // 2**20)}m"
    converters.run_limited(
        [converters.pandoc_path(), "+RTS", heap, "-RTS", "--sandbox", "--from", kind,
         "--to", "markdown_strict+pipe_tables+footnotes+four_space_rule", "--wrap=none", "--track-changes=accept",
         "--lua-filter", str(FILTER), "--extract-media=media", "--output", f"{name}.md", source.name],
        scratch, limits)
    return (scratch / f"{name}.md").read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")


IMAGE_RE = re.compile(r"!\[([^\]]*)\]\((media/[^\s)]+)(?:\s+\"[^\"]*\")?\)")


def replace_images(markdown: str, targets: dict[str, str | None]) -> str:
    """Point each image pandoc extracted to its attachment (a placeholder the caller fills with the
    page's URL), or drop it when it cannot be kept (its alternative text stays). One pass over
    the text, whatever the number of images."""

    def replace(match: re.Match[str]) -> str:
        path = match.group(2)
        if path not in targets:
            return match.group(0)
        name = targets[path]
        return match.group(1) if name is None else f"![{match.group(1)}]({ATTACHMENT_PREFIX}{name})"

    return IMAGE_RE.sub(replace, markdown)


def for_page(converted: Converted, attachments_url: str) -> str:
    """The Markdown with its images pointing at ``attachments_url`` + name (the page's attachments)."""
    return link_images(converted.markdown, attachments_url)


def link_images(markdown: str, attachments_url: str) -> str:
    """``markdown`` (of a conversion) with its images pointing at ``attachments_url`` + name."""
    return markdown.replace(f"]({ATTACHMENT_PREFIX}", f"]({attachments_url}")
