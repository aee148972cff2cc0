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
from mpmath import mp

from bpspec.conformance import tolerance
from bpspec.conformance.index import CODE, OUTPUT_KEY, QUANTITY
from bpspec.conformance.rows import Rows


class OutputError(Exception):
    """An adapter result that cannot be graded (missing structure, wrong shape, not numeric)."""


@dataclass(kw_only=True)
class Tally:
    """Graded values counted, with their worst agreement: of one step (``grade_step``'s result) or
    of a whole case (``runner.Outcome``, which adds up its steps' tallies with ``add``)."""

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

    def add(self, other: Tally) -> None:
        """Count ``other``'s values in, keep the worse agreement and every distinct note; the
        failures stay the caller's to choose."""
        self.values += other.values
        self.passed += other.passed
        self.failed += other.failed
        self.not_checked += other.not_checked
        self.worst_digits = min(self.worst_digits, other.worst_digits)
        for q, d in other.worst_by_quantity.items():
            self.worst_by_quantity[q] = min(d, self.worst_by_quantity.get(q, d))
        self.notes += [note for note in other.notes if note not in self.notes]


StepGrade = Tally
"""One step's tally, as ``grade_step`` returns it."""


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


def group_shape(case: dict, group: int, batch: int) -> tuple[int, ...]:
    """``expected_shape`` of a (quantity, layer) ``group`` code (``index.annotate``)."""
    return expected_shape(case, QUANTITY[group // 1000], group % 1000, batch)


def _fetch(out: dict, quantity: str, layer: int) -> Any:
    value = out[OUTPUT_KEY[quantity]]
    if quantity == "E_total":
        return value
    if type(value) is list and 0 < layer <= len(value):
        return value[layer - 1]
    if not isinstance(value, (list, tuple)) and not hasattr(value, "__getitem__"):
        raise OutputError(f"{OUTPUT_KEY[quantity]} is {type(value).__name__}, not a list per layer")
    try:
        return value[layer - 1]
    except (IndexError, KeyError, TypeError):
        raise OutputError(f"{OUTPUT_KEY[quantity]} has no entry for layer {layer}") from None


def _label(quantity: str, layer: int) -> str:
    """How an error names one layer's entry of an output key: ``deltas[0]``, ``loss``."""
    return OUTPUT_KEY[quantity] if quantity == "E_total" else f"{OUTPUT_KEY[quantity]}[{layer - 1}]"


def _as_float(value: Any, quantity: str, layer: int, shape: tuple[int, ...]) -> np.ndarray:
    """One layer's entry of an output key as float64 of the expected shape, or OutputError."""
    if type(value) is np.ndarray and value.dtype.kind == "f" and value.shape == shape:
        return value.astype(np.float64, copy=False)
    where = _label(quantity, layer)
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
BACKWARD = [CODE[q] for q in ("delta", "grad_W", "grad_b", "new_W", "new_b")]
FORWARD = [CODE["net"], CODE["out"]]
PARAMETER_UPDATES = [CODE[q] for q in ("grad_W", "grad_b", "new_W", "new_b")]


def _near_kink(code: np.ndarray, layer: np.ndarray, ref: np.ndarray, reach: np.ndarray,
               case: dict) -> np.ndarray | None:
    """Rows whose value depends on which side of relu's kink a pre-activation falls, where the
    dtype's error may put it on either side (TOL-7): the deltas, gradients and updates of every layer
    at or below the highest such layer. Exact zeros stay graded: they test ACT-3 / ACT-5. ``code``
    holds the rows' quantity codes (CODE). None where no row is."""
    kinked = [l + 1 for l, a in enumerate(case["activations"]) if a in KINKED]
    if not kinked:
        return None
    nets = (code == CODE["net"]) & np.isin(layer, kinked) & (ref != 0) & (np.abs(ref) <= reach)
    if not nets.any():
        return None
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


def grade_step(rows: Rows, out: dict, case: dict, dtype: str, rtol: float, batch: int,
               exact: bool = False, present: np.ndarray | None = None,
               flush_to_zero: bool = False) -> StepGrade:
    """Grade one step's graded rows (``Rows``, each group a slice) against an adapter result. An
    ``exact`` adapter's mpmath numbers are compared in mpmath, under the policy of the "exact" dtype.
    ``present``, aligned with ``rows``, marks the values a results file holds; the others are not
    checked (ADP-2, ADP-7). ``flush_to_zero``: the adapter declares that its arithmetic reads and
    writes subnormals as zero (ADP-5), and the values that depend on one are not checked (TOL-8)."""
    dtype = "exact" if exact else dtype
    n = len(rows)
    g = StepGrade(values=n)
    got, err = np.full(n, np.nan), None
    checked = np.ones(n, dtype=bool) if present is None else present.copy()
    index_i, index_j, ref, flat = rows["i"], rows["j"], rows["ref"], rows["flat"]
    for group, a, b in rows.groups:
        q, l = QUANTITY[group // 1000], group % 1000
        if OUTPUT_KEY[q] not in out:
            checked[a:b] = False
            continue
        shape = expected_shape(case, q, l, batch)
        raw = _fetch(out, q, l)
        if exact:
            err = np.full(n, np.nan) if err is None else err
            got[a:b], err[a:b] = _exact_errors(raw, rows["value"][a:b], index_i[a:b], index_j[a:b], q,
                                               _label(q, l), shape)
        else:  # positions checked against the shape: "clip" never clips, and spares a buffered copy
            _as_float(raw, q, l, shape).take(flat[a:b], out=got[a:b], mode="clip")
    with np.errstate(all="ignore"):
        if err is None:
            err = np.abs(got - ref)
        code, layer = rows["group"] // 1000, rows["group"] % 1000
        reach = rtol * rows["scale"]
        digits, magnitude = rows["digits"], np.abs(ref)
        tol = tolerance.bound(ref, digits, rows["scale"], rtol, dtype)
        ok = err <= tol
    ambiguous = _near_kink(code, layer, ref, reach, case)
    if ambiguous is not None and (checked & ambiguous).any():
        checked &= ~ambiguous
        g.notes.append(f"values not checked: a relu pre-activation lies within {dtype}'s error of the "
                       "kink (TOL-7)")
    if flush_to_zero and not exact:
        flushed = checked & _subnormal_cone(code, layer, index_i, index_j, ref, reach, dtype)
        if flushed.any():
            checked &= ~flushed
            g.notes.append(f"values not checked: they depend on a net or out within {dtype}'s error of "
                           "the subnormal range, and the adapter declares flush-to-zero arithmetic (TOL-8)")
    g.not_checked = n - int(np.count_nonzero(checked))
    failing = checked & ~ok
    g.failed = int(np.count_nonzero(failing))
    g.passed = n - g.not_checked - g.failed
    if g.not_checked < n:
        _agreement(g, err, ref, magnitude, digits, rows.quantities, checked)
    if g.failed:
        g.failures = _failures(rows, np.flatnonzero(failing), got, tol)
    return g


def _agreement(g: StepGrade, err: np.ndarray, ref: np.ndarray, magnitude: np.ndarray, digits: np.ndarray,
               quantities: tuple[list[int], list[int]], checked: np.ndarray) -> None:
    """The worst digits of agreement (``tolerance.digits_of_agreement``) of the checked values, over
    all and per quantity, ``quantities`` being (code, first row) of each quantity's run of rows
    (``Rows.quantities``). The digits fall as the error grows and the cap and clip are monotone, so
    the worst digits of a run are those of its largest error, capped by its fewest certified digits:
    only the run's extremes go through the logarithm. A NaN error (a NaN or missing value) is 0 digits."""
    with np.errstate(all="ignore"):
        relative = np.where(checked, np.where(ref != 0, err / magnitude, err), 0.0)
        certified = np.where(checked, digits, np.inf)
        codes, starts = quantities
        largest = np.maximum.reduceat(relative, starts)
        fewest = np.minimum.reduceat(certified, starts)
        worst = np.where(np.isnan(largest), 0.0, np.clip(np.minimum(-np.log10(largest), fewest), 0.0,
                                                         tolerance.DIGITS_CAP)) + 0.0
    seen = np.logical_or.reduceat(checked, starts).tolist()
    g.worst_by_quantity = {QUANTITY[c]: w for c, w, k in zip(codes, worst.tolist(), seen, strict=True) if k}
    g.worst_digits = min(g.worst_by_quantity.values())


def _failures(rows: Rows, bad: np.ndarray, got: np.ndarray, tol: np.ndarray) -> list[dict[str, Any]]:
    """The first MAX_FAILURES failing values in chain-rule order (CHK-2)."""
    ref, digits = rows["ref"], rows["digits"]
    failures = []
    for k in bad[np.argsort(rows["rank"][bad], kind="stable")][:MAX_FAILURES]:
        d = tolerance.digits_of_agreement(got[k:k + 1], ref[k:k + 1], digits[k:k + 1])
        failures.append({
            "step": int(rows["step"][k]), "name": str(rows["name"][k]), "quantity": str(rows["quantity"][k]),
            "layer": int(rows["group"][k] % 1000), "got": float(got[k]), "ref": str(rows["value"][k]),
            "tol": float(tol[k]), "digits": float(d[0]),
        })
    return failures


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
