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
keeps the record of the revision it came from. Word's (or Writer's) Title paragraph is kept apart
as the page's title (:attr:`Converted.title`), never a line of the text. No Flask, no Git.
"""

from __future__ import annotations

import hashlib
import io
import re
import secrets
import tempfile
import warnings
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import N_, DocumentRefused, DocumentTooLarge, NotADocument
from . import annotations, provenance, safexml, tracked
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
MAX_TITLE = 200  # characters of Word's Title kept (a page name is at most 200 characters)
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
    # (author, Markdown): the text without tracked changes (author ""), then with each credited
    # author's accepted in turn; empty when there are too many authors to tell apart
    steps: tuple[tuple[str, str], ...] = ()
    comments: tuple[annotations.Annotation, ...] = ()  # the file's comments, for threads on the text
    title: str = ""  # Word's Title paragraph: the page's title (its name), never a line of its text
    left_out: tuple[int, ...] = ()  # the tracked changes (numbers) not accepted into the text

    @property
    def choice(self) -> tracked.Choice:
        """Which tracked changes the text holds."""
        return tracked.Choice(self.changes, frozenset(self.left_out))


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


def convert(data: bytes, *, limits: converters.Limits = converters.DEFAULT_LIMITS,
            left_out: frozenset[int] = frozenset()) -> Converted:
    """Check ``data`` and convert it to the wiki's Markdown with its images (not yet named for a page),
    with its tracked changes accepted but those ``left_out`` (numbers, as :func:`tracked.read` lists them).

    pandoc runs through :func:`wiki.office.convert.run_limited` (a child process under ``limits``)
    in a scratch directory, where it extracts the images.
    """
    kind = check_document(data)
    origin = provenance.read(data, kind)
    if origin is not None:  # the wiki's own export: its title page and contents are not the text
        data = provenance.strip_generated(data, kind)
    odt_title = ""
    if kind == "odt":  # pandoc reads Word's Title, not Writer's: take it off here
        odt_title, data = _take_odt_title(data)
    changes = tracked.read(data, kind)
    comments = annotations.read(data, kind)
    choice = tracked.Choice(changes, frozenset(left_out))
    credited = choice.credited
    marker = f"living-wiki-title-{secrets.token_hex(8)}"
    with tempfile.TemporaryDirectory(prefix="wiki-import-") as scratch:

        def text_of(source: bytes, name: str) -> tuple[str, str]:
            return _take_title(_pandoc(source, kind, Path(scratch), name, limits, marker), marker)

        whole = tracked.resolve(data, kind, choice.final()) if changes and (kind == "odt" or left_out) else data
        title, markdown = text_of(whole, "page")
        texts = []  # the text with no tracked change, then with each credited author's accepted in turn
        if 0 < len(credited) <= tracked.MAX_AUTHORS:
            for count in range(len(credited)):
                texts.append(text_of(tracked.resolve(data, kind, choice.step(count)), f"step{count}")[1])
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
        steps = tuple(("" if number == 0 else credited[number - 1], replace_images(text, targets).strip() + "\n")
                      for number, text in enumerate(texts))
        if steps:  # the last author's step is the whole text
            steps += ((credited[-1], markdown.strip() + "\n"),)
    return Converted(kind=kind, markdown=markdown.strip() + "\n", images=images, dropped=tuple(dropped),
                     origin=origin, changes=changes, steps=steps, comments=comments, title=title or odt_title,
                     left_out=tuple(sorted(choice.left_out & {change.number for change in changes})))


def _take_odt_title(data: bytes) -> tuple[str, bytes]:
    """An .odt's first paragraph in Writer's Title style (directly or through an automatic style
    based on it), as ``(its text, the file without it)``; ``("", data)`` when there is none."""
    from lxml import etree

    from .reference import rewrite

    text, style = "urn:oasis:names:tc:opendocument:xmlns:text:1.0", "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        root = safexml.parse(archive.read("content.xml"))
    titles = {"Title"} | {element.get(f"{{{style}}}name") for element in root.iter(f"{{{style}}}style")
                          if element.get(f"{{{style}}}parent-style-name") == "Title"}
    elsewhere = {f"{{{text}}}tracked-changes", f"{{{text}}}note", "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
                 "annotation"}  # deleted text, footnotes, comments: not the document's title
    for paragraph in root.iter(f"{{{text}}}p"):
        if paragraph.get(f"{{{text}}}style-name") in titles and \
                not any(ancestor.tag in elsewhere for ancestor in paragraph.iterancestors()):
            found = " ".join("".join(paragraph.itertext()).split())[:MAX_TITLE]
            if not found:
                continue
            paragraph.getparent().remove(paragraph)  # its tail is whitespace between blocks
            return found, rewrite(data, {"content.xml": etree.tostring(root, xml_declaration=True, encoding="UTF-8")})
    return "", data


def _take_title(markdown: str, marker: str) -> tuple[str, str]:
    """``(title, text)``: the Title line the Lua filter put first (after ``marker``) taken off the text."""
    if not markdown.startswith(marker + " "):
        return "", markdown
    line, _, rest = markdown.partition("\n")
    return " ".join(line[len(marker):].split())[:MAX_TITLE], rest.lstrip("\n")


def _pandoc(data: bytes, kind: str, scratch: Path, name: str, limits: converters.Limits, marker: str = "") -> str:
    """``data`` as the wiki's Markdown, by pandoc in ``scratch`` (images extracted to ``media/``,
    named by their content, so every conversion of the same file names them alike)."""
    source = scratch / f"{name}.{kind}"
    source.write_bytes(data)
    heap = f"-M{max(64, limits.memory_bytes // 2 // 2**20)}m"
    converters.run_limited(
        [converters.pandoc_path(), "+RTS", heap, "-RTS", "--sandbox", "--from", kind,
         "--to", "markdown_strict+pipe_tables+footnotes+four_space_rule", "--wrap=none", "--track-changes=accept",
         "--lua-filter", str(FILTER), "--extract-media=media", "--output", f"{name}.md",
         *([f"--metadata=living-wiki-title-marker:{marker}"] if marker else []), source.name],
        scratch, limits)
    return (scratch / f"{name}.md").read_text(encoding="utf-8", errors="replace").replace("\r\n", "\n")


# Linear: the description's and the path's runs stop at "[" (or "(") where the next image would start
# (with "[^\]]*" a text of unclosed "![x" took 28 s per 80 KB); a description may hold \[ and \].
IMAGE_RE = re.compile(r"!\[([^\[\]\\]*(?:\\.[^\[\]\\]*)*)\]\((media/[^\s()\[\]]+)(?:\s+\"[^\"]*\")?\)")


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
