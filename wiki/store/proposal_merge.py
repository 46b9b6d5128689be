"""Previews, updates and merges of proposals: where a proposal meets the agreed text.

:class:`Merging` is the part of :class:`~wiki.store.proposals.Proposals` that runs ``git merge-tree``:
what merging would do now (cached by the two commit ids), the pages where both sides changed the
same lines, bringing ``main`` into a proposal, and the merge commit itself, which lands on ``main``
by compare-and-swap only under :meth:`Proposals.deciding`, so consensus read is consensus merged.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import TYPE_CHECKING

from .. import names
from ..errors import N_, InvalidContent, PageNotFound, Term
from ..texts import CONFLICT_MARKERS, check_page_text
from .cache import LRUCache
from .committer import Committer, Plan
from .gitlog import GitLog
from .pages import Pages
from .proposal_model import (
    PROPOSAL_TRAILER,
    SILENCE_TRAILER,
    SILENT_TRAILER,
    Conflict,
    Consensus,
    Event,
    MergePreview,
    NeedsResolution,
    Proposal,
    ProposalRefused,
    now,
)
from .reader import TREE_MODE, Reader
from .types import Author


class Merging:
    """Merge previews, conflicts, updates and merges; mixed into ``Proposals``, which gives the rest."""

    reader: Reader
    committer: Committer
    log: GitLog
    pages: Pages
    branch_ref: str
    _previews: LRUCache[tuple[str, str], MergePreview]

    if TYPE_CHECKING:  # given by Proposals
        def get(self, number: int, *, with_drafters: bool = True) -> Proposal: ...
        def consensus(self, proposal: Proposal, groups: tuple[str, ...] | list[str]) -> Consensus: ...
        def deciding(self) -> AbstractContextManager[None]: ...
        def write_event(self, number: int | None, event: Event, *, title: str = "", author: Author,
                        deadline: str = "", procedure: str = "") -> int: ...

    def preview(self, proposal: Proposal) -> MergePreview:
        """What merging into the current ``main`` would do (cached by the two commit ids)."""
        main = self.reader.read_ref(self.branch_ref) or proposal.base
        return self._previews.get_or_compute((main, proposal.head), lambda: self._preview(main, proposal.head))

    def _preview(self, main: str, head: str) -> MergePreview:
        behind = int(self.reader.run("rev-list", "--count", f"{head}..{main}").stdout.strip() or 0)
        tree, conflicts = self.merge_tree(main, head)
        pages = []
        if tree is not None:
            for change in self.log.diff_tree(self.reader.commit_tree(main), tree, renames=False):
                page = names.page_from_file(change.path)
                if page is not None:
                    pages.append((page, self.reader.blob_at(main, change.path),
                                  blob_in_tree(self.reader, tree, change.path)))
        return MergePreview(main=main, behind=behind, tree=tree, conflicts=conflicts, pages=tuple(pages))

    def merge_tree(self, ours: str, theirs: str) -> tuple[str | None, tuple[str, ...]]:
        """The tree of a three-way merge of two commits (``git merge-tree``), or ``None`` and the
        conflicting files."""
        tree, conflicts = self._merge_tree(ours, theirs)
        return (None if conflicts else tree), conflicts

    def _merge_tree(self, ours: str, theirs: str) -> tuple[str, tuple[str, ...]]:
        """git's merged tree (conflicting files hold conflict markers) and the conflicting files."""
        result = self.reader.run("merge-tree", "--write-tree", "--name-only", "-z", ours, theirs, check=False)
        if result.returncode not in (0, 1):
            raise InvalidContent(N_("git merge-tree failed: %(error)s"),
                                 error=result.stderr.decode("utf-8", "replace").strip())
        parts = result.stdout.decode("utf-8", "replace").split("\0")
        if result.returncode == 0:
            return parts[0].strip(), ()
        tree = parts[0].strip()
        files = []
        for part in parts[1:]:
            if not part.strip():
                break
            files.append(part.strip())
        return tree, tuple(dict.fromkeys(files))

    def conflicts(self, number: int) -> list[Conflict]:
        """The pages where the agreed text and the proposal changed the same lines since they parted,
        each with the merged text (conflict markers where they overlap) for the conflict editor."""
        proposal = self.get(number)
        main = self.reader.read_ref(self.branch_ref)
        if main is None:
            return []
        _, paths = self._merge_tree(proposal.head, main)
        base = self.reader.run("merge-base", proposal.head, main, check=False).stdout.decode().strip()
        found = []
        for path in paths:
            texts = [self._text_at(commit, path) for commit in (base, proposal.head, main)]
            merged, _ = self.pages.merge_texts(texts[0], texts[1], texts[2])
            found.append(Conflict(path, names.page_from_file(path) or path, merged, texts[1], texts[2]))
        return found

    def _text_at(self, commit: str, path: str) -> str:
        blob = self.reader.blob_at(commit, path) if commit else None
        return self.reader.blob(blob).decode("utf-8", "replace") if blob else ""

    def update(self, number: int, *, author: Author, resolutions: dict[str, str] | None = None) -> str | None:
        """Merge ``main`` into the proposal's branch; the new head, or ``None`` when the branch
        already has ``main``. Where both changed the same lines, ``resolutions`` (file path ->
        settled text, from the conflict editor) must give every conflicting file's text, else
        :class:`NeedsResolution` is raised and nothing changes."""
        proposal = self.get(number)
        if proposal.state != "open":
            raise ProposalRefused(N_("Proposal %(number)s is %(state)s."), number=number, state=Term(proposal.state))
        main = self.reader.read_ref(self.branch_ref)

        def prepare(tip: str | None) -> Plan | None:
            head = tip or proposal.base
            if main is None or self.reader.is_ancestor(main, head):
                return None
            tree, conflicts = self._merge_tree(head, main)
            if conflicts:
                settled = resolutions or {}
                if set(conflicts) - set(settled):
                    raise NeedsResolution(N_("The agreed text changed the same lines as this proposal in: "
                                             "%(files)s."), files=", ".join(conflicts))
                texts = {path: check_page_text(settled[path], self.pages.max_page_bytes) for path in conflicts}
                if any(CONFLICT_MARKERS[0] in text for text in texts.values()):
                    raise InvalidContent(N_("The text still contains conflict markers; settle every overlap."))
                tree = self.committer.build_tree(tree, {path: text.encode("utf-8") for path, text in texts.items()})
            return Plan({}, f"Update proposal {number} with the main text", ((PROPOSAL_TRAILER, str(number)),),
                        merge_parent=main, tree=tree)

        return self.committer.commit_to_ref(proposal.ref, prepare, author=author)

    def merge(self, number: int, *, groups: tuple[str, ...] | list[str], author: Author, display_name: str,
              admin: bool, reason: str = "", silence: bool = False) -> str:
        """Merge the proposal into ``main`` as a real merge commit, by compare-and-swap; return it.

        Needs consensus of ``groups``, unless an admin gives a ``reason`` (an Override-Reason).
        Consensus is read and the merge lands under :meth:`deciding`, so a position recorded before
        the merge always counts (an objection sent at the same moment blocks it or comes too late).

        ``silence``: the silence procedure's adoption, once the deadline has passed with no objection
        before it; the commit says ``Silence-Procedure: <deadline>`` and each ``Silent-Group``.
        """
        with self.deciding():
            return self._merge(number, groups=groups, author=author, display_name=display_name, admin=admin,
                               reason=reason, silence=silence)

    def _merge(self, number: int, *, groups: tuple[str, ...] | list[str], author: Author, display_name: str,
               admin: bool, reason: str, silence: bool = False) -> str:
        proposal = self.get(number)
        if proposal.state != "open":
            raise ProposalRefused(N_("Proposal %(number)s is %(state)s; it cannot be merged."), number=number,
                                  state=Term(proposal.state))
        agreed = self.consensus(proposal, groups)
        if silence:
            self._check_silence(proposal)
        elif not agreed.holds and not (admin and reason.strip()):
            raise ProposalRefused(N_("The stakeholder groups have not all endorsed this proposal; an admin may "
                                     "merge it anyway, giving a reason.") if admin
                                  else N_("The stakeholder groups have not all endorsed this proposal."))
        head = proposal.head
        trailers = ((PROPOSAL_TRAILER, str(number)), *(("Endorsed-By", group) for group in agreed.endorsing),
                    ("Merged-By", display_name))
        if silence:
            trailers += (*((SILENT_TRAILER, group) for group in groups if group not in agreed.endorsing),
                         (SILENCE_TRAILER, proposal.deadline))
        elif not agreed.holds:
            trailers += (("Override-Reason", reason),)

        def prepare(tip: str | None) -> Plan:
            if tip is None:
                raise PageNotFound(N_("The content repository has no commits yet."))
            if self.reader.is_ancestor(head, tip):
                raise ProposalRefused(N_("The proposal changes nothing in the agreed text."))
            tree, conflicts = self.merge_tree(tip, head)
            if tree is None:
                raise ProposalRefused(N_("The proposal needs an update: the agreed text changed the same lines in "
                                         "%(files)s."), files=", ".join(conflicts))
            return Plan({}, f"Merge proposal {number}: {proposal.title}", trailers, merge_parent=head, tree=tree)

        commit = self.committer.commit_to_ref(self.branch_ref, prepare, author=author)
        self.write_event(number, Event("merge", author.username, author.group, now(), commit or head, reason),
                         author=author)
        return commit  # type: ignore[return-value]

    @staticmethod
    def _check_silence(proposal: Proposal) -> None:
        """The silence procedure adopts a proposal only after its deadline, when no group objected."""
        deadline = proposal.deadline_time
        if proposal.procedure != "silence" or deadline is None:
            raise ProposalRefused(N_("Proposal %(number)s is not under the silence procedure."),
                                  number=proposal.number)
        if now() < deadline:
            raise ProposalRefused(N_("The deadline of proposal %(number)s has not passed yet."), number=proposal.number)
        if proposal.silence_broken() is not None:
            raise ProposalRefused(N_("An objection broke the silence on proposal %(number)s; it needs consensus."),
                                  number=proposal.number)


def blob_in_tree(reader: Reader, tree: str, path: str) -> str | None:
    """The blob at ``path`` in ``tree``, or ``None`` (absent, or a folder)."""
    entry = reader.lookup(tree, path)
    return entry[1] if entry is not None and entry[0] != TREE_MODE else None
