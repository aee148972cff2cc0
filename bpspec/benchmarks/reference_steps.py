"""The mpmath reference under the benchmark: sequential steps at 50 digits, and regenerating the vectors.

``loop`` chains ``bpspec.reference.trace`` updates exactly as ``reference.run_case`` does for a
trajectory, each from the last one's parameters at full working precision. ``regenerate`` times
``bpspec regenerate --check --jobs 2`` as a user runs it, in a fresh process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

from bpspec.benchmarks.nets import Net
from bpspec.reference import trace

DIGITS = 50


def loop(net: Net, arrays: dict[str, Any], dtype: str, steps: int) -> tuple[Callable, None]:
    """``steps`` reference updates at 50 significant digits (the dtype plays no part)."""
    inp = net.step_input("float64", {k: [a.tolist() for a in v] if isinstance(v, list) else v.tolist()
                                     for k, v in arrays.items()})

    def run() -> None:
        weights, biases = inp["weights"], inp["biases"]
        for _ in range(steps):
            t = trace({**inp, "weights": weights, "biases": biases}, DIGITS)
            weights, biases = t.new_weights, t.new_biases

    return run, None


def regenerate(jobs: int = 2) -> Callable:
    """One ``bpspec regenerate --check --jobs N --quiet``; raises if the vectors are stale."""
    command = [sys.executable, "-m", "bpspec.cli", "regenerate", "--check", "--jobs", str(jobs), "--quiet"]

    def run() -> None:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"regenerate --check exited {done.returncode}: {done.stderr.strip()[:200]}")

    return run
