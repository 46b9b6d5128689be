"""Running pandoc and WeasyPrint in child processes with a time and a memory limit.

Documents come from anyone with an editor's role: a converter that loops or swells must not take
the worker with it. Each run is a child process killed after ``timeout`` seconds; pandoc's heap is
capped by its own runtime (``+RTS -M``: GHC reserves a huge address space up front, so an
address-space limit would stop it at start), Python children by ``RLIMIT_AS``. No Flask, no Git.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path

from .errors import N_, ConversionFailed

DEFAULT_TIMEOUT = 60.0
DEFAULT_MEMORY = 1024 * 1024 * 1024  # bytes


@cache
def pandoc_path() -> str:
    """The pandoc 3 bundled by pypandoc-binary (Debian's 2.17 lacks what we use)."""
    import pypandoc

    return str(pypandoc.get_pandoc_path())


def _limit_memory(limit: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def run(command: Sequence[str], *, data: bytes = b"", cwd: str | Path | None = None,
        timeout: float = DEFAULT_TIMEOUT, memory: int | None = None) -> bytes:
    """Run ``command`` with ``data`` on stdin; its stdout, or :class:`ConversionFailed` when it fails,
    takes longer than ``timeout`` seconds, or (``memory``) needs more address space than that."""
    preexec = (lambda: _limit_memory(memory)) if memory else None  # noqa: E731
    try:
        result = subprocess.run(list(command), input=data, capture_output=True, cwd=cwd, timeout=timeout,
                                preexec_fn=preexec, check=False)
    except subprocess.TimeoutExpired:
        raise ConversionFailed(N_("The conversion took longer than %(seconds)s seconds and was stopped."),
                               seconds=int(timeout)) from None
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()[-1:] or [""]
        if "Heap exhausted" in result.stderr.decode("utf-8", "replace") or result.returncode in (-9, 251):
            raise ConversionFailed(N_("The conversion needed more memory than allowed and was stopped."))
        raise ConversionFailed(N_("The document could not be converted (%(detail)s)."), detail=detail[0][:200])
    return result.stdout


def pandoc(arguments: Sequence[str], *, data: bytes = b"", cwd: str | Path | None = None,
           timeout: float = DEFAULT_TIMEOUT, memory: int = DEFAULT_MEMORY) -> bytes:
    """Run pandoc with its heap capped at ``memory`` bytes."""
    heap = f"-M{max(memory // (1024 * 1024), 64)}m"
    return run([pandoc_path(), "+RTS", heap, "-RTS", *arguments], data=data, cwd=cwd, timeout=timeout)


def html_to_pdf(html: str, *, timeout: float = DEFAULT_TIMEOUT, memory: int = DEFAULT_MEMORY) -> bytes:
    """A PDF of ``html`` (with its own CSS inside) made by WeasyPrint in a child process."""
    script = ("import sys, weasyprint\n"  # nothing from the network or the disk: data: URLs only
              "fetcher = weasyprint.URLFetcher(allowed_protocols=('data',), allow_redirects=False)\n"
              "html = weasyprint.HTML(string=sys.stdin.buffer.read().decode('utf-8'), url_fetcher=fetcher)\n"
              "sys.stdout.buffer.write(html.write_pdf())\n")
    return run([sys.executable, "-c", script], data=html.encode("utf-8"), timeout=timeout, memory=memory)
