"""Named versions: annotated tags ``refs/tags/<name>`` on commits of the branch's history."""

from __future__ import annotations

from .. import names
from ..errors import N_, InvalidRevision, VersionExists
from .cache import LRUCache
from .committer import Committer, one_line
from .gitlog import parse_ident, parse_trailers, subject_of
from .reader import Reader
from .types import GROUP_TRAILER, TAGS_PREFIX, USER_TRAILER, Author, Version


class Versions:
    """List and create named versions; tag objects are parsed in-process, cached by id."""

    def __init__(self, reader: Reader, committer: Committer, *, branch_ref: str) -> None:
        self.reader = reader
        self.committer = committer
        self.branch_ref = branch_ref
        self._tags: LRUCache[str, Version | None] = LRUCache(1024)

    def versions(self) -> list[Version]:
        """Every named version, newest first."""
        found = []
        for ref, object_id in self.reader.refs(TAGS_PREFIX).items():
            name = ref[len(TAGS_PREFIX):]
            if names.is_version_name(name):
                version = self._tags.get_or_compute(f"{name} {object_id}", lambda n=name, o=object_id: self._read(n, o))
                if version is not None:
                    found.append(version)
        return sorted(found, key=lambda version: (-version.timestamp, version.name))

    def _read(self, name: str, object_id: str) -> Version | None:
        """The version a tag ref points to (an annotated tag, or a plain tag of a commit)."""
        try:
            kind, data = self.reader.read_object(object_id)
        except InvalidRevision:
            return None
        if kind == "commit":
            _, _, stamp = parse_ident(self._header(data).get("committer", ""))
            return Version(name=name, title=name, commit=object_id, tagger="", timestamp=stamp, group="", username="")
        if kind != "tag":
            return None
        header = self._header(data)
        message = data.decode("utf-8", "replace").partition("\n\n")[2]
        try:
            commit = self.reader.version_commit(name)
        except InvalidRevision:
            return None
        tagger, _, stamp = parse_ident(header.get("tagger", ""))
        found = parse_trailers(message)
        return Version(name=name, title=subject_of(message) or name, commit=commit, tagger=tagger, timestamp=stamp,
                       group=found.get(GROUP_TRAILER, ""), username=found.get(USER_TRAILER, ""))

    @staticmethod
    def _header(data: bytes) -> dict[str, str]:
        header = data.decode("utf-8", "replace").partition("\n\n")[0]
        return {key: value for key, _, value in (line.partition(" ") for line in header.split("\n"))}

    def create_version(self, name: str, title: str, commit: str, *, author: Author) -> Version:
        """Tag the whole document at ``commit`` as the named version ``name`` (an annotated tag).

        The commit must be in the branch's history (not a notes commit, say). The tag object is
        checked by ``git mktag`` and the ref created only if absent, so two reviewers choosing one
        name never overwrite each other: the second gets VersionExists.
        """
        name = names.check_version_name(name)
        if name == self.branch_ref.rpartition("/")[2]:
            raise VersionExists(N_("%(name)s is the name of the branch; choose another name."), name=repr(name))
        tip = self.reader.read_ref(self.branch_ref)
        if tip is None or not self.reader.is_ancestor(commit, tip):
            raise InvalidRevision(N_("That revision is not part of the document's history."))
        title = one_line(title)[:200] or name
        tag_id = self.committer.write_tag(name, commit, title, author)
        reason = f"wiki: {one_line(author.username)}"
        if not self.committer.set_ref(f"{TAGS_PREFIX}{name}", tag_id, None, reason=reason):
            raise VersionExists(N_("A version named %(name)s already exists; choose another name."), name=repr(name))
        version = self._read(name, tag_id)
        assert version is not None
        return version
