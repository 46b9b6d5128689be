"""Changing pages: save (three-way merge), rename, delete, revert, and language versions.

The rules live here once: which sections change only through proposals, text sent back with the
conflict editor's markers, the summary as a commit subject, and that comment threads follow a page
renamed on the agreed text (the store's ``rename_page`` moves them in the same action).
"""

from __future__ import annotations

from ..errors import N_, PageNotFound, WikiError
from ..operations import metrics
from ..store import SaveResult, Store
from ..store.pages import Pages
from ..texts import has_conflict_markers, summary
from . import notices
from .context import Actor, setting, store
from .proposals import drafted, open_pages


class ProposalRequired(WikiError):
    """A direct change of a page in a section that changes only through proposals."""

    code = 409


class ConflictMarkersLeft(WikiError):
    """A text sent back from the conflict editor without choosing (both markers still in it)."""

    code = 422


def proposal_required(actor: Actor, page: str) -> bool:
    """Whether a direct change of ``page`` by ``actor`` is refused (``PROPOSALS_REQUIRED``: ``True``
    for the whole document or a list of sections; admins and the secretariat's editors change pages
    directly, as editorial changes recorded under the secretariat's group)."""
    if actor.can("admin") or actor.secretariat:
        return False
    sections = setting("PROPOSALS_REQUIRED")
    if sections is True:
        return True
    return isinstance(sections, list) and any(page == section or page.startswith(f"{section}/")
                                              for section in sections)


def check_direct_change(actor: Actor, *pages: str) -> None:
    """Raise :class:`ProposalRequired` when any of ``pages`` changes only through proposals."""
    if any(proposal_required(actor, page) for page in pages):
        raise ProposalRequired(N_("Pages in this section change only through proposals."))


def check_text(text: str) -> None:
    """Raise :class:`ConflictMarkersLeft` for a text that still holds the conflict editor's markers."""
    if has_conflict_markers(text):
        raise ConflictMarkersLeft(N_("Your text still contains conflict markers (<<<<<<< and >>>>>>>). Choose the "
                                     "text to keep and remove the markers, then save again."))


def target(actor: Actor, proposal: int | None, *pages: str) -> Store | Pages:
    """Where a change of ``pages`` lands: the agreed text (when the actor may change it directly)
    or the open proposal ``proposal``'s branch."""
    if proposal is None:
        check_direct_change(actor, *pages)
        return store()
    return open_pages(proposal)


def save(actor: Actor, page: str, text: str, *, base: str | None, summary_text: str = "",
         proposal: int | None = None, base_page: str | None = None,
         files: dict[str, bytes] | None = None, trailers: tuple[tuple[str, str], ...] = ()) -> SaveResult:
    """Save ``text`` as ``page``, made from revision ``base`` (merged three-way with what changed
    since; overlapping changes raise :class:`~wiki.errors.EditConflict` and save nothing).
    ``trailers`` are added to a proposal's commit (an import's ``Tracked-Change-Author``)."""
    where = target(actor, proposal, page)
    if trailers and not isinstance(where, Store):
        where = where.on_branch(where.branch_ref, (*where.trailers, *trailers))
    check_text(text)
    wiki = store()
    commit = wiki.resolve(base) if base else None
    if isinstance(where, Store):
        result = where.save_page(page, text, base=commit, author=actor.author, summary=summary(summary_text),
                                 base_page=base_page, files=files)
    else:
        result = where.save_page(page, text, base=commit, author=actor.author, summary=summary(summary_text),
                                 files=files)
    if result.commit is not None:
        changed(actor, proposal, page)
    metrics.count_save()
    return result


def changed(actor: Actor, proposal: int | None, *pages: str) -> None:
    """Tell the watchers that ``pages`` changed (inside ``proposal``: the groups it awaits too)."""
    if proposal is not None:
        drafted(actor, proposal, *pages)
    else:
        for page in pages:
            notices.page(actor, page)


def rename(actor: Actor, page: str, new: str, *, summary_text: str = "", proposal: int | None = None) -> str:
    """Rename ``page`` to ``new``; on the agreed text its comment threads follow it."""
    where = target(actor, proposal, page, new)
    _must_exist(page, proposal, N_("There is no page %(page)s to rename."))
    commit = where.rename_page(page, new, author=actor.author, summary=summary(summary_text))
    changed(actor, proposal, page, new)
    return commit


def delete(actor: Actor, page: str, *, summary_text: str = "", proposal: int | None = None) -> str:
    where = target(actor, proposal, page)
    _must_exist(page, proposal, N_("There is no page %(page)s to delete."))
    commit = where.delete_page(page, author=actor.author, summary=summary(summary_text))
    changed(actor, proposal, page)
    return commit


def revert(actor: Actor, page: str, rev: str, *, summary_text: str = "") -> SaveResult:
    """Make ``page``'s text at ``rev`` its new revision."""
    check_direct_change(actor, page)
    result = store().revert_page(page, rev, author=actor.author, summary=summary(summary_text))
    if result.commit is not None:
        changed(actor, None, page)
    return result


def save_version(actor: Actor, page: str, language: str, text: str, *, follows_original: bool,
                 base: str | None, summary_text: str = "") -> SaveResult:
    """Create or update the ``language`` version of ``page``."""
    if not store().page_exists(page):
        raise PageNotFound(N_("There is no page %(page)s to translate."), page=page)
    check_text(text)
    return store().save_version(page, language, text, follows_original=follows_original, base=base or None,
                                author=actor.author, summary=summary(summary_text))


def _must_exist(page: str, proposal: int | None, message: str) -> None:
    wiki = store()
    head = wiki.proposals.get(proposal).head if proposal is not None else None
    if not wiki.page_exists(page, head):
        raise PageNotFound(message, page=repr(page))
