"""The push rules of /content.git, run by git as ``python -m wiki.hooks pre-receive|post-receive``.

``pre-receive`` runs before any ref moves, with the pushed objects still in quarantine: when it
refuses, nothing changes and every line it prints reaches the pusher as ``remote: ...``. The rules:

- only ``refs/heads/main`` (fast-forward only, never deleted), the branch ``refs/heads/proposals/<n>``
  of an open proposal (it must exist already, as the wiki made it; fast-forward only, never deleted;
  the proposal's state is read from the metadata branch's tree, as ``wiki.store.proposals`` writes it)
  and new tags (``refs/tags/*``, never moved or deleted, named like the wiki's named versions,
  pointing at a commit of main) can be pushed; ``refs/notes/*``, the proposals' metadata branch
  ``refs/heads/meta/proposals``, the comments' branch ``refs/heads/meta/comments`` and the calls'
  branch ``refs/heads/meta/calls`` belong to the
  wiki. A new branch or tag may not share its short name
  with another branch or tag (``git checkout main`` would be ambiguous in every clone), nor be
  ``head`` or ``origin``;
- every pushed commit is one the wiki can show, read from the commit object itself (not through a
  ``git log`` format that the commit's own bytes could confuse): author and committer dates from 1970
  up to ``MAX_FUTURE_SECONDS`` (a day) ahead of the server's clock, so imported history keeps its
  dates while the year 3,170,843 is refused; a UTC offset of at most 23:59; no control characters in
  names and e-mails, nor in the message (subject, body, trailers) other than tabs and line breaks;
- every file a pushed commit adds or changes is a page (a file counts as changed unless a trusted
  parent, one already on main or on the proposal's branch pushed to, or pushed and checked with
  it, has it unchanged: a merge with ``refs/notes/*`` or any other history is checked whichever
  parent comes first): a regular
  ``<Page name>.md`` file whose name is a valid, canonical page name (``wiki/names.py``), valid
  UTF-8 without NUL bytes and at most ``MAX_PAGE_BYTES`` long; or an attachment
  ``<Page name>.files/<file name>`` that passes the same checks as an upload
  (``wiki/attachments.py``: its name, its type by content, at most ``MAX_ATTACHMENT_BYTES``);
  no other files, symlinks or submodules; and in each pushed branch no new page differs only in
  case from another, nor is a language version without its page;
- a ``Stakeholder-Group`` trailer, when a commit has one, names a known group (at most one);
- who may push what: admins every ref above; everyone else (editors, reviewers) only the branch of
  an open proposal they created, with commits whose ``Stakeholder-Group`` is their own group;
- a pushed commit is attributed to its pusher: a ``Wiki-User`` trailer naming anyone else is
  refused, for admins too (the wiki writes that trailer for its own edits; a push has the
  ``Pushed-By`` note instead), and no pushed page may keep the conflict markers the wiki's
  three-way merge writes (``wiki.texts.has_conflict_markers``), as the editor refuses them.

``post-receive`` records attribution: every commit the push added to main or to a proposal's
branch (and no other branch had) gets a note under ``refs/notes/stakeholder-groups`` with
``Stakeholder-Group:`` (the commit's trailer, else the pusher's group) and ``Pushed-By:`` (the
pusher's wiki account). History falls back to that note. Pages the push renamed on main take their
comment threads along (a ``move`` event on ``refs/heads/meta/comments``, as a rename in the wiki).
It then adds the pushed commits to the commit-graph, as the wiki does after its own commits.

The wiki's ``git_http`` view passes its settings in ``WIKI_HOOK_*`` variables; git itself runs in
``wiki.gitserver``.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from ..gitserver import ZERO_ID, HookRepository
from ..store import Store
from .attribution import follow_renames, record_attribution
from .commits import check_commits, check_trailers
from .files import check_files, files_to_check
from .refs import (
    MAIN_REF,
    HookSettings,
    RefUpdate,
    ambiguous_name,
    check_ref,
    is_content_branch,
    parse_updates,
    permission_problem,
)

MAX_PROBLEMS_SHOWN = 20


def check_push(updates: list[RefUpdate], repo: HookRepository, settings: HookSettings,
               *, now: float | None = None) -> list[str]:
    """Every reason to refuse the push; an empty list accepts it."""
    problems: list[str] = []
    main = next((update for update in updates if update.ref == MAIN_REF), None)
    main_before = repo.ref(MAIN_REF)
    main_after = main.new if main else main_before
    ref_names = repo.ref_names()
    tips = []
    for update in updates:
        problem = (ambiguous_name(update, updates, ref_names) or permission_problem(update, repo, settings)
                   or check_ref(update, repo, main_after))
        if problem:
            problems.append(problem)
        elif update.new != ZERO_ID:
            tips.append(update.new)
    if problems:
        return problems
    commits = repo.new_commits(tips)
    raw = repo.read_commits(commits)
    problems += check_commits(commits, raw, time.time() if now is None else now)
    if problems:
        return problems  # nothing below reads a commit that failed these checks
    problems += check_trailers(raw, settings)
    # Branches (main, proposals) move forward only: what they had was checked when it came.
    branches = [update for update in updates if is_content_branch(update.ref) and update.new != ZERO_ID]
    trusted = [main_before] if main_before else []
    trusted += [update.old for update in branches if update.ref != MAIN_REF and update.old != ZERO_ID]
    problems += check_files(files_to_check(commits, raw, repo, trusted), repo, settings,
                             [update.new for update in branches])
    return problems



def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in {"pre-receive", "post-receive"}:
        print("usage: python -m wiki.hooks pre-receive|post-receive", file=sys.stderr)
        return 2
    settings = HookSettings.from_environ(os.environ)
    repo = HookRepository()
    updates = parse_updates(sys.stdin)
    if argv[0] == "post-receive":
        name, _, email = settings.committer.partition(" <")
        store = Store(Path(os.environ.get("GIT_DIR", ".")).resolve(), committer_name=name,
                      committer_email=email.rstrip(">"))
        record_attribution(updates, repo, settings, store)
        follow_renames(updates, settings, store)
        store.close()
        repo.write_commit_graph()
        return 0
    problems = check_push(updates, repo, settings)
    if not problems:
        return 0
    print("The wiki refused this push; nothing was changed:", file=sys.stderr)
    for problem in problems[:MAX_PROBLEMS_SHOWN]:
        print(f"  - {problem}", file=sys.stderr)
    if len(problems) > MAX_PROBLEMS_SHOWN:
        print(f"  ... and {len(problems) - MAX_PROBLEMS_SHOWN} more.", file=sys.stderr)
    return 1
