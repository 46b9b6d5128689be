"""A converted office document saved as a page: on the agreed text (where the actor may change it
directly) or as a new proposal. The web import and ``flask import-doc`` both save through here."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, url_for

from ..errors import EditConflict
from ..office import convert, docimport
from ..store import SaveResult
from ..store.proposals import Proposal
from .context import Actor
from .pages import proposal_required, save, target
from .proposals import create as create_proposal


@dataclass(frozen=True)
class Imported:
    """What an import did: the save's result, or the conflict that saved nothing but the images
    (overlapping changes, for the conflict editor); and the proposal it started, if any."""

    result: SaveResult | None
    proposal: Proposal | None
    conflict: EditConflict | None = None


def conversion_limits() -> convert.Limits:
    """The time and memory one conversion may take (settings ``EXPORT_TIMEOUT``, ``EXPORT_MEMORY_BYTES``)."""
    return convert.Limits(seconds=float(current_app.config["EXPORT_TIMEOUT"]),
                          memory_bytes=int(current_app.config["EXPORT_MEMORY_BYTES"]))


def convert_document(data: bytes) -> docimport.Converted:
    """A .docx or .odt file's text as Markdown and its images (refusals raise a 4xx WikiError)."""
    return docimport.convert(data, limits=conversion_limits())


def attachments_url(page: str) -> str:
    """Where the imported text's images point: the page's attachments (``/<page>/-/attachments/``)."""
    if has_request_context():
        return url_for("attachments.attachments", page=page) + "/"
    with current_app.test_request_context():
        return url_for("attachments.attachments", page=page) + "/"


def page_text(converted: docimport.Converted, page: str) -> str:
    """The Markdown a converted document becomes as ``page``, its images linked as attachments."""
    return docimport.for_page(converted, attachments_url(page))


def save_document(actor: Actor, page: str, converted: docimport.Converted, *, base: str | None, summary_text: str,
                  as_proposal: bool, rationale: str) -> Imported:
    """Save the document as ``page`` made from ``base``, with its images attached; as a new
    proposal when asked (or when the section changes only through proposals).

    Overlapping changes save the images, attached to the page as it now is (so the conflict
    editor's text links work and nothing is lost), and return the conflict."""
    text = page_text(converted, page)
    proposal = None
    if as_proposal or proposal_required(actor, page):
        proposal = create_proposal(actor, summary_text, rationale)
    number = proposal.number if proposal else None
    try:
        result = save(actor, page, text, base=base, summary_text=summary_text, proposal=number,
                      files=converted.images)
    except EditConflict as conflict:
        if converted.images:
            target(actor, number, page).save_page(page, conflict.their_text, base=conflict.head,
                                                  author=actor.author, files=converted.images,
                                                  summary="Attach the images of an imported document")
        return Imported(None, proposal, conflict)
    return Imported(result, proposal)
