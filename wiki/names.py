"""Page names, their files in the content repository, and the revision allowlist.

The rule, documented in docs/user/pages.md: a page path is a ``/``-separated list of segments. Spaces are
written as underscores (``Working modalities`` is the page ``Working_modalities``), so URL, file
name and link all use one canonical spelling; the title shown to readers turns underscores back
into spaces. Names are case-preserving, normalized to Unicode NFC, and may use any script. The
page ``Mapping/Cybersecurity`` is the file ``Mapping/Cybersecurity.md``.

Pure standard library: no Flask, no Git.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from .errors import N_, InvalidPageName, InvalidRevision, InvalidVersionName

PAGE_SUFFIX = ".md"
# The six official languages of the United Nations. A page's version in one of them is the file
# ``<page>.<language>.md`` beside ``<page>.md`` (as Hugo and other static sites name translations).
LANGUAGES = ("ar", "zh", "en", "fr", "ru", "es")
# A page's attachments live in the folder ``<page>.files/`` beside its ``<page>.md``.
ATTACHMENTS_SUFFIX = ".files"
MAX_NAME_CHARS = 200
MAX_SEGMENT_BYTES = 200
MAX_DEPTH = 8

# Characters that would break URLs, wiki-link syntax, Windows clones or HTML attributes.
FORBIDDEN_CHARS = frozenset('\\:*?"<>|#%[]{}^~`')
# Bidirectional overrides and marks: they make a name display as something it is not.
BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"
)
# Unicode categories never allowed: control, surrogate, private use, unassigned, line/para sep.
FORBIDDEN_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn", "Zl", "Zp"})

_WHITESPACE_RUN = re.compile(r"\s+")
_REVISION = re.compile(r"\A[0-9a-fA-F]{4,64}\Z")


def normalize_page_name(raw: str) -> str:
    """Return the canonical page path for ``raw`` or raise :class:`InvalidPageName`.

    Whitespace runs become one underscore and the text is NFC-normalized; everything else is
    validated, never silently rewritten, so a rejected name gets a message that says why.
    """
    if not isinstance(raw, str):
        raise InvalidPageName(N_("A page name must be text."))
    return _normalize_page_name(raw)


@functools.lru_cache(maxsize=16384)
def _normalize_page_name(raw: str) -> str:
    """The validation behind :func:`normalize_page_name`, cached: every request checks its URL's
    name (exceptions are not cached, so refusals are recomputed, which is fine)."""
    name = unicodedata.normalize("NFC", raw).strip()
    if not name:
        raise InvalidPageName(N_("The page name is empty."))
    _check_characters(name)
    name = _WHITESPACE_RUN.sub("_", name)
    if len(name) > MAX_NAME_CHARS:
        raise InvalidPageName(N_("The page name is longer than %(limit)s characters."), limit=MAX_NAME_CHARS)
    if name.startswith("/"):
        raise InvalidPageName(N_("A page name cannot start with '/'."))
    segments = name.split("/")
    if len(segments) > MAX_DEPTH:
        raise InvalidPageName(N_("A page name can have at most %(limit)s levels."), limit=MAX_DEPTH)
    for segment in segments:
        _check_segment(segment)
    _check_last_segment(segments[-1])
    return name


def _check_characters(name: str) -> None:
    for char in name:
        if char in FORBIDDEN_CHARS:
            raise InvalidPageName(N_("The character %(char)s is not allowed in a page name."), char=repr(char))
        if char in BIDI_CONTROLS:
            raise InvalidPageName(N_("Bidirectional control characters are not allowed in a page name."))
        if unicodedata.category(char) in FORBIDDEN_CATEGORIES:
            raise InvalidPageName(
                N_("The character U+%(code)s is not allowed in a page name."), code=format(ord(char), '04X')
            )


def _check_last_segment(segment: str) -> None:
    """A page's own name may not end like the file of another page's language version."""
    stem, dot, suffix = segment.rpartition(".")
    if dot and stem and suffix.lower() in LANGUAGES:
        raise InvalidPageName(N_("A page name cannot end with '.%(suffix)s': that is how the wiki names a page's "
                                 "version in another language."), suffix=suffix)


def _check_segment(segment: str) -> None:
    if not segment:
        raise InvalidPageName(N_("A page name cannot have an empty part ('//' or a trailing '/')."))
    if segment in {".", ".."}:
        raise InvalidPageName(N_("A page name cannot contain '.' or '..' parts."))
    if segment == "-":
        raise InvalidPageName(N_("'-' is reserved for page actions and cannot be a part of a name."))
    if segment[0] in ".-":
        raise InvalidPageName(N_("A part of a page name cannot start with '.' or '-'."))
    if segment.endswith((".", "_")):
        raise InvalidPageName(N_("A part of a page name cannot end with '.' or a space."))
    if segment.casefold().endswith(".git"):
        raise InvalidPageName(N_("A page name cannot end a part with '.git'."))
    if segment.casefold().endswith(PAGE_SUFFIX):
        raise InvalidPageName(N_("A part of a page name cannot end with %(limit)s: pages are stored in files of "
                                 "that name, so it would collide with another page."), limit=repr(PAGE_SUFFIX))
    if segment.casefold().endswith(ATTACHMENTS_SUFFIX):
        raise InvalidPageName(N_("A part of a page name cannot end with %(limit)s: that folder holds a page's "
                                 "attachments."), limit=repr(ATTACHMENTS_SUFFIX))
    if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
        raise InvalidPageName(
            N_("A part of a page name can be at most %(limit)s bytes long."), limit=MAX_SEGMENT_BYTES
        )


def page_file(page: str) -> str:
    """The repository file holding ``page`` (already normalized)."""
    return page + PAGE_SUFFIX


@functools.lru_cache(maxsize=16384)
def page_from_file(path: str) -> str | None:
    """The page stored in ``path``, or ``None`` when the file is not a valid page (cached: a pure
    function that whole-document listings call for thousands of paths)."""
    if not path.endswith(PAGE_SUFFIX):
        return None
    candidate = path[: -len(PAGE_SUFFIX)]
    try:
        normalized = normalize_page_name(candidate)
    except InvalidPageName:
        return None
    return normalized if normalized == candidate else None


def version_page(page: str, language: str) -> str:
    """The name the store reads the ``language`` version of ``page`` under (its file without
    ``.md``): not a page name users can type, so it never collides with one."""
    return f"{page}.{language}"


@functools.lru_cache(maxsize=16384)
def version_from_file(path: str) -> tuple[str, str] | None:
    """``(page, language)`` when ``path`` is a language version's file ``<page>.<lang>.md``."""
    if not path.endswith(PAGE_SUFFIX):
        return None
    stem, dot, language = path[: -len(PAGE_SUFFIX)].rpartition(".")
    if not dot or language not in LANGUAGES:
        return None
    page = page_from_file(stem + PAGE_SUFFIX)
    return (page, language) if page is not None else None


def page_title(page: str) -> str:
    """What readers see as the page's title: its last part, underscores shown as spaces."""
    return page.rsplit("/", 1)[-1].replace("_", " ")


def name_from_title(title: str) -> str:
    """A page name made of a document's title (Word's Title): characters a name cannot hold, and
    ``/``, become spaces, a leading ``.``/``-`` and a trailing ``.`` go; the caller normalizes it."""
    kept = "".join(" " if char in FORBIDDEN_CHARS or char in BIDI_CONTROLS or char == "/"
                   or unicodedata.category(char) in FORBIDDEN_CATEGORIES else char for char in title)
    return " ".join(kept.split())[:MAX_NAME_CHARS // 2].strip(" .-_").rstrip(".")


def page_sections(page: str) -> list[str]:
    """The section prefixes of ``page``, outermost first: ``a/b/c`` gives ``['a', 'a/b']``."""
    parts = page.split("/")[:-1]
    return ["/".join(parts[: i + 1]) for i in range(len(parts))]


def check_revision(rev: str) -> str:
    """Return ``rev`` if it may be handed to git as a revision, else raise :class:`InvalidRevision`.

    Only abbreviated or full hexadecimal object ids pass, so nothing a user types can reach git
    as an option or a revision expression.
    """
    if not isinstance(rev, str) or not _REVISION.match(rev):
        raise InvalidRevision(N_("No such revision."))
    return rev.lower()


# Named versions are annotated tags ``refs/tags/<slug>``: lowercase words joined by single hyphens.
# A slug made only of hex digits is refused so a version name can never shadow a commit id.
MAX_VERSION_NAME = 64
_VERSION_NAME = re.compile(r"\A[a-z0-9]+(?:-[a-z0-9]+)*\Z")
_ALL_HEX = re.compile(r"\A[0-9a-fA-F]+\Z")
_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# Names every clone already uses for something else: a tag named like them is ambiguous.
RESERVED_VERSION_NAMES = frozenset({"main", "master", "head", "origin"})


def is_version_name(value: str) -> bool:
    """Whether ``value`` has the shape of a version name (it may still name no version)."""
    return (isinstance(value, str) and len(value) <= MAX_VERSION_NAME and value not in RESERVED_VERSION_NAMES
            and bool(_VERSION_NAME.match(value)) and not _ALL_HEX.match(value))


def check_version_name(value: str) -> str:
    """Return ``value`` if it may name a version (a tag), else raise :class:`InvalidVersionName`."""
    if not is_version_name(value):
        raise InvalidVersionName(
            N_("A version name uses lowercase letters, digits and single hyphens (like "
               "'chairs-draft-2014-02-28'), at most %(limit)s characters, and is not only "
               "hexadecimal digits (those are commit ids); 'main', 'master', 'head' and "
               "'origin' are reserved."), limit=MAX_VERSION_NAME
        )
    return value


def version_slug(title: str) -> str:
    """The slug a version title suggests: ``"Chair's draft, 28 February 2014"`` gives
    ``chairs-draft-28-february-2014``; ``""`` when the title has no Latin letters or digits."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    ascii_text = ascii_text.replace("'", "")
    return _NOT_SLUG.sub("-", ascii_text).strip("-")[:MAX_VERSION_NAME].strip("-")


def attachments_folder(page: str) -> str:
    """The repository folder holding the attachments of ``page`` (already normalized)."""
    return page + ATTACHMENTS_SUFFIX


def page_from_attachment_file(path: str) -> tuple[str, str] | None:
    """``(page, attachment name)`` when ``path`` is an attachment file, else ``None``."""
    folder, _, name = path.rpartition("/")
    if not folder.endswith(ATTACHMENTS_SUFFIX) or not name:
        return None
    candidate = folder[: -len(ATTACHMENTS_SUFFIX)]
    try:
        page = normalize_page_name(candidate)
    except InvalidPageName:
        return None
    return (page, name) if page == candidate else None
