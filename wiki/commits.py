"""A commit object's bytes as its fields: the one commit parser. The store's log builds its
``CommitInfo`` on it and the push hooks check pushed commits with it, so both read a commit the
same way, from the object itself (not through a ``git log`` format that a commit's own bytes could
confuse). A pure leaf: no Flask, no git process."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RawCommit:
    """A commit object as stored: its header fields as bytes, read by us and not by a git format."""

    id: str
    tree: str
    parents: tuple[str, ...]
    author: bytes | None  # "Name <email> 1700000000 +0100", or None when the header is missing
    committer: bytes | None
    encoding: bytes | None
    message: bytes


def parse_commit(object_id: str, data: bytes) -> RawCommit:
    """Split a commit object into its headers and message (continuation lines, e.g. of a
    ``gpgsig`` header, start with a space and are skipped)."""
    head, _, message = data.partition(b"\n\n")
    fields: dict[bytes, list[bytes]] = {}
    for line in head.split(b"\n"):
        if line.startswith(b" "):
            continue
        key, _, value = line.partition(b" ")
        fields.setdefault(key, []).append(value)

    def first(key: bytes) -> bytes | None:
        return fields[key][0] if fields.get(key) else None

    return RawCommit(
        id=object_id,
        tree=(first(b"tree") or b"").decode("ascii", "replace"),
        parents=tuple(parent.decode("ascii", "replace") for parent in fields.get(b"parent", [])),
        author=first(b"author"),
        committer=first(b"committer"),
        encoding=first(b"encoding"),
        message=message,
    )
