"""Servers in other processes for the tests: free ports on 127.0.0.1 and gunicorn serving an instance."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent
START_SECONDS = 30


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_status(url: str, timeout: float = 20) -> int:
    """The status of a GET of ``url``; 0 when nothing answers (not listening yet, or the connection broke)."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.close()
        return error.code
    except OSError:
        return 0


def wait_until(condition: Callable[[], object], what: str | Callable[[], str], seconds: float = START_SECONDS,
               alive: Callable[[], bool] = lambda: True) -> None:
    """Poll ``condition`` until it is true; fail saying ``what`` (a text, or a function giving it, read
    when failing) after ``seconds`` or as soon as ``alive`` is false."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline and alive(), what() if callable(what) else what
        time.sleep(0.1)


def instance_env(instance: Path, **extra: str) -> dict[str, str]:
    """The environment of a process serving ``instance`` (WIKI_INSTANCE_PATH plus ``extra``), without
    the metrics folder an app made in this test process chose (the server counts in its own)."""
    inherited = {name: value for name, value in os.environ.items() if name != "PROMETHEUS_MULTIPROC_DIR"}
    return {**inherited, "WIKI_INSTANCE_PATH": str(instance), **extra}


@dataclass
class Served:
    """A gunicorn serving an instance: its port, its process and the file of its output."""

    port: int
    process: subprocess.Popen
    log: Path | None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log and self.log.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextmanager
def gunicorn(instance: Path, *, workers: int = 2, port: int | None = None, log: Path | None = None,
             args: tuple[str, ...] = (), ready: str = "/", env: dict[str, str] | None = None) -> Iterator[Served]:
    """gunicorn serving ``instance`` on 127.0.0.1 (``wsgi:app``, as the docs run it), started once
    ``ready`` answers 200; its output goes to ``log`` (or nowhere). Stopped with TERM on leaving."""
    port = port or free_port()
    output = log.open("w") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", "--no-control-socket",
         *args, "wsgi:app"], cwd=ROOT, env=env or instance_env(instance), stdout=output, stderr=subprocess.STDOUT)
    if log:
        output.close()  # the child keeps its own descriptor
    served = Served(port, process, log)
    try:
        wait_until(lambda: http_status(served.base + ready, timeout=5) == 200,
                   lambda: "gunicorn did not start:\n" + served.output(), alive=lambda: process.poll() is None)
        yield served
    finally:
        served.stop()
