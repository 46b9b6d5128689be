"""Rules about the text of a page, written once and used by every way in (editor, API, import,
push) and by the store: what bytes a page file may hold, the conflict editor's markers, and the
one-line summary that becomes a commit's subject. A pure leaf: no Flask, no git."""

from __future__ import annotations

from .errors import N_, ContentTooLarge, InvalidContent

# The markers the conflict editor writes (``wiki.store.pages.Pages.merge_texts``): a text that
# still holds both was sent back without choosing, and is refused wherever it arrives.
CONFLICT_MARKERS = ("<<<<<<< your version", ">>>>>>> their version")
SUMMARY_LENGTH = 200


def has_conflict_markers(text: str) -> bool:
    """Whether ``text`` still holds the conflict editor's markers (both of them)."""
    return all(marker in text for marker in CONFLICT_MARKERS)


def summary(raw: object) -> str:
    """An edit summary as a commit subject: one line, spaces collapsed, at most 200 characters."""
    return " ".join(str(raw or "").split())[:SUMMARY_LENGTH]


def one_line(raw: object, length: int) -> str:
    """A title or reason on one line, spaces collapsed, at most ``length`` characters."""
    return " ".join(str(raw or "").split())[:length]


def check_page_text(text: str, max_bytes: int) -> str:
    """``text`` as a page file holds it (LF line ends, a final newline), or raise why it cannot be one."""
    if not isinstance(text, str):
        raise InvalidContent(N_("The page text must be text."))
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\0" in text:
        raise InvalidContent(N_("The page text contains a NUL character; binary content cannot be a page."))
    try:
        size = len(text.encode("utf-8"))
    except UnicodeEncodeError as error:
        raise InvalidContent(N_("The page text is not valid Unicode.")) from error
    if size > max_bytes:
        raise ContentTooLarge(N_("The page is %(size)s bytes; the limit is %(max_bytes)s bytes."),
                              size=format(size, ','), max_bytes=format(max_bytes, ','))
    if text and not text.endswith("\n"):
        text += "\n"
    return text


def page_text_from_bytes(data: bytes, max_bytes: int) -> str:
    """A page file's bytes as its text (a pushed or imported file): UTF-8, no NUL, within the limit;
    the push hook and the repository import judge files by this rule, the editor and API by
    :func:`check_page_text`, which it applies."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InvalidContent(N_("The page is not valid UTF-8 text; binary content cannot be a page.")) from error
    return check_page_text(text, max_bytes)
