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
CODE = {q: k for k, q in enumerate(OUTPUT_KEY, start=1)}
"""Each quantity's code, as ``index.annotate`` writes it in the thousands of the ``group`` column."""
QUANTITY = dict(zip(CODE.values(), CODE, strict=True))
BACKWARD = [CODE[q] for q in ("delta", "grad_W", "grad_b", "new_W", "new_b")]
FORWARD = [CODE["net"], CODE["out"]]
PARAMETER_UPDATES = [CODE[q] for q in ("grad_W", "grad_b", "new_W", "new_b")]


def _near_kink(code: np.ndarray, layer: np.ndarray, ref: np.ndarray, reach: np.ndarray,
               case: dict) -> np.ndarray:
    """Rows whose value depends on which side of relu's kink a pre-activation falls, where the
    dtype's error may put it on either side (TOL-7): the deltas, gradients and updates of every layer
    at or below the highest such layer. Exact zeros stay graded: they test ACT-3 / ACT-5. ``code``
    holds the rows' quantity codes (CODE)."""
    kinked = [l + 1 for l, a in enumerate(case["activations"]) if a in KINKED]
    if not kinked:
        return np.zeros(len(ref), dtype=bool)
    nets = (code == CODE["net"]) & np.isin(layer, kinked) & (ref != 0) & (np.abs(ref) <= reach)
    if not nets.any():
        return np.zeros(len(ref), dtype=bool)
    top = int(layer[nets].max())
    return np.isin(code, BACKWARD) & (layer <= top)


def _subnormal_cone(code: np.ndarray, layer: np.ndarray, index_i: np.ndarray, index_j: np.ndarray,
                    ref: np.ndarray, reach: np.ndarray, dtype: str) -> np.ndarray:
    """Rows a flush-to-zero implementation may compute differently from IEEE arithmetic (TOL-8): for
    each non-zero net[l][s,j] or out[l][s,j] whose reference lies within the dtype's error reach of
    its subnormal range, delta[l][s,j], row j of grad_W, grad_b, new_W and new_b of layer l, sample
    s's deltas in every layer below, and every gradient and update of the layers below."""
    cone = np.zeros(len(ref), dtype=bool)
    edge = np.isin(code, FORWARD) & (ref != 0) & (np.abs(ref) < tolerance.TINY[dtype] + reach)
    if not edge.any():
        return cone
    delta, update = code == CODE["delta"], np.isin(code, PARAMETER_UPDATES)
    points = zip(layer[edge], index_i[edge], index_j[edge], strict=True)
    for l, s, j in {(int(l), int(s), int(j)) for l, s, j in points}:
        cone |= delta & (layer == l) & (index_i == s) & (index_j == j)
        cone |= update & (layer == l) & (index_i == j)
        cone |= delta & (layer < l) & (index_i == s)
        cone |= update & (layer < l)
    return cone


def _groups(group: np.ndarray) -> list[np.ndarray]:
    """The row positions of each (quantity, layer) group, in order of first appearance."""
    order = np.argsort(group, kind="stable")
    cuts = np.flatnonzero(group[order][1:] != group[order][:-1]) + 1
    return np.split(order, cuts)


def grade_step(rows: pd.DataFrame, out: dict, case: dict, dtype: str, rtol: float,
               batch: int, exact: bool = False, present: np.ndarray | None = None,
               flush_to_zero: bool = False) -> StepGrade:
    """Grade one step's graded rows (annotated, in file order) against an adapter result. An
    ``exact`` adapter's mpmath numbers are compared in mpmath, under the policy of the "exact" dtype.
    ``present``, aligned with ``rows``, marks the values a results file holds; the others are not
    checked (ADP-2, ADP-7). ``flush_to_zero``: the adapter declares that its arithmetic reads and
    writes subnormals as zero (ADP-5), and the values that depend on one are not checked (TOL-8)."""
    dtype = "exact" if exact else dtype
    n = len(rows)
    g = StepGrade(values=n)
    got, err = np.full(n, np.nan), np.full(n, np.nan)
    checked = np.zeros(n, dtype=bool)
    group = rows["group"].to_numpy()
    code, layer = group // 1000, group % 1000
    index_i, index_j = rows["i"].to_numpy(), rows["j"].to_numpy()
    ref, digits = rows["ref"].to_numpy(), rows["digits"].to_numpy()
    reach = rtol * rows["scale"].to_numpy()
    tol = reach + tolerance.TINY[dtype] + np.abs(ref) * 10.0 ** -digits
    for where in _groups(group) if n else ():
        q, l = QUANTITY[int(code[where[0]])], int(layer[where[0]])
        if OUTPUT_KEY[q] not in out:
            continue
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
    if not exact:
        with np.errstate(all="ignore"):
            err = np.abs(got - ref)
    ambiguous = checked & _near_kink(code, layer, ref, reach, case)
    if ambiguous.any():
        checked &= ~ambiguous
        g.notes.append(f"values not checked: a relu pre-activation lies within {dtype}'s error of the "
                       "kink (TOL-7)")
    if flush_to_zero and not exact:
        flushed = checked & _subnormal_cone(code, layer, index_i, index_j, ref, reach, dtype)
        if flushed.any():
            checked &= ~flushed
            g.notes.append(f"values not checked: they depend on a net or out within {dtype}'s error of "
                           "the subnormal range, and the adapter declares flush-to-zero arithmetic (TOL-8)")
    with np.errstate(invalid="ignore"):
        ok = err <= tol
    g.not_checked = int((~checked).sum())
    g.passed = int((checked & ok).sum())
    g.failed = int((checked & ~ok).sum())
    if checked.any():
        agreement = tolerance.digits_of_agreement(got[checked], ref[checked], digits[checked])
        g.worst_digits = float(agreement.min())
        kinds = code[checked]
        g.worst_by_quantity = {QUANTITY[int(c)]: float(agreement[kinds == c].min()) for c in np.unique(kinds)}
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
