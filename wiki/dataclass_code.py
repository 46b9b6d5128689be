"""The methods dataclasses generate, compiled ahead by ``python -m wiki.precompile`` instead of at every
start.

Python 3.11 writes the source of each generated method (``__init__``, ``__repr__``, ``__eq__``,
``__setattr__``...) and compiles it with ``exec``: ~80 µs a method, ~60 ms of every worker's start
for the wiki's ~150 dataclasses, the largest part of its cold start after Flask itself (issue 26).
Compiled code is what a ``.pyc`` holds, so it is kept beside them: ``wiki/__pycache__/``, one file
per interpreter version, made explicitly as ``compileall`` makes bytecode (``make run`` and the
bench do), never at run time. An entry is found by a digest of the method's exact source, so code
that changed is simply compiled again as before, and a missing or unreadable file costs nothing.

This replaces ``dataclasses._create_fn``, an internal function, with a copy that differs only in
where the code object comes from; it is installed only on the Python it was copied from (3.11).
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
import os
import sys
import tempfile
from pathlib import Path
from types import CodeType
from typing import Any

CACHE_PATH = Path(__file__).resolve().parent / "__pycache__" / f"dataclass-methods.{sys.implementation.cache_tag}.bin"
_ORIGINAL = dataclasses._create_fn  # type: ignore[attr-defined]
_MISSING = dataclasses.MISSING

_stored: dict[bytes, bytes] = {}  # digest of a method's source -> its marshalled code object
_compiled: dict[bytes, bytes] = {}  # compiled in this process
_used: set[bytes] = set()  # read from the file by this process


def _digest(source: str) -> bytes:
    return hashlib.blake2b(source.encode("utf-8"), digest_size=20).digest()


def _code(source: str) -> CodeType:
    key = _digest(source)
    stored = _stored.get(key)
    if stored is not None:
        try:
            code = marshal.loads(stored)
        except (EOFError, ValueError, TypeError):
            code = None
        if isinstance(code, CodeType):
            _used.add(key)
            return code
    code = compile(source, "<string>", "exec")
    _compiled[key] = marshal.dumps(code)
    return code


def _create_fn(name: str, args: list[str], body: list[str], *, globals: dict[str, Any] | None = None,  # noqa: A002
               locals: dict[str, Any] | None = None, return_type: Any = _MISSING) -> Any:  # noqa: A002, ANN401
    """``dataclasses._create_fn`` of Python 3.11, with the code looked up before it is compiled."""
    if locals is None:
        locals = {}  # noqa: A001
    return_annotation = ""
    if return_type is not _MISSING:
        locals["_return_type"] = return_type
        return_annotation = "->_return_type"
    arguments = ",".join(args)
    lines = "\n".join(f"  {line}" for line in body)
    text = f" def {name}({arguments}){return_annotation}:\n{lines}"
    local_vars = ", ".join(locals.keys())
    text = f"def __create_fn__({local_vars}):\n{text}\n return {name}"
    namespace: dict[str, Any] = {}
    exec(_code(text), globals, namespace)  # noqa: S102 - the code dataclasses generate, as they run it
    return namespace["__create_fn__"](**locals)


def read_kept(path: Path) -> dict:
    """What a file of this kind holds (marshal's format), or ``{}`` when it is missing or damaged."""
    try:
        loaded = marshal.loads(path.read_bytes())
    except (OSError, EOFError, ValueError, TypeError):
        return {}
    return loaded if isinstance(loaded, dict) else {}


def write_kept(path: Path, kept: dict) -> None:
    """Write ``kept`` to ``path`` atomically, as readable as the bytecode beside it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}-")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(marshal.dumps(kept))
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def load(path: Path = CACHE_PATH) -> None:
    """Read the compiled methods kept at ``path`` (nothing, if it is missing or damaged)."""
    _stored.update((key, value) for key, value in read_kept(path).items()
                   if isinstance(key, bytes) and isinstance(value, bytes))


def install() -> None:
    """Have dataclasses use the kept methods (on Python 3.11 only: the copy is of its function)."""
    if sys.version_info[:2] != (3, 11) or dataclasses._create_fn is not _ORIGINAL:  # type: ignore[attr-defined]
        return
    load()
    dataclasses._create_fn = _create_fn  # type: ignore[attr-defined]


def write(path: Path = CACHE_PATH) -> int:
    """Write the methods this process made, read or compiled, to ``path`` atomically (only those:
    a file made by older code would otherwise only grow); returns how many."""
    methods = {key: _stored[key] for key in _used} | _compiled
    write_kept(path, methods)
    return len(methods)


install()  # on import: wiki/__init__.py imports this module first
