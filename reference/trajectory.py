"""Running a case: the sequence of updates a case definition describes (spec UPD-3, UPD-4).

Each update starts from the parameters the previous one produced, at full working precision; the
traces of the steps the case records are returned.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from bpspec.cases import step_input
from bpspec.reference.network import DEFAULT_DPS, Trace, trace


def run_case(case: Mapping[str, Any], dps: int = DEFAULT_DPS, record: list[int] | None = None,
             on_step: Callable[[int, Trace], None] | None = None
             ) -> dict[int, tuple[dict[str, Any], Trace]]:
    """Run the case's updates up to its last recorded step; return ``{s: (step input, trace)}`` for
    each recorded s. ``on_step(s, trace)`` is called after each step (for progress bars and running sums)."""
    wanted = set(case["record"] if record is None else record)
    last = max(wanted) if wanted else -1
    weights, biases = case["weights"], case["biases"]
    recorded = {}
    for s in range(last + 1):
        inp = step_input(case, weights, biases, s)
        t = trace(inp, dps)
        if s in wanted:
            recorded[s] = (inp, t)
        weights, biases = t.new_weights, t.new_biases
        if on_step is not None:
            on_step(s, t)
    return recorded
