"""What a benchmark is made of, and how it is timed: candidates measured side by side.

A workload (W1 .. W6) offers, per dtype, a list of ``Candidate``: one implementation, ready to run,
whose ``run()`` performs one timed call of ``units`` units of work (steps, networks, values). A
candidate that cannot run here is a ``Candidate`` with ``skip`` set to the reason, and is reported,
never silently dropped.

``measure`` times the candidates of one workload and dtype **interleaved**: after a warm-up call of
each (JIT compilation, caches, first-touch page faults), repetition r runs every candidate once in
turn. On a machine shared with other work a burst of load then hits all candidates alike, and the
median of each is taken over the same stretch of time, which is what makes ratios from one run
comparable. Ratios are per unit of work: (peer median / peer units) / (ours median / ours units),
so > 1 means ours is faster.
"""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

OURS = "numpy"
"""The implementation every ratio is taken against: bpspec.impl. Other forms of it (a Python loop
over its calls, another entry point) have names that begin with it."""


@dataclass
class Candidate:
    """One implementation of a workload, set up and ready: ``run()`` is one timed call."""

    impl: str
    run: Callable[[], Any] | None = None
    reset: Callable[[], Any] | None = None
    """Called untimed before every call: restores the initial state, so every call does the same work."""
    units: int = 1
    unit: str = "step"
    skip: str | None = None
    flops: float | None = None
    """Floating-point operations of one unit, when a GFLOP/s figure means something (W3)."""
    peak_of: str | None = None
    """The impl name of the GEMM candidate this one's GFLOP/s is compared with (W3)."""
    compare: bool = True
    """False for a measurement that is not an implementation of the workload (a GEMM peak)."""
    details: Callable[[], dict[str, Any]] | None = None
    """Extra figures to report after timing (W5's split of the time)."""
    note: str = ""
    baseline: bool = False
    """Another form of ours that the notes also take every peer's ratio against (W4's step on
    arrays already in its layout): ``peer_ratios`` in its record."""
    warmup: int = 1
    """Untimed calls first (JIT compilation, caches, first-touch page faults)."""
    repeats: int | None = None
    """At most this many timed calls (for a candidate too slow for the workload's count)."""


@dataclass
class Result:
    """The timings of one candidate: seconds per call, and what they amount to."""

    workload: str
    dtype: str
    impl: str
    times: list[float] = field(default_factory=list)
    units: int = 1
    unit: str = "step"
    skip: str | None = None
    ratio: float | None = None
    flops: float | None = None
    peak_of: str | None = None
    compare: bool = True
    extra: dict[str, Any] = field(default_factory=dict)
    note: str = ""
    baseline: bool = False

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    @property
    def per_unit(self) -> float:
        return self.median / self.units

    @property
    def rate(self) -> float:
        """Units per second at the median."""
        return self.units / self.median

    @property
    def gflops(self) -> float | None:
        return None if self.flops is None or self.skip else self.flops * self.rate / 1e9

    def record(self) -> dict[str, Any]:
        """One JSON record: workload, dtype, impl, median_s, min_s, max_s, ratio and the rest."""
        timed = bool(self.times) and not self.skip
        out: dict[str, Any] = {
            "workload": self.workload, "dtype": self.dtype, "impl": self.impl,
            "median_s": self.median if timed else None, "min_s": min(self.times) if timed else None,
            "max_s": max(self.times) if timed else None, "ratio": self.ratio,
            "repeats": len(self.times), "units_per_call": self.units, "unit": self.unit,
            "per_unit_s": self.per_unit if timed else None, "units_per_s": self.rate if timed else None,
            "skipped": self.skip,
        }
        if self.gflops is not None:
            out["gflops"] = self.gflops
        if self.note:
            out["note"] = self.note
        out.update(self.extra)
        return out


def measure(workload: str, dtype: str, candidates: Iterable[Candidate], repeats: int,
            progress: Any = None) -> list[Result]:
    """Time every runnable candidate ``repeats`` times, interleaved, after its warm-up calls.

    A candidate whose call raises is reported as skipped with the error, not as a failure of the run.
    ``progress`` (a tqdm bar, or None) is told of every call as it happens."""
    candidates = list(candidates)
    results = [Result(workload, dtype, c.impl, units=c.units, unit=c.unit, skip=c.skip, flops=c.flops,
                      peak_of=c.peak_of, compare=c.compare, note=c.note, baseline=c.baseline)
               for c in candidates]
    pairs = [(c, r) for c, r in zip(candidates, results, strict=True)]
    live = []
    for c, r in pairs:
        if r.skip is None:
            _show(progress, f"{workload} {dtype}: warming up {c.impl}")
            try:
                for _ in range(c.warmup):
                    _call(c)
                live.append((c, r))
            except Exception as err:  # a peer that fails here is skipped, with the reason shown
                r.skip = f"failed: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    if progress is not None:
        progress.total = (progress.total or 0) + sum(min(repeats, c.repeats or repeats) for c, _ in live)
    _show(progress, f"{workload} {dtype}")
    for rep in range(repeats):
        for c, r in live:
            if r.skip is not None or c.repeats is not None and rep >= c.repeats:
                continue
            try:
                r.times.append(_call(c))
            except Exception as err:
                r.skip, r.times = f"failed: {type(err).__name__}: {err}", []
            if progress is not None:
                progress.update(1)
    for c, r in live:
        if c.details is not None and r.skip is None:
            r.extra.update(c.details())
    _ratios(results)
    return results


def _show(progress: Any, text: str) -> None:
    if progress is not None:
        progress.set_description_str(text)


def _call(c: Candidate) -> float:
    """One call of a candidate, its state reset and the garbage collected first; seconds taken."""
    if c.reset is not None:
        c.reset()
    gc.collect()
    start = time.perf_counter()
    c.run()
    return time.perf_counter() - start


def _ratios(results: list[Result]) -> None:
    """ratio = peer time per unit / ours per unit, for the candidates that implement the workload;
    a baseline's ``peer_ratios`` likewise against it, for the peers (every impl not named ours)."""
    timed = [r for r in results if r.compare and r.times and not r.skip]
    ours = next((r for r in timed if r.impl == OURS), None)
    for r in timed:
        if ours is not None:
            r.ratio = r.per_unit / ours.per_unit
        if r.baseline:
            r.extra["peer_ratios"] = {p.impl: p.per_unit / r.per_unit for p in timed
                                      if not p.impl.startswith(OURS)}
    peaks = {r.impl: r for r in results if not r.compare and r.gflops}
    for r in results:
        peak = peaks.get(r.peak_of or "")
        if peak is not None and r.gflops is not None:
            r.extra["gemm_peak_gflops"] = peak.gflops
            r.extra["fraction_of_peak"] = r.gflops / peak.gflops


def skipped(impl: str, reason: str, unit: str = "step") -> Candidate:
    """A candidate that cannot run here, and why."""
    return Candidate(impl, None, unit=unit, skip=reason)
