"""The named values of one recorded step, in the order the vector files list them (spec NOT-2, VEC-3).

Order: the parameters the step starts from (recorded steps after the first only; step 0's are the
case definition's), the forward pass layer by layer, the loss terms and E_total, the chain-rule
factors where the case asks for them, then deltas, gradients and updated parameters.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mpmath import mp

from bpspec.reference import Trace


def _matrix(name: str, layer: int | None, m) -> Iterator[tuple[str, Any]]:
    prefix = name if layer is None else f"{name}[{layer}]"
    for i, row in enumerate(m):
        for j, v in enumerate(row):
            yield f"{prefix}[{i},{j}]", v


def _vector(name: str, layer: int, v) -> Iterator[tuple[str, Any]]:
    for j, x in enumerate(v):
        yield f"{name}[{layer}][{j}]", x


def step_rows(case: Mapping[str, Any], t: Trace, s: int) -> list[tuple[str, Any]]:
    """Systematic (name, mpf) pairs of recorded step ``s`` of ``case`` (NOT-2)."""
    L = len(t.nets)
    rows: list[tuple[str, Any]] = []
    if s > 0:
        for l in range(1, L + 1):
            rows += _matrix("W", l, t.weights[l - 1])
            rows += _vector("b", l, t.biases[l - 1])
    for l in range(1, L + 1):
        rows += _matrix("net", l, t.nets[l - 1])
        rows += _matrix("out", l, t.outs[l - 1])
    rows += _matrix("E_term", None, t.loss_terms)
    rows.append(("E_total", t.loss))
    if case.get("chain_factors"):
        with mp.workdps(t.dps):
            rows += _chain_factors(case, t)
    for l in range(L, 0, -1):
        rows += _matrix("delta", l, t.deltas[l - 1])
    for l in range(1, L + 1):
        rows += _matrix("grad_W", l, t.grad_weights[l - 1])
        rows += _vector("grad_b", l, t.grad_biases[l - 1])
    for l in range(1, L + 1):
        rows += _matrix("new_W", l, t.new_weights[l - 1])
        rows += _vector("new_b", l, t.new_biases[l - 1])
    return rows


def _chain_factors(case: Mapping[str, Any], t: Trace) -> list[tuple[str, Any]]:
    """Every factor of the chain rule as seed 000 names them (BWD-1..BWD-3, GRD-1)."""
    L, batch = len(t.nets), len(t.nets[0])
    per_term = batch if case["reduction"] == "mean" else 1
    rows = []
    for l in range(L, 0, -1):
        for s, (g_row, d_row, delta_row) in enumerate(zip(t.dE_douts[l - 1], t.dout_dnets[l - 1],
                                                          t.deltas[l - 1], strict=True)):
            for j, (g, d, delta) in enumerate(zip(g_row, d_row, delta_row, strict=True)):
                unit = f"[{l}][{s},{j}]"
                rows.append((f"dE/dout{unit}", g))
                rows.append((f"dout{unit}/dnet{unit}", d))
                rows.append((f"dE/dnet{unit}", delta))
                if l == L:
                    rows.append((f"dE_term[{s},{j}]/dnet{unit}", delta * per_term))
        if l == L and L > 1:
            w_used = t.delta_weights[L - 1]
            for s, delta_row in enumerate(t.deltas[L - 1]):
                for k, delta in enumerate(delta_row):
                    for j, w in enumerate(w_used[k]):
                        rows.append((f"dE_term[{s},{k}]/dout[{L - 1}][{s},{j}]", delta * per_term * w))
        a_in = t.x if l == 1 else t.outs[l - 2]
        n_out = len(t.grad_weights[l - 1])
        for s, a_row in enumerate(a_in):
            for j in range(n_out):
                for k, a in enumerate(a_row):
                    rows.append((f"dnet[{l}][{s},{j}]/dW[{l}][{j},{k}]", a))
        rows += [(f"dE/dW[{l}][{j},{k}]", g) for j, row in enumerate(t.grad_weights[l - 1])
                 for k, g in enumerate(row)]
        rows += [(f"dE/db[{l}][{j}]", g) for j, g in enumerate(t.grad_biases[l - 1])]
    return rows
