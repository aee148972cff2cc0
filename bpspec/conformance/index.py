"""Which adapter output each vector row is checked against, and in which chain-rule order (spec CHK-2).

Every row name is turned back into its systematic form (undoing a case's seed aliases, NOT-3) and
parsed into quantity, layer and index. Rows no adapter output corresponds to (chain-rule factors, loss
terms) are the reference's commentary and are not graded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from bpspec.cases import batch_indices
from bpspec.names import display, parse_all

#: adapter output key of each graded quantity (ADP-2); W and b are the state a step starts from
OUTPUT_KEY = {"net": "nets", "out": "outs", "delta": "deltas", "grad_W": "grad_weights",
              "grad_b": "grad_biases", "new_W": "new_weights", "new_b": "new_biases", "E_total": "loss",
              "W": "weights", "b": "biases"}
STATE = ("W", "b")
CODE = {q: k for k, q in enumerate(OUTPUT_KEY, start=1)}
"""Each quantity's code: ``annotate`` writes it in the thousands of the ``group`` column."""
QUANTITY = dict(zip(CODE.values(), CODE, strict=True))


#: per quantity: its stage in chain-rule order, how layers order within the stage (1: from the input,
#: -1: from the output, 0: not at all), and the tie-break between quantities of one stage
_CHAIN = {"W": (0, 1, 0), "b": (0, 1, 1), "net": (1, 1, 0), "out": (1, 1, 1), "E_total": (2, 0, 0),
          "delta": (3, -1, 0), "grad_W": (4, -1, 0), "grad_b": (4, -1, 1), "new_W": (5, -1, 0),
          "new_b": (5, -1, 1)}


def chain_rank(quantity: str, layer: int, n_layers: int) -> tuple[int, int, int]:
    """Position in chain-rule order: state, forward, loss, output delta, hidden deltas, gradients,
    updated parameters (CHK-2)."""
    stage, direction, tie = _CHAIN[quantity]
    return stage, layer if direction > 0 else n_layers - layer if direction < 0 else 0, tie


def _rank_codes(quantity: np.ndarray, layer: np.ndarray, n_layers: np.ndarray) -> np.ndarray:
    """``chain_rank`` of every row as one integer (stage, layer, tie-break in decimal places), -1 for
    ungraded rows (code -1 picks the padding entry, then masked)."""
    known = list(_CHAIN)
    code = pd.Index(known).get_indexer(quantity)
    stage, direction, tie = (np.array([_CHAIN[q][k] for q in known] + [0], dtype=np.int64) for k in range(3))
    position = np.where(direction[code] > 0, layer, np.where(direction[code] < 0, n_layers - layer, 0))
    return np.where(code >= 0, stage[code] * 10_000 + position * 10 + tie[code], -1)


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


def annotate(values: pd.DataFrame, cases: dict[str, dict],
             parsed: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None) -> pd.DataFrame:
    """Add ``quantity``, ``layer``, ``i``, ``j``, ``group``, ``rank``, ``flat`` and ``case_index``
    columns, and put the rows in grading order (``GRADING_ORDER``); ungraded rows get quantity ''.
    ``parsed`` is ``names.parse_all(values["name"])`` where the caller has it; rows of cases with seed
    aliases are parsed again from their systematic names (NOT-3)."""
    quantity, layer, i, j = parsed if parsed is not None else parse_all(values["name"])
    case = values["case"].to_numpy()
    aliased = [c for c, definition in cases.items() if definition.get("names")]
    if aliased:
        rows = np.flatnonzero(values["case"].isin(aliased).to_numpy())
        if len(rows):
            quantity, layer, i, j = (a.copy() for a in (quantity, layer, i, j))
            systematic = values["name"].to_numpy()[rows].copy()
            for c in aliased:
                inverse = {display(n, cases[c]["names"]): n for n in systematic_names(cases[c])}
                mine = case[rows] == c
                systematic[mine] = [inverse.get(n, n) for n in systematic[mine]]
            again = parse_all(pd.Series(systematic, dtype=object))
            for whole, part in zip((quantity, layer, i, j), again, strict=True):
                whole[rows] = part
    out = values.copy()
    out["quantity"] = pd.Series(quantity, index=values.index, dtype=values["name"].dtype)
    out["layer"], out["i"], out["j"] = layer, i, j
    codes, distinct = pd.factorize(values["case"])
    n_layers = np.array([len(cases[c]["layer_sizes"]) - 1 for c in distinct] or [0], dtype=np.int64)[codes]
    output = pd.Index(list(CODE)).get_indexer(quantity).astype(np.int64) + 1  # CODE, or 0 if ungraded
    out["group"] = group = output * 1000 + layer
    out["rank"] = rank = _rank_codes(quantity, layer, n_layers)
    sizes = [cases[c]["layer_sizes"] for c in distinct]
    out["flat"] = np.where(rank >= 0, _flat(group, i, j, codes, sizes), -1)
    out["case_index"] = position = pd.Index(list(cases)).get_indexer(values["case"]).astype(np.int64)
    order = np.lexsort((group, values["step"].to_numpy(), position, rank < 0))
    return out.take(order).reset_index(drop=True)


GRADING_ORDER = ("graded first", "case_index", "step", "group")
"""The order ``annotate`` puts a suite's rows in, stably (within a group the file's order): graded
rows (``rank >= 0``) first, then by case (``case_index``, the case's position in its suite's cases
file), recorded step and (quantity, layer) group, so that every selection grading makes, a case's
rows, a step's, a group's, is a slice (``conformance.rows``)."""

_MATRICES = [CODE[q] for q in ("W", "grad_W", "new_W")]


def _flat(group: np.ndarray, i: np.ndarray, j: np.ndarray, case_code: np.ndarray, sizes: list[list[int]]
          ) -> np.ndarray:
    """Each graded row's position in its layer's array flattened in C order (ADP-2's shapes):
    i * columns + j where the value has two indices, else i (0 for E_total); the columns are the
    layer's units, or for a matrix its inputs. ``sizes[case_code]`` are the row's layer sizes."""
    table = np.zeros((len(sizes), max((len(s) for s in sizes), default=1)), dtype=np.int64)
    for k, s in enumerate(sizes):
        table[k, :len(s)] = s
    layer = np.clip(group % 1000, 0, table.shape[1] - 1)
    matrix = np.isin(group // 1000, _MATRICES)
    columns = table[case_code, np.where(matrix, np.maximum(layer - 1, 0), layer)]
    return np.where(j >= 0, i * columns + j, i)
