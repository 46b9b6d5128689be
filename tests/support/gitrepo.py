"""Repositories changed behind the wiki's back: commits made with git fast-import, and the git
processes a server keeps (to kill them)."""

from __future__ import annotations

import subprocess
from pathlib import Path


def fast_import(repo: Path, commits: list[tuple[str, dict[str, str], int, str]], ref: str = "refs/heads/main") -> None:
    """Commits made outside the wiki (as an import from another wiki would): ``(message, files,
    author time, author name)``, each on the previous one, with no trailer unless the message has it."""
    stream: list[str] = []
    parent = subprocess.run(["git", f"--git-dir={repo}", "rev-parse", "--verify", "--quiet", ref],
                            capture_output=True, text=True).stdout.strip()
    for index, (message, files, stamp, name) in enumerate(commits):
        data = message.encode()
        stream.append(f"commit {ref}\nmark :{index + 1}\nauthor {name} <x@example.org> {stamp} +0000\n"
                      f"committer {name} <x@example.org> {stamp} +0000\ndata {len(data)}\n{message}\n")
        if index == 0 and parent:
            stream.append(f"from {parent}\n")
        for path, text in files.items():
            blob = text.encode()
            stream.append(f"M 100644 inline {path}\ndata {len(blob)}\n{text}\n")
    subprocess.run(["git", f"--git-dir={repo}", "fast-import", "--quiet"], input="".join(stream).encode(),
                   check=True, capture_output=True)


def git_children(pid: int) -> list[int]:
    """The ``git`` processes that are children of ``pid`` (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid and command and command[0].endswith(b"git"):
            found.append(int(entry.name))
    return found
