"""Migration in (``flask --app wiki import-repo``): what another Git wiki's files become here, and
who belongs to which stakeholder group. Pure: no Git, no Flask (wiki/store/imports.py reads the
source and writes the result; wiki/migrate/command.py is the command).

Other wikis name files their own way: An Otter Wiki lowercases (``home.md``, ``guides/getting
started.md``) and keeps a page's attachments in a folder of the page's name (``home/otter.png``);
Gollum writes ``Getting-Started.md``; wikmd and Wiki.js Git storage keep Markdown files with
spaces, and attachments in folders of their own. The imported history keeps the files as they
were; one commit at the end moves them to this wiki's layout:

- a Markdown file (``.md``, ``.markdown``, ``.mdown``, ``.mkd``, ``.mkdn``) becomes a page: the
  file name without its extension, spaces as underscores, NFC; when the page's first heading is
  the same name in another case (``home.md`` starting ``# Home``) the heading's case is kept; the
  characters and parts this wiki's names refuse (wiki/names.py) are replaced or dropped; a name
  that differs only in case from another gets ``_2``; a root ``home``, ``index``, ``readme`` or
  ``homepage`` becomes ``Home`` when there is no ``Home``;
- any other file is an attachment of the page whose name its folder has (``home/otter.png`` is
  attached to ``Home``), else of ``Home`` (else the first page), in ``<page>.files/<name>``, when
  its name and type are ones the wiki accepts (wiki/attachments.py); other files (styles,
  scripts, ``.gitignore``, symbolic links, submodules) stay in the history only;
- a page that is not UTF-8 text without NUL bytes, or over ``MAX_PAGE_BYTES``, and an attachment
  over ``MAX_ATTACHMENT_BYTES`` stop the import: nothing is written.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from .. import attachments, names
from ..errors import InvalidAttachment, InvalidPageName, WikiError
from ..texts import page_text_from_bytes

MARKDOWN_SUFFIXES = (".md", ".markdown", ".mdown", ".mkd", ".mkdn")
HOME_ALIASES = ("home", "index", "readme", "homepage")
FILE_MODES = ("100644", "100755")
EMAIL_RE = re.compile(r"\A[^@\s<>,]{1,64}@[^@\s<>,]{1,190}\Z")
_HEADING_RE = re.compile(r"\A\s*#\s+(.+?)\s*#*\s*\Z")
_BAD_CHARS = re.compile("[" + re.escape("".join(sorted(names.FORBIDDEN_CHARS))) + "]")


class ImportRefused(Exception):
    """The import cannot go ahead; nothing was written. (The command line speaks English only.)"""


@dataclass(frozen=True)
class SourceFile:
    path: str
    mode: str
    blob: str
    size: int


@dataclass
class FilePlan:
    """Where each file of the source's last commit goes, and what was left out."""

    pages: dict[str, str] = field(default_factory=dict)  # source path -> wiki file path
    attachments: dict[str, str] = field(default_factory=dict)  # source path -> <page>.files/<name>
    dropped: dict[str, str] = field(default_factory=dict)  # source path -> why (stays in the history)
    problems: list[str] = field(default_factory=list)  # reasons to refuse the import

    @property
    def moves(self) -> dict[str, str]:
        """Every kept file whose path changes: source path -> wiki path."""
        return {old: new for old, new in {**self.pages, **self.attachments}.items() if old != new}


# --------------------------------------------------------------------------- authors


def read_authors(text: str, groups: Mapping[str, str]) -> dict[str, str]:
    """``email,group`` lines (a header line ``email,group`` may come first; blank lines and lines
    starting with ``#`` are skipped) as {lowercased e-mail: group}; raise ImportRefused naming the line."""
    found: dict[str, str] = {}
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        cells = [cell.strip() for cell in row]
        if number == 1 and [cell.lower() for cell in cells] == ["email", "group"]:
            continue
        if len(cells) != 2:
            raise ImportRefused(f"Authors file, line {number}: expected two fields, email,group; "
                                f"found {len(cells)}.")
        email, group = cells[0].lower(), cells[1]
        if not EMAIL_RE.match(email):
            raise ImportRefused(f"Authors file, line {number}: {cells[0]!r} is not an e-mail address.")
        if group not in groups:
            raise ImportRefused(f"Authors file, line {number}: {group!r} is not one of this wiki's groups "
                                f"({', '.join(groups)}).")
        if found.get(email, group) != group:
            raise ImportRefused(f"Authors file, line {number}: {cells[0]!r} was given another group before.")
        found[email] = group
    return found


# --------------------------------------------------------------------------- names


def is_markdown(path: str) -> bool:
    return path.lower().endswith(MARKDOWN_SUFFIXES)


def first_heading(text: str) -> str | None:
    """The text of the page's first line when it is an ATX heading (``# Title``)."""
    for line in text.splitlines()[:5]:
        if line.strip():
            match = _HEADING_RE.match(line)
            return match.group(1) if match else None
    return None


def clean_segment(raw: str) -> str:
    """One part of a page name made acceptable: forbidden characters, controls and the endings the
    wiki reserves replaced, surrounding dots, hyphens and underscores dropped."""
    text = unicodedata.normalize("NFC", raw)
    text = "".join(char for char in text if char not in names.BIDI_CONTROLS
                   and unicodedata.category(char) not in names.FORBIDDEN_CATEGORIES)
    text = _BAD_CHARS.sub("_", text)
    text = re.sub(r"\s+", "_", text)
    text = re.sub(r"_+", "_", text)
    lowered = text.casefold()
    for suffix in (names.PAGE_SUFFIX, names.ATTACHMENTS_SUFFIX, ".git"):
        if lowered.endswith(suffix):
            text = text[: -len(suffix)] + "_" + suffix[1:]
            lowered = text.casefold()
    text = text.strip("._-").lstrip("_")
    while len(text.encode("utf-8")) > names.MAX_SEGMENT_BYTES:
        text = text[:-1]
    text = text.rstrip("._-")
    return text if text not in {"", "-"} else "Page"


def page_name(path: str, heading: str | None) -> str:
    """The wiki page for the Markdown file ``path`` (before making it unique)."""
    stem = path.rsplit(".", 1)[0]
    parts = stem.split("/")
    if heading and clean_segment(heading).casefold() == clean_segment(parts[-1]).casefold():
        parts[-1] = heading
    segments = [clean_segment(part) for part in parts]
    stem_last, dot, suffix = segments[-1].rpartition(".")
    if dot and stem_last and suffix.lower() in names.LANGUAGES:  # page.fr: not a language version here
        segments[-1] = f"{stem_last}_{suffix}"
    if len(segments) > names.MAX_DEPTH:
        segments = segments[: names.MAX_DEPTH - 1] + ["_".join(segments[names.MAX_DEPTH - 1:])]
    name = "/".join(segments)
    while len(name) > names.MAX_NAME_CHARS:
        segments[-1] = segments[-1][:-1].rstrip("._-") or "Page"
        name = "/".join(segments)
    try:
        return names.normalize_page_name(name)
    except InvalidPageName:
        return names.normalize_page_name("Page")


def _unique(name: str, taken: set[str]) -> str:
    candidate, number = name, 2
    while candidate.casefold() in taken:
        candidate = f"{name}_{number}"
        number += 1
    taken.add(candidate.casefold())
    return candidate


def _attachment_name(raw: str) -> str | None:
    try:
        return attachments.check_name(raw)
    except InvalidAttachment:
        pass
    cleaned = re.sub(r"[^\w.()+,-]", "_", unicodedata.normalize("NFC", raw)).lstrip("._")
    cleaned = re.sub(r"\.\.+", ".", cleaned)
    try:
        return attachments.check_name(cleaned)
    except InvalidAttachment:
        return None


# --------------------------------------------------------------------------- the plan


def plan_files(files: list[SourceFile], read: Callable[[str], bytes], *, max_page_bytes: int,
               max_attachment_bytes: int, existing_pages: tuple[str, ...] = ()) -> FilePlan:
    """Where each file of the source's last commit goes (see the module's docstring).

    ``read(blob)`` gives a file's bytes (only the pages and attachments are read); ``existing_pages``
    are pages the wiki keeps beside the imported ones (an import on top of edits), never overwritten.
    """
    plan = FilePlan()
    taken = {page.casefold() for page in existing_pages}
    markdown = sorted((item for item in files if is_markdown(item.path)), key=lambda item: item.path)
    others = sorted((item for item in files if not is_markdown(item.path)), key=lambda item: item.path)
    texts: dict[str, str] = {}
    for item in markdown:
        if item.mode not in FILE_MODES:
            plan.dropped[item.path] = "not a regular file"
            continue
        if any(part.startswith(".") for part in item.path.split("/")):
            plan.dropped[item.path] = "a hidden file"
            continue
        if item.size > max_page_bytes:
            plan.problems.append(f"{item.path}: {item.size} bytes, over the page limit MAX_PAGE_BYTES "
                                 f"({max_page_bytes})")
            continue
        data = read(item.blob)
        try:
            page_text_from_bytes(data, max_page_bytes)  # the rule pages are judged by everywhere
        except WikiError as error:
            plan.problems.append(f"{item.path}: {error.message}")
            continue
        texts[item.path] = data.decode("utf-8")
    # Home first: a root home/index/readme/homepage becomes Home when nothing else is Home.
    names_for: dict[str, str] = {path: page_name(path, first_heading(text)) for path, text in texts.items()}
    if "home" not in {name.casefold() for name in names_for.values()} and "home" not in taken:
        for alias in HOME_ALIASES:
            path = next((p for p in texts if "/" not in p and p.rsplit(".", 1)[0].casefold() == alias), None)
            if path is not None:
                names_for[path] = "Home"
                break
    order = sorted(texts, key=lambda path: (names_for[path] != "Home", path))
    page_of_folder: dict[str, str] = {}
    for path in order:
        page = _unique(names_for[path], taken)
        plan.pages[path] = names.page_file(page)
        page_of_folder.setdefault(path.rsplit(".", 1)[0].casefold(), page)
    default_page = next((page for page in (names.page_from_file(p) for p in plan.pages.values()) if page == "Home"),
                        None) or (min(names.page_from_file(p) or "" for p in plan.pages.values()) if plan.pages else "")
    used: set[str] = set()
    for item in others:
        why = _attachment_problem(item, plan, max_attachment_bytes)
        if why:
            plan.dropped[item.path] = why
            continue
        if item.size > max_attachment_bytes:
            plan.problems.append(f"{item.path}: {item.size} bytes, over the attachment limit MAX_ATTACHMENT_BYTES "
                                 f"({max_attachment_bytes})")
            continue
        folder, _, base = item.path.rpartition("/")
        owner = page_of_folder.get(folder.casefold()) if folder else None
        owner = owner or default_page
        name = _attachment_name(base)
        if not owner or name is None:
            plan.dropped[item.path] = "no page to attach it to" if not owner else "a file name the wiki refuses"
            continue
        try:
            attachments.check_content(name, read(item.blob))
        except InvalidAttachment as error:
            plan.dropped[item.path] = str(error)
            continue
        stem, dot, extension = name.rpartition(".")
        target, number = f"{names.attachments_folder(owner)}/{name}", 2
        while target.casefold() in used:
            target = f"{names.attachments_folder(owner)}/{stem}_{number}{dot}{extension}"
            number += 1
        used.add(target.casefold())
        plan.attachments[item.path] = target
    return plan


def _attachment_problem(item: SourceFile, plan: FilePlan, limit: int) -> str:
    if item.mode == "120000":
        return "a symbolic link"
    if item.mode == "160000":
        return "a submodule"
    if item.mode not in FILE_MODES:
        return "not a regular file"
    if any(part.startswith(".") for part in item.path.split("/")):
        return "a hidden file"
    extension = item.path.rpartition(".")[2].lower() if "." in item.path.rpartition("/")[2] else ""
    if extension not in attachments.ACCEPTED_EXTENSIONS:
        return "not a kind of file the wiki accepts as an attachment"
    return ""
