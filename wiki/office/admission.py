"""Which conversion jobs may wait and run, across every worker: a bounded queue with per-client
limits, and a fixed number of conversions running at once.

A job is *admitted* when it starts: ``<directory>/active/<key>`` names its client, written under
an exclusive ``flock`` of ``<directory>/queue.lock`` after counting the others, so two workers
cannot both take the last place. A marker whose job no process runs any more (its lock is free:
a killed worker) is swept away while counting. Limits (:class:`JobLimits`): all jobs waiting or
running (``queued``), those of one client (``per_client``: one account, or one anonymous address,
an IPv6 one by its /64), those of all anonymous clients together (``anonymous``). Past a limit,
:class:`QueueFull` (429 with ``Retry-After``).

An admitted job then takes one of ``running`` *slots* (``slot-<n>.lock``, ``flock``: released by
the kernel when a process dies) before its conversion starts, and waits as "queued" until one is
free. Anonymous clients never take slot 0 when there are two or more, so a flood of anonymous
exports leaves room for an account's export. No Flask import.
"""

from __future__ import annotations

import contextlib
import fcntl
import ipaddress
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ..errors import N_, WikiError

ANONYMOUS = "anon:"  # the prefix of an anonymous client's name (then its address)
SLOT_POLL_SECONDS = 0.2
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class JobLimits:
    """How many jobs may wait or run at once, and how many conversions run at once."""

    queued: int = 16
    per_client: int = 2
    anonymous: int = 4
    running: int = 2


class QueueFull(WikiError):
    """No place for another job now: the client's own, the anonymous or the whole queue is full."""

    code = 429

    def response_headers(self) -> dict[str, str]:
        return {"Retry-After": str(RETRY_AFTER_SECONDS)}


class Admission:
    """The queue's places and the running slots of the jobs in ``directory``."""

    def __init__(self, directory: Path, limits: JobLimits, *, running_here: Callable[[str], bool]) -> None:
        self.directory = directory
        self.limits = limits
        self._running_here = running_here  # whether this process runs the job (its lock is held here)

    @property
    def _active(self) -> Path:
        return self.directory / "active"

    def admit(self, key: str, client: str) -> None:
        """Take a place in the queue for the job ``key`` of ``client``, or raise :class:`QueueFull`."""
        self._active.mkdir(parents=True, exist_ok=True)
        with self._exclusive("queue.lock"):
            clients = self._clients()
            clients.pop(key, None)  # started again (a lost job): its place is its own
            if len(clients) >= self.limits.queued:
                raise QueueFull(N_("The wiki is making as many exports and imports as it can at the moment. "
                                   "Try again in a minute."))
            if sum(1 for owner in clients.values() if owner == client) >= self.limits.per_client:
                raise QueueFull(N_("You already have as many exports or imports being made as this wiki makes for "
                                   "one person at once (%(count)s). Wait for one to finish, then try again."),
                                count=self.limits.per_client)
            if client.startswith(ANONYMOUS) and \
                    sum(1 for owner in clients.values() if owner.startswith(ANONYMOUS)) >= self.limits.anonymous:
                raise QueueFull(N_("Many exports for visitors who are not logged in are being made at the moment. "
                                   "Try again in a minute, or log in."))
            marker = self._active / key
            marker.write_text(client, encoding="utf-8")

    def release(self, key: str) -> None:
        """Give the job's place back (it finished, or failed)."""
        with contextlib.suppress(FileNotFoundError):
            (self._active / key).unlink()

    def _clients(self) -> dict[str, str]:
        """Each admitted job's client, sweeping away the places of jobs that no process runs."""
        found = {}
        for marker in self._active.iterdir():
            key = marker.name
            if not self._running_here(key) and not is_locked(self.directory / f"{key}.lock"):
                with contextlib.suppress(FileNotFoundError):
                    marker.unlink()
                continue
            with contextlib.suppress(FileNotFoundError):
                found[key] = marker.read_text(encoding="utf-8")
        return found

    @contextlib.contextmanager
    def slot(self, client: str) -> Iterator[None]:
        """Wait for a free running slot (anonymous clients: not slot 0 when there are several)."""
        first = 1 if client.startswith(ANONYMOUS) and self.limits.running > 1 else 0
        paths = [self.directory / f"slot-{number}.lock" for number in range(first, self.limits.running)]
        while True:
            for path in paths:
                handle = open(path, "a+b")  # noqa: SIM115 (held until the conversion ends)
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    handle.close()
                    continue
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
                    handle.close()
                return
            time.sleep(SLOT_POLL_SECONDS)

    @contextlib.contextmanager
    def _exclusive(self, name: str) -> Iterator[IO[bytes]]:
        with open(self.directory / name, "a+b") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield handle
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def is_locked(path: Path) -> bool:
    """Whether some thread of some process holds the ``flock`` of ``path`` (without creating it)."""
    try:
        with open(path, "r+b") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False
    except FileNotFoundError:
        return False


def client_name(username: str | None, address: str | None) -> str:
    """``user:<name>`` for an account, else ``anon:<address>`` (an IPv6 address by its /64, which one
    host usually holds whole, so that changing addresses within it counts as one client)."""
    if username:
        return f"user:{username}"
    try:
        parsed = ipaddress.ip_address(address or "")
    except ValueError:
        return f"{ANONYMOUS}{address or 'unknown'}"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return f"{ANONYMOUS}{parsed.ipv4_mapped}"
        return f"{ANONYMOUS}{ipaddress.ip_network(f'{parsed}/64', strict=False)}"
    return f"{ANONYMOUS}{parsed}"
