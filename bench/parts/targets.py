"""Issue 26's targets, each figure beside the same run's baseline: a Flask hello-world served by
gunicorn the same way just before (its req/s for the views' ratio, its p50 latency for the times,
its cold start for the wiki's),
so that a slow or busy machine shows as a slow baseline rather than as a missed target."""

from __future__ import annotations

import math
from typing import Any


def _p50(results: dict[str, Any], key: str) -> float | None:
    value = results.get(key)
    if isinstance(value, dict):
        return value.get("p50")
    return None if value is None or (isinstance(value, float) and math.isnan(value)) else value


def targets_table(report: dict[str, Any]) -> str:
    """Rows of (measure, this run, baseline, target, met) for what the report holds."""
    sizes = report.get("sizes", {})
    size = "large" if "large" in sizes else next(iter(sizes), None)
    rows: list[tuple[str, str, str, str, str]] = [("issue 26 target" + (f" ({size})" if size else ""), "this run",
                                                   "hello-world, same run", "target", "met")]

    def add(label: str, value: float | None, unit: str, baseline: str, limit: float, below: bool = True) -> None:
        if value is None:
            return
        met = value < limit if below else value >= limit
        shown = f"{value:.0%}" if unit == "%" else f"{value:,.1f} {unit}"
        target = (f"< {limit:,g} {unit}" if below else f">= {limit:.0%}") if unit != "%" else f">= {limit:.0%}"
        rows.append((label, shown, baseline, target, "yes" if met else "NO"))

    if size:
        results = sizes[size]
        hello = results.get("hello", {})
        hello_rps, hello_p50 = hello.get("rps"), hello.get("p50")
        latency = f"{hello_p50:.2f} ms p50" if hello_p50 is not None else ""
        around = results.get("hello_around_views", {}).get("rps", hello_rps)
        add("anonymous page views / hello-world req/s", results.get("view_rps_vs_hello"), "%",
            f"{around:,.0f} req/s (before/after)" if around else "", 0.65, below=False)
        add("first search after start", results.get("search_first"), "ms", latency, 1000)
        if results.get("index_ready") is not None and not math.isnan(results["index_ready"]):
            rows.append(("  index complete after start (background)", f"{results['index_ready']:.1f} s", "", "",
                         ""))
        add("search p50", _p50(results, "search"), "ms", latency, 25)
        add("first history of the hot page", results.get("history_first"), "ms", latency, 200)
        for name in ("history", "diff", "blame"):
            add(f"{name} p50 after a commit", _p50(results, name), "ms", latency, 30)
        started = f"{hello['cold_start']:,.0f} ms cold start" if hello.get("cold_start") else ""
        add("cold start, a restart (median of 5)", _p50(results, "cold_restart"), "ms", started, 500)
        add("cold start, the instance's first", results.get("cold_start"), "ms", started, 500)
        add("save p50", _p50(results, "save"), "ms", latency, 15)
    if "untrailered" in report:
        untrailered = report["untrailered"]
        add("first history, untrailered (imported) history", untrailered.get("history_first"), "ms", "", 200)
    if "storm" in report:
        storm = report["storm"]
        rows.append(("edits lost in the stale-base storm", f"{storm['lost']} of {storm['saved']} saved",
                     f"{storm['conflicts']} conflicts shown", "0", "yes" if storm["lost"] == 0 else "NO"))
    widths = [max(len(row[i]) for row in rows) for i in range(5)]
    lines = []
    for number, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
                               for i, cell in enumerate(row)))
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)
