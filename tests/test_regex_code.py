"""The regular expressions' programs compiled ahead (``wiki.regex_code``, ``python -m wiki.precompile``):
patterns made from kept programs match exactly as freshly compiled ones, a damaged program is
compiled again, and patterns made at run time are not kept without bound. Each case runs in a
fresh interpreter, as a worker starts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Compiles patterns with the programs kept in the file the first argument names (after clearing what
# `import wiki` read) and prints what they match; the second argument "damage" spoils the kept programs.
SCRIPT = r"""
import json, re, sys
from pathlib import Path
from wiki import regex_code
cache = Path(sys.argv[1])
for kept in (regex_code._stored, regex_code._recorded, regex_code._used):
    kept.clear()
regex_code.load(cache)
if sys.argv[2] == "damage":
    for key, program in list(regex_code._stored.items()):
        regex_code._stored[key] = (program[0], [9999] * len(program[1]), *program[2:])
re.purge()  # re's own cache of compiled patterns, filled by `import wiki`
word = re.compile(r"(?P<word>\b\w+\b)\s+(?P=word)", re.IGNORECASE)
data = re.compile(rb"^(\d+)-(\d+)$", re.MULTILINE)
verbose = re.compile(r'''
    (?P<key>[a-z_]+)   # a name
    \s*=\s*
    (?P<value>"[^"]*"|\d+)
''', re.VERBOSE)
results = {
    "doubled": word.search("It is is here").group("word"),
    "groups": sorted(word.groupindex.items()),
    "flags": int(word.flags),
    "bytes": [match.groups() for match in data.finditer(b"12-34\n56-78\nno")],
    "verbose": verbose.fullmatch('size = 42').groupdict(),
    "used": len(regex_code._used), "recorded": len(regex_code._recorded),
}
print(json.dumps(results, default=str))
regex_code.write(cache)
"""


def run(cache: Path, mode: str = "") -> dict[str, object]:
    result = subprocess.run([sys.executable, "-c", SCRIPT, str(cache), mode], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_patterns_from_kept_programs_match_as_compiled_ones(tmp_path: Path) -> None:
    cache = tmp_path / "programs.bin"
    first = run(cache)
    assert first["recorded"] >= 3 and cache.exists()
    second = run(cache)
    assert second["recorded"] == 0 and second["used"] >= 3
    assert {**first, "used": 0, "recorded": 0} == {**second, "used": 0, "recorded": 0}
    assert second["doubled"] == "is" and second["groups"] == [["word", 1]]
    assert second["bytes"] == [["b'12'", "b'34'"], ["b'56'", "b'78'"]]
    assert second["verbose"] == {"key": "size", "value": "42"}


def test_a_damaged_program_is_compiled_again(tmp_path: Path) -> None:
    cache = tmp_path / "programs.bin"
    clean = run(cache)
    damaged = run(cache, "damage")
    assert damaged["used"] == 0 and damaged["recorded"] >= 3  # _sre refused every program: compiled again
    assert {**damaged, "used": 0, "recorded": 0} == {**clean, "used": 0, "recorded": 0}


def test_patterns_made_at_run_time_are_kept_within_a_bound(tmp_path: Path) -> None:
    probe = ("import re; from wiki import regex_code; regex_code._recorded.clear(); "
             "[re.compile(f'query {n}') for n in range(regex_code.MAX_RECORDED + 500)]; "
             "print(len(regex_code._recorded) <= regex_code.MAX_RECORDED)")
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120,
                            check=True)
    assert result.stdout.strip() == "True"
