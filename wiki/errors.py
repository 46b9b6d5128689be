"""Domain errors, raised by the names and store layers and turned into HTTP answers in one place."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def N_(message: str) -> str:
    """Mark an English message template for extraction (``pybabel extract -k N_``); returns it as is.

    Raise sites write ``SomeError(N_("... %(name)s ..."), name=value)``: the template is what
    translators see, the values are filled in after translating, so they may reorder them.
    """
    return message


def _identity(message: str) -> str:
    return message


# Translates a message template; English (identity) until create_app sets flask_babel.gettext.
# It is called only when ``WikiError.message`` is read, so in the request's own language.
translator: Callable[[str], str] = _identity


def _english_count(number: int) -> str:
    return f"{number:,}"


# Writes a Count for the reader's locale; English digit grouping until create_app sets Babel's.
counter: Callable[[int], str] = _english_count


def set_translator(function: Callable[[str], str] | None, count: Callable[[int], str] | None = None) -> None:
    """Set the function that translates message templates and the one that writes a :class:`Count`
    (``None``: back to English)."""
    global translator, counter
    translator = function or _identity
    counter = count or _english_count


class Term(str):
    """A parameter value that is itself a marked English word (``Term(N_("display name"))``): it is
    translated with the message rather than shown as given."""


class Count(int):
    """A parameter value that is a quantity (``Count(100_000)``, a limit): written for the reader's
    locale with the message ("100 000" in French, where "100,000" reads as a hundred); a number
    that names something (a proposal's) is passed as a plain int and stays as it is."""

    def __str__(self) -> str:  # the English text of the error (logs, str(error))
        return _english_count(self)


class WikiError(Exception):
    """Base of every error the wiki raises on purpose; ``code`` is the HTTP status it maps to.

    ``message`` is an English template with ``%(name)s`` placeholders marked with :func:`N_`, and
    ``params`` its values; :attr:`message` is the translated text with the values filled in.
    """

    code = 400

    def __init__(self, message: str, **params: Any) -> None:
        super().__init__(message % params if params else message)
        self.template = message
        self.params = params

    def response_headers(self) -> dict[str, str]:
        """Headers the HTTP answer carries (``Retry-After`` for a rate limit); none by default."""
        return {}

    @property
    def message(self) -> str:
        """The message in the current language, its placeholders filled in."""
        text = translator(self.template)
        if not self.params:
            return text
        return text % {key: translator(value) if isinstance(value, Term) else
                       counter(value) if isinstance(value, Count) else value for key, value in self.params.items()}


class LoginRequired(WikiError):
    """Only someone logged in (or, where the wiki allows it, holding an invitation) may do this."""

    code = 401


class NotPermitted(WikiError):
    """The actor's role, group or link does not allow this; the message says who may."""

    code = 403


class InvalidPageName(WikiError):
    code = 400


class InvalidRevision(WikiError):
    """A revision string that fails the allowlist or names no commit: a 404 like a missing page."""

    code = 404


class PageNotFound(WikiError):
    code = 404


class PageExists(WikiError):
    code = 409


class ContentTooLarge(WikiError):
    code = 413


class InvalidContent(WikiError):
    code = 400


class EditConflict(WikiError):
    """The page changed since the editor's base revision and the changes overlap.

    Carries everything the editor needs to show again without losing a character.
    """

    code = 409

    def __init__(
        self,
        message: str,
        *,
        merged_text: str,
        their_text: str,
        base_text: str,
        head: str,
        **params: Any,
    ) -> None:
        super().__init__(message, **params)
        self.merged_text = merged_text
        self.their_text = their_text
        self.base_text = base_text
        self.head = head


class StoreBusy(WikiError):
    """The branch kept moving under us: compare-and-swap lost too many times in a row."""

    code = 503


class InvalidVersionName(WikiError):
    """A named version (tag) whose name fails the allowlist."""

    code = 400


class VersionExists(WikiError):
    code = 409


class EndorsementRefused(WikiError):
    """An endorsement that cannot be recorded as asked (stale revision, nothing to withdraw)."""

    code = 409


class InvalidAttachment(WikiError):
    """An attachment name or file the wiki refuses, with the reason in the message."""

    code = 400


class UnsupportedFileType(InvalidAttachment):
    """The bytes are not a type we accept, or disagree with the name's extension."""

    code = 415


class AttachmentExists(WikiError):
    """A new attachment's name is taken (perhaps in another case)."""

    code = 409


class PageMoved(WikiError):
    """The page an editor started from was renamed (``new_page``) or deleted (``None``) meanwhile.

    Nothing was saved; the editor shows the text again and offers to save it there or under the
    old name.
    """

    code = 409

    def __init__(self, message: str, *, new_page: str | None, head: str, **params: Any) -> None:
        super().__init__(message, **params)
        self.new_page = new_page
        self.head = head


class DocumentRefused(WikiError):
    """An uploaded office document the import refuses (corrupt, encrypted, macros, a zip bomb), with
    the reason in the message; nothing is saved."""

    code = 400


class NotADocument(DocumentRefused):
    """The bytes are not a Word (.docx) or OpenDocument text (.odt) file, whatever the name says."""

    code = 415


class DocumentTooLarge(DocumentRefused):
    """The upload, what it unpacks to, or an image in it is over the import's limits."""

    code = 413

