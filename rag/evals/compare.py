"""What changed since a baseline run: metric deltas and the cases that flipped.

Thresholds say whether quality is good enough; this says what a change to
chunking, retrieval, prompts or model did, case by case, so a reviewer sees
which answers it broke or fixed, not only that a figure moved.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import RagError
from rag.evals.results import EvalRun
from rag.evals.thresholds import LOWER_IS_BETTER, MAX_METRICS

TOLERANCE = 5e-4  # results JSON rounds to 4 places
LATENCY_SLACK = 0.10


@dataclass
class MetricDelta:
    name: str
    old: float | None
    new: float | None

    @property
    def delta(self) -> float | None:
        return None if self.old is None or self.new is None else self.new - self.old

    @property
    def worse(self) -> bool:
        """Lower is worse, except for latency and false refusals, where higher is.

        Saved runs round to 4 places, so smaller changes are equal; latency is
        worse only past 10 %, as it moves with the machine's load.
        """
        d = self.delta
        if d is None or self.old is None or abs(d) < TOLERANCE:
            return False
        if self.name in MAX_METRICS:
            return d > LATENCY_SLACK * abs(self.old)
        return d > 0 if self.name in LOWER_IS_BETTER else d < 0


@dataclass
class Comparison:
    baseline: str
    metrics: list[MetricDelta] = field(default_factory=list)
    broken: list[str] = field(default_factory=list)  # passed before, fail now
    fixed: list[str] = field(default_factory=list)  # failed before, pass now
    new_cases: list[str] = field(default_factory=list)
    dropped_cases: list[str] = field(default_factory=list)


def load_run(path: Path) -> EvalRun:
    """An EvalRun from a `rag eval --json` file, with a clear error for anything else."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise RagError(f"cannot read baseline {path}: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise RagError(f"baseline {path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("cases"), list):
        raise RagError(f"baseline {path} is not a `rag eval --json` result (no cases list)")
    return EvalRun.from_json(data)


def compare(old: EvalRun, new: EvalRun, baseline: str = "baseline") -> Comparison:
    """Metrics of both runs side by side, and case ids whose pass/fail flipped."""
    out = Comparison(baseline)
    for name in [*new.metrics, *(n for n in old.metrics if n not in new.metrics)]:
        out.metrics.append(MetricDelta(name, old.metrics.get(name), new.metrics.get(name)))
    before = {c.id: c.passed for c in old.cases}
    after = {c.id: c.passed for c in new.cases}
    for cid, passed in after.items():
        if cid not in before:
            out.new_cases.append(cid)
        elif before[cid] and not passed:
            out.broken.append(cid)
        elif passed and not before[cid]:
            out.fixed.append(cid)
    out.dropped_cases = [cid for cid in before if cid not in after]
    return out


def _fmt(value: float | None) -> str:
    return "–" if value is None else f"{value:.3f}"


def _signed(value: float | None) -> str:
    return "–" if value is None else f"{value:+.3f}"


def _flips(c: Comparison) -> list[tuple[str, str, list[str]]]:
    """(short label, long label, case ids) for each kind of change."""
    return [
        ("broken", "Broken (passed in the baseline, fail now)", c.broken),
        ("fixed", "Fixed (failed in the baseline, pass now)", c.fixed),
        ("new", "New cases", c.new_cases),
        ("dropped", "Cases no longer run", c.dropped_cases),
    ]


def comparison_lines(c: Comparison) -> list[str]:
    """Plain lines for the terminal."""
    lines = [f"compared with {c.baseline}:"]
    for m in c.metrics:
        mark = "  worse" if m.worse else ""
        lines.append(f"  {m.name:20} {_fmt(m.old)} -> {_fmt(m.new)} ({_signed(m.delta)}){mark}")
    for label, _, ids in _flips(c):
        if ids:
            lines.append(f"  {label} ({len(ids)}): {', '.join(ids)}")
    return lines


def comparison_markdown(c: Comparison) -> list[str]:
    """A report section: the metric table with deltas, then the flipped cases."""
    lines = [
        f"Baseline: `{c.baseline}`",
        "",
        "| metric | baseline | now | change |",
        "|---|---:|---:|---|",
    ]
    for m in c.metrics:
        change = _signed(m.delta) + (" (worse)" if m.worse else "")
        lines.append(f"| `{m.name}` | {_fmt(m.old)} | {_fmt(m.new)} | {change} |")
    lines.append("")
    for _, label, ids in _flips(c):
        lines.append(f"- {label}: " + (", ".join(f"`{i}`" for i in ids) if ids else "none"))
    return lines
