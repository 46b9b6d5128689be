"""Add open amendment proposals to a generated bench repository, with the wiki's storage API.

On top of a repository from ``generate.py`` (by default the large one: 2,000 pages, 20,000
commits), in-process with ``Store.proposals`` (so the branches, the event files on
``refs/heads/meta/proposals``, trailers and merges are exactly the wiki's):

- 200 open proposals, each forked from the tip of ``main`` at its creation, each changing 1-5
  pages (one commit per page, by a user of one of the five groups): a sentence appended to the
  page's first paragraph (its third line). Ten of them change ``POPULAR_PAGE`` among others (for
  ``/-/proposals?page=``).
- 20 of them are then **behind main on their own pages**: ``main`` gets a commit to one of
  their pages changing that same line, so merging or updating them conflicts.
- 20 others, on pages no other proposal changes, get the endorsements of all five groups of
  their current head (consensus: a reviewer may merge them).
- The remaining 160 get random positions: each group endorses with probability 0.3 and objects
  with probability 0.05, some of them then moved on by one more commit (stale).

Output is deterministic in shape (not in timestamps) and cached in ``bench/out/`` by its
parameters; ``proposals.json`` in the repository lists the conflicting, consensual and popular
numbers and the pages any proposal changes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import sys
import time
from pathlib import Path

from generate import GROUPS, HOT_PAGE, Params, cached, generated_once

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wiki.store import Author, Store  # noqa: E402

PROPOSALS = 200
CONFLICTING = 20
CONSENSUS = 20
POPULAR = 10
SEED = 23


def key(base: Params) -> str:
    source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
    text = f"{base.key()} {PROPOSALS} {CONFLICTING} {CONSENSUS} {POPULAR} {SEED} {source}"
    return "repo-proposals-" + hashlib.sha256(text.encode()).hexdigest()[:12]


def author(rng: random.Random, group: str | None = None) -> Author:
    number = rng.randrange(60)
    group = group or GROUPS[number % len(GROUPS)]
    return Author(name=f"User {number:03d}", email=f"user{number:03d}@users.example.org",
                  username=f"user{number:03d}", group=group)


def reviewer(group: str) -> Author:
    return Author(name=f"Reviewer {group}", email=f"{group}@reviewers.example.org", username=f"rev-{group}",
                  group=group)


def amend(text: str, sentence: str) -> str:
    """``text`` with ``sentence`` appended to its third line (the first paragraph under the title)."""
    lines = text.split("\n")
    index = 2 if len(lines) > 2 and lines[2].strip() else next(
        (i for i, line in enumerate(lines) if line.strip() and not line.startswith("#")), 0)
    lines[index] = lines[index] + " " + sentence
    return "\n".join(lines)


def generate(base: Path, target: Path) -> Path:
    """Copy the repository ``base`` to ``target`` and add the proposals."""
    if target.exists():
        shutil.rmtree(target)
    shutil.copytree(base, target)
    (target / "bench-params.json").unlink()
    rng = random.Random(SEED)
    store = Store(target)
    pages = sorted(p for p in store.list_pages() if p not in (HOT_PAGE, "Home"))
    rng.shuffle(pages)
    popular = pages.pop()
    numbers = list(range(1, PROPOSALS + 1))
    order = numbers[:]
    rng.shuffle(order)
    conflicting, consensus = sorted(order[:CONFLICTING]), sorted(order[CONFLICTING:CONFLICTING + CONSENSUS])
    with_popular = set(order[CONFLICTING + CONSENSUS:CONFLICTING + CONSENSUS + POPULAR])
    # pages of the consensual proposals: their own, so that merging all twenty never conflicts
    own = {number: [pages.pop() for _ in range(rng.randint(1, 5))] for number in consensus}
    # the conflicting ones: main changes a page of their own, so exactly these twenty conflict
    first = {number: pages.pop() for number in conflicting}
    shared = pages[:600]  # the others draw from a pool, so some pages are in several proposals
    changed: dict[int, list[str]] = {}
    started = time.monotonic()
    for number in numbers:
        drafter = author(rng)
        proposal = store.proposals.create(f"Bench proposal {number}: {rng.choice(shared).replace('/', ' ')}",
                                          f"Why proposal {number} matters.\n\nIt changes a few pages.",
                                          author=drafter)
        assert proposal.number == number, (proposal.number, number)
        if number in own:
            chosen = own[number]
        else:
            chosen = rng.sample(shared, rng.randint(1, 5))
            if number in with_popular:
                chosen[0] = popular
            if number in first:
                chosen[0] = first[number]
        changed[number] = chosen
        head = proposal.head
        branch = store.proposals.pages_of(number)
        for page in chosen:
            writer = drafter if rng.random() < 0.7 else author(rng)
            text = store.read_page(page, head).text
            result = branch.save_page(page, amend(text, f"Proposal {number} adds this sentence."), base=head,
                                      author=writer, summary=f"Proposal {number}: {page}")
            head = result.commit
    print(f"[proposals] {PROPOSALS} proposals in {time.monotonic() - started:.1f} s", file=sys.stderr)
    # main moves on: a commit to one page of each conflicting proposal, on the same line
    outsider = Author(name="Main Editor", email="main@example.org", username="main-editor", group="governments")
    for number in conflicting:
        page = changed[number][0]
        text = store.read_page(page).text
        store.save_page(page, amend(text, "The agreed text changed here meanwhile."), base=store.head(),
                        author=outsider, summary=f"Change {page} under proposal {number}")
    for number in numbers:
        proposal = store.proposals.get(number)
        if number in consensus:
            for group in GROUPS:
                store.proposals.position(number, "endorse", proposal.head, author=reviewer(group), reason="")
            continue
        for group in GROUPS:
            chance = rng.random()
            if chance < 0.3:
                store.proposals.position(number, "endorse", proposal.head, author=reviewer(group), reason="")
            elif chance < 0.35:
                store.proposals.position(number, "object", proposal.head, author=reviewer(group),
                                         reason=f"{group} cannot agree to proposal {number} as it stands.")
        if number not in conflicting and rng.random() < 0.2:  # one more commit: the positions become stale
            page = changed[number][0]
            text = store.read_page(page, proposal.head).text
            store.proposals.pages_of(number).save_page(
                page, text + f"\nProposal {number} adds a paragraph.\n", base=proposal.head, author=author(rng),
                summary="One more change")
        if rng.random() < 0.3:
            store.proposals.comment(number, f"A comment on proposal {number}.", author=author(rng))
    store.write_commit_graph()
    store.close()
    in_proposals = sorted({page for chosen in changed.values() for page in chosen})
    (target / "proposals.json").write_text(json.dumps({
        "proposals": PROPOSALS, "conflicting": conflicting, "consensus": consensus, "popular_page": popular,
        "with_popular": sorted(with_popular | {n for n, chosen in changed.items() if popular in chosen}),
        "pages_in_proposals": in_proposals, "changed": {str(n): chosen for n, chosen in changed.items()}}, indent=1))
    (target / "bench-params.json").write_text(json.dumps({"base": base.name, "proposals": PROPOSALS}))
    return target


def cached_proposals(base: Params, root: Path) -> Path:
    """The repository with proposals on top of ``base``'s, generated once and reused."""
    return generated_once(root / key(base), lambda target: generate(cached(base, root), target))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Generate (or reuse) the bench repository with proposals.")
    parser.add_argument("--pages", type=int, default=2_000)
    parser.add_argument("--commits", type=int, default=20_000)
    args = parser.parse_args()
    print(cached_proposals(Params(pages=args.pages, commits=args.commits), Path(__file__).resolve().parent / "out"))
