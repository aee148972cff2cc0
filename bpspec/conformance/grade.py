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
from bpspec.conformance.rows import Rows, layer_arrays


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
    return _shape(CODE[quantity], layer, case["layer_sizes"], batch)


_LOSS = CODE["E_total"]
_BATCHED = {CODE[q] for q in ("net", "out", "delta")}
_MATRIX = {CODE[q] for q in ("W", "grad_W", "new_W")}


def _shape(code: int, layer: int, sizes: list[int], batch: int) -> tuple[int, ...]:
    """``expected_shape`` of quantity ``code`` (CODE) in a network of layer ``sizes``."""
    if code == _LOSS:
        return ()
    if code in _BATCHED:
        return (batch, sizes[layer])
    if code in _MATRIX:
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
_IS_BACKWARD = np.isin(np.arange(max(CODE.values()) + 1), BACKWARD)


def _near_kink(code: np.ndarray, layer: np.ndarray, at: np.ndarray, ref: np.ndarray, reach: np.ndarray,
               cases: list[dict]) -> np.ndarray:
    """Rows whose value depends on which side of relu's kink a pre-activation falls, where the
    dtype's error may put it on either side (TOL-7): in each step, the deltas, gradients and updates
    of every layer at or below the highest such layer. Exact zeros stay graded: they test ACT-3 /
    ACT-5. ``code`` holds the rows' quantity codes (CODE); ``at`` names each row's step, whose case
    is ``cases[at]``."""
    kinked = np.zeros((len(cases), int(layer.max()) + 1), dtype=bool)
    for k, case in enumerate(cases):
        for l, name in enumerate(case["activations"][:kinked.shape[1] - 1], start=1):
            kinked[k, l] = name in KINKED
    if not kinked.any():
        return np.zeros(len(code), dtype=bool)
    nets = (code == CODE["net"]) & kinked[at, layer] & (ref != 0) & (np.abs(ref) <= reach)
    top = np.full(len(cases), -1, dtype=np.int64)
    np.maximum.at(top, at[nets], layer[nets])
    return _IS_BACKWARD[code] & (layer <= top[at])


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


@dataclass(eq=False)
class Gathered:
    """One step's adapter values at its graded rows (``gather``): the adapter's part of grading is
    done, the arithmetic of ``grade_steps`` is left. The values are in ``block``: the layer array of
    each group of ``rows.groups`` the result has, flattened, end to end, as float64, a copy (an adapter
    may reuse its arrays for its next result before the step is graded); ``bases`` holds where each
    group's array starts in it, -1 where the result lacks the quantity. Each row is read at its
    ``flat`` position only when the steps are graded, so that one ``take`` serves all steps. Values
    that come aligned with the rows come as ``got`` instead, with no block: an exact adapter's, with
    ``err`` = |got - ref| computed in mpmath, and a results file's (ADP-7). ``checked`` marks the
    values there are to grade."""

    rows: Rows
    case: dict
    rtol: float
    checked: np.ndarray
    block: np.ndarray
    bases: list[int]
    batch: int
    got: np.ndarray | None = None
    err: np.ndarray | None = None
    flush_to_zero: bool = False

    def output(self) -> dict:
        """The result as ``gather`` read it, as the adapter-style dict (ADP-2) of float64 arrays ``block``
        holds: each graded group's layer array; what the result lacked, this lacks. A diagnosis reads
        this rather than the adapter's own arrays, which the adapter may have reused since. Values
        that came as ``got`` are put back in place (``as_output``)."""
        if self.got is not None:
            return as_output(self.rows, self.got, self.case, self.batch)
        n_layers, sizes = len(self.case["layer_sizes"]) - 1, self.case["layer_sizes"]
        out: dict = {}
        for (group, _, _), base in zip(self.rows.groups, self.bases, strict=True):
            if base < 0:
                continue
            code, layer = divmod(group, 1000)
            shape = _shape(code, layer, sizes, self.batch)
            arr = self.block[base:base + int(np.prod(shape))].reshape(shape)
            if code == _LOSS:
                out["loss"] = arr
            else:
                out.setdefault(OUTPUT_KEY[QUANTITY[code]], [None] * n_layers)[layer - 1] = arr
        return out


def gather(rows: Rows, out: dict, case: dict, rtol: float, batch: int, exact: bool = False,
           present: np.ndarray | None = None, flush_to_zero: bool = False) -> Gathered:
    """One step's adapter result taken at its graded rows (``Rows``, each group a slice), or
    OutputError for a result that cannot be graded (ADP-2). A quantity the result lacks is not
    checked; so is a row ``present`` (aligned with ``rows``) marks as absent from a results file
    (ADP-7). ``flush_to_zero``: the adapter declares that its arithmetic reads and writes
    subnormals as zero (ADP-5)."""
    n = len(rows)
    checked = np.ones(n, dtype=bool) if present is None else present.copy()
    pieces: list[np.ndarray] = []
    bases: list[int] = []
    at = 0
    got = err = None
    if exact:
        got, err = np.full(n, np.nan), np.full(n, np.nan)
    sizes = case["layer_sizes"]
    for group, a, b in rows.groups:
        code, l = divmod(group, 1000)
        q = QUANTITY[code]
        value = out.get(OUTPUT_KEY[q], _MISSING)
        if value is _MISSING:
            checked[a:b] = False
            bases.append(-1)
            continue
        shape = _shape(code, l, sizes, batch)
        raw = value if code == _LOSS else value[l - 1] if type(value) is list and 0 < l <= len(value) else \
            _fetch(out, q, l)
        if exact:
            got[a:b], err[a:b] = _exact_errors(raw, rows["value"][a:b], rows["i"][a:b], rows["j"][a:b], q,
                                               _label(q, l), shape)
            continue
        if type(raw) is not np.ndarray or raw.dtype not in _NATIVE or raw.shape != shape:
            raw = _as_float(raw, q, l, shape)
        pieces.append(raw)
        bases.append(at)
        at += raw.size
    block = np.concatenate(pieces, axis=None, dtype=np.float64) if pieces else np.zeros(0)
    return Gathered(rows, case, rtol, checked, block, bases, batch, got, err, flush_to_zero and not exact)


_MISSING = object()
_NATIVE = (np.dtype(np.float64), np.dtype(np.float32))
"""The dtypes an array goes into a ``Gathered.block`` as it is (float32 converts exactly); every
other type is read by ``_as_float``, which checks it."""


def _values(parts: list[Gathered], n: int) -> np.ndarray:
    """The values of ``parts``' rows laid end to end (``n`` of them): one concatenation of every
    block, with a NaN first, and one ``take`` at each row's flat position offset by its group's start
    (the NaN for a missing group); an exact step's values are written over its stretch."""
    blocks, starts, lengths = [np.full(1, np.nan)], [], []
    at = 1
    for s in parts:
        if s.got is not None:
            starts.append(0)
            lengths.append(len(s.rows))
            continue
        for (_, a, b), base in zip(s.rows.groups, s.bases, strict=True):
            starts.append(0 if base < 0 else at + base)
            lengths.append(b - a)
        blocks.append(s.block)
        at += len(s.block)
    start = np.repeat(starts, lengths)
    flat = np.concatenate([s.rows["flat"] for s in parts])
    got = np.concatenate(blocks).take(np.where(start > 0, start + flat, 0))
    k = 0
    for s in parts:
        if s.got is not None:
            got[k:k + len(s.rows)] = s.got
        k += len(s.rows)
    return got


def as_output(rows: Rows, values: np.ndarray, case: dict, batch: int) -> dict:
    """``values`` (aligned with ``rows``) as the adapter-style result (ADP-2) ``gather`` reads them back
    from: one array per layer of each output key present in the rows, NaN where no row is."""
    n_layers = len(case["layer_sizes"]) - 1
    out: dict = {}
    for group, arr in layer_arrays(rows, values, lambda g: group_shape(case, g, batch)).items():
        quantity, layer = QUANTITY[group // 1000], group % 1000
        if quantity == "E_total":
            out["loss"] = arr[()]
        else:
            out.setdefault(OUTPUT_KEY[quantity], [None] * n_layers)[layer - 1] = arr
    return out


def grade_step(rows: Rows, out: dict, case: dict, dtype: str, rtol: float, batch: int,
               exact: bool = False, present: np.ndarray | None = None,
               flush_to_zero: bool = False) -> StepGrade:
    """One step's graded rows against an adapter result: ``gather``, then ``grade_steps``. An
    ``exact`` adapter's mpmath numbers are compared in mpmath, under the policy of the "exact" dtype."""
    step = gather(rows, out, case, rtol, batch, exact, present, flush_to_zero)
    return grade_steps([step], "exact" if exact else dtype)[0]


def grade_steps(steps: list[Gathered], dtype: str) -> list[StepGrade]:
    """The grades of many gathered steps, each equal to that of the step graded alone (TOL-1, TOL-7,
    TOL-8, CHK-2), computed together: the steps' rows are laid end to end, every test is one array
    operation over all of them, and each step's counts and worst digits one ``reduceat`` over its
    stretch, so a step costs a few Python-level operations instead of the ~40 array operations of
    grading it alone. ``dtype`` is the policy's dtype, "exact" for an exact adapter."""
    grades = [StepGrade(values=len(s.rows)) for s in steps]
    live = [k for k, s in enumerate(steps) if len(s.rows)]
    if not live:
        return grades
    parts = [steps[k] for k in live]
    sizes = np.array([len(s.rows) for s in parts])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    at = np.repeat(np.arange(len(parts)), sizes)

    def column(name: str) -> np.ndarray:
        return np.concatenate([s.rows[name] for s in parts])

    ref, digits, scale, group = column("ref"), column("digits"), column("scale"), column("group")
    got, checked = _values(parts, int(sizes.sum())), np.concatenate([s.checked for s in parts])
    rtol = np.array([s.rtol for s in parts])[at]
    code, layer = group // 1000, group % 1000
    stretch = [slice(a, a + n) for a, n in zip(starts.tolist(), sizes.tolist(), strict=True)]
    with np.errstate(all="ignore"):
        err = np.abs(got - ref)
        for k, s in enumerate(parts):
            if s.err is not None:
                err[stretch[k]] = s.err
        reach, magnitude = rtol * scale, np.abs(ref)
        tol = tolerance.bound(ref, digits, scale, rtol, dtype)
        ok = err <= tol
    ambiguous = _near_kink(code, layer, at, ref, reach, [s.case for s in parts])
    kink_noted = np.logical_or.reduceat(checked & ambiguous, starts).tolist()
    checked &= ~ambiguous
    cone_noted = [False] * len(parts)
    if any(s.flush_to_zero for s in parts):
        index_i, index_j = column("i"), column("j")
        for k, s in enumerate(parts):
            if s.flush_to_zero:
                sl = stretch[k]
                flushed = checked[sl] & _subnormal_cone(code[sl], layer[sl], index_i[sl], index_j[sl],
                                                        ref[sl], reach[sl], dtype)
                checked[sl] &= ~flushed
                cone_noted[k] = bool(flushed.any())
    failing = checked & ~ok
    n_checked = np.add.reduceat(checked, starts, dtype=np.int64).tolist()
    n_failed = np.add.reduceat(failing, starts, dtype=np.int64).tolist()
    worst = _agreement(err, ref, magnitude, digits, checked, [s.rows.quantities for s in parts], starts)
    for k, s in enumerate(parts):
        g = grades[live[k]]
        g.not_checked, g.failed = g.values - n_checked[k], n_failed[k]
        g.passed = n_checked[k] - n_failed[k]
        if kink_noted[k]:
            g.notes.append(f"values not checked: a relu pre-activation lies within {dtype}'s error of the "
                           "kink (TOL-7)")
        if cone_noted[k]:
            g.notes.append(f"values not checked: they depend on a net or out within {dtype}'s error of "
                           "the subnormal range, and the adapter declares flush-to-zero arithmetic (TOL-8)")
        if worst[k]:
            g.worst_by_quantity = worst[k]
            g.worst_digits = min(worst[k].values())
        if g.failed:
            sl = stretch[k]
            g.failures = _failures(s.rows, np.flatnonzero(failing[sl]), got[sl], tol[sl])
    return grades


def _agreement(err: np.ndarray, ref: np.ndarray, magnitude: np.ndarray, digits: np.ndarray,
               checked: np.ndarray, quantities: list[tuple[list[int], list[int]]], starts: np.ndarray
               ) -> list[dict[str, float]]:
    """Per step, the worst digits of agreement (``tolerance.digits_of_agreement``) of each quantity
    it checks; ``quantities`` holds each step's (code, first row) of its runs of one quantity
    (``Rows.quantities``), ``starts`` each step's first row. The digits fall as the error grows and
    the cap and clip are monotone, so the worst digits of a run are those of its largest error,
    capped by its fewest certified digits: only the runs' extremes go through the logarithm. A NaN
    error (a NaN or missing value) is 0 digits."""
    runs = np.concatenate([np.asarray(first, dtype=np.int64) + start
                           for (_, first), start in zip(quantities, starts.tolist(), strict=True)])
    with np.errstate(all="ignore"):
        relative = np.where(checked, np.where(ref != 0, err / magnitude, err), 0.0)
        certified = np.where(checked, digits, np.inf)
        largest = np.maximum.reduceat(relative, runs)
        fewest = np.minimum.reduceat(certified, runs)
        worst = np.where(np.isnan(largest), 0.0, np.clip(np.minimum(-np.log10(largest), fewest), 0.0,
                                                         tolerance.DIGITS_CAP)) + 0.0
    seen = np.logical_or.reduceat(checked, runs).tolist()
    digits_of, result, k = worst.tolist(), [], 0
    for codes, _ in quantities:
        result.append({QUANTITY[c]: digits_of[k + n] for n, c in enumerate(codes) if seen[k + n]})
        k += len(codes)
    return result


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
