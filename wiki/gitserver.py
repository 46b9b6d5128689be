"""The Git server side of /content.git: the only module besides the ``wiki.store`` package that starts git.

Why a module of its own: the processes here run with environments the store must never use.
``git http-backend`` runs as a CGI program with the request's CGI variables, and the push hooks
run git inside receive-pack's *quarantine* (``GIT_OBJECT_DIRECTORY`` points at the pushed objects
that are not accepted yet), which ``Reader.run`` in ``wiki.store`` deliberately strips. Everything here is
mechanism; the push rules live in ``wiki.hooks`` and the HTTP rules in ``wiki.views.git_http``.
No Flask import.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from .commits import RawCommit, parse_commit

HTTP_BACKEND = "/usr/lib/git-core/git-http-backend"
ZERO_ID = "0" * 40
# Variables of the server's own environment the backend may see; the rest is built per request.
PASSED_ENVIRONMENT = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")


# --------------------------------------------------------------------------- a push's report


@dataclass(frozen=True)
class PushReport:
    """What receive-pack answered a push: the refs it updated, the refs it refused with git's
    reason, and the messages the push hook wrote (what the pusher sees as ``remote:`` lines)."""

    accepted: tuple[str, ...]
    refused: tuple[tuple[str, str], ...]
    messages: tuple[str, ...]


def _packets(data: bytes) -> Iterator[bytes]:
    """The payloads of git's pkt-lines in ``data`` (flush and delimiter packets skipped)."""
    position = 0
    while position + 4 <= len(data):
        try:
            length = int(data[position:position + 4], 16)
        except ValueError:
            return
        if length < 4:
            position += 4
            continue
        yield data[position + 4:position + length]
        position += length


def push_report(answer: bytes) -> PushReport:
    """Read receive-pack's answer: report-status lines (``ok <ref>``, ``ng <ref> <reason>``), on
    side-band 1 when the client asked for side-band, and the hook's messages on side-band 2."""
    report, messages = bytearray(), []
    lines: list[bytes] = []
    for payload in _packets(answer):
        if payload[:1] == b"\x01":
            report += payload[1:]
        elif payload[:1] == b"\x02":
            messages += payload[1:].decode("utf-8", "replace").replace("\r", "\n").splitlines()
        else:
            lines.append(payload)
    lines += list(_packets(bytes(report)))
    accepted, refused = [], []
    for line in lines:
        text = line.decode("utf-8", "replace").rstrip("\n")
        if text.startswith("ok "):
            accepted.append(text[3:])
        elif text.startswith("ng "):
            ref, _, reason = text[3:].partition(" ")
            refused.append((ref, reason))
    return PushReport(tuple(accepted), tuple(refused), tuple(line.strip() for line in messages if line.strip()))


# --------------------------------------------------------------------------- git http-backend


@dataclass
class BackendResponse:
    """The backend's answer: status, headers, and the body as a stream of chunks."""

    status: int
    headers: list[tuple[str, str]]
    body: Iterator[bytes]


def run_http_backend(
    repo: Path,
    *,
    cgi: Mapping[str, str],
    config: Mapping[str, str],
    extra_env: Mapping[str, str],
    body: IO[bytes] | None,
    on_error: Callable[[str], None],
) -> BackendResponse:
    """Run ``git http-backend`` for one request on the bare repository ``repo``.

    ``cgi`` holds the CGI variables (PATH_INFO relative to the repository, e.g. ``/info/refs``),
    ``config`` git settings forced for this run, ``extra_env`` variables the push hooks read.
    ``body`` is the request body as a real file (spooled, so no pipe can deadlock) and is closed
    when the answer is done. The answer is streamed: the body iterator reads the backend's output
    as it comes and ends the process when closed early. ``on_error`` gets the backend's stderr
    when it failed.
    """
    env = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
    env.update(cgi)
    env.update(extra_env)
    env.update({"GATEWAY_INTERFACE": "CGI/1.1", "GIT_PROJECT_ROOT": str(repo), "GIT_HTTP_EXPORT_ALL": "1"})
    env.update(_config_env(config))
    stderr = tempfile.TemporaryFile()
    process = subprocess.Popen([HTTP_BACKEND], stdin=body if body is not None else subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=repo)
    assert process.stdout is not None
    stdout = process.stdout

    def finish() -> None:
        stdout.close()
        if process.poll() is None:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if body is not None:
            body.close()
        stderr.seek(0)
        message = stderr.read().decode("utf-8", "replace").strip()
        stderr.close()
        if process.returncode != 0 or message:
            on_error(f"git http-backend exited {process.returncode}: {message}")

    status, headers = 200, []
    try:
        for raw in iter(stdout.readline, b""):
            line = raw.rstrip(b"\r\n").decode("latin-1")
            if not line:
                break
            name, _, value = line.partition(":")
            if name.strip().lower() == "status":
                status = int(value.strip().split()[0])
            else:
                headers.append((name.strip(), value.strip()))
        else:
            status = 500 if process.wait() != 0 else status
    except (ValueError, OSError):
        finish()
        raise

    def stream() -> Iterator[bytes]:
        complete = False
        try:
            while chunk := stdout.read1(65536):
                yield chunk
            complete = True
        finally:
            if not complete and process.poll() is None:
                process.kill()  # the client went away mid-answer
            finish()

    return BackendResponse(status=status, headers=headers, body=stream())


def _config_env(config: Mapping[str, str]) -> dict[str, str]:
    """Git settings as ``GIT_CONFIG_COUNT``/``KEY``/``VALUE`` variables (they win over the repo's)."""
    env = {"GIT_CONFIG_COUNT": str(len(config))}
    for index, (key, value) in enumerate(config.items()):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    return env


# --------------------------------------------------------------------------- inside the push hooks


@dataclass(frozen=True)
class FileChange:
    """One file a pushed commit adds or changes (deletions are not listed)."""

    commit: str
    mode: str
    blob: str
    path: bytes


class HookRepository:
    """Read-only questions about the repository a hook runs in, pushed objects included.

    receive-pack starts hooks inside the bare repository with ``GIT_DIR`` set and, before the
    refs move, the quarantine variables: git inherits them, so new objects are visible.
    """

    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.env = {**(environ if environ is not None else os.environ), "LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0"}

    def _git(self, *args: str, input: bytes | None = None, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        result = subprocess.run(["git", *args], input=input, capture_output=True, env=self.env)
        if check and result.returncode != 0:
            raise RuntimeError(f"git {args[0]} exited {result.returncode}: "
                               f"{result.stderr.decode('utf-8', 'replace').strip()}")
        return result

    def ref(self, name: str) -> str | None:
        result = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", name, check=False)
        value = result.stdout.decode().strip()
        return value if result.returncode == 0 and value else None

    def ref_names(self) -> list[str]:
        """The full names of every ref (``refs/heads/main``, ``refs/tags/...``, ``refs/notes/...``)."""
        return self._git("for-each-ref", "--format=%(refname)").stdout.decode("utf-8", "replace").split()

    def peel_to_commit(self, object_id: str) -> str | None:
        result = self._git("rev-parse", "--verify", "--quiet", "--end-of-options", f"{object_id}^{{commit}}",
                           check=False)
        return result.stdout.decode().strip() if result.returncode == 0 else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        return self._git("merge-base", "--is-ancestor", ancestor, descendant, check=False).returncode == 0

    def new_commits(self, tips: Iterable[str], *, exclude: Iterable[str] = ("--all",)) -> list[str]:
        """Commits reachable from ``tips`` but not from ``exclude`` (by default: any ref), oldest first."""
        tips = list(tips)
        if not tips:
            return []
        output = self._git("rev-list", "--reverse", "--topo-order", *tips, "--not", *exclude).stdout
        return output.decode().split()

    def outside_history(self, commits: Iterable[str], tips: Iterable[str]) -> set[str]:
        """Those of ``commits`` that are none of ``tips`` nor an ancestor of one (all of them without tips)."""
        commits, tips = set(commits), sorted(set(tips))
        if not commits or not tips:
            return commits
        output = self._git("rev-list", *sorted(commits), "--not", *tips).stdout
        return commits & set(output.decode().split())

    def tree_entries(self, tree_ish: str) -> dict[str, tuple[str, str]] | None:
        """The entries of a tree (``commit:folder`` works too) by name, as ``(mode, object id)``;
        ``None`` when ``tree_ish`` names no tree."""
        result = self._git("ls-tree", "-z", "--end-of-options", tree_ish, check=False)
        if result.returncode != 0:
            return None
        entries = {}
        for line in result.stdout.split(b"\0"):
            info, tab, name = line.partition(b"\t")
            if tab:
                mode, _, object_id = info.decode("ascii", "replace").split(" ")
                entries[name.decode("utf-8", "replace")] = (mode, object_id)
        return entries

    def read_commits(self, commits: Iterable[str]) -> dict[str, RawCommit]:
        """The commit objects themselves, parsed in Python (one ``cat-file --batch``)."""
        return {oid: parse_commit(oid, data) for oid, data in self._read_objects(commits)}

    def changes_against(self, pairs: list[tuple[str, str | None]]) -> list[list[FileChange]]:
        """For each ``(commit, parent)``, the files ``commit`` adds or changes relative to that
        parent; with ``None`` for the parent, every file of the commit."""
        if not pairs:
            return []
        lines = "".join(f"{commit} {parent}\n" if parent else f"{commit}\n" for commit, parent in pairs)
        # --always: a header for every input line, so the n-th header belongs to the n-th pair.
        output = self._git("diff-tree", "--stdin", "--always", "-r", "-z", "--no-renames", "--root",
                           "--no-abbrev", input=lines.encode()).stdout
        results: list[list[FileChange]] = []
        fields = output.split(b"\0")
        index = 0
        while index < len(fields):
            field = fields[index]
            if field.startswith(b":"):
                _, new_mode, _, new_id, status = field[1:].decode().split(" ")
                if status != "D" and results:
                    commit = pairs[len(results) - 1][0]
                    results[-1].append(FileChange(commit=commit, mode=new_mode, blob=new_id, path=fields[index + 1]))
                index += 2
            else:
                if field.strip():
                    results.append([])
                index += 1
        if len(results) != len(pairs):
            raise RuntimeError(f"git diff-tree answered {len(results)} diffs for {len(pairs)} commits")
        return results

    def object_sizes(self, object_ids: Iterable[str]) -> dict[str, int]:
        ids = sorted(set(object_ids))
        if not ids:
            return {}
        output = self._git("cat-file", "--batch-check=%(objectname) %(objectsize)",
                           input="".join(f"{oid}\n" for oid in ids).encode()).stdout.decode()
        sizes = {}
        for line in output.splitlines():
            oid, _, size = line.partition(" ")
            if size.isdigit():
                sizes[oid] = int(size)
        return sizes

    def read_blobs(self, object_ids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        """The contents of blobs, one ``cat-file --batch`` process for all of them."""
        return self._read_objects(object_ids)

    def _read_objects(self, object_ids: Iterable[str]) -> Iterator[tuple[str, bytes]]:
        ids = sorted(set(object_ids))
        if not ids:
            return
        with tempfile.TemporaryFile() as output:
            subprocess.run(["git", "cat-file", "--batch"], input="".join(f"{oid}\n" for oid in ids).encode(),
                           stdout=output, stderr=subprocess.DEVNULL, env=self.env, check=True)
            output.seek(0)
            for _ in ids:
                header = output.readline().decode().split()
                if len(header) != 3:
                    continue
                yield header[0], output.read(int(header[2]))
                output.read(1)

    def all_files(self, commit: str) -> list[bytes]:
        output = self._git("ls-tree", "-r", "-z", "--name-only", "--full-tree", commit).stdout
        return [path for path in output.split(b"\0") if path]

    def write_commit_graph(self) -> None:
        """Add the pushed commits to the commit-graph (with changed-path filters) for fast history."""
        self._git("commit-graph", "write", "--reachable", "--changed-paths", "--split", "--no-progress", check=False)

