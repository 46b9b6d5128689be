"""Import speed (issue 16): ``flask --app wiki import-repo`` on the 20,000-commit repository.

    .venv/bin/python bench/import_repo.py           # table + bench/out/import-latest.json

The source is the large generated repository without trailers or notes (``untrailered`` in
bench/run.py: 2,000 pages, 20,000 commits by 60 people, as another Git wiki would hold them), with
an authors file giving each of the 60 e-mail addresses a group. Each run imports it into a new
instance with the real command in a new process (start-up and seeding included), as an admin
would; a dry run is timed too. Then, in-process on the imported wiki: the commits and notes, and
the first history and blame of the page with 1,000 revisions (cold caches), to show the history
is usable. Figures, not assertions (docs/developers/performance.md has them).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from generate import GROUPS, HOT_PAGE, Params, cached  # noqa: E402

from wiki import create_app  # noqa: E402

SOURCE = Params(pages=2_000, commits=20_000, trailers=False)  # run.py's UNTRAILERED
FLASK = str(Path(sys.executable).parent / "flask")


def authors_file(folder: Path) -> Path:
    path = folder / "authors.csv"
    lines = ["email,group", "import@users.example.org,international-organizations"]
    lines += [f"user{n:03d}@users.example.org,{GROUPS[n % len(GROUPS)]}" for n in range(60)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_command(instance: Path, *args: str) -> tuple[float, str]:
    started = time.monotonic()
    result = subprocess.run([FLASK, "--app", "wiki", "import-repo", *args], cwd=ROOT, capture_output=True, text=True,
                            env={"PATH": "/usr/bin:/bin", "WIKI_INSTANCE_PATH": str(instance)}, timeout=900)
    elapsed = time.monotonic() - started
    if result.returncode != 0:
        raise RuntimeError(f"import-repo failed:\n{result.stdout}\n{result.stderr}")
    return elapsed, result.stdout


def measure(runs: int) -> dict[str, Any]:
    source = cached(SOURCE, OUT)
    results: dict[str, Any] = {"commits": SOURCE.commits, "pages": SOURCE.pages, "runs": []}
    with tempfile.TemporaryDirectory(prefix="wiki-import-bench-") as folder:
        authors = authors_file(Path(folder))
        dry, _ = run_command(Path(folder) / "dry", str(source), "--authors", str(authors), "--dry-run")
        results["dry_run_s"] = dry
        for run in range(runs):
            instance = Path(folder) / f"instance-{run}"
            elapsed, output = run_command(instance, str(source), "--authors", str(authors))
            results["runs"].append(elapsed)
            print(f"import {run + 1}: {elapsed:.1f} s", file=sys.stderr)
        results["output"] = output
        app = create_app({"TESTING": True, "SECRET_KEY": "bench"}, instance_path=str(instance))
        store = app.extensions["wiki_store"]
        results["main_commits"] = int(store.reader.run("rev-list", "--count", "main").stdout)
        notes = store.reader.run("notes", "--ref=stakeholder-groups", "list").stdout.splitlines()
        results["notes"] = len(notes)
        started = time.monotonic()
        history = store.page_history(HOT_PAGE)
        results["hot_history_s"] = time.monotonic() - started
        results["hot_history_commits"] = len(history)
        results["hot_history_grouped"] = sum(1 for item in history if item.group)
        started = time.monotonic()
        blame = store.blame(HOT_PAGE)
        results["hot_blame_s"] = time.monotonic() - started
        results["hot_blame_groups"] = sorted(share.group for share in blame.shares)
        store.close()
    results["import_s"] = statistics.median(results["runs"])
    return results


def table(results: dict[str, Any]) -> str:
    return "\n".join([
        f"import-repo of {results['commits']:,} commits, {results['pages']:,} pages (median of "
        f"{len(results['runs'])}, target < 120 s)",
        f"  import, whole command:      {results['import_s']:.1f} s  (runs: "
        + ", ".join(f"{run:.1f}" for run in results["runs"]) + ")",
        f"  dry run:                    {results['dry_run_s']:.1f} s",
        f"  main afterwards:            {results['main_commits']:,} commits, {results['notes']:,} group notes",
        f"  first history of {HOT_PAGE}: {results['hot_history_s'] * 1000:.0f} ms, "
        f"{results['hot_history_commits']} commits, {results['hot_history_grouped']} with a group",
        f"  first blame of it:          {results['hot_blame_s'] * 1000:.0f} ms, groups "
        + ", ".join(results["hot_blame_groups"]),
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    results = measure(args.runs)
    (OUT / "import-latest.json").write_text(json.dumps(results, indent=2))
    print(table(results))


if __name__ == "__main__":
    main()
