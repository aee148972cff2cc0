"""Vector rows as NumPy columns, ordered so that every selection grading makes is a slice (spec CHK-1).

Grading selects, for every value, its case's rows, then its recorded step's rows, then its
(quantity, layer) group's rows (CHK-2). Done on a pandas DataFrame each selection copies every
column and costs tens of microseconds, which over the shipped suite's ~14,000 groups cost more than
the comparisons themselves. ``by_case`` sorts a suite's annotated rows once, stably, by (case, step,
group): each case, each step of a case and each group of a step is then a contiguous slice, taken
as views. Within a group the rows keep the file's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property

import numpy as np
import pandas as pd

from bpspec.conformance.index import CODE

Run = tuple[int, int, int, int]
"""(step, group, start, stop): the rows of one (quantity, layer) group of one step."""


class Rows:
    """Annotated vector rows (``conformance.index.annotate``'s columns) as NumPy arrays, sorted by
    (step, group); ``rows[column]`` is that column's array. ``runs``, when the caller has them,
    are the (step, group) runs of these rows (else they are found on first use)."""

    def __init__(self, columns: dict[str, np.ndarray], runs: list[Run] | None = None):
        self.columns = columns
        self._runs = runs
        self._by_step: dict[int, Rows] | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame, case: dict) -> Rows:
        """The graded rows of one case in an annotated frame."""
        return by_case(frame, [case["case"]], {case["case"]: case})[case["case"]]

    def __len__(self) -> int:
        return len(self.columns["group"])

    def __getitem__(self, column: str) -> np.ndarray:
        return self.columns[column]

    @property
    def runs(self) -> list[Run]:
        if self._runs is None:
            self._runs = _runs(self.columns["step"], self.columns["group"])
        return self._runs

    @cached_property
    def groups(self) -> list[tuple[int, int, int]]:
        """(group, start, stop) of each (quantity, layer) group; for the rows of one step."""
        return [(group, a, b) for _, group, a, b in self.runs]

    @cached_property
    def quantities(self) -> tuple[list[int], list[int]]:
        """(code, start) of each run of one quantity code: the groups of one quantity, all layers."""
        codes, starts = [], []
        for group, a, _ in self.groups:
            if not codes or group // 1000 != codes[-1]:
                codes.append(group // 1000)
                starts.append(a)
        return codes, starts

    def part(self, start: int, stop: int, runs: list[Run] | None = None) -> Rows:
        """Rows ``start`` to ``stop``, as views; ``runs`` theirs, counted from ``start``."""
        return Rows({c: a[start:stop] for c, a in self.columns.items()}, runs)

    def by_step(self) -> dict[int, Rows]:
        """The rows of each recorded step, in step order (cut once, then kept)."""
        if self._by_step is None:
            steps: dict[int, list[Run]] = {}
            for run in self.runs:
                steps.setdefault(run[0], []).append(run)
            self._by_step = {step: self._cut(runs) for step, runs in steps.items()}
        return self._by_step

    def without(self, codes: Iterable[int]) -> Rows:
        """The rows whose quantity code (``group // 1000``) is not one of ``codes``."""
        codes = set(codes)
        kept = [run for run in self.runs if run[1] // 1000 not in codes]
        if len(kept) == len(self.runs):
            return self
        if kept and kept[-1][3] - kept[0][2] == sum(b - a for _, _, a, b in kept):
            return self._cut(kept)
        at = np.concatenate([np.arange(a, b) for _, _, a, b in kept] or [np.zeros(0, dtype=np.int64)])
        runs, k = [], 0
        for step, group, a, b in kept:
            runs.append((step, group, k, k + b - a))
            k += b - a
        return Rows({c: v[at] for c, v in self.columns.items()}, runs)

    def _cut(self, runs: list[Run]) -> Rows:
        """The rows of consecutive ``runs`` of these rows, as views."""
        if not runs:
            return self.part(0, 0, [])
        first, last = runs[0][2], runs[-1][3]
        return self.part(first, last, [(s, g, a - first, b - first) for s, g, a, b in runs])


def layer_arrays(rows: Rows, values: np.ndarray, shape: Callable[[int], tuple[int, ...]]
                 ) -> dict[int, np.ndarray]:
    """``values`` (aligned with ``rows``) put back in place: one float64 array per (quantity, layer)
    group, of the shape ``shape(group)`` gives (ADP-2), NaN where no row is. The inverse of the gather
    grading makes at the ``flat`` positions."""
    arrays = {}
    for group, a, b in rows.groups:
        arr = np.full(shape(group), np.nan)
        arr.reshape(-1)[rows["flat"][a:b]] = values[a:b]
        arrays[group] = arr
    return arrays


def _runs(steps: np.ndarray, groups: np.ndarray) -> list[Run]:
    """The runs of equal (step, group) of rows sorted by them."""
    if not len(steps):
        return []
    cuts = np.flatnonzero((steps[1:] != steps[:-1]) | (groups[1:] != groups[:-1])) + 1
    starts = [0, *cuts.tolist()]
    stops = [*cuts.tolist(), len(steps)]
    return list(zip(steps[starts].tolist(), groups[starts].tolist(), starts, stops, strict=True))


def by_case(frame: pd.DataFrame, names: Iterable[str], cases: dict[str, dict]) -> dict[str, Rows]:
    """The graded rows (``rank >= 0``) of each case of ``names`` in an annotated suite frame, as
    ``Rows``, with the column ``flat``: each value's position in its layer's array flattened in C
    order (ADP-2's shapes, ``cases`` giving the layer sizes). A case without graded rows gets empty
    ``Rows``."""
    wanted = list(names)
    code = pd.Index(wanted).get_indexer(frame["case"])
    keep = np.flatnonzero((code >= 0) & (frame["rank"].to_numpy() >= 0))
    lex = np.lexsort((frame["group"].to_numpy()[keep], frame["step"].to_numpy()[keep], code[keep]))
    at, code = keep[lex], code[keep[lex]]
    every = Rows({c: frame[c].to_numpy()[at] for c in frame.columns})
    every.columns["flat"] = _flat(every, code, [cases[c]["layer_sizes"] for c in wanted])
    bounds = np.searchsorted(code, np.arange(len(wanted) + 1)).tolist()
    return {c: every.part(a, b) for c, a, b in zip(wanted, bounds, bounds[1:], strict=False)}


_MATRICES = [CODE[q] for q in ("W", "grad_W", "new_W")]


def _flat(rows: Rows, case_code: np.ndarray, sizes: list[list[int]]) -> np.ndarray:
    """i * columns + j where the value has two indices, else i (0 for E_total): the row's position
    in its layer array, whose columns are the layer's units, or for a matrix its inputs."""
    table = np.zeros((len(sizes), max((len(s) for s in sizes), default=1)), dtype=np.int64)
    for k, s in enumerate(sizes):
        table[k, :len(s)] = s
    i, j, group = rows["i"], rows["j"], rows["group"]
    layer = group % 1000
    matrix = np.isin(group // 1000, _MATRICES)
    columns = table[case_code, np.where(matrix, np.maximum(layer - 1, 0), layer)]
    return np.where(j >= 0, i * columns + j, i)
