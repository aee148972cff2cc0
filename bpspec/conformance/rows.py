"""Vector rows as NumPy columns, in an order where every selection grading makes is a slice (spec CHK-1).

Grading selects, for every value, its case's rows, then its recorded step's rows, then its
(quantity, layer) group's rows (CHK-2). Done on a pandas DataFrame each selection copies every
column and costs tens of microseconds, which over the shipped suite's ~14,000 groups cost more than
the comparisons themselves. ``conformance.index.annotate`` puts a suite's rows in grading order
(graded rows first, by case, step and group; within a group the file's order), and the parsed-vector
cache keeps them so (VEC-7): each case, each step of a case and each group of a step is then a
contiguous slice. ``Rows`` is such a selection; it slices a column only when the column is read,
since grading reads a few of the fourteen.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import cached_property

import numpy as np
import pandas as pd

Run = tuple[int, int, int, int]
"""(step, group, start, stop): the rows of one (quantity, layer) group of one step."""


class Rows:
    """Annotated vector rows (``conformance.index.annotate``'s columns), sorted by (step, group):
    ``rows[column]`` is that column's array, read from the shared ``columns`` at ``pick`` (a slice,
    or for rows that are not contiguous there an index array) on first use. ``runs``, when the
    caller has them, are the (step, group) runs of these rows (else they are found on first use)."""

    def __init__(self, columns: dict[str, np.ndarray], runs: list[Run] | None = None,
                 pick: slice | np.ndarray | None = None):
        self.columns = columns
        self.pick = slice(0, len(columns["group"])) if pick is None else pick
        self._runs = runs
        self._read: dict[str, np.ndarray] = {}
        self._by_step: dict[int, Rows] | None = None

    @classmethod
    def of(cls, frame: pd.DataFrame, case: dict) -> Rows:
        """The graded rows of one case in an annotated frame."""
        return by_case(frame, [case["case"]])[case["case"]]

    def __len__(self) -> int:
        pick = self.pick
        return pick.stop - pick.start if isinstance(pick, slice) else len(pick)

    def __getitem__(self, column: str) -> np.ndarray:
        values = self._read.get(column)
        if values is None:
            values = self._read[column] = self.columns[column][self.pick]
        return values

    @property
    def runs(self) -> list[Run]:
        if self._runs is None:
            self._runs = _runs(self["step"], self["group"])
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
        """Rows ``start`` to ``stop`` of these; ``runs`` theirs, counted from ``start``."""
        pick = self.pick
        at = slice(pick.start + start, pick.start + stop) if isinstance(pick, slice) else pick[start:stop]
        return Rows(self.columns, runs, at)

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
        pick = self.pick
        return Rows(self.columns, runs, at + pick.start if isinstance(pick, slice) else pick[at])

    def _cut(self, runs: list[Run]) -> Rows:
        """The rows of consecutive ``runs`` of these rows."""
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


def _cuts(*keys: np.ndarray) -> np.ndarray:
    """Where any of the equally long ``keys`` changes from one row to the next: the row after."""
    change = np.zeros(max(len(keys[0]) - 1, 0), dtype=bool)
    for key in keys:
        change |= key[1:] != key[:-1]
    return np.flatnonzero(change) + 1


def _runs(steps: np.ndarray, groups: np.ndarray) -> list[Run]:
    """The runs of equal (step, group) of rows sorted by them."""
    if not len(steps):
        return []
    cuts = _cuts(steps, groups).tolist()
    starts, stops = [0, *cuts], [*cuts, len(steps)]
    return list(zip(steps[starts].tolist(), groups[starts].tolist(), starts, stops, strict=True))


def by_case(frame: pd.DataFrame, names: Iterable[str]) -> dict[str, Rows]:
    """The graded rows (``rank >= 0``) of each case of ``names`` in an annotated suite frame, as
    ``Rows`` over one set of columns. A frame in ``annotate``'s grading order, or a selection of its
    rows, is used as it is, its columns as views; any other is sorted into that order first. A case
    without graded rows gets empty ``Rows``."""
    columns = _graded(frame)
    n = len(columns["group"])
    if not n:
        return {name: Rows(columns, [], slice(0, 0)) for name in names}
    index, steps, groups = columns["case_index"], columns["step"], columns["group"]
    case_starts = [0, *_cuts(index).tolist()]
    case_stops = [*case_starts[1:], n]
    run_starts = np.concatenate([[0], _cuts(index, steps, groups)])
    run_stops = np.append(run_starts[1:], n)
    first = [*np.searchsorted(run_starts, case_starts).tolist(), len(run_starts)]
    own_start = np.repeat(case_starts, np.diff(first))
    runs = list(zip(steps[run_starts].tolist(), groups[run_starts].tolist(),
                    (run_starts - own_start).tolist(), (run_stops - own_start).tolist(), strict=True))
    span = {str(columns["case"][a]): k for k, a in enumerate(case_starts)}
    rows_of = {}
    for name in names:
        k = span.get(name)
        rows_of[name] = Rows(columns, [], slice(0, 0)) if k is None else \
            Rows(columns, runs[first[k]:first[k + 1]], slice(case_starts[k], case_stops[k]))
    return rows_of


def _graded(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """The graded rows' columns in grading order (``index.GRADING_ORDER``): views of the frame's
    own arrays when its rows are in that order already, else sorted copies."""
    rank, index = frame["rank"].to_numpy(), frame["case_index"].to_numpy()
    steps, groups = frame["step"].to_numpy(), frame["group"].to_numpy()
    n = int(np.count_nonzero(rank >= 0))
    i, s, g = index[:n], steps[:n], groups[:n]
    ordered = bool((rank[:n] >= 0).all()) and bool(np.all(
        (i[1:] > i[:-1]) | (i[1:] == i[:-1]) & ((s[1:] > s[:-1]) | (s[1:] == s[:-1]) & (g[1:] >= g[:-1]))))
    if ordered:
        return {c: frame[c].to_numpy()[:n] for c in frame.columns}
    keep = np.flatnonzero(rank >= 0)
    at = keep[np.lexsort((groups[keep], steps[keep], index[keep]))]
    return {c: frame[c].to_numpy()[at] for c in frame.columns}
