"""Turn raw results into the printed table and the JSON file.

Each row is one figure of one scenario: the median per daemon and the
ratio minderd/supervisord (below 1 means minder is smaller: faster, or
lighter, for every figure except throughput and rates, marked "higher is
better"). A daemon whose every run failed shows its first error instead.
"""

from __future__ import annotations

import json
import math
import platform
from pathlib import Path
from typing import Any

from bench.runner import Results
from bench.scenarios.base import Scenario
from bench.stats import median


def _clean(value: float) -> float | None:
    """JSON has no NaN: a value that could not be measured is null."""
    return None if math.isnan(value) else value


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "-"
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}"


def _cell(results: Results, scenario: str, kind: str, key: str) -> tuple[str, float]:
    out = results.get(scenario, {}).get(kind)
    if out is None:
        return "n/a", math.nan
    values = out.values.get(key, [])
    if not values:
        return ("FAIL: " + out.errors[0][:38]) if out.errors else "-", math.nan
    med = median(values)
    text = _fmt(med)
    if out.errors:
        text += f" ({len(out.errors)} failed)"
    return text, med


def rows(scenarios: list[Scenario], results: Results, daemons: list[str]) -> list[list[str]]:
    out: list[list[str]] = []
    for sc in scenarios:
        for fig in sc.figures:
            cells = [_cell(results, sc.name, k, fig.key) for k in daemons]
            row = [sc.name, f"{fig.label} [{fig.unit}]", *(c[0] for c in cells)]
            if {"minderd", "supervisord"} <= set(daemons):
                m = cells[daemons.index("minderd")][1]
                s = cells[daemons.index("supervisord")][1]
                ratio = m / s if s and not math.isnan(m) and not math.isnan(s) else math.nan
                row.append(_fmt(ratio) if not math.isnan(ratio) else "-")
            out.append(row)
    return out


def table(scenarios: list[Scenario], results: Results, daemons: list[str]) -> str:
    header = ["scenario", "figure", *(f"{k} (median)" for k in daemons)]
    if {"minderd", "supervisord"} <= set(daemons):
        header.append("minder/supervisord")
    body = rows(scenarios, results, daemons)
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
    lines = [
        "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |",
        "|" + "|".join("-" * (w + 2) for w in widths) + "|",
    ]
    for r in body:
        lines.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |")
    return "\n".join(lines)


def write_json(
    path: Path,
    scenarios: list[Scenario],
    results: Results,
    daemons: list[str],
    meta: dict[str, Any],
) -> None:
    doc: dict[str, Any] = {
        **meta,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": __import__("os").cpu_count(),
        },
        "daemons": daemons,
        "scenarios": {},
    }
    for sc in scenarios:
        entry: dict[str, Any] = {"notes": sc.notes, "figures": {}, "errors": {}, "run_seconds": {}}
        for fig in sc.figures:
            f_entry: dict[str, Any] = {"label": fig.label, "unit": fig.unit}
            for kind in daemons:
                out = results.get(sc.name, {}).get(kind)
                vals = out.values.get(fig.key, []) if out else []
                f_entry[kind] = {
                    "median": _clean(median(vals)),
                    "values": [_clean(v) for v in vals],
                }
            entry["figures"][fig.key] = f_entry
        for kind in daemons:
            out = results.get(sc.name, {}).get(kind)
            entry["errors"][kind] = out.errors if out else []
            entry["run_seconds"][kind] = out.seconds if out else []
        doc["scenarios"][sc.name] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(doc, indent=2, allow_nan=False, default=str) + "\n")
