"""The programs regular expressions compile to, compiled ahead by ``python -m wiki.precompile``
instead of at every start.

The wiki and its libraries compile ~290 regular expressions while their modules are imported:
30-40 ms of every worker's start (issue 26). ``re`` compiles a pattern in two steps: parsing and
generating its program in Python (``re._compiler.compile``), then ``_sre.compile``, which checks the
program and makes the pattern object. The first step's output (flags, program, groups) is kept beside
the bytecode, as the dataclass methods are (:mod:`wiki.dataclass_code`), found by the pattern's exact
text and flags; ``_sre.compile`` still checks and builds every pattern, so a damaged entry is only
compiled again. A pattern not kept compiles as before.

This replaces ``re._compiler.compile``, an internal function, with one that computes the same
arguments for ``_sre.compile`` as Python 3.11's does; it is installed only on 3.11.
"""

from __future__ import annotations

import _sre  # type: ignore[import-not-found]
import re
import sys
from pathlib import Path
from typing import Any

from .dataclass_code import read_kept, write_kept

# re's parser and code generator (internal to Python 3.11): install() replaces the latter's compile.
_compiler = re._compiler  # type: ignore[attr-defined]
_parser = re._parser  # type: ignore[attr-defined]
CACHE_PATH = Path(__file__).resolve().parent / "__pycache__" / f"regex-programs.{sys.implementation.cache_tag}.bin"
MAX_RECORDED = 4096  # programs one process may add (patterns made from what users type are not bounded)
_ORIGINAL = _compiler.compile

Key = tuple[str | bytes, int]
Program = tuple[int, list[int], int, dict[str, int], tuple[str | None, ...]]  # _sre.compile's arguments

_stored: dict[Key, Program] = {}
_recorded: dict[Key, Program] = {}  # compiled in this process
_used: set[Key] = set()  # read from the file by this process


def _program(pattern: str | bytes, flags: int) -> Program:
    """What Python 3.11's ``re._compiler.compile`` passes to ``_sre.compile``, after the pattern."""
    parsed = _parser.parse(pattern, flags)
    code = _compiler._code(parsed, flags)
    groupindex = parsed.state.groupdict
    indexgroup: list[str | None] = [None] * parsed.state.groups
    for name, index in groupindex.items():
        indexgroup[index] = name
    # plain ints: the program's opcodes are int subclasses, which marshal does not write
    return (int(flags | parsed.state.flags), [int(word) for word in code], parsed.state.groups - 1,
            dict(groupindex), tuple(indexgroup))


def _compile(pattern: Any, flags: int = 0) -> Any:  # noqa: ANN401 - re's own types
    if not isinstance(pattern, str | bytes) or flags & re.DEBUG:
        return _ORIGINAL(pattern, flags)
    key = (pattern, int(flags))
    program = _stored.get(key)
    if program is not None:
        try:
            compiled = _sre.compile(pattern, *program)
        except (TypeError, ValueError, RuntimeError, OverflowError):  # damaged: compiled again below
            pass
        else:
            _used.add(key)
            return compiled
    program = _program(pattern, int(flags))
    if len(_recorded) < MAX_RECORDED:
        _recorded[key] = program
    return _sre.compile(pattern, *program)


def load(path: Path = CACHE_PATH) -> None:
    """Read the programs kept at ``path`` (nothing, if it is missing or damaged)."""
    _stored.update((key, value) for key, value in read_kept(path).items()
                   if isinstance(key, tuple) and isinstance(value, tuple) and len(value) == 5)


def install() -> None:
    """Have ``re`` use the kept programs (on Python 3.11 only: the copy is of its function)."""
    if sys.version_info[:2] != (3, 11) or _compiler.compile is not _ORIGINAL:
        return
    load()
    _compiler.compile = _compile


def write(path: Path = CACHE_PATH) -> int:
    """Write the programs this process read or compiled to ``path`` atomically; how many."""
    programs = {key: _stored[key] for key in _used} | _recorded
    write_kept(path, programs)
    return len(programs)


install()  # on import: wiki/__init__.py imports this module first
