"""Parts that run as programs of their own (export, import, worst cases); their JSON reports."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from .common import OUT, ROOT


def run_export() -> dict[str, Any]:
    """``bench/export.py`` (issue 17) in its own process: it prints its table; its JSON report."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "export.py")], cwd=ROOT, check=True)
    return json.loads((OUT / "export-latest.json").read_text())


def run_import() -> dict[str, Any]:
    """``bench/import_repo.py`` (issue 16) in its own process: it prints its table; its JSON report."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "import_repo.py")], cwd=ROOT, check=True)
    return json.loads((OUT / "import-latest.json").read_text())


def run_worst_case(timeout: float) -> dict[str, Any]:
    """``bench/worst_case.py`` in its own process (its cases each in one more); its JSON report."""
    subprocess.run([sys.executable, str(ROOT / "bench" / "worst_case.py"), "--timeout", f"{timeout:g}"], cwd=ROOT,
                   check=True)
    return json.loads((OUT / "worst-case-latest.json").read_text())
