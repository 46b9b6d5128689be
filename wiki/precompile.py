"""``python -m wiki.precompile``: compile the wiki ahead of its first start, as an install would.

Writes the bytecode of every module (``compileall``: a server started with
``PYTHONDONTWRITEBYTECODE`` set, or by a user who may not write beside the sources, compiles them
again at every start), the methods its dataclasses generate (``wiki.dataclass_code``) and the
programs of the regular expressions its modules compile (``wiki.regex_code``). Run by
``make run`` and by the bench; run it again after an upgrade, or let the next start compile what changed.
"""

from __future__ import annotations

import compileall
import importlib
import pkgutil
import sys
from pathlib import Path

from . import dataclass_code, regex_code

PACKAGE = Path(__file__).resolve().parent


def main() -> int:
    if not compileall.compile_dir(str(PACKAGE), quiet=1) or not compileall.compile_file(
            str(PACKAGE.parent / "wsgi.py"), quiet=1):
        return 1
    for module in pkgutil.walk_packages([str(PACKAGE)], prefix="wiki."):
        if not module.name.endswith(".__main__"):  # a script (the git hooks) runs when imported
            importlib.import_module(module.name)
    methods, programs = dataclass_code.write(), regex_code.write()
    print(f"Compiled the wiki, {methods} dataclass methods and {programs} regular expressions.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
