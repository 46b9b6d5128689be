"""Background jobs whose results are files, shared by every worker through the instance directory.

A job is named by a **key** the caller derives from what determines its result (commit ids and
options, see :func:`job_key`), so identical requests share one job and one cached file, and a
cached file is never stale: commit ids do not change. Everything about a job is on disk under
one directory, so a job started by one gunicorn worker is found by another:

- ``<key>.json``: its state (queued, running, done, failed), progress, stage, file name, MIME type;
- ``<key>.out``: the finished file (written to a temporary name, then renamed into place);
- ``<key>.lock``: held with ``flock`` by the thread running the job. The kernel releases it when
  that process dies, so a job whose state says "running" while nobody holds its lock was lost
  (a killed worker) and the next request starts it again.

A job starts only when :mod:`.admission` gives it a place in the queue (bounded in all, per client
and for anonymous clients: else :class:`~.admission.QueueFull`, a 429), and converts only while it
holds one of the running slots every worker shares. Each process runs jobs in a thread pool (most
threads wait for a slot); the conversions themselves run in child processes
(:mod:`wiki.office.convert`). Finished files are kept up to ``max_bytes`` in all; the least
recently used go first. No Flask import.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from ..errors import WikiError
from .admission import Admission, JobLimits, is_locked

QUEUED, RUNNING, DONE, FAILED = "queued", "running", "done", "failed"
LOST = "lost"  # said running, but no process holds its lock any more
DEFAULT_LIMITS = JobLimits()
logger = logging.getLogger(__name__)
FAILED_KEPT_SECONDS = 60.0  # a failed job answers as failed this long, then a request may retry it

# What a job runs: it reports progress as (fraction 0..1, English stage name) and returns the file.
Progress = Callable[[float, str], None]
Work = Callable[[Progress], bytes]


def job_key(*parts: object) -> str:
    """A job's key: a hash of everything its result depends on (commit ids, format, options)."""
    text = json.dumps([str(part) for part in parts], ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def is_key(value: str) -> bool:
    return len(value) == 40 and all(character in "0123456789abcdef" for character in value)


@dataclass(frozen=True)
class Job:
    """A job's state as stored in ``<key>.json``."""

    key: str
    state: str
    filename: str
    mimetype: str
    progress: float = 0.0
    stage: str = ""
    error: str = ""  # the failure's message, in English (see error_template)
    error_code: int = 0
    created: float = 0.0
    updated: float = 0.0
    size: int = 0
    client: str = ""  # who asked for it first (see admission.client_name)
    error_template: str = ""  # a WikiError's template and values, to say it in the reader's language
    error_params: dict[str, object] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.state in (DONE, FAILED)


class JobRunner:
    """Runs jobs in a thread pool and keeps their state and results in ``directory``."""

    def __init__(self, directory: str | os.PathLike[str], *, limits: JobLimits = DEFAULT_LIMITS,
                 max_bytes: int = 500 * 1024 * 1024) -> None:
        self.directory = Path(directory)
        self.max_bytes = max_bytes
        self.limits = limits
        self.admission = Admission(self.directory, limits, running_here=lambda key: key in self._running)
        self._pool: ThreadPoolExecutor | None = None
        self._running: dict[str, Future[None]] = {}
        # Reentrant: a job that ends before ``add_done_callback`` is called runs its callback (which
        # takes this lock) at once, in the thread that holds it.
        self._lock = threading.RLock()

    # ------------------------------------------------------------------ reading

    def _path(self, key: str, suffix: str) -> Path:
        if not is_key(key):
            raise ValueError(f"not a job key: {key!r}")
        return self.directory / f"{key}{suffix}"

    def get(self, key: str) -> Job | None:
        """The job's state from disk (any worker's), ``None`` when unknown; ``state`` is ``lost``
        when it said it was running but no process holds its lock any more."""
        try:
            job = Job(**json.loads(self._path(key, ".json").read_text(encoding="utf-8")))
        except (FileNotFoundError, ValueError, TypeError):
            return None
        if job.state == DONE and not self._path(key, ".out").exists():
            return None  # evicted
        if job.state in (QUEUED, RUNNING) and key not in self._running and not self._locked(key):
            return replace(job, state=LOST)
        return job

    def counts(self) -> dict[str, int]:
        """How many jobs are queued and running (any worker's), for /-/metrics and the admin status."""
        counts = {QUEUED: 0, RUNNING: 0}
        for path in self.directory.glob("*.json"):
            try:
                state = json.loads(path.read_text(encoding="utf-8")).get("state")
            except (OSError, ValueError, AttributeError):
                continue
            if state in counts:
                counts[state] += 1
        return counts

    def result(self, key: str) -> Path | None:
        """The finished file, or ``None``; marks it recently used (it is the last to be evicted)."""
        path = self._path(key, ".out")
        try:
            os.utime(path)
        except FileNotFoundError:
            return None
        return path

    def _locked(self, key: str) -> bool:
        """Whether some thread of some process holds the job's lock (it is running)."""
        return is_locked(self._path(key, ".lock"))

    # ------------------------------------------------------------------ running

    def submit(self, key: str, work: Work, *, filename: str, mimetype: str, client: str = "system") -> Job:
        """Start the job ``key`` in the background unless it is done, running somewhere, or failed
        within the last minute; return its state. Identical keys share one job.

        :raises QueueFull: a new job for ``client`` finds no place in the queue.
        """
        return self._start(key, work, filename=filename, mimetype=mimetype, client=client, wait=False)

    def run(self, key: str, work: Work, *, filename: str, mimetype: str, client: str = "system",
            timeout: float | None = None) -> Job:
        """Like :meth:`submit`, then wait for the job to finish (small exports answered at once).

        Waits at most ``timeout`` seconds (``None``: no limit); returns the state then.
        """
        return self._start(key, work, filename=filename, mimetype=mimetype, client=client, wait=True,
                           timeout=timeout)

    def _start(self, key: str, work: Work, *, filename: str, mimetype: str, client: str, wait: bool,
               timeout: float | None = None) -> Job:
        self.directory.mkdir(parents=True, exist_ok=True)
        with self._lock:
            job = self.get(key)
            if job is not None and job.state == DONE and self.result(key) is not None:
                return job
            if job is not None and job.state == FAILED and time.time() - job.updated < FAILED_KEPT_SECONDS:
                return job
            future = self._running.get(key)
            if future is None and (job is None or job.state in (LOST, FAILED, DONE)):
                handle = open(self._path(key, ".lock"), "a+b")  # noqa: SIM115 (held until the job ends)
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()  # another process took it a moment ago
                else:
                    try:
                        self.admission.admit(key, client)
                    except Exception:
                        fcntl.flock(handle, fcntl.LOCK_UN)
                        handle.close()
                        raise
                    now = time.time()
                    job = Job(key=key, state=QUEUED, filename=filename, mimetype=mimetype, created=now, updated=now,
                              client=client)
                    self._write(job)
                    future = self._executor().submit(self._execute, job, work, handle)
                    self._running[key] = future
                    future.add_done_callback(lambda _done: self._forget(key))
        if wait and future is not None:
            with contextlib.suppress(TimeoutError):
                future.result(timeout=timeout)
        elif wait:
            deadline = None if timeout is None else time.monotonic() + timeout
            while (job := self.get(key)) is not None and job.state in (QUEUED, RUNNING):
                if deadline is not None and time.monotonic() > deadline:
                    break
                time.sleep(0.1)  # running in another process: its state file tells when it ends
        return self.get(key) or Job(key=key, state=QUEUED, filename=filename, mimetype=mimetype)

    def _forget(self, key: str) -> None:
        with self._lock:
            self._running.pop(key, None)

    def _executor(self) -> ThreadPoolExecutor:
        """As many threads as the queue has places: most of them wait for a running slot."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=max(1, self.limits.queued), thread_name_prefix="wiki-job")
        return self._pool

    def _execute(self, job: Job, work: Work, handle: object) -> None:
        """Run ``work`` holding the job's lock and a running slot; record progress, the file, or the
        failure; then give its place in the queue back."""
        last: list[object] = [0.0, None]

        def progress(fraction: float, stage: str) -> None:
            now = time.time()
            if now - last[0] >= 0.2 or stage != last[1] or fraction >= 1:  # about five writes a second
                last[:] = [now, stage]
                self._write(replace(job, state=RUNNING, progress=max(0.0, min(1.0, fraction)), stage=stage,
                                    updated=now))

        try:
            with self.admission.slot(job.client):
                progress(0.0, "")
                data = work(progress)
            temporary = self._path(job.key, f".out.{os.getpid()}.{threading.get_ident()}")
            temporary.write_bytes(data)
            os.replace(temporary, self._path(job.key, ".out"))
            self._write(replace(job, state=DONE, progress=1.0, stage="", updated=time.time(), size=len(data)))
            self._evict()
        except WikiError as error:
            params = {name: value if isinstance(value, int | float) else str(value)
                      for name, value in error.params.items()}
            self._write(replace(job, state=FAILED, error=str(error), error_code=error.code, updated=time.time(),
                                error_template=error.template, error_params=params))
        except Exception as error:  # noqa: BLE001 (a job must record why it failed, whatever it was)
            logger.exception("job %s failed", job.key)  # the reader is told in general terms (JobFailed)
            self._write(replace(job, state=FAILED, error=f"{type(error).__name__}: {error}"[:500], error_code=500,
                                updated=time.time()))
        finally:
            self.admission.release(job.key)
            fcntl.flock(handle, fcntl.LOCK_UN)  # type: ignore[arg-type]
            handle.close()  # type: ignore[attr-defined]

    def _write(self, job: Job) -> None:
        path = self._path(job.key, ".json")
        temporary = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(json.dumps(asdict(job), ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, path)

    def _evict(self) -> None:
        """Delete the least recently used results until they fit in ``max_bytes``."""
        files = []
        for path in self.directory.glob("*.out"):
            with contextlib.suppress(FileNotFoundError):
                stat = path.stat()
                files.append((stat.st_mtime, stat.st_size, path))
        total = sum(size for _, size, _ in files)
        for _, size, path in sorted(files):
            if total <= self.max_bytes:
                break
            key = path.name.removesuffix(".out")
            for suffix in (".out", ".json", ".lock"):
                with contextlib.suppress(FileNotFoundError):
                    (self.directory / f"{key}{suffix}").unlink()
            total -= size

    def shutdown(self) -> None:
        """Wait for this process's jobs and stop its threads (tests; gunicorn just exits)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
