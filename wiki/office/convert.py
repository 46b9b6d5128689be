"""Converters run as child processes under time and memory limits: pandoc and WeasyPrint.

Every conversion runs in a temporary directory, in a process of its own started through the
``limited.py`` trampoline (``resource.setrlimit`` on CPU time and address space, then ``exec``), with
a wall-clock timeout that kills its whole process group. So a huge or hostile document costs a
child that dies, never the wiki worker's memory (issue 17: a worker stays under 500 MB).
Nothing is downloaded: pandoc runs with ``--sandbox`` (it reads only the files named on its
command line) and WeasyPrint reads only ``data:`` URLs. No Flask import.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import N_, WikiError

HERE = Path(__file__).resolve().parent
LIMITED = HERE / "limited.py"
PDF_WORKER = HERE / "pdf_worker.py"

# MIME types and file name extensions of the formats the wiki writes or reads.
MIME_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "odt": "application/vnd.oasis.opendocument.text",
    "pdf": "application/pdf",
    "md": "text/markdown",  # Werkzeug adds "; charset=utf-8" to a text type (given here, it came twice)
}


@dataclass(frozen=True)
class Limits:
    """What one conversion may cost: wall-clock (and CPU) seconds and bytes of address space."""

    seconds: float = 120.0
    memory_bytes: int = 2 * 1024 ** 3


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Converted:
    """A conversion's output and, when the child reported it, its peak resident memory in bytes."""

    data: bytes
    peak_memory: int | None = None


class ConversionError(WikiError):
    """The converter refused the input or failed on it (its message says why)."""

    code = 422


class ConversionLimitExceeded(ConversionError):
    """The conversion needed more time or memory than the limits allow."""

    code = 413


@cache
def pandoc_path() -> str:
    """The pandoc 3 binary bundled by ``pypandoc-binary`` (Debian's 2.17 lacks what we need)."""
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc(source: str | bytes, *, from_format: str, to_format: str, args: Sequence[str] = (),
           files: Mapping[str, bytes] | None = None, limits: Limits = DEFAULT_LIMITS, sandbox: bool = True) -> bytes:
    """Convert ``source`` with pandoc and return the output file's bytes.

    ``files`` are written beside the input in the conversion's temporary directory (which is the
    working directory), so ``args`` may name them, e.g. ``{"ref.docx": ...}`` with
    ``["--reference-doc=ref.docx"]``. ``--sandbox`` (default) lets pandoc read only those files.

    :raises ConversionLimitExceeded: out of time or memory.
    :raises ConversionError: pandoc failed (its first error line is in the message).
    """
    data = source.encode("utf-8") if isinstance(source, str) else source
    with tempfile.TemporaryDirectory(prefix="wiki-pandoc-") as directory:
        work = Path(directory)
        (work / "input").write_bytes(data)
        for name, content in (files or {}).items():
            (work / _plain_name(name)).write_bytes(content)
        argv = [pandoc_path(), "+RTS", f"-M{max(64, limits.memory_bytes // 2 // 2**20)}m", "-RTS",
                *(["--sandbox"] if sandbox else []), "-f", from_format, "-t", to_format, "-o", "output",
                *args, "input"]
        run_limited(argv, work, limits)
        return (work / "output").read_bytes()


def html_to_pdf(html: str, *, stylesheets: Sequence[str] = (), limits: Limits = DEFAULT_LIMITS) -> Converted:
    """Lay out ``html`` (a whole document) as PDF with WeasyPrint in a child process.

    ``stylesheets`` are CSS texts applied after the document's own. Only ``data:`` URLs are
    fetched (inline images beforehand). Returns the PDF and the child's peak memory.

    :raises ConversionLimitExceeded: out of time or memory.
    :raises ConversionError: WeasyPrint failed.
    """
    with tempfile.TemporaryDirectory(prefix="wiki-pdf-") as directory:
        work = Path(directory)
        (work / "input.html").write_text(html, encoding="utf-8")
        css = []
        for number, text in enumerate(stylesheets):
            (work / f"style{number}.css").write_text(text, encoding="utf-8")
            css.append(f"style{number}.css")
        result = run_limited([sys.executable, "-I", str(PDF_WORKER), "input.html", "output.pdf", *css], work, limits)
        lines = result.stdout.strip().splitlines()
        peak = int(lines[-1]) if lines and lines[-1].isdigit() else None
        return Converted((work / "output.pdf").read_bytes(), peak)


def _plain_name(name: str) -> str:
    if not name or "/" in name or name.startswith(".") or name in {"input", "output"}:
        raise ValueError(f"not a plain file name: {name!r}")
    return name


def run_limited(argv: list[str], cwd: Path, limits: Limits) -> subprocess.CompletedProcess[bytes]:
    """Run ``argv`` in ``cwd`` under ``limits``; raise the conversion errors on failure."""
    command = [sys.executable, "-I", str(LIMITED), str(limits.seconds), str(limits.memory_bytes), "--", *argv]
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(cwd), "LANG": "C.UTF-8",
                   "TMPDIR": str(cwd)}
    process = subprocess.Popen(command, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=environment, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=limits.seconds)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        process.communicate()
        raise ConversionLimitExceeded(N_("The conversion took longer than %(seconds)s seconds and was stopped."),
                                      seconds=int(limits.seconds)) from None
    finally:
        if process.returncode is None:
            _kill_group(process)
            process.wait()
    if process.returncode != 0:
        message = stderr.decode("utf-8", "replace")
        if process.returncode in (-signal.SIGKILL, -signal.SIGXCPU) or "MemoryError" in message \
                or "Heap exhausted" in message or "out of memory" in message.lower():
            raise ConversionLimitExceeded(N_("The conversion needed more time or memory than allowed and was "
                                             "stopped."))
        first = next((line for line in message.splitlines() if line.strip()), "")
        for line in reversed(message.splitlines()):  # a Python traceback's last line says what went wrong
            if line.strip():
                first = line.strip() if argv[0] == sys.executable else first
                break
        raise ConversionError(N_("The conversion failed: %(reason)s"), reason=first[:300] or process.returncode)
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
