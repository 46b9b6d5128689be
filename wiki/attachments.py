"""Attachment names and file types, decided by the bytes of the file, not by what the upload claims.

A page's attachments are the files in the folder ``<page>.files/`` beside ``<page>.md`` (see
``names.attachments_folder``). A name is one path part with an extension we accept; the extension
must agree with what the content is (a PNG named ``.pdf`` is refused), and what we send back is
decided by sniffing the stored bytes again, since files can also arrive by ``git push``.

Pure standard library: no Flask, no Git.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from babel.units import format_unit

from .errors import N_, InvalidAttachment, Term, UnsupportedFileType
from .names import BIDI_CONTROLS, FORBIDDEN_CATEGORIES

MAX_NAME_BYTES = 150
# Only these characters, so a name is safe in a URL part, a Content-Disposition header, a Windows
# clone and a shell: letters and digits of any script, and a few punctuation marks.
_NAME_RE = re.compile(r"\A[^\W_][\w.()+,-]*\Z")
_MAX_ZIP_MEMBER_BYTES = 1_000_000


@dataclass(frozen=True)
class FileKind:
    """What a file is: its media type, the extensions it may carry, and whether it may show inline."""

    mimetype: str
    extensions: tuple[str, ...]
    label: str  # in English, marked with N_: translated where it is shown (a Term in messages)
    inline: bool = False


PNG = FileKind("image/png", ("png",), N_("PNG image"), inline=True)
JPEG = FileKind("image/jpeg", ("jpg", "jpeg"), N_("JPEG image"), inline=True)
GIF = FileKind("image/gif", ("gif",), N_("GIF image"), inline=True)
WEBP = FileKind("image/webp", ("webp",), N_("WebP image"), inline=True)
SVG = FileKind("image/svg+xml", ("svg",), N_("SVG image (always downloaded, never shown inline)"))
PDF = FileKind("application/pdf", ("pdf",), N_("PDF document"))
ODT = FileKind("application/vnd.oasis.opendocument.text", ("odt",), N_("OpenDocument text"))
ODS = FileKind("application/vnd.oasis.opendocument.spreadsheet", ("ods",), N_("OpenDocument spreadsheet"))
ODP = FileKind("application/vnd.oasis.opendocument.presentation", ("odp",), N_("OpenDocument presentation"))
DOCX = FileKind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", ("docx",),
                N_("Word document"))
XLSX = FileKind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", ("xlsx",),
                N_("Excel spreadsheet"))
PPTX = FileKind("application/vnd.openxmlformats-officedocument.presentationml.presentation", ("pptx",),
                N_("PowerPoint presentation"))
CSV = FileKind("text/csv", ("csv",), N_("CSV table"))
TEXT = FileKind("text/plain", ("txt", "md", "tsv"), N_("plain text"))
UNKNOWN = FileKind("application/octet-stream", (), N_("unknown file"))

SIZE_UNITS = ("digital-kilobyte", "digital-megabyte", "digital-gigabyte")  # of 1024 each
KINDS = (PNG, JPEG, GIF, WEBP, SVG, PDF, ODT, ODS, ODP, DOCX, XLSX, PPTX, CSV, TEXT)
ACCEPTED_EXTENSIONS = tuple(extension for kind in KINDS for extension in kind.extensions)

_ODF = {kind.mimetype.encode(): kind for kind in (ODT, ODS, ODP)}
_OOXML = {
    "wordprocessingml.document.main+xml": DOCX,
    "spreadsheetml.sheet.main+xml": XLSX,
    "presentationml.presentation.main+xml": PPTX,
}


def check_name(raw: str) -> str:
    """The canonical attachment name for ``raw`` (spaces become ``_``, NFC) or raise InvalidAttachment.

    Never rewritten silently beyond that: a path, a control character or an unknown extension is
    refused with a message saying why.
    """
    if not isinstance(raw, str):
        raise InvalidAttachment(N_("An attachment name must be text."))
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidAttachment(N_("The attachment has no file name."))
    if "/" in name or "\\" in name:
        raise InvalidAttachment(N_("An attachment name cannot contain '/' or '\\' (no folders or paths)."))
    for char in name:
        if char in BIDI_CONTROLS or unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            raise InvalidAttachment(N_("The character U+%(code)s is not allowed in an attachment name."),
                                    code=format(ord(char), '04X'))
    name = re.sub(r"\s+", "_", name)
    if name.startswith(".") or ".." in name:
        raise InvalidAttachment(N_("An attachment name cannot start with '.' or contain '..'."))
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidAttachment(N_("An attachment name can be at most %(limit)s bytes long."), limit=MAX_NAME_BYTES)
    if not _NAME_RE.match(name):
        raise InvalidAttachment(N_("An attachment name may use letters, digits, spaces and . _ - ( ) + , "
                                "and must start with a letter or digit."))
    extension = extension_of(name)
    if extension not in ACCEPTED_EXTENSIONS:
        raise InvalidAttachment(N_("Files of this type cannot be attached. Accepted: %(extensions)s."),
                                extensions=", ".join(sorted(ACCEPTED_EXTENSIONS)))
    return name


def extension_of(name: str) -> str:
    return name.rpartition(".")[2].lower() if "." in name else ""


def sniff(data: bytes) -> FileKind:
    """What ``data`` is, judged only by its bytes; :data:`UNKNOWN` when it is nothing we accept."""
    head = data[:16]
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"PK\x03\x04"):
        return _sniff_zip(data)
    return _sniff_text(data)


def _sniff_zip(data: bytes) -> FileKind:
    """ODF files name their type in a ``mimetype`` member; OOXML files in ``[Content_Types].xml``.

    Only those small members are read, with a size cap, so a zip bomb costs nothing.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = {info.filename: info for info in archive.infolist()}
            mimetype = members.get("mimetype")
            if mimetype is not None and mimetype.file_size <= 200:
                kind = _ODF.get(archive.read(mimetype).strip())
                if kind is not None:
                    return kind
            types = members.get("[Content_Types].xml")
            if types is not None and types.file_size <= _MAX_ZIP_MEMBER_BYTES:
                text = archive.read(types).decode("utf-8", "replace")
                for marker, kind in _OOXML.items():
                    if marker in text:
                        return kind
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, NotImplementedError, EOFError):
        return UNKNOWN
    return UNKNOWN


def _sniff_text(data: bytes) -> FileKind:
    if b"\0" in data:
        return UNKNOWN
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return UNKNOWN
    start = text.lstrip("\ufeff \t\r\n")[:2048].lower()
    if start.startswith("<svg") or (start.startswith("<?xml") and "<svg" in start) or \
            (start.startswith("<!doctype svg")):
        return SVG
    return TEXT


def check_content(name: str, data: bytes) -> FileKind:
    """The kind of an upload named ``name``; raise InvalidAttachment unless bytes and extension agree."""
    kind = sniff(data)
    extension = extension_of(name)
    if kind is TEXT and extension == "csv":
        return CSV
    if kind is UNKNOWN:
        raise UnsupportedFileType(
            N_("The file's content is not one of the accepted types (PNG, JPEG, GIF, WebP, SVG, PDF, "
            "ODT/ODS/ODP, DOCX/XLSX/PPTX, CSV, or UTF-8 text)."))
    if extension not in kind.extensions:
        raise UnsupportedFileType(
            N_("The file's content is a %(label)s, but its name ends in '.%(extension)s'. Name "
               "it with .%(extensions)s or upload the right file."),
            label=Term(kind.label), extension=extension, extensions=kind.extensions[0])
    return kind


def serving_kind(name: str, data: bytes) -> FileKind:
    """How to send a stored file: sniffed again, since a push can store anything under any name.

    Returns a kind that is shown inline only when it is a raster image and its name agrees.
    """
    kind = sniff(data)
    extension = extension_of(name)
    if kind is TEXT and extension == "csv":
        return CSV
    if kind is UNKNOWN or extension not in kind.extensions:
        return UNKNOWN
    return kind


def human_size(size: int, locale: str = "en") -> str:
    """``size`` bytes as people read a file's size, in ``locale`` (the CLDR's units): ``812 bytes``,
    ``1.5 kB``, ``10 MB`` in English; ``812 octets``, ``1,5 Mo`` in French."""
    if size < 1024:
        return format_unit(size, "digital-byte", length="long", locale=locale)
    value, unit = size / 1024, 0
    while value >= 1024 and unit < len(SIZE_UNITS) - 1:
        value, unit = value / 1024, unit + 1
    return format_unit(round(value, 1), SIZE_UNITS[unit], length="short", format="#,##0.#", locale=locale)
