"""``bpspec bench``: benchmark bpspec.impl against its peers, as ratios measured side by side in one run.

Runs the workloads of ``bpspec.benchmarks`` (the same definitions the pytest-benchmark suite in
``benchmarks/`` times), each in every requested dtype, every implementation interleaved with the
others, and prints one table of medians and ratios (peer time / ours: > 1 means bpspec.impl is
faster), the BLAS each library ran on, and the reason for every skipped peer.

    bpspec bench                                  # W1 .. W6, float64 and float32
    bpspec bench --workload W2,W3 --dtype float32 --json bench.json --plot bench.png
    bpspec bench --quick                          # short calls, 3 repeats, no torch.compile
    bpspec bench --full                           # also time `bpspec regenerate --check --jobs 2`
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from bpspec.benchmarks import DTYPES, WORKLOADS, blas, report
from bpspec.benchmarks.core import OURS, Result, measure
from bpspec.benchmarks.options import Options
from bpspec.errors import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workload", default=",".join(WORKLOADS),
                   help=f"comma-separated workloads (default: all of {','.join(WORKLOADS)})")
    p.add_argument("--dtype", default=",".join(DTYPES),
                   help="comma-separated dtypes (default: float64,float32)")
    p.add_argument("--impl", help="comma-separated implementations to compare (default: every one "
                                  "installed; ours always runs)")
    p.add_argument("--json", type=Path, metavar="FILE", help="write the records as a JSON list")
    p.add_argument("--plot", type=Path, metavar="FILE",
                   help="draw the ratios as a PNG bar chart (needs matplotlib: bpspec[plot])")
    p.add_argument("--quick", action="store_true", help="short calls and 3 repeats, no torch.compile")
    p.add_argument("--full", action="store_true", help="also the slow parts: regenerating the vectors (W6)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")


def _choices(text: str, known: tuple[str, ...] | list[str], what: str) -> list[str]:
    chosen = [x.strip() for x in text.split(",") if x.strip()]
    bad = [x for x in chosen if x not in known]
    if bad or not chosen:
        raise UsageError(f"unknown {what} {bad[0] if bad else text!r}; known: {', '.join(known)}")
    return list(dict.fromkeys(chosen))


def run(args: argparse.Namespace) -> int:
    workloads = _choices(args.workload.upper(), list(WORKLOADS), "workload")
    dtypes = _choices(args.dtype, DTYPES, "dtype")
    known = sorted({impl for w in WORKLOADS.values() for group in w.GROUPS.values() for impl in group})
    impls = frozenset(_choices(args.impl, known, "impl") if args.impl else ())
    if args.plot:
        report.require_matplotlib()
    options = Options(quick=args.quick, full=args.full, impls=impls)
    results = _measure(workloads, dtypes, options, progress=not args.quiet and sys.stderr.isatty())
    machine = blas.machine()
    print("\n".join(blas.describe(machine)))
    print(report.table(results))
    for line in report.notes(results):
        print(line)
    if args.json:
        report.write_json(results, args.json, machine)
    if args.plot:
        report.plot(results, args.plot)
    broken = [r for r in results if r.impl == OURS and r.skip]
    for r in broken:
        print(f"bpspec bench: {r.workload} {r.dtype}: ours did not run: {r.skip}", file=sys.stderr)
    return 1 if broken else 0


def _measure(workloads: list[str], dtypes: list[str], options: Options, progress: bool) -> list[Result]:
    from tqdm import tqdm

    results: list[Result] = []
    with tqdm(total=0, disable=not progress, unit="call", leave=False) as bar:
        for name in workloads:
            module = WORKLOADS[name]
            for dtype in dtypes:
                for label, candidates in module.groups(dtype, options):
                    runnable = [c for c in candidates if c is not None]
                    results += measure(label, dtype, runnable, options.repeats(module.REPEATS), bar)
    return results
