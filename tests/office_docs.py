"""Real office files for the import tests: flat ODF documents written here, turned into .docx and .odt
by LibreOffice (`soffice --headless --convert-to`), once per test session, in a profile of its own."""

from __future__ import annotations

import base64
import io
import shutil
import struct
import subprocess
import zipfile
import zlib
from pathlib import Path

NAMESPACES = """xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
 xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
 xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
 xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
 xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
 xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"
 xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"
 xmlns:xlink="http://www.w3.org/1999/xlink"
 xmlns:dc="http://purl.org/dc/elements/1.1/\""""


def png(width: int, height: int, rgb: bytes = b"\xc0\x20\x20") -> bytes:
    """A real PNG of ``width`` × ``height`` pixels of one colour."""
    raw = b"".join(b"\x00" + rgb * width for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` × ``height`` pixels (its data is a stub): a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + \
        chunk(b"IEND", b"")


def _document(body: str, styles: str = "", tracked: str = "") -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<office:document {NAMESPACES} office:version="1.3" office:mimetype="application/vnd.oasis.opendocument.text">
<office:automatic-styles>
 <style:style style:name="Bold" style:family="text"><style:text-properties fo:font-weight="bold"/></style:style>
 <style:style style:name="Italic" style:family="text"><style:text-properties fo:font-style="italic"/></style:style>
 {styles}
</office:automatic-styles>
<office:body><office:text>
{tracked}
{body}
</office:text></office:body></office:document>
"""


def full_document() -> str:
    """Headings, nested lists, a table, a footnote, a link, bold and italic, an image, and text that
    looks like HTML."""
    image = base64.b64encode(png(6, 4)).decode()
    return _document(
        '<text:h text:outline-level="1">Digital Cooperation</text:h>\n'
        '<text:p>The <text:span text:style-name="Bold">working group</text:span> met in '
        '<text:span text:style-name="Italic">Geneva</text:span>; see '
        '<text:a xlink:type="simple" xlink:href="https://unctad.org/cstd">the CSTD site</text:a>.'
        '<text:note text:id="n1" text:note-class="footnote"><text:note-citation>1</text:note-citation>'
        '<text:note-body><text:p>Footnote about the mandate.</text:p></text:note-body></text:note></text:p>\n'
        '<text:h text:outline-level="2">Issues</text:h>\n'
        '<text:list><text:list-item><text:p>Access and affordability</text:p>'
        '<text:list><text:list-item><text:p>Rural connectivity</text:p></text:list-item></text:list>'
        '</text:list-item><text:list-item><text:p>Cybersecurity</text:p></text:list-item></text:list>\n'
        '<table:table table:name="Mapping"><table:table-column table:number-columns-repeated="2"/>'
        '<table:table-row><table:table-cell><text:p>Issue</text:p></table:table-cell>'
        '<table:table-cell><text:p>Forum</text:p></table:table-cell></table:table-row>'
        '<table:table-row><table:table-cell><text:p>Spam</text:p></table:table-cell>'
        '<table:table-cell><text:p>ITU</text:p></table:table-cell></table:table-row></table:table>\n'
        '<text:p>Chart: <draw:frame draw:name="chart" svg:width="2cm" svg:height="1.3cm"><draw:image>'
        f'<office:binary-data>{image}</office:binary-data></draw:image></draw:frame></text:p>\n'
        '<text:p>&lt;script&gt;alert(1)&lt;/script&gt; &lt;img src=x onerror=alert(2)&gt;</text:p>\n')


def tracked_document() -> str:
    """A paragraph with a tracked insertion and a tracked deletion (by a reviewer in Writer)."""
    info = '<office:change-info><dc:creator>Ana</dc:creator><dc:date>2024-02-01T10:00:00</dc:date></office:change-info>'
    tracked = (
        '<text:tracked-changes>'
        f'<text:changed-region text:id="ins1"><text:insertion>{info}</text:insertion></text:changed-region>'
        f'<text:changed-region text:id="del1"><text:deletion>{info}<text:p>OBSOLETEWORD </text:p></text:deletion>'
        '</text:changed-region></text:tracked-changes>')
    return _document(
        '<text:h text:outline-level="1">Tracked</text:h>\n'
        '<text:p>Delegations <text:change-start text:change-id="ins1"/>WELCOMED '
        '<text:change-end text:change-id="ins1"/><text:change text:change-id="del1"/>the report.</text:p>',
        tracked=tracked)


def redline_document() -> str:
    """Three reviewers' tracked changes in one paragraph: insertions by "Pat Second" and by
    "reviewer@example.org", a deletion by "Ana Delegate"; a comment by Ana on "report" and one
    by Pat on a point of a second paragraph."""
    def region(ident: str, kind: str, author: str, deleted: str = "") -> str:
        info = (f'<office:change-info><dc:creator>{author}</dc:creator><dc:date>2024-03-0{len(ident)}T09:00:00'
                '</dc:date></office:change-info>')
        return (f'<text:changed-region text:id="{ident}"><text:{kind}>{info}'
                f'{f"<text:p>{deleted}</text:p>" if deleted else ""}</text:{kind}></text:changed-region>')

    tracked = ('<text:tracked-changes>' + region("a", "insertion", "Pat Second")
               + region("bb", "deletion", "Ana Delegate", "hastily ")
               + region("ccc", "insertion", "reviewer@example.org") + '</text:tracked-changes>')
    return _document(
        '<text:h text:outline-level="1">Redline</text:h>\n'
        '<text:p>The group <text:change text:change-id="bb"/>welcomed the <text:change-start text:change-id="a"/>'
        'revised <text:change-end text:change-id="a"/><office:annotation office:name="c1"><dc:creator>Ana Delegate'
        '</dc:creator><dc:date>2024-03-04T09:00:00</dc:date><text:p>Which report exactly?</text:p></office:annotation>'
        'report<office:annotation-end office:name="c1"/><text:change-start text:change-id="ccc"/> of May'
        '<text:change-end text:change-id="ccc"/>.</text:p>\n'
        '<text:p>A second paragraph<office:annotation><dc:creator>Pat Second</dc:creator>'
        '<text:p>A remark on a point.</text:p></office:annotation> here.</text:p>', tracked=tracked)


def titled_document() -> str:
    """A document opening with Writer's Title and Subtitle paragraphs (Word's Title and Subtitle
    styles once LibreOffice saves it as .docx), then a heading and text."""
    return _document('<text:p text:style-name="Title">The Chair’s Draft</text:p>\n'
                     '<text:p text:style-name="Subtitle">28 February</text:p>\n'
                     '<text:h text:outline-level="1">Scope</text:h>\n<text:p>Body text.</text:p>\n'
                     '<text:h text:outline-level="2">Details</text:h>\n<text:p>More text.</text:p>')


def paragraphs_document() -> str:
    """Tracked changes across paragraphs: Pat inserted a whole paragraph (the insertion opens at
    the end of the paragraph before it), Ana deleted text running over a paragraph break and a
    list item that Pat inserted."""
    def region(ident: str, kind: str, author: str, deleted: str = "") -> str:
        info = f'<office:change-info><dc:creator>{author}</dc:creator><dc:date>2024-03-01T09:00:00</dc:date>' \
               '</office:change-info>'
        return (f'<text:changed-region text:id="{ident}"><text:{kind}>{info}{deleted}</text:{kind}>'
                '</text:changed-region>')

    tracked = ('<text:tracked-changes>' + region("i1", "insertion", "Pat")
               + region("d1", "deletion", "Ana", "<text:p>old end.</text:p><text:p>Start of the old </text:p>")
               + region("i2", "insertion", "Pat") + '</text:tracked-changes>')
    return _document(
        '<text:p>First paragraph.<text:change-start text:change-id="i1"/></text:p>\n'
        '<text:p>A whole new paragraph.<text:change-end text:change-id="i1"/></text:p>\n'
        '<text:p>Keep the <text:change text:change-id="d1"/>second paragraph.</text:p>\n'
        '<text:list><text:list-item><text:p>One item<text:change-start text:change-id="i2"/></text:p></text:list-item>'
        '<text:list-item><text:p>Another item<text:change-end text:change-id="i2"/></text:p></text:list-item>'
        '</text:list>\n', tracked=tracked)


def plain_document() -> str:
    """The text of :func:`tracked_document` with its changes accepted: no tracked changes."""
    return _document('<text:h text:outline-level="1">Tracked</text:h>\n'
                     '<text:p>Delegations WELCOMED the report.</text:p>')


def convert_all(sources: dict[str, str], folder: Path) -> dict[str, Path]:
    """Write each flat ODF text as ``<name>.fodt`` and convert all of them to .docx and .odt with one
    LibreOffice run per format; ``{"<name>.docx": path, "<name>.odt": path}``."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice is missing: make test installs libreoffice-writer-nogui"
    folder.mkdir(parents=True, exist_ok=True)
    inputs = []
    for name, text in sources.items():
        path = folder / f"{name}.fodt"
        path.write_text(text, encoding="utf-8")
        inputs.append(str(path))
    profile = (folder / "lo-profile").as_uri()
    for target in ("docx", "odt"):
        subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--convert-to", target,
                        "--outdir", str(folder), *inputs], check=True, capture_output=True, timeout=180)
    found = {f"{name}.{ext}": folder / f"{name}.{ext}" for name in sources for ext in ("docx", "odt")}
    missing = [key for key, path in found.items() if not path.exists()]
    assert not missing, f"LibreOffice did not write {missing}"
    return found


def rezip(data: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A copy of the zip ``data`` with members replaced or added."""
    replace, add = replace or {}, add or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", compression) as target:
        for info in source.infolist():
            target.writestr(info.filename, replace.get(info.filename, source.read(info)))
        for name, blob in add.items():
            target.writestr(name, blob)
    return out.getvalue()


def docx_with_images(count: int, text: str = "A picture gallery") -> bytes:
    """A Word file written here (no LibreOffice) with ``count`` distinct 1 × 1 PNG images, one per
    paragraph, as an attacker would make it: small to upload, costly to convert."""
    main = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
    relationship = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    drawing = ('<w:p><w:r><w:drawing><wp:inline><wp:extent cx="9525" cy="9525"/><wp:docPr id="{n}" name="P{n}"/>'
               '<a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/drawingml/2006/picture"><pic:pic>'
               '<pic:nvPicPr><pic:cNvPr id="{n}" name="image{n}.png"/><pic:cNvPicPr/></pic:nvPicPr>'
               '<pic:blipFill><a:blip r:embed="rId{n}"/></pic:blipFill><pic:spPr/></pic:pic></a:graphicData>'
               '</a:graphic></wp:inline></w:drawing></w:r></w:p>')
    body = f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>" + "".join(drawing.format(n=n) for n in range(1, count + 1))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/><Default Extension="png" ContentType="image/png"/>
<Override PartName="/word/document.xml" ContentType="{main}"/></Types>""")
        archive.writestr("_rels/.rels", f"""<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Type="{relationship}/officeDocument" Target="word/document.xml"/></Relationships>""")
        archive.writestr("word/_rels/document.xml.rels", """<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">""" + "".join(
            f'<Relationship Id="rId{n}" Type="{relationship}/image" Target="media/image{n}.png"/>'
            for n in range(1, count + 1)) + "</Relationships>")
        archive.writestr("word/document.xml", f"""<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"
 xmlns:r="{relationship}"
 xmlns:wp="http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
 xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"
 xmlns:pic="http://schemas.openxmlformats.org/drawingml/2006/picture"><w:body>{body}</w:body></w:document>""")
        for n in range(1, count + 1):
            archive.writestr(f"word/media/image{n}.png", png(1, 1, n.to_bytes(3, "big")))
    return out.getvalue()
