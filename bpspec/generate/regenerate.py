"""``bpspec regenerate``: run the reference over the catalogue and write the golden vectors (spec VEC-5).

Deterministic: the same catalogue gives byte-identical files on every machine and run (VEC-3).
Atomic: the whole set is committed as one (VEC-6). ``--check`` writes nothing and exits 1 naming
every file that differs from what the generator would write.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import mpmath

from bpspec import __version__, atomic, vectorfile, vectorset
from bpspec.cases import validate
from bpspec.errors import UsageError
from bpspec.generate import certify


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", type=Path, help="vector folder to write (default: the shipped vectors/)")
    p.add_argument("--check", action="store_true", help="compare with the files on disk; write nothing")
    p.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    p.add_argument("--suite", action="append", help="only this suite (repeatable; default all)")
    p.add_argument("--quiet", action="store_true", help="no progress bar or summary")


def catalogue() -> dict[str, list[dict]]:
    """Every case of the catalogue, validated, grouped by suite in catalogue order (CASE-1)."""
    from bpspec.catalogue import all_cases

    by_suite: dict[str, list[dict]] = {}
    ids: set[str] = set()
    for case in all_cases():
        case = validate(case, "catalogue")
        if case["case"] in ids:
            raise UsageError(f"catalogue: case id {case['case']!r} is defined twice")
        ids.add(case["case"])
        by_suite.setdefault(case["suite"], []).append(case)
    return by_suite


def _cost(case: dict) -> int:
    sizes = case["layer_sizes"]
    width = sum(a * b for a, b in zip(sizes, sizes[1:], strict=False)) + sum(sizes)
    return (max(case["record"]) + 1) * len(case["x"]) * width


def certify_all(cases: list[dict], jobs: int, progress: bool) -> dict[str, list[certify.Row]]:
    """Rows of every case; the costliest cases start first so the workers finish together."""
    order = sorted(cases, key=_cost, reverse=True)
    bar = _progress(len(order), progress)
    results: dict[str, list[certify.Row]] = {}
    if jobs <= 1:
        for case in order:
            results[case["case"]] = certify.certify_case(case)
            bar.update(1)
    else:
        # spawn, not fork: a parent that has imported a multithreaded library (JAX, a BLAS) may
        # deadlock a forked child
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            futures = {case["case"]: pool.submit(certify.certify_case, case) for case in order}
            for name, fut in futures.items():
                results[name] = fut.result()
                bar.update(1)
    bar.close()
    return results


def build(by_suite: dict[str, list[dict]], results: dict[str, list[certify.Row]],
          old_manifest: dict | None) -> dict[str, bytes]:
    """The bytes of every file to write, manifest last (VEC-1, VEC-5)."""
    files: dict[str, bytes] = {}
    manifest = {"format_version": vectorfile.FORMAT_VERSION, "generator": f"bpspec {__version__}",
                "mpmath": mpmath.__version__,
                "precisions": [certify.LOW_DPS, certify.HIGH_DPS], "value_digits": vectorfile.VALUE_DIGITS,
                "suites": {}, "files": {}}
    if old_manifest:
        for suite, entry in old_manifest["suites"].items():
            if suite not in by_suite:
                manifest["suites"][suite] = entry
                for name in (f"{suite}.csv", f"{suite}.cases.json"):
                    manifest["files"][name] = old_manifest["files"][name]
    for suite, cases in by_suite.items():
        rows = [row for case in cases for row in results[case["case"]]]
        files[f"{suite}.csv"] = vectorfile.rows_to_csv(rows)
        files[f"{suite}.cases.json"] = (json.dumps(cases, indent=1, ensure_ascii=False) + "\n").encode()
        manifest["suites"][suite] = {"cases": len(cases), "values": len(rows),
                                     "weakly_certified": len(certify.weakly_certified(rows))}
        for name in (f"{suite}.csv", f"{suite}.cases.json"):
            manifest["files"][name] = {"sha256": vectorset.sha256(files[name]), "bytes": len(files[name])}
    manifest["suites"] = dict(sorted(manifest["suites"].items()))
    manifest["files"] = dict(sorted(manifest["files"].items()))
    files[vectorset.MANIFEST] = (json.dumps(manifest, indent=1) + "\n").encode()
    return files


def stale_files(folder: Path, files: dict[str, bytes]) -> list[str]:
    """Files whose bytes on disk differ from what the generator writes (VEC-3)."""
    stale = []
    for name, content in files.items():
        path = folder / name
        if not path.exists() or path.read_bytes() != content:
            stale.append(name)
    return stale


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        raise UsageError("--jobs must be at least 1")
    folder = Path(args.out) if args.out else vectorset.default_dir()
    by_suite = catalogue()
    selected = args.suite or list(by_suite)
    unknown = [s for s in selected if s not in by_suite]
    if unknown:
        raise UsageError(f"unknown suite {unknown[0]!r}; known: {', '.join(by_suite)}")
    by_suite = {s: by_suite[s] for s in by_suite if s in selected}
    old_manifest = None
    if (folder / vectorset.MANIFEST).exists():
        old_manifest = vectorset.read_manifest(folder)
    started = time.perf_counter()
    progress = not args.quiet and sys.stderr.isatty()
    results = certify_all([c for cases in by_suite.values() for c in cases], args.jobs, progress)
    files = build(by_suite, results, old_manifest if args.suite else None)
    elapsed = time.perf_counter() - started
    if args.check:
        stale = stale_files(folder, files)
        if stale:
            print(f"bpspec regenerate --check: stale in {folder}: {', '.join(stale)}", file=sys.stderr)
            return 1
        if not args.quiet:
            print(f"{len(files)} files in {folder} are up to date ({elapsed:.1f} s)")
        return 0
    removed = ()
    if old_manifest and not args.suite:
        removed = tuple(n for n in old_manifest["files"] if f"{n}" not in files)
    atomic.commit(folder, files, removed)
    if not args.quiet:
        _summary(by_suite, results, folder, elapsed)
    return 0


def _summary(by_suite: dict[str, list[dict]], results: dict, folder: Path, elapsed: float) -> None:
    total = sum(len(results[c["case"]]) for cases in by_suite.values() for c in cases)
    print(f"wrote {total} values of {sum(map(len, by_suite.values()))} cases to {folder} in {elapsed:.1f} s")
    for suite, cases in by_suite.items():
        weak = [r for c in cases for r in certify.weakly_certified(results[c["case"]])]
        if weak:
            worst = min(weak, key=lambda r: r[4])
            print(f"  {suite}: {len(weak)} values certified to fewer than {certify.MIN_CERTIFIED} digits "
                  f"(worst: {worst[0]} step {worst[1]} {worst[2]}, {worst[4]} digits)")


def _progress(total: int, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="case", desc="regenerate", disable=not enabled, file=sys.stderr)
