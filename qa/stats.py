"""Honest figures for small question sets: bootstrap intervals and risk-coverage curves."""

from __future__ import annotations

import numpy as np

BOOTSTRAP_SAMPLES = 2000


def interval(values: list[bool], level: float = 0.95, seed: int = 0) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean of 0/1 outcomes; None for no values.

    With 60 questions it is about +-0.12 wide: a one-question change lies well inside it.
    """
    if not values:
        return None
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(seed)
    means = data[rng.integers(0, len(data), size=(BOOTSTRAP_SAMPLES, len(data)))].mean(axis=1)
    tail = (1 - level) / 2 * 100
    low, high = np.percentile(means, [tail, 100 - tail])
    return round(float(low), 3), round(float(high), 3)


def answer_precision(rows: list[dict]) -> list[bool]:
    """One outcome per answer qa gave (abstentions left out): right, or not. An answer to an
    unanswerable question is wrong whatever it says."""
    return [bool(r.get("correct")) for r in rows if not r["abstained"]]


def risk_coverage(rows: list[dict], signal: str = "evidence") -> list[dict]:
    """What answer precision each threshold on `signal` buys: answering only when the signal is
    at least the threshold, the share of questions answered (coverage) and of answers right.

    One point per distinct signal value among the answers, highest threshold first.
    """
    answered = [r for r in rows if not r["abstained"] and signal in r.get("signals", {})]
    answered.sort(key=lambda r: r["signals"][signal], reverse=True)
    points, right = [], 0
    for i, r in enumerate(answered, 1):
        right += bool(r.get("correct"))
        last = i == len(answered) or answered[i]["signals"][signal] != r["signals"][signal]
        if last:
            points.append(
                {
                    "threshold": r["signals"][signal],
                    "coverage": round(i / max(len(rows), 1), 3),
                    "answers": i,
                    "precision": round(right / i, 3),
                }
            )
    return points
