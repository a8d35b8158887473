"""Thresholds from evals/thresholds.toml: `[thresholds]` minima, `[max]` maxima."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.errors import ConfigError
from rag.evals.results import EvalRun

MAX_METRICS = ("latency_p50", "latency_p95")  # seconds; lower is better
LOWER_IS_BETTER = (*MAX_METRICS, "false_refusal_rate")  # everything else: higher


def load_thresholds(path: Path) -> dict[str, Any]:
    """Read evals/thresholds.toml: `[thresholds]` minima and `[max]` maxima."""
    try:
        with Path(path).open("rb") as fh:
            data = tomllib.load(fh)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read thresholds {path}: {exc}") from None
    split_thresholds(data, str(path))  # validate early
    return data


def split_thresholds(
    thresholds: dict[str, Any], origin: str = "thresholds"
) -> tuple[dict[str, float], dict[str, float]]:
    """(minima, maxima) from the TOML layout, or from a flat {metric: value} dict."""
    if "thresholds" in thresholds or "max" in thresholds:
        minima, maxima = thresholds.get("thresholds", {}), thresholds.get("max", {})
    else:  # a flat {metric: value} dict: lower-is-better metrics are maxima, the rest minima
        minima = {k: v for k, v in thresholds.items() if k not in LOWER_IS_BETTER}
        maxima = {k: v for k, v in thresholds.items() if k in LOWER_IS_BETTER}
    for table, values in (("thresholds", minima), ("max", maxima)):
        if not isinstance(values, dict):
            raise ConfigError(f"{origin}: [{table}] must be a table of metric = number")
        for key, value in values.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ConfigError(f"{origin}: [{table}] {key} must be a number, got {value!r}")
    return minima, maxima


def _fmt(value: float, other: float) -> str:
    text = f"{value:.2f}"
    return f"{value:.4f}" if text == f"{other:.2f}" else text


@dataclass(frozen=True)
class ThresholdResult:
    """One thresholded metric: `message` is None when it is met."""

    name: str
    limit: float
    is_max: bool
    value: float | None
    message: str | None


def evaluate_thresholds(run: EvalRun, thresholds: dict[str, Any]) -> list[ThresholdResult]:
    """Every thresholded metric with its verdict, in file order (minima, then maxima)."""
    minima, maxima = split_thresholds(thresholds)
    results: list[ThresholdResult] = []
    for name, limit, is_max in [
        *((n, v, False) for n, v in minima.items()),
        *((n, v, True) for n, v in maxima.items()),
    ]:
        value = run.metrics.get(name)
        message = None
        if name not in run.metrics:
            message = f"{name}: unknown metric"
        elif value is None:
            message = f"{name} not measured (threshold {limit})"
        elif is_max and value > limit:
            message = f"{name} {_fmt(value, limit)} > {_fmt(limit, value)}"
        elif not is_max and value < limit:
            message = f"{name} {_fmt(value, limit)} < {_fmt(limit, value)}"
        results.append(ThresholdResult(name, float(limit), is_max, value, message))
    return results


def check(run: EvalRun, thresholds: dict[str, Any]) -> list[str]:
    """Threshold failures like 'fact_recall 0.71 < 0.80'; empty means the run passes.

    A thresholded metric that was not measured (no eligible cases, summaries skipped)
    or that the runner does not know fails too: a check that cannot run must not pass.
    """
    return [r.message for r in evaluate_thresholds(run, thresholds) if r.message]
