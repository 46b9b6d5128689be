"""Uploaded documents waiting to be imported: their bytes, their conversion, who uploaded them, and
how much each person may keep here at once.

Everything lives under one directory (``<instance>/imports``), so every worker sees it:

- ``<digest>/`` per upload (``digest``: the SHA-256 of its bytes, so the same file is converted
  once): ``upload`` (the bytes), ``source.json`` (file name, size and a nonce naming this
  staging's conversion job), then, once converted, ``page.md``, ``images/`` and ``meta.json``
  (written last: a staged upload is converted when it has one); a conversion with some tracked
  changes left out (the secretariat's choice) lives beside it in ``choice-<numbers>/``, same files;
- ``.owners/<hash of the user name>/<digest>``: the uploads a person has staged, each holding its
  size. A person may keep ``per_user`` uploads and ``bytes_per_user`` bytes here at once (older
  than ``max_age`` or imported, they no longer count); past that, :class:`StagingFull` (429).

A staged upload lives ``max_age`` seconds (the preview's token as long), or until it is imported.
The conversion is a job (:func:`conversion`) run by the export job runner, so it never runs in the
request that uploaded it. No Flask import.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import N_, WikiError
from . import convert as converters
from . import docimport
from .annotations import Annotation
from .jobs import Progress, Work, job_key
from .provenance import Origin
from .tracked import TrackedChange

CONVERSION_VERSION = 2  # bumped when the conversion's output changes for the same upload
RETRY_AFTER_SECONDS = 600


MAX_CHOICE = 2_000  # numbers of left-out changes a choice may name (as many as are listed)


def _choice(left_out: frozenset[int]) -> str:
    """A choice's folder name: the hash of its sorted numbers (short, whatever their count)."""
    return hashlib.sha256(",".join(map(str, sorted(left_out))).encode()).hexdigest()[:24]


class StagingFull(WikiError):
    """A person already keeps as many uploads, or as many bytes, as the wiki allows at once."""

    code = 429

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


@dataclass(frozen=True)
class Staged:
    """One staged upload: its digest, file name, and the key of its conversion job."""

    digest: str
    filename: str
    job: str


class Staging:
    """The staged uploads under ``root`` and each person's share of them."""

    def __init__(self, root: Path, *, per_user: int, bytes_per_user: int, max_age: float) -> None:
        self.root = root
        self.per_user = per_user
        self.bytes_per_user = bytes_per_user
        self.max_age = max_age

    # ------------------------------------------------------------------ staging

    def stage(self, data: bytes, filename: str, username: str) -> Staged:
        """Keep ``data`` for ``username`` (once per content), or raise :class:`StagingFull`."""
        self.clean()
        digest = hashlib.sha256(data).hexdigest()
        owners = self._owners(username)
        owners.mkdir(parents=True, exist_ok=True)
        with self._locked(owners.with_suffix(".lock")):
            held = {entry.name: size for entry, size in self._held(owners)}
            if digest not in held:
                if len(held) >= self.per_user:
                    raise StagingFull(N_("You have as many uploaded documents waiting to be imported as this wiki "
                                         "keeps for one person (%(count)s). Import them, or wait: each is kept a "
                                         "day."), count=self.per_user)
                if sum(held.values()) + len(data) > self.bytes_per_user:
                    raise StagingFull(N_("Your uploaded documents waiting to be imported would take more than "
                                         "%(size)s MB, the most this wiki keeps for one person. Import them, or "
                                         "wait: each is kept a day."), size=self.bytes_per_user // (1024 * 1024))
            folder = self.root / digest
            if not (folder / "source.json").exists():
                self._create(folder, data, filename)
            (owners / digest).write_text(str(len(data)), encoding="utf-8")
        return self.get(digest)  # type: ignore[return-value]

    def _create(self, folder: Path, data: bytes, filename: str) -> None:
        partial = self.root / f".{folder.name}.{time.time_ns()}"
        partial.mkdir(parents=True)
        (partial / "upload").write_bytes(data)
        source = {"filename": filename[:200], "size": len(data), "nonce": secrets.token_hex(8)}
        (partial / "source.json").write_text(json.dumps(source), encoding="utf-8")
        try:
            partial.rename(folder)
        except OSError:  # another request staged the same upload first
            shutil.rmtree(partial, ignore_errors=True)

    def get(self, digest: str) -> Staged | None:
        """The staged upload ``digest``, or ``None`` when it is gone (imported, too old, never)."""
        try:
            source = json.loads((self.root / digest / "source.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return Staged(digest=digest, filename=source["filename"],
                      job=job_key("import", CONVERSION_VERSION, digest, source["nonce"]))

    def owns(self, digest: str, username: str) -> bool:
        return (self._owners(username) / digest).is_file() and self.get(digest) is not None

    def discard(self, digest: str) -> None:
        """Remove a staged upload (imported, or its conversion failed); its owners' shares free up."""
        folder = self.root / digest
        trash = self.root / f".{digest}.gone.{time.time_ns()}"
        with contextlib.suppress(OSError):
            folder.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)

    # ------------------------------------------------------------------ converting

    def job(self, staged: Staged, left_out: frozenset[int] = frozenset()) -> str:
        """The key of the job converting ``staged`` with the tracked changes ``left_out``."""
        return staged.job if not left_out else job_key(staged.job, _choice(left_out))

    def _folder(self, digest: str, left_out: frozenset[int]) -> Path:
        return self.root / digest / (f"choice-{_choice(left_out)}" if left_out else "")

    def conversion(self, digest: str, limits: converters.Limits, left_out: frozenset[int] = frozenset()) -> Work:
        """The job that converts the staged upload (its tracked changes ``left_out`` rejected) and
        keeps the result beside it."""
        source = self.root / digest / "upload"
        folder = self._folder(digest, left_out)

        def work(progress: Progress) -> bytes:
            progress(0.1, "Converting")
            try:
                converted = docimport.convert(source.read_bytes(), limits=limits, left_out=left_out)
            except Exception:
                if not left_out:
                    self.discard(digest)  # nothing to preview: the owners' shares free up at once
                raise
            folder.mkdir(exist_ok=True)
            (folder / "images").mkdir(exist_ok=True)
            (folder / "page.md").write_text(converted.markdown, encoding="utf-8")
            for name, blob in converted.images.items():
                (folder / "images" / name).write_bytes(blob)
            origin = converted.origin
            meta = {"kind": converted.kind, "dropped": list(converted.dropped),
                    "origin": {"pages": list(origin.pages), "commit": origin.commit, "version": origin.version}
                    if origin else None,
                    "changes": [[c.kind, c.author, c.date, c.text, c.moved, c.number] for c in converted.changes],
                    "left_out": list(converted.left_out),
                    "steps": [list(step) for step in converted.steps],
                    "comments": [[c.author, c.date, c.text, c.quote] for c in converted.comments],
                    "title": converted.title}
            temporary = folder / f"meta.json.{os.getpid()}"
            temporary.write_text(json.dumps(meta), encoding="utf-8")
            os.replace(temporary, folder / "meta.json")
            return b"converted"

        return work

    def load(self, digest: str, left_out: frozenset[int] = frozenset()) -> docimport.Converted | None:
        """The staged conversion (with the tracked changes ``left_out`` rejected), or ``None`` when
        it is not (or no longer) there."""
        folder = self._folder(digest, left_out)
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
            images = {file.name: file.read_bytes() for file in sorted((folder / "images").iterdir())}
            markdown = (folder / "page.md").read_text(encoding="utf-8")
        except (OSError, ValueError):
            return None
        origin = meta.get("origin")
        return docimport.Converted(kind=meta["kind"], markdown=markdown, images=images,
                                   dropped=tuple(meta.get("dropped", ())),
                                   origin=Origin(pages=tuple(origin["pages"]), commit=origin["commit"],
                                                 version=origin.get("version", "")) if origin else None,
                                   changes=tuple(TrackedChange(*change) for change in meta.get("changes", ())),
                                   left_out=tuple(meta.get("left_out", ())),
                                   steps=tuple((author, text) for author, text in meta.get("steps", ())),
                                   comments=tuple(Annotation(*comment) for comment in meta.get("comments", ())),
                                   title=meta.get("title", ""))

    def image(self, digest: str, name: str) -> Path:  # every choice has the same images
        return self.root / digest / "images" / name

    # ------------------------------------------------------------------ shares and cleaning

    def _owners(self, username: str) -> Path:
        return self.root / ".owners" / hashlib.sha256(username.encode("utf-8")).hexdigest()[:32]

    def _held(self, owners: Path) -> Iterator[tuple[Path, int]]:
        """The person's staged uploads that still count, forgetting those gone or too old."""
        cutoff = time.time() - self.max_age
        for entry in list(owners.iterdir()):
            try:
                old = entry.stat().st_mtime < cutoff
                size = int(entry.read_text(encoding="utf-8") or 0)
            except (OSError, ValueError):
                continue
            if old or not (self.root / entry.name / "source.json").exists():
                with contextlib.suppress(OSError):
                    entry.unlink()
                continue
            yield entry, size

    def clean(self) -> None:
        """Remove staged uploads older than ``max_age`` (their tokens have expired too)."""
        if not self.root.is_dir():
            return
        cutoff = time.time() - self.max_age
        for folder in self.root.iterdir():
            if folder.name == ".owners":
                continue
            try:
                if folder.stat().st_mtime < cutoff:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[None]:
        with open(path, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
