"""Run a program under resource limits: ``python -I limited.py SECONDS BYTES -- PROGRAM ARGS...``.

A trampoline, started by :mod:`wiki.office.convert` as its own process: it sets its own limits
with :func:`resource.setrlimit` (CPU seconds, address space, core files off), lowers its priority
(``nice`` 10) and replaces itself
with the program, which inherits them. Doing this in a fresh process instead of a ``preexec_fn``
keeps the limits out of the threaded wiki worker (``preexec_fn`` is unsafe there). Standard
library only: it runs with ``-I``, without the wiki on its path.
"""

from __future__ import annotations

import os
import resource
import sys


def main(argv: list[str]) -> None:
    seconds, memory, separator, *program = argv
    if separator != "--" or not program:
        sys.exit("usage: limited.py SECONDS BYTES -- PROGRAM ARGS...")
    cpu = max(1, int(float(seconds)) + 1)
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    resource.setrlimit(resource.RLIMIT_AS, (int(memory), int(memory)))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(10)  # below the wiki's workers: page views keep the processor while documents convert
    os.execv(program[0], program)


if __name__ == "__main__":
    main(sys.argv[1:])
