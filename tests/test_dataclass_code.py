"""The dataclass methods compiled ahead (``wiki.dataclass_code``, ``python -m wiki.precompile``):
classes made from the kept code behave as Python makes them, code that changed is compiled again,
and a damaged file is ignored. Each case runs in a fresh interpreter, as a worker starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Defines dataclasses (the second argument names a field of one) with the methods kept in the
# file named by the first and prints how they behave and how many methods had to be compiled.
SCRIPT = """
import dataclasses, json, sys
from wiki import dataclass_code
from pathlib import Path
cache = Path(sys.argv[1])
for kept in (dataclass_code._stored, dataclass_code._compiled, dataclass_code._used):
    kept.clear()  # what `import wiki` read and compiled: only this file's classes count here
dataclass_code.load(cache)

Point = dataclasses.make_dataclass("Point", [
    ("x", int), (sys.argv[2], int, dataclasses.field(default=5)),
    ("tags", tuple, dataclasses.field(default_factory=tuple))], frozen=True, order=True)

@dataclasses.dataclass
class Box:
    items: list[int] = dataclasses.field(default_factory=list)

try:
    Point(1).x = 3
    frozen = False
except dataclasses.FrozenInstanceError:
    frozen = True
box = Box()
box.items.append(1)
print(json.dumps({"repr": repr(Point(1)), "eq": Point(1, 2) == Point(1, 2), "lt": Point(1, 2) < Point(2, 0),
                  "hash": hash(Point(1, 2)) == hash(Point(1, 2)), "frozen": frozen, "fresh": Box().items,
                  "compiled": len(dataclass_code._compiled), "used": len(dataclass_code._used)}))
dataclass_code.write(cache)
"""


def run(cache: Path, field: str) -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(cache), field], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_classes_from_kept_methods_behave_as_compiled_ones(tmp_path: Path) -> None:
    cache = tmp_path / "methods.bin"
    first = run(cache, "y")
    assert first["compiled"] > 0 and cache.exists()
    second = run(cache, "y")
    assert second["compiled"] == 0 and second["used"] == first["compiled"]
    assert {**first, "compiled": 0, "used": 0} == {**second, "compiled": 0, "used": 0}
    assert second["repr"] == "Point(x=1, y=5, tags=())"
    assert second["eq"] and second["lt"] and second["hash"] and second["frozen"] and second["fresh"] == []


def test_a_changed_class_is_compiled_again(tmp_path: Path) -> None:
    cache = tmp_path / "methods.bin"
    run(cache, "y")
    changed = run(cache, "z")  # a field renamed: every method of Point names it, Box's are unchanged
    assert changed["repr"] == "Point(x=1, z=5, tags=())"
    assert changed["compiled"] > 0 and changed["used"] >= 2  # Box's __init__ and __eq__ at least


def test_a_damaged_file_is_ignored(tmp_path: Path) -> None:
    cache = tmp_path / "methods.bin"
    cache.write_bytes(b"\x00not marshal data")
    result = run(cache, "y")
    assert result["repr"] == "Point(x=1, y=5, tags=())" and result["compiled"] > 0


def test_precompile_writes_the_methods_a_server_uses(tmp_path: Path) -> None:
    """``python -m wiki.precompile`` keeps the methods of every module; a worker then compiles none."""
    subprocess.run([sys.executable, "-m", "wiki.precompile"], cwd=ROOT, check=True, capture_output=True, timeout=300)
    probe = ("import wiki, wiki.views.pages, wiki.store, wiki.office.jobs; from wiki import dataclass_code; "
             "print(len(dataclass_code._compiled), len(dataclass_code._used))")
    compiled, used = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True,
                                    timeout=60, check=True).stdout.split()
    assert int(compiled) == 0 and int(used) > 100
