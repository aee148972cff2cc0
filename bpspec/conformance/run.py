"""``bpspec check``: run the conformance suite against an implementation (spec CHK-1 .. CHK-4, CLI-1).

``--impl`` calls an adapter (ADP-1); ``--results FILE`` grades a results file instead (ADP-7).
Each case has ``--timeout`` seconds (``watchdog``); whatever an adapter prints goes to stderr, so that
stdout holds only the report, and with ``--json`` only the JSON report (CLI-3).

Exit 0 when at least one case ran and none failed, 1 when a case failed or none ran, 2 for
unusable input or usage.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import sys
from pathlib import Path

from bpspec import atomic
from bpspec.contract import DTYPES
from bpspec.errors import UsageError


def add_arguments(p: argparse.ArgumentParser) -> None:
    source = p.add_mutually_exclusive_group()
    source.add_argument("--impl", default="numpy",
                        help="numpy (default), reference, torch, jax, or module:attr of an adapter")
    source.add_argument("--results", type=Path, metavar="FILE",
                        help="grade a results file written by a program (spec ADP-7) instead of an adapter")
    p.add_argument("--dtype", default="float64", help=f"one or more of {', '.join(DTYPES)}, comma-separated")
    p.add_argument("--suite", action="append", help="a suite to run (repeatable); 'all' includes variants")
    p.add_argument("--case", default="*", help="only cases whose id matches this glob")
    p.add_argument("--vectors", type=Path, help="vector folder (default: the shipped vectors)")
    p.add_argument("--report", nargs=2, action="append", metavar=("FORMAT", "FILE"),
                   help="also write a json, junit, markdown or html report (repeatable)")
    p.add_argument("--json", action="store_true",
                   help="print the JSON report on stdout instead of the table (as --report json)")
    p.add_argument("--timeout", type=float, default=None, metavar="SECONDS",
                   help="fail a case that takes longer than this (default 60; 0 for no limit)")
    p.add_argument("--verbose", action="store_true", help="list every failing case")
    p.add_argument("--quiet", action="store_true", help="no progress bar; only failures and the verdict")


def run(args: argparse.Namespace) -> int:
    from bpspec.conformance import report, watchdog

    dtypes = [d.strip() for d in args.dtype.split(",") if d.strip()]
    bad = [d for d in dtypes if d not in DTYPES]
    if bad or not dtypes:
        raise UsageError(f"--dtype {args.dtype!r}: expected one or more of {', '.join(DTYPES)}")
    for fmt, _ in args.report or []:
        if fmt not in report.WRITERS:
            raise UsageError(f"--report {fmt}: expected one of {', '.join(report.WRITERS)}")
    timeout = watchdog.DEFAULT_TIMEOUT if args.timeout is None else args.timeout
    if not timeout >= 0:
        raise UsageError(f"--timeout {args.timeout}: expected a number of seconds >= 0 (0: no limit)")
    stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):  # an adapter's prints must not corrupt the report
        outcomes, notes, suites = _grade(args, dtypes, timeout or None)
    command = _command(args)
    if not outcomes:
        raise UsageError(f"no case matches --case {args.case!r} in {', '.join(suites)}")
    impl = f"results {args.results}" if args.results else args.impl
    meta = {"impl": impl, "dtype": ",".join(dtypes), "suites": suites, "command": command}
    for fmt, path in args.report or []:
        try:
            atomic.write(Path(path), report.WRITERS[fmt](outcomes, meta).encode())
        except OSError as err:
            raise UsageError(f"--report {fmt} {path}: cannot write ({err.strerror or err})") from None
    ran = [o for o in outcomes if o.status != "skip"]
    failed = [o for o in ran if o.status == "fail"]
    verdict = "FAIL" if failed or not ran else "PASS"
    if args.json:
        stdout.write(report.to_json(outcomes, meta))
        for note in notes:
            print(note, file=sys.stderr)
        return 1 if verdict == "FAIL" else 0
    colour = _colour(stdout)
    text = report.terminal(outcomes, command, args.verbose) if not args.quiet else "\n".join(
        f"FAIL {o.case} [{o.dtype}]: {report.first_failure_line(o)}" for o in outcomes if o.status == "fail")
    if text:
        print(colour(text), file=stdout)
    for note in notes:
        print(note, file=stdout)
    note = "no case ran" if not ran else f"{len(failed)} of {len(ran)} cases failed" if failed else \
        f"{len(ran)} cases passed"
    print(colour(f"{verdict}: {note}"), file=stdout)
    return 1 if verdict == "FAIL" else 0


def _grade(args: argparse.Namespace, dtypes: list[str], timeout: float | None) -> tuple[list, list, list]:
    """Every outcome of the run, the notes on a results file's rows, and the suites run."""
    from bpspec.conformance import runner
    from bpspec.conformance.adapters import resolve

    if args.results:
        from bpspec.conformance import results

        if len(dtypes) > 1:
            raise UsageError(f"--dtype {args.dtype!r}: a results file is graded in one dtype")
        rows = results.load(args.results)
    else:
        adapter = resolve(args.impl)
    suites = runner.select_suites(args.suite, args.vectors)
    bar = _progress(args, suites)
    outcomes, notes = [], []
    try:
        if args.results:
            outcomes, notes = results.grade(rows, args.results, dtypes[0], suites, args.case, args.vectors,
                                            bar)
        else:
            for dtype in dtypes:
                outcomes += list(runner.run(adapter, dtype, suites, args.case, args.vectors, bar, timeout))
    finally:
        if bar is not None:
            bar.close()
    return outcomes, notes, suites


COLOURS = {"FAIL": "\033[31m", "PASS": "\033[32m"}


def _colour(stream):
    """A function painting lines that start with FAIL red and PASS green, when ``stream`` is a terminal
    and NO_COLOR is unset (https://no-color.org); otherwise the identity."""
    if os.environ.get("NO_COLOR") or not stream.isatty():
        return lambda text: text

    def paint(text: str) -> str:
        return "\n".join(COLOURS[line[:4]] + line + "\033[0m" if line[:4] in COLOURS else line
                         for line in text.split("\n"))

    return paint


def _command(args: argparse.Namespace) -> str:
    source = ["--results", str(args.results)] if args.results else ["--impl", args.impl]
    parts = ["bpspec", "check", *source, "--dtype", args.dtype]
    for s in args.suite or []:
        parts += ["--suite", s]
    if args.vectors:
        parts += ["--vectors", str(args.vectors)]
    return shlex.join(parts)


def _progress(args: argparse.Namespace, suites: list[str]):
    if args.quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    from bpspec import vectorset

    manifest = vectorset.read_manifest(args.vectors or vectorset.default_dir())
    total = sum(manifest["suites"][s].get("cases", 0) for s in suites) * len(args.dtype.split(","))
    return tqdm(total=total, unit="case", desc="check", file=sys.stderr)
