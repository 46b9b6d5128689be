"""What a ``git push`` to /content.git changed, told like the same changes made through the wiki:
pages changed on ``main`` tell their watchers; a proposal's branch moved tells the groups it now
awaits and the watchers of its pages. The git endpoint reads the branches before the push and calls
:func:`pushed` once it is over (the push hooks only check and attribute)."""

from __future__ import annotations

from .. import names
from ..store.proposals import BRANCH_PREFIX
from .context import Actor, store
from .pages import changed
from .proposals import drafted

MAX_PAGES_TOLD = 50  # a push that changes more pages tells about the first ones (an import, a big merge)


def branches() -> dict[str, str]:
    """The content branches (``main`` and the proposals') and their commits."""
    return store().reader.refs("refs/heads/")


def pushed(actor: Actor, before: dict[str, str], after: dict[str, str]) -> None:
    """Tell who is concerned by what moved between ``before`` and ``after``."""
    wiki = store()
    for ref, new in sorted(after.items()):
        old = before.get(ref)
        if old == new:
            continue
        pages = _pages(old, new)
        if not pages:
            continue
        if ref == wiki.ref:
            changed(actor, None, *pages)
        elif ref.startswith(BRANCH_PREFIX) and ref[len(BRANCH_PREFIX):].isdigit():
            drafted(actor, int(ref[len(BRANCH_PREFIX):]), *pages)


def _pages(old: str | None, new: str) -> list[str]:
    if old is None:
        return []  # a new branch: the wiki made it (proposals) or refused it
    found = []
    for _status, path in store().history.changed_files(old, new):
        page = names.page_from_file(path)
        if page is not None and page not in found:
            found.append(page)
            if len(found) == MAX_PAGES_TOLD:
                break
    return found
