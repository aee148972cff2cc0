"""Grading one step's adapter output against the vector rows of that step (spec TOL-1, CHK-2, ADP-2).

Values the adapter returns are compared under the tolerance policy; a quantity it does not return is
"not checked", never passed (ADP-2); an output of the wrong shape or type fails the case with that
reason. A results file (ADP-7) marks the values it holds with a ``present`` mask, so that a missing
row is "not checked" while a NaN it states fails.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from mpmath import mp

from bpspec.conformance import tolerance
from bpspec.conformance.index import OUTPUT_KEY


class OutputError(Exception):
    """An adapter result that cannot be graded (missing structure, wrong shape, not numeric)."""


@dataclass
class StepGrade:
    values: int = 0
    passed: int = 0
    failed: int = 0
    not_checked: int = 0
    worst_digits: float = float("inf")
    worst_by_quantity: dict[str, float] = field(default_factory=dict)
    """The worst digits of agreement of each graded quantity (net, out, E_total, ...), for the heatmap."""
    failures: list[dict[str, Any]] = field(default_factory=list)
    """Failing values in chain-rule order, at most MAX_FAILURES of them."""
    notes: list[str] = field(default_factory=list)


MAX_FAILURES = 20


def expected_shape(case: dict, quantity: str, layer: int, batch: int) -> tuple[int, ...]:
    """Shape of one layer's entry of the output key of ``quantity`` (ADP-2)."""
    sizes = case["layer_sizes"]
    if quantity == "E_total":
        return ()
    if quantity in ("net", "out", "delta"):
        return (batch, sizes[layer])
    if quantity in ("W", "grad_W", "new_W"):
        return (sizes[layer], sizes[layer - 1])
    return (sizes[layer],)


def _fetch(out: dict, quantity: str, layer: int) -> Any:
    value = out[OUTPUT_KEY[quantity]]
    if quantity == "E_total":
        return value
    if not isinstance(value, (list, tuple)) and not hasattr(value, "__getitem__"):
        raise OutputError(f"{OUTPUT_KEY[quantity]} is {type(value).__name__}, not a list per layer")
    try:
        return value[layer - 1]
    except (IndexError, KeyError, TypeError):
        raise OutputError(f"{OUTPUT_KEY[quantity]} has no entry for layer {layer}") from None


def _as_float(value: Any, where: str, shape: tuple[int, ...]) -> np.ndarray:
    try:
        arr = np.asarray(value)
        if arr.dtype.kind in "USbcmM" or arr.dtype.kind == "O" and any(
                isinstance(v, (str, bytes, bool, complex)) for v in arr.flat):
            kind = arr.dtype if arr.dtype.kind != "O" else "str, bool or complex"
            raise OutputError(f"{where} holds {kind} values, not real numbers")
        arr = np.asarray(arr, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise OutputError(f"{where} is not numeric ({type(value).__name__}: {err})") from None
    if shape == () and arr.shape == (1,):
        arr = arr.reshape(())
    if arr.shape != shape:
        raise OutputError(f"{where} has shape {arr.shape}; expected {shape}")
    return arr


KINKED = ("relu", "leaky_relu")
BACKWARD = ("delta", "grad_W", "grad_b", "new_W", "new_b")


def _near_kink(quantity: np.ndarray, layer: np.ndarray, ref: np.ndarray, reach: np.ndarray,
               case: dict) -> np.ndarray:
    """Rows whose value depends on which side of relu's kink a pre-activation falls, where the
    dtype's error may put it on either side (TOL-7): the deltas, gradients and updates of every layer
    at or below the highest such layer. Exact zeros stay graded: they test ACT-3 / ACT-5."""
    kinked = [l + 1 for l, a in enumerate(case["activations"]) if a in KINKED]
    if not kinked:
        return np.zeros(len(ref), dtype=bool)
    nets = (quantity == "net") & np.isin(layer, kinked) & (ref != 0) & (np.abs(ref) <= reach)
    if not nets.any():
        return np.zeros(len(ref), dtype=bool)
    top = int(layer[nets].max())
    return np.isin(quantity, BACKWARD) & (layer <= top)


def grade_step(rows: pd.DataFrame, out: dict, case: dict, dtype: str, rtol: float,
               batch: int, exact: bool = False, present: np.ndarray | None = None) -> StepGrade:
    """Grade one step's graded rows (annotated, in file order) against an adapter result. An
    ``exact`` adapter's mpmath numbers are compared in mpmath, under the policy of the "exact" dtype.
    ``present``, aligned with ``rows``, marks the values a results file holds; the others are not
    checked (ADP-2, ADP-7)."""
    dtype = "exact" if exact else dtype
    n = len(rows)
    g = StepGrade(values=n)
    got, err = np.full(n, np.nan), np.full(n, np.nan)
    checked = np.zeros(n, dtype=bool)
    quantity, layer = rows["quantity"].to_numpy(), rows["layer"].to_numpy()
    index_i, index_j = rows["i"].to_numpy(), rows["j"].to_numpy()
    ref, digits = rows["ref"].to_numpy(), rows["digits"].to_numpy()
    reach = rtol * rows["scale"].to_numpy()
    tol = reach + tolerance.TINY[dtype] + np.abs(ref) * 10.0 ** -digits
    keys, first, group_of = np.unique(rows["group"].to_numpy(), return_index=True, return_inverse=True)
    for g_index, start in enumerate(first):
        q, l = quantity[start], int(layer[start])
        if OUTPUT_KEY[q] not in out:
            continue
        where = np.flatnonzero(group_of == g_index)
        label = OUTPUT_KEY[q] if q == "E_total" else f"{OUTPUT_KEY[q]}[{l - 1}]"
        shape = expected_shape(case, q, l, batch)
        raw = _fetch(out, q, l)
        i, j = index_i[where], index_j[where]
        checked[where] = True if present is None else present[where]
        if exact:
            values = rows["value"].to_numpy()[where]
            got[where], err[where] = _exact_errors(raw, values, i, j, q, label, shape)
        else:
            arr = _as_float(raw, label, shape)
            got[where] = arr[()] if q == "E_total" else arr[i] if len(shape) == 1 else arr[i, j]
            with np.errstate(all="ignore"):
                err[where] = np.abs(got[where] - ref[where])
    ambiguous = checked & _near_kink(quantity, layer, ref, reach, case)
    if ambiguous.any():
        checked &= ~ambiguous
        g.notes.append(f"values not checked: a relu pre-activation lies within {dtype}'s error of the "
                       "kink (TOL-7)")
    ok = err <= tol
    g.not_checked = int((~checked).sum())
    g.passed = int((checked & ok).sum())
    g.failed = int((checked & ~ok).sum())
    if checked.any():
        agreement = tolerance.digits_of_agreement(got[checked], ref[checked], digits[checked])
        g.worst_digits = float(agreement.min())
        kinds = quantity[checked]
        g.worst_by_quantity = {str(q): float(agreement[kinds == q].min()) for q in np.unique(kinds)}
    bad = np.flatnonzero(checked & ~ok)
    if len(bad):
        order = bad[np.argsort(rows["rank"].to_numpy()[bad], kind="stable")][:MAX_FAILURES]
        for k in order:
            r = rows.iloc[k]
            d = tolerance.digits_of_agreement(got[k:k + 1], ref[k:k + 1], digits[k:k + 1])
            g.failures.append({
                "step": int(r["step"]), "name": r["name"], "quantity": r["quantity"],
                "layer": int(r["layer"]), "got": float(got[k]), "ref": r["value"], "tol": float(tol[k]),
                "digits": float(d[0]),
            })
    return g


def _exact_errors(raw: Any, values: np.ndarray, index_i: np.ndarray, index_j: np.ndarray, quantity: str,
                  label: str, shape: tuple[int, ...]):
    """|got - ref| of mpmath results against the written decimal strings, computed in mpmath."""
    got, err = [], []
    with mp.workdps(40):
        for value, i, j in zip(values, index_i, index_j, strict=True):
            try:
                x = raw if quantity == "E_total" else raw[i] if len(shape) == 1 else raw[i][j]
                x = mp.mpf(x)
            except (IndexError, TypeError, ValueError) as error:
                raise OutputError(f"{label}: cannot read entry ({error})") from None
            got.append(float(x))
            err.append(float(abs(x - mp.mpf(value))))
    return np.array(got), np.array(err)
