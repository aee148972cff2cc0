"""What the catalogue costs to regenerate: multiply-adds, exponentials and CSV rows per suite.

The generator runs every update of a case up to its last recorded step, at two working precisions,
and writes one CSV row per value of each recorded step. These counts follow the reference's loops
(spec FWD, BWD, GRD, UPD): a step is about 3 x batch x sum(in x out) multiply-adds (forward, the
backpropagated dE/dout, the weight gradient) plus the exponentials of sigmoid, tanh and softplus.
Run ``python -m bpspec.catalogue.budget`` for the table.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

#: exponential-class evaluations per unit and sample: forward plus derivative in the reference
EXPS = {"sigmoid": 3, "tanh": 2, "softplus": 3, "relu": 0, "identity": 0, "leaky_relu": 0}


def batch_size(case: Mapping[str, Any], s: int) -> int:
    batches = case["batches"]
    return len(case["x"]) if not batches else len(batches[s % len(batches)])


def cost(case: Mapping[str, Any]) -> dict[str, int]:
    """Multiply-adds and exponentials of every computed step, and the rows of the recorded ones."""
    sizes, acts = case["layer_sizes"], case["activations"]
    pairs = list(zip(sizes, sizes[1:], strict=False))
    params = sum(n_in * n_out + n_out for n_in, n_out in pairs)
    units = sum(sizes[1:])
    links = sum(n_in * n_out for n_in, n_out in pairs)
    macs = exps = rows = elements = 0
    steps = max(case["record"]) + 1
    for s in range(steps):
        b = batch_size(case, s)
        elements += b * units + params
        macs += 3 * b * links
        exps += b * sum(EXPS[a] * n for a, n in zip(acts, sizes[1:], strict=True))
        if s in case["record"]:
            rows += 3 * b * units + 1 + b * sizes[-1] + 2 * params + (params if s else 0)
            if case.get("chain_factors"):   # dE/dout, dout/dnet, dE/dnet, dnet/dW, dE/dW, dE/db
                rows += 3 * b * units + b * links + params + b * sizes[-1]
                rows += b * sizes[-1] * sizes[-2] if len(sizes) > 2 else 0
    return {"steps": steps, "macs": macs, "exps": exps, "elements": elements, "rows": rows}


#: CPU microseconds per multiply-add, exponential, element-wise value (an activation and derivative
#: call, an update) and written row (certified agreement, error scale, formatting), for both runs at
#: 50 and 100 digits together; fitted to the generator's timings of this catalogue with mpmath's
#: pure-Python backend (gmpy2 makes it about 1.5x faster)
COST_US = {"macs": 1.5, "exps": 86.0, "elements": 35.0, "rows": 68.0}


def seconds(c: Mapping[str, int]) -> float:
    """Estimated CPU seconds to generate and certify the counted work (CERT-1)."""
    return sum(c[key] * us for key, us in COST_US.items()) * 1e-6


def table() -> dict[str, dict[str, float]]:
    from bpspec.catalogue import SUITES

    out = {}
    for suite, build in SUITES.items():
        total = {"cases": 0, "steps": 0, "macs": 0, "exps": 0, "elements": 0, "rows": 0}
        for case in build():
            total["cases"] += 1
            for key, value in cost(case).items():
                total[key] += value
        total["seconds"] = seconds(total)
        out[suite] = total
    return out


if __name__ == "__main__":
    rows = table()
    keys = ("cases", "steps", "macs", "exps", "elements", "rows", "seconds")
    print(f"{'suite':14}" + "".join(f"{k:>12}" for k in keys))
    for suite, t in {**rows, "total": {k: sum(r[k] for r in rows.values()) for k in keys}}.items():
        print(f"{suite:14}" + "".join(f"{t[k]:12,.1f}" if k == "seconds" else f"{t[k]:12,d}"
                                      for k in keys))
