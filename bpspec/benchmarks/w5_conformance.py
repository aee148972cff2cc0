"""W5: conformance throughput: values graded per second over the whole shipped suite.

One call is ``bpspec.conformance.runner.run`` over every default suite with bpspec's NumPy adapter:
loading and verifying the vector files, computing every step, grading every value. The time is
split three ways: **computing** is the time spent inside the adapter (``step``, ``step_many`` and
``trajectory``, timed around each call); **loading** is ``vectorset.load(..., annotate=annotate)``
of every suite, as the runner loads them (SHA-256 against the manifest, then the parsed-vector cache,
VEC-7, or on a miss CSV parsing, schema checks and name parsing), timed on their own after the run;
**comparing** is the rest: building step inputs, selecting each step's rows, grading.

The same values also go through the file protocol (ADP-7), as a program in another language
delivers them: the golden values written as a results file (every recorded step's values in single
mode, and in free mode for the recorded steps after 0 of multi-step cases), then read and graded by
``results.load`` and ``results.grade``, timed after the run (median of three).
"""

from __future__ import annotations

import csv
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bpspec.benchmarks.core import Candidate
from bpspec.benchmarks.options import Options

TITLE = "conformance throughput: values graded per second over the whole shipped suite"
GROUPS = {"W5": ("numpy",)}
REPEATS = 3


def _timed(f: Callable | None, spent: list[float]) -> Callable | None:
    if f is None:
        return None

    def call(*args: Any) -> Any:
        start = time.perf_counter()
        try:
            return f(*args)
        finally:
            spent[0] += time.perf_counter() - start

    return call


def _loading(suites: list[str]) -> float:
    """Seconds the runner spends loading: every suite loaded, verified and annotated."""
    from bpspec import vectorset
    from bpspec.conformance.index import annotate

    start = time.perf_counter()
    for name in suites:
        vectorset.load(name, annotate=annotate)
    return time.perf_counter() - start


def _file_protocol(suites: list[str], dtype: str) -> dict[str, Any]:
    """Seconds to read and grade the suites' golden values as a results file (median of three), and
    the values graded."""
    from bpspec.conformance import results

    with tempfile.TemporaryDirectory() as folder:
        path = _golden_results(suites, Path(folder) / "results.csv")
        times, values = [], 0
        for _ in range(3):
            start = time.perf_counter()
            outcomes, _ = results.grade(results.load(path), path, dtype, suites)
            times.append(time.perf_counter() - start)
            values = sum(o.values for o in outcomes)
    return {"results_file_s": statistics.median(times), "results_file_values": values}


def _golden_results(suites: list[str], path: Path) -> Path:
    """The suites' golden values as a results file (ADP-7): every graded row in single mode, and the
    graded rows of the recorded steps after 0 of multi-step cases again in free mode."""
    from bpspec import vectorset
    from bpspec.conformance.index import annotate

    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(["case", "step", "name", "value", "mode"])
        for name in suites:
            suite = vectorset.load(name, annotate=annotate)
            rows = suite.values[suite.values["rank"] >= 0]
            multi = rows["case"].map({c: case["steps"] > 1 for c, case in suite.cases.items()}).to_numpy(bool)
            for mode, picked in (("single", rows), ("free", rows[multi & (rows["step"].to_numpy() > 0)])):
                out.writerows(zip(picked["case"], picked["step"], picked["name"], picked["value"],
                                  [mode] * len(picked), strict=True))
    return path


def candidate(dtype: str) -> Candidate:
    """The whole default suite through the runner, with the adapter's time measured on the way."""
    from bpspec.conformance import runner
    from bpspec.conformance.adapters import Adapter, resolve

    inner, suites = resolve("numpy"), runner.select_suites(None)
    spent, computing, totals = [0.0], [], []
    adapter = Adapter(inner.name, _timed(inner.step, spent), _timed(inner.step_many, spent), inner.exact,
                      _timed(inner.trajectory, spent))

    def run() -> int:
        spent[0] = 0.0
        start = time.perf_counter()
        values = sum(o.values for o in runner.run(adapter, dtype, suites))
        totals.append(time.perf_counter() - start)
        computing.append(spent[0])
        return values

    def details() -> dict[str, Any]:
        total, compute = statistics.median(totals[1:]), statistics.median(computing[1:])
        load = statistics.median(_loading(suites) for _ in range(3))
        return {"split_s": {"loading": load, "computing": compute, "comparing": total - load - compute},
                "suites": suites, **_file_protocol(suites, dtype)}

    values = run()  # the warm-up call, which also counts the values
    return Candidate("numpy", run, units=values, unit="value", details=details, warmup=0)


def groups(dtype: str, options: Options) -> list[tuple[str, list[Candidate | None]]]:
    return [("W5", [candidate(dtype)])]
