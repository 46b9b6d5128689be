"""Generate a content repository like a long-lived wiki's, fast, with ``git fast-import``.

The first commit imports every page; each later commit edits one page (replaces, adds or drops
a paragraph) with an author and the ``Stakeholder-Group`` / ``Wiki-User`` trailers the wiki
writes, or, with ``trailers=False`` (``--no-trailers``), with none, like a repository imported
from elsewhere (there are never notes either). One "hot" page gets ``hot_revisions`` of those
commits, spread over the whole history.
Output is deterministic for given parameters, so the repository is cached by them.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

GROUPS = ("governments", "private-sector", "civil-society", "technical-academic", "international-organizations")
SECTIONS = ("Mapping", "Governance", "Infrastructure", "Rights", "Economy", "Security", "Development",
            "Standards", "Access", "Data")
HOT_PAGE = "Mapping/Cybersecurity"
WORDS = (
    "internet governance policy stakeholder multistakeholder cooperation enhanced public issue mapping "
    "cybersecurity privacy data protection access connectivity infrastructure spectrum broadband "
    "capacity building development digital divide inclusion gender rights freedom expression "
    "accountability transparency consensus working group secretariat mandate resolution report "
    "recommendation framework principle norm standard protocol domain name address registry root "
    "server resilience interoperability open source innovation competition trade taxation economy "
    "platform content moderation misinformation children online safety trust identity authentication "
    "encryption lawful interception jurisdiction cross border flows sovereignty cloud computing artificial "
    "intelligence algorithm automation labour education health environment energy sustainability "
    "emergency disaster response language diversity multilingualism culture heritage archive library "
    "research academic technical community civil society private sector government international "
    "organization treaty convention declaration agenda summit forum session meeting agreement review "
    "implementation monitoring indicator measurement survey statistic evidence assessment impact "
    "risk threat vulnerability incident coordination network operator provider user consumer citizen "
    "the of and to in for on with by as is are be that this which from at or an not more their"
).split()


@dataclass(frozen=True)
class Params:
    """What a generated repository depends on; its hash names the cache directory."""

    pages: int
    commits: int
    hot_revisions: int = 1000
    seed: int = 7
    version: int = 1  # bump when the generator's output changes
    trailers: bool = True  # False: commits carry no Stakeholder-Group / Wiki-User trailers (an import)

    def key(self) -> str:
        source = hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:8]
        text = json.dumps(asdict(self), sort_keys=True) + source
        plain = "" if self.trailers else "plain-"
        return f"repo-{self.pages}p-{self.commits}c-{plain}" + hashlib.sha256(text.encode()).hexdigest()[:12]


def page_names(count: int, rng: random.Random) -> list[str]:
    """``count`` distinct page names in sections, the hot page and ``Home`` among them."""
    names = ["Home", HOT_PAGE]
    seen = {name.casefold() for name in names}
    while len(names) < count:
        title = "_".join(rng.choice(WORDS[:200]).capitalize() for _ in range(rng.randint(1, 3)))
        name = f"{rng.choice(SECTIONS)}/{title}"
        if name.casefold() in seen:
            continue
        seen.add(name.casefold())
        names.append(name)
    return names


class PageText:
    """A page as a list of Markdown blocks, so an edit touches one block."""

    def __init__(self, name: str, all_names: list[str], rng: random.Random, target: int) -> None:
        self.rng = rng
        self.all_names = all_names
        self.blocks = [f"# {name.rpartition('/')[2].replace('_', ' ')}\n"]
        while self.size() < target:
            self.blocks.append(self.block())

    def size(self) -> int:
        return sum(len(block) + 1 for block in self.blocks)

    def sentence(self) -> str:
        words = [self.rng.choice(WORDS) for _ in range(self.rng.randint(6, 16))]
        if self.rng.random() < 0.3:
            target = self.rng.choice(self.all_names)
            words.insert(self.rng.randrange(len(words)), f"[[{target}]]")
        if self.rng.random() < 0.03:
            words.append(f"[[{self.rng.choice(SECTIONS)}/Not_Written_Yet_{self.rng.randint(1, 50)}]]")
        text = " ".join(words)
        return text[0].upper() + text[1:] + "."

    def block(self) -> str:
        kind = self.rng.random()
        if kind < 0.12:
            return f"## {' '.join(self.rng.choice(WORDS[:200]) for _ in range(3)).capitalize()}\n"
        if kind < 0.3:
            return "".join(f"- {self.sentence()}\n" for _ in range(self.rng.randint(2, 6)))
        if kind < 0.38:
            rows = ["| Group | Position | Status |", "| --- | --- | --- |"]
            for _ in range(self.rng.randint(2, 6)):
                rows.append(f"| {self.rng.choice(GROUPS)} | {self.sentence()} | {self.rng.choice(WORDS)} |")
            return "\n".join(rows) + "\n"
        return " ".join(self.sentence() for _ in range(self.rng.randint(2, 6))) + "\n"

    def edit(self) -> None:
        """Replace, insert or drop one block, keeping the page between 2 and 20 KB."""
        choice = self.rng.random()
        size = self.size()
        index = self.rng.randrange(1, len(self.blocks)) if len(self.blocks) > 1 else 1
        if (choice < 0.25 and size < 19_000) or size < 2_500:
            self.blocks.insert(index, self.block())
        elif choice < 0.35 and size > 3_000 and len(self.blocks) > 2:
            del self.blocks[index]
        elif len(self.blocks) > 1:
            self.blocks[index] = self.block()
        else:
            self.blocks.append(self.block())

    def data(self) -> bytes:
        return "\n".join(self.blocks).encode()


def _data(payload: bytes) -> bytes:
    return b"data %d\n" % len(payload) + payload + b"\n"


def generate(params: Params, target: Path) -> Path:
    """Write a bare repository for ``params`` at ``target`` (replaced if present); return it."""
    rng = random.Random(params.seed)
    if target.exists():
        shutil.rmtree(target)
    subprocess.run(["git", "init", "--bare", "--quiet", "--initial-branch=main", str(target)], check=True)
    names = page_names(params.pages, rng)
    people = [(f"user{n:03d}", f"User {n:03d}", GROUPS[n % len(GROUPS)]) for n in range(60)]
    pages = {name: PageText(name, names, rng, rng.randint(2_000, 17_000)) for name in names}
    pages[HOT_PAGE] = PageText(HOT_PAGE, names, rng, 9_000)
    others = [name for name in names if name != HOT_PAGE]
    hot_every = max(1, (params.commits - 1) // max(1, params.hot_revisions - 1))
    process = subprocess.Popen(["git", f"--git-dir={target}", "fast-import", "--quiet", "--date-format=raw"],
                               stdin=subprocess.PIPE)
    assert process.stdin is not None
    out = process.stdin
    stamp = 1_500_000_000
    hot_done = 0
    for number in range(params.commits):
        stamp += rng.randint(60, 3_600)
        username, display, group = rng.choice(people)
        if number == 0:
            username, display, group = "import", "Living Wiki", "international-organizations"
            changed = names
            subject = "Import the seed pages of the living document"
        else:
            hot = hot_done < params.hot_revisions - 1 and number % hot_every == 0
            page = HOT_PAGE if hot else rng.choice(others)
            hot_done += hot
            pages[page].edit()
            changed = [page]
            subject = f"Edit {page}: {' '.join(rng.choice(WORDS[:200]) for _ in range(4))}"
        if params.trailers:
            message = f"{subject}\n\nStakeholder-Group: {group}\nWiki-User: {username}\n".encode()
        else:
            message = f"{subject}\n".encode()
        ident = f"{display} <{username}@users.example.org> {stamp} +0000".encode()
        committer = ident if not params.trailers else b"Living Wiki <wiki@living-wiki.invalid> %d +0000" % stamp
        chunks = [b"commit refs/heads/main\n", b"author " + ident + b"\n", b"committer " + committer + b"\n",
                  _data(message)]
        if number == 0:
            chunks.append(b"deleteall\n")
        for page in changed:
            chunks.append(f"M 100644 inline {page}.md\n".encode() + _data(pages[page].data()))
        out.write(b"".join(chunks) + b"\n")
    out.close()
    if process.wait() != 0:
        raise RuntimeError("git fast-import failed")
    subprocess.run(["git", f"--git-dir={target}", "commit-graph", "write", "--reachable", "--changed-paths",
                    "--no-progress"], check=True)
    (target / "bench-params.json").write_text(json.dumps({**asdict(params), "hot_page": HOT_PAGE}))
    return target


def generated_once(target: Path, build: Callable[[Path], object]) -> Path:
    """``target``, built by ``build`` unless an earlier run finished it (it writes bench-params.json last)."""
    if not (target / "bench-params.json").exists():
        started = time.monotonic()
        build(target)
        print(f"generated {target.name} in {time.monotonic() - started:.1f} s", file=sys.stderr)
    return target


def cached(params: Params, root: Path) -> Path:
    """The repository for ``params`` under ``root``, generated once and reused while unchanged."""
    return generated_once(root / params.key(), lambda target: generate(params, target))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Generate (or reuse) a bench repository in bench/out/.")
    parser.add_argument("pages", type=int)
    parser.add_argument("commits", type=int)
    parser.add_argument("--no-trailers", action="store_true", help="commits without attribution trailers")
    args = parser.parse_args()
    out = Path(__file__).resolve().parent / "out"
    print(cached(Params(pages=args.pages, commits=args.commits, trailers=not args.no_trailers), out))
