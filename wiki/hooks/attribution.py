"""After a push: attribution notes for the commits it brought, and comment threads that follow the
pages it renamed on main."""

from __future__ import annotations

from ..gitserver import ZERO_ID, HookRepository
from ..store import GROUP_TRAILER, Author, Store
from .commits import group_trailers
from .refs import MAIN_REF, HookSettings, RefUpdate, is_content_branch


def record_attribution(updates: list[RefUpdate], repo: HookRepository, settings: HookSettings,
                       store: Store) -> int:
    """Note the group and pusher of every commit the push added to main or to a proposal's branch;
    returns how many.

    Commits some other branch already had before the push (a web edit, a commit pushed to a
    proposal and now to main) kept the attribution they had. The notes commit goes through the
    store's committer (compare-and-swap of the notes ref, like every other write), so a concurrent
    endorsement or push never loses a note.
    """
    branches = [update for update in updates if is_content_branch(update.ref) and update.new != ZERO_ID]
    if not branches or not settings.pusher:
        return 0
    moved = {update.ref for update in updates}
    exclude = [update.old for update in branches if update.old != ZERO_ID]
    exclude += [ref for ref in repo.ref_names() if ref.startswith("refs/heads/") and ref not in moved]
    commits = repo.new_commits([update.new for update in branches], exclude=exclude)
    trailers = group_trailers(repo.read_commits(commits))
    notes = {}
    for commit in commits:
        groups = trailers.get(commit) or [settings.pusher_group]
        notes[commit] = f"{GROUP_TRAILER}: {groups[0]}\nPushed-By: {settings.pusher}\n"
    if notes:
        pusher = Author(name=settings.pusher, email="", username=settings.pusher, group=settings.pusher_group)
        store.attribution_notes.write(lambda located: notes, author=pusher,
                                      message=f"Attribute {len(notes)} pushed commit(s) to their groups",
                                      busy="The notes kept moving; the push is attributed on the next one.")
    return len(notes)


def follow_renames(updates: list[RefUpdate], settings: HookSettings, store: Store) -> int:
    """Move the comment threads of pages the push renamed on main, as a rename in the wiki does."""
    moved = 0
    for update in updates:
        if update.ref == MAIN_REF and ZERO_ID not in (update.old, update.new):
            pusher = Author(name=settings.pusher or "git", email="", username=settings.pusher or "git",
                            group=settings.pusher_group)
            moved += store.comments.follow_renames(update.old, update.new, author=pusher)
    return moved
