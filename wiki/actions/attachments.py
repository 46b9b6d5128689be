"""Files attached to pages, and the rules every upload meets, written once for every way in.

An upload counts against its sender's hourly ``uploads`` limit before any other work, may be at
most its size limit (``MAX_ATTACHMENT_BYTES``, or ``MAX_IMPORT_BYTES`` for a document to import)
and not empty. An attachment's name must be one we accept and agree with its bytes
(:mod:`wiki.attachments`); each attach, replace or delete is one commit on the agreed text.
"""

from __future__ import annotations

from dataclasses import dataclass

from babel.numbers import format_decimal

from .. import limits
from ..attachments import check_content, check_name, human_size
from ..errors import N_, ContentTooLarge, DocumentTooLarge, InvalidContent, PageNotFound, WikiError
from .context import Actor, reader_language, setting, store


class EmptyFile(InvalidContent):
    """An upload with no bytes: nothing to attach or import."""


@dataclass(frozen=True)
class UploadLimit:
    """How large one kind of upload may be: the setting that says it and the refusal of a larger file."""

    setting: str
    error: type[WikiError]
    message: str  # an N_ template with %(size)s and %(bytes)s

    @property
    def size(self) -> int:
        size = setting(self.setting)
        assert isinstance(size, int)  # settings.py checks it when the app is made
        return size

    def check(self, actor: Actor, data: bytes) -> bytes:
        """``data``, read as at most :attr:`size` + 1 bytes, once counted against ``actor``'s
        uploads; a file over the limit or an empty one is refused (nothing is saved)."""
        limits.check("uploads", actor)
        if len(data) > self.size:
            locale = reader_language()
            raise self.error(self.message, size=human_size(self.size, locale),
                             bytes=format_decimal(self.size, locale=locale))
        if not data:
            raise EmptyFile(N_("The file is empty."))
        return data


ATTACHMENT = UploadLimit("MAX_ATTACHMENT_BYTES", ContentTooLarge,
                         N_("Attachments can be at most %(size)s (%(bytes)s bytes). Nothing was saved."))
DOCUMENT = UploadLimit("MAX_IMPORT_BYTES", DocumentTooLarge,
                       N_("Documents to import can be at most %(size)s (%(bytes)s bytes). Nothing was saved."))


def attach(actor: Actor, page: str, data: bytes, *, name: str, summary: str = "") -> str:
    """Attach a new file named ``name`` to ``page``; return the name it was saved under."""
    if not store().page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s to attach files to."), page=repr(page))
    ATTACHMENT.check(actor, data)
    name = check_name(name)
    check_content(name, data)
    store().save_attachment(page, name, data, author=actor.author, summary=summary)
    return name


def replace(actor: Actor, page: str, name: str, data: bytes, *, summary: str = "") -> bool:
    """Replace the attachment ``name`` with a new file of the same type; ``False`` when the bytes
    are the same as now (nothing is committed)."""
    ATTACHMENT.check(actor, data)
    check_content(name, data)
    return store().save_attachment(page, name, data, author=actor.author, summary=summary, replace=True) is not None


def delete(actor: Actor, page: str, name: str, *, summary: str = "") -> None:
    """Delete the attachment ``name``; its earlier versions stay in its history."""
    store().delete_attachment(page, name, author=actor.author, summary=summary)
