"""Which adapter output each vector row is checked against, and in which chain-rule order (spec CHK-2).

Every row name is turned back into its systematic form (undoing a case's seed aliases, NOT-3) and
parsed into quantity, layer and index. Rows no adapter output corresponds to (chain-rule factors, loss
terms) are the reference's commentary and are not graded.
"""

from __future__ import annotations

import pandas as pd

from bpspec.cases import batch_indices
from bpspec.names import SYSTEMATIC, display

#: adapter output key of each graded quantity (ADP-2); W and b are the state a step starts from
OUTPUT_KEY = {"net": "nets", "out": "outs", "delta": "deltas", "grad_W": "grad_weights",
              "grad_b": "grad_biases", "new_W": "new_weights", "new_b": "new_biases", "E_total": "loss",
              "W": "weights", "b": "biases"}
STATE = ("W", "b")


def chain_rank(quantity: str, layer: int, n_layers: int) -> int:
    """Position in chain-rule order: state, forward, loss, output delta, hidden deltas, gradients,
    updated parameters (CHK-2)."""
    back = n_layers - layer
    return {
        "W": (0, layer, 0), "b": (0, layer, 1), "net": (1, layer, 0), "out": (1, layer, 1),
        "E_total": (2, 0, 0), "delta": (3, back, 0), "grad_W": (4, back, 0), "grad_b": (4, back, 1),
        "new_W": (5, back, 0), "new_b": (5, back, 1),
    }[quantity]


def _rank_code(rank: tuple[int, int, int]) -> int:
    return rank[0] * 10_000 + rank[1] * 10 + rank[2]


def systematic_names(case: dict) -> list[str]:
    """Every per-layer systematic name a recorded step of ``case`` can hold."""
    sizes = case["layer_sizes"]
    batch = max(len(batch_indices(case, s)) for s in case["record"])
    names = ["E_total"]
    for l in range(1, len(sizes)):
        n_in, n_out = sizes[l - 1], sizes[l]
        for q in ("net", "out", "delta"):
            names += [f"{q}[{l}][{s},{j}]" for s in range(batch) for j in range(n_out)]
        for q in ("W", "grad_W", "new_W"):
            names += [f"{q}[{l}][{j},{k}]" for j in range(n_out) for k in range(n_in)]
        for q in ("b", "grad_b", "new_b"):
            names += [f"{q}[{l}][{j}]" for j in range(n_out)]
    return names


def annotate(values: pd.DataFrame, cases: dict[str, dict]) -> pd.DataFrame:
    """Add ``quantity``, ``layer``, ``i``, ``j`` and ``rank`` columns; ungraded rows get quantity ''."""
    systematic = values["name"]
    aliased = [c for c, case in cases.items() if case.get("names")]
    if aliased:
        systematic = systematic.copy()
        for c in aliased:
            inverse = {display(n, cases[c]["names"]): n for n in systematic_names(cases[c])}
            mask = values["case"] == c
            systematic[mask] = values.loc[mask, "name"].map(lambda n, inv=inverse: inv.get(n, n))
    parts = systematic.str.extract(SYSTEMATIC.pattern)
    is_loss = systematic == "E_total"
    out = values.copy()
    out["quantity"] = parts["quantity"].fillna("").where(~is_loss, "E_total")
    out["layer"] = pd.to_numeric(parts["layer"]).fillna(0).astype("int64")
    out["i"] = pd.to_numeric(parts["i"]).fillna(0).astype("int64")
    out["j"] = pd.to_numeric(parts["j"]).fillna(-1).astype("int64")
    n_layers = out["case"].map({c: len(case["layer_sizes"]) - 1 for c, case in cases.items()})
    codes = {q: k for k, q in enumerate(OUTPUT_KEY, start=1)}
    out["group"] = out["quantity"].map(codes).fillna(0).astype("int64") * 1000 + out["layer"]
    out["rank"] = [
        _rank_code(chain_rank(q, layer, n)) if q else -1
        for q, layer, n in zip(out["quantity"], out["layer"], n_layers, strict=True)
    ]
    return out
