"""A converted office document saved as a page: on the agreed text (where the actor may change it
directly) or as a new proposal. The web import and ``flask import-doc`` both save through here."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, has_request_context, url_for

from .. import names
from ..errors import N_, EditConflict, InvalidPageName, WikiError
from ..office import convert, docimport, tracked
from ..store import SaveResult
from ..store.proposals import Proposal
from ..users import User
from .comments import start as start_thread
from .context import Actor, store
from .pages import proposal_required, save, target
from .proposals import create as create_proposal
from .proposals import get as get_proposal

TRACKED_CHANGE_AUTHOR = "Tracked-Change-Author"


class ChoiceRefused(WikiError):
    """Someone who does not run the process tried to leave tracked changes out of an import."""

    code = 403


def may_choose(actor: Actor) -> bool:
    """Whether ``actor`` chooses which tracked changes of a file go into its proposal: the
    secretariat (which runs the process) and admins; anyone else imports them all."""
    return actor.secretariat or actor.can("admin")


def check_choice(actor: Actor) -> None:
    """Raise :class:`ChoiceRefused` unless ``actor`` may leave tracked changes out (:func:`may_choose`)."""
    if not may_choose(actor):
        raise ChoiceRefused(N_("Only the secretariat and admins choose which tracked changes go into the proposal; "
                               "the import takes them all."))


def left_out(actor: Actor, converted: docimport.Converted, *, authors: set[str], changes: set[int],
             authors_before: set[str]) -> frozenset[int]:
    """The tracked changes (numbers) a form leaves out: the authors ticked now (``authors``) and
    before (``authors_before``, as the preview showed them), and the changes ticked (``changes``).
    An author ticked or unticked since takes all of their changes in or out; for the others, each
    change's own box decides. Raises :class:`ChoiceRefused` when that leaves something out and
    ``actor`` may not choose."""
    def out(change: tracked.TrackedChange) -> bool:
        toggled = (change.author in authors) != (change.author in authors_before)
        return change.author not in authors if toggled else change.number not in changes

    chosen = frozenset(change.number for change in converted.changes if out(change))
    if chosen:
        check_choice(actor)
    return chosen


@dataclass(frozen=True)
class Imported:
    """What an import did: the save's result, or the conflict that saved nothing but the images
    (overlapping changes, for the conflict editor); and the proposal it started, if any."""

    result: SaveResult | None
    proposal: Proposal | None
    conflict: EditConflict | None = None


@dataclass(frozen=True)
class Base:
    """The revision an import is merged from: the one the file was exported from when it records
    one of this wiki's revisions of this very page (``exported``), else the page as it is now;
    ``notice`` (a message id, with ``params``) says why a recorded revision was not used."""

    commit: str | None
    exported: bool = False
    notice: str = ""
    params: dict[str, str] | None = None


def import_base(converted: docimport.Converted, page: str) -> Base:
    """Where the import of ``converted`` as ``page`` merges from. A file's record can be forged:
    it only ever chooses the base revision of the page the user chose, and only a revision of the
    wiki's own history in which that page exists; anything else is imported as a foreign file."""
    wiki = store()
    head = wiki.head()
    origin = converted.origin
    if origin is None:
        return Base(head)
    if origin.pages != (page,):
        return Base(head, notice=N_("This file was exported from %(pages)s, not from %(page)s: it is imported as "
                                    "a file from outside the wiki, compared with the page as it is now."),
                    params={"pages": ", ".join(origin.pages)[:200], "page": page})
    try:
        commit = wiki.resolve(origin.commit)
        known = head is not None and wiki.reader.is_ancestor(commit, head) and wiki.page_exists(page, commit)
    except WikiError:
        known = False
    if not known:
        return Base(head, notice=N_("This file records a revision this wiki does not have (%(commit)s): it is "
                                    "imported as a file from outside the wiki, compared with the page as it is "
                                    "now."), params={"commit": origin.commit[:40]})
    return Base(commit, exported=True)


def import_page(converted: docimport.Converted, requested: str) -> str:
    """The page a document is imported as: ``requested``, or, when that is empty or a section
    ending in ``/``, the page of that section named after the file's Word Title (which is the
    page's title, never a line of its text). Raises :class:`InvalidPageName` with the reason."""
    requested = requested.strip()
    if requested and not requested.endswith("/"):
        return names.normalize_page_name(requested)
    title = names.name_from_title(converted.title)
    if not title:
        raise InvalidPageName(N_("The document has no title (Word's Title style) to name the page after: give "
                                 "the page a name."))
    return names.normalize_page_name(requested + title)


def title_notice(converted: docimport.Converted, page: str) -> tuple[str, dict[str, str]] | None:
    """A notice (message id, parameters) when the file's Title is not the title of ``page``, the
    page it is imported as: the Title is then not kept (a page's title is its name)."""
    if not converted.title or names.page_title(page).casefold() == \
            names.page_title(names.name_from_title(converted.title).replace(" ", "_")).casefold():
        return None
    return (N_("The document's title, “%(title)s”, is not kept: a page's title is its name, here “%(name)s”. To "
               "name the page after the document, leave the page name empty (or end it with “/” for a page in "
               "that section)."), {"title": converted.title[:200], "name": names.page_title(page)})


def _plain(name: str) -> str:
    """A tracked-change author's name as a one-line trailer value."""
    return " ".join(name.split())[:200]


def credit(actor: Actor, name: str, users: list[User]) -> tuple[Actor, tuple[tuple[str, str], ...]]:
    """Who a tracked change by ``name`` (as Word wrote it) is committed as: the wiki user whose
    e-mail or display name it is (their group in the trailer), else the importing ``actor`` with a
    ``Tracked-Change-Author`` trailer naming them."""
    plain = _plain(name)
    if not plain:
        return actor, ()
    wanted = plain.casefold()
    for user in users:
        if wanted in {user.email.casefold(), " ".join(user.display_name.split()).casefold()}:
            return Actor(username=user.username, display_name=user.display_name, email=user.commit_email,
                         group=user.group, role=actor.role), ()
    return actor, ((TRACKED_CHANGE_AUTHOR, plain),)


def _save_credited(actor: Actor, page: str, converted: docimport.Converted, *, base: str | None,
                   summary_text: str, proposal: int) -> SaveResult:
    """Save a redline into ``proposal`` one commit per step: the text without tracked changes (by
    the importer, with the images), then each author's changes accepted in turn, credited to them.
    Every step merges from ``base`` when the page was there, so what changed in the wiki since the
    export stays; a new page's steps each build on the one before."""
    users = current_app.extensions["wiki_users"].all()  # the accounts: hundreds at most
    url = attachments_url(page)
    wiki = store()
    existed = base is not None and wiki.page_exists(page, wiki.resolve(base))
    result = None
    step_base = base
    for number, (author, markdown) in enumerate(converted.steps):
        who, trailers = credit(actor, author, users)
        step_summary = summary_text if not author else f"{summary_text} ({_plain(author)})"
        outcome = save(who, page, docimport.link_images(markdown, url), base=step_base, summary_text=step_summary,
                       proposal=proposal, files=converted.images if number == 0 else None, trailers=trailers)
        result = outcome if outcome.commit is not None or result is None else result
        if not existed and outcome.commit is not None:
            step_base = outcome.commit
    assert result is not None  # steps are never empty here
    return result


def conversion_limits() -> convert.Limits:
    """The time and memory one conversion may take (settings ``EXPORT_TIMEOUT``, ``EXPORT_MEMORY_BYTES``)."""
    return convert.Limits(seconds=float(current_app.config["EXPORT_TIMEOUT"]),
                          memory_bytes=int(current_app.config["EXPORT_MEMORY_BYTES"]))


def convert_document(data: bytes, left_out: frozenset[int] = frozenset()) -> docimport.Converted:
    """A .docx or .odt file's text as Markdown and its images, its tracked changes ``left_out``
    rejected (refusals raise a 4xx WikiError)."""
    return docimport.convert(data, limits=conversion_limits(), left_out=left_out)


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
    proposal when asked, when the file has tracked changes (a redline is a suggestion, never agreed
    text by itself), or when the section changes only through proposals.

    Overlapping changes save the images, attached to the page as it now is (so the conflict
    editor's text links work and nothing is lost), and return the conflict."""
    if converted.left_out:
        check_choice(actor)
    text = page_text(converted, page)
    proposal = None
    if as_proposal or converted.changes or proposal_required(actor, page):
        proposal = create_proposal(actor, summary_text, rationale)
    number = proposal.number if proposal else None
    try:
        if converted.steps and number is not None:
            result = _save_credited(actor, page, converted, base=base, summary_text=summary_text, proposal=number)
        else:
            trailers = tuple((TRACKED_CHANGE_AUTHOR, name) for name in map(_plain, converted.choice.credited)
                             if name) if number is not None else ()
            result = save(actor, page, text, base=base, summary_text=summary_text, proposal=number,
                          files=converted.images, trailers=trailers)
    except EditConflict as conflict:
        if converted.images:
            target(actor, number, page).save_page(page, conflict.their_text, base=conflict.head,
                                                  author=actor.author, files=converted.images,
                                                  summary="Attach the images of an imported document")
        return Imported(None, proposal, conflict)
    if converted.comments:
        threads(actor, page, converted, proposal=number)
    return Imported(result, proposal)


def threads(actor: Actor, page: str, converted: docimport.Converted, *, proposal: int | None) -> int:
    """The file's comments as comment threads on the text saved (the proposal's, or the agreed text
    when the import changed it directly), each on its passage (the
    page's first paragraph when the passage is not found, or for a comment on a point), by the
    wiki user the author is, else by the importer with the author's name before the text.
    Returns how many were started; one that the wiki refuses (a limit) is left out."""
    users = current_app.extensions["wiki_users"].all()
    head = get_proposal(proposal).head if proposal is not None else store().head()
    if head is None or not store().page_exists(page, head):
        return 0
    started = 0
    for comment in converted.comments:
        who, trailers = credit(actor, comment.author, users)
        text = f"{_plain(comment.author)}: {comment.text}" if trailers else comment.text
        try:
            try:
                start_thread(who, page, rev=head, text=text, quote=comment.quote, proposal=proposal)
            except WikiError:
                start_thread(who, page, rev=head, text=text, paragraph=1, proposal=proposal)
            started += 1
        except WikiError:
            continue
    return started
