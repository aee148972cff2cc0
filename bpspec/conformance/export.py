"""``bpspec export-inputs``: every check's input as plain data files, for a program in any language
(spec ADP-6, CHK-1, TOL-5, UPD-3).

``steps.jsonl`` holds one step input (ADP-1) per single-step check: the case's parameters at step 0,
the vectors' golden W and b at a later recorded step (CHK-1). ``trajectories.jsonl`` holds one
free-running run per case of several updates: the step-0 input with the whole data set, the batch
schedule and the recorded steps (TOL-5, UPD-3). Every number is an exact decimal string (NUM-1). The
folder is written as one (VEC-6), with a generated README and a manifest.
"""

from __future__ import annotations

import argparse
import fnmatch
import json
from pathlib import Path

from bpspec import __version__, atomic, jsonfile, vectorset
from bpspec.cases import MAX_STEPS
from bpspec.contract import DTYPES, INPUT_KEYS
from bpspec.errors import InputError, UsageError

FORMAT_VERSION = 1
STEPS, TRAJECTORIES, README, MANIFEST = "steps.jsonl", "trajectories.jsonl", "README.md", "MANIFEST.json"

README_TEXT = """\
# bpspec inputs ({dtype})

Written by `bpspec export-inputs` (bpspec {version}); the protocol is spec/adapter.md, ADP-6 and ADP-7.

- `{steps}`: one JSON object per line, one per single-step check ({n_steps} lines): `case`, `step`,
  `suite` and the step input of the adapter contract (ADP-1). Compute that one step from exactly
  these parameters and report it in `single` mode.
- `{trajectories}`: one JSON object per case of several updates ({n_traj} lines): the step-0 input,
  but `x` and `y` hold the whole data set; update s uses the rows `batches[s % len(batches)]`
  (all rows when `batches` is null). Run `steps_to_run` updates, each from the parameters the
  previous one produced, and report every step of `record` after 0 in `free` mode, with the
  parameters `W`, `b` that step started from.
- Every number is a decimal string: parse it exactly, round once to `dtype`.

Write a CSV with the header `case,step,name,value,mode` and one row per value, names as in
spec/notation.md NOT-2 (`net[l][s,j]`, `out[l][s,j]`, `delta[l][s,j]`, `E_total`, `grad_W[l][j,k]`,
`grad_b[l][j]`, `new_W[l][j,k]`, `new_b[l][j]`, and in free mode `W[l][j,k]`, `b[l][j]`), quoted
where they hold a comma. Then grade it:

    bpspec check --results RESULTS.csv --dtype {dtype}{vectors}
"""


def add_arguments(p: argparse.ArgumentParser) -> None:
    target = p.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="folder to write the input files to")
    target.add_argument("--verify", type=Path, metavar="DIR",
                        help="check an export folder instead: its manifest's hashes and every record")
    p.add_argument("--suite", action="append", help="a suite to export (repeatable); 'all' includes variants")
    p.add_argument("--case", default="*", help="only cases whose id matches this glob")
    p.add_argument("--dtype", default="float64", help=f"the dtype to compute in: one of {', '.join(DTYPES)}")
    p.add_argument("--vectors", type=Path, help="vector folder (default: the shipped vectors)")


def step_records(suite: vectorset.Suite, names: list[str], dtype: str) -> list[dict]:
    """One input per recorded step of each case, from the golden state at its start (CHK-1);
    ``suite`` is loaded with ``annotate=index.annotate``."""
    from bpspec.conformance.rows import by_case
    from bpspec.conformance.runner import golden_state, make_input

    rows_of = by_case(suite.values, names)
    records = []
    for name in names:
        case = suite.cases[name]
        for s in case["record"]:
            if s == 0:
                weights, biases = case["weights"], case["biases"]
            else:
                weights, biases = golden_state(rows_of[name].by_step()[s], case, exact=True)
            inp = make_input(case, weights, biases, s, dtype, exact=True)
            records.append({"case": name, "step": s, "suite": suite.name, **inp})
    return records


def trajectory_record(case: dict, dtype: str) -> dict:
    """The free-running run of a case: step-0 input over the whole data set (TOL-5, UPD-3)."""
    from bpspec.conformance.runner import trajectory_input

    inp = trajectory_input(case, dtype, exact=True)
    return {"case": case["case"], "suite": case["suite"], **inp, "batches": case["batches"],
            "record": case["record"], "steps_to_run": max(case["record"]) + 1}


def build(dtype: str, suites: list[str], case_glob: str = "*", folder: Path | None = None
          ) -> dict[str, bytes]:
    """The bytes of every file of an export folder (ADP-6)."""
    from bpspec.conformance.index import annotate
    from bpspec.conformance.tolerance import skip_reason

    steps, trajectories, skipped = [], [], {}
    for suite_name in suites:
        suite = vectorset.load(suite_name, folder, annotate=annotate)
        names = []
        for name, case in suite.cases.items():
            if not fnmatch.fnmatchcase(name, case_glob):
                continue
            reason = skip_reason(case, dtype)
            if reason:
                skipped[name] = reason
                continue
            names.append(name)
            if max(case["record"]) > 0:
                trajectories.append(trajectory_record(case, dtype))
        steps += step_records(suite, names, dtype)
    if not steps and not skipped:
        raise UsageError(f"no case matches --case {case_glob!r} in {', '.join(suites)}")
    files = {STEPS: _jsonl(steps), TRAJECTORIES: _jsonl(trajectories)}
    vectors = f" --vectors {folder}" if folder else ""
    files[README] = README_TEXT.format(dtype=dtype, version=__version__, steps=STEPS, n_steps=len(steps),
                                       trajectories=TRAJECTORIES, n_traj=len(trajectories),
                                       vectors=vectors).encode()
    manifest = {
        "format_version": FORMAT_VERSION, "generator": f"bpspec {__version__}", "dtype": dtype,
        "suites": suites, "case_glob": case_glob,
        "vectors_manifest_sha256": vectorset.sha256((Path(folder or vectorset.default_dir())
                                                     / vectorset.MANIFEST).read_bytes()),
        "counts": {"cases": len({r["case"] for r in steps}), "steps": len(steps),
                   "trajectories": len(trajectories), "skipped": len(skipped)},
        "skipped": skipped,
        "files": {name: {"sha256": vectorset.sha256(content), "bytes": len(content)}
                  for name, content in files.items()},
    }
    files[MANIFEST] = (json.dumps(manifest, indent=1) + "\n").encode()
    return files


def _jsonl(records: list[dict]) -> bytes:
    return "".join(json.dumps(r, separators=(",", ":")) + "\n" for r in records).encode()


STEP_FIELDS = ("case", "step", "suite")
TRAJECTORY_FIELDS = ("case", "suite", "batches", "record", "steps_to_run")


def read_records(path: Path | str, trajectories: bool = False) -> list[dict]:
    """The records of ``steps.jsonl`` (or, with ``trajectories``, ``trajectories.jsonl``), each
    validated as the data it stands for (ADP-1, ADP-6, CASE-1); errors name the file and line."""
    from bpspec.cases import validate

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read the exported inputs ({err.strerror})") from None
    fields = TRAJECTORY_FIELDS if trajectories else STEP_FIELDS
    records = []
    for number, line in enumerate(jsonfile.decode(raw, path).split("\n"), start=1):
        if not line.strip() and number > raw.count(b"\n"):
            break  # the end of the last line
        record = jsonfile.loads(line, path, number)
        where = f"{path}:{number}"
        if not isinstance(record, dict):
            raise InputError(f"{where}: a record must be a JSON object")
        known = set(fields) | set(INPUT_KEYS)
        unknown, missing = sorted(set(record) - known), [k for k in (*fields, *INPUT_KEYS) if k not in record]
        if unknown or missing:
            problem = f"unknown field {unknown[0]!r}" if unknown else f"missing field {missing[0]!r}"
            raise InputError(f"{where}: {problem}")
        if record["dtype"] not in DTYPES:
            raise InputError(f"{where}: unknown dtype {record['dtype']!r}")
        if trajectories:
            steps = record["steps_to_run"]
            if not isinstance(record["record"], list) or not record["record"] or record["record"][-1:] != [
                    steps - 1 if isinstance(steps, int) and not isinstance(steps, bool) else None]:
                raise InputError(f"{where}: steps_to_run must be the last recorded step + 1")
        else:
            step = record["step"]
            if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < MAX_STEPS:
                raise InputError(f"{where}: step {step!r} is not a step number 0..{MAX_STEPS - 1}")
            steps = step + 1
        as_case = {k: record[k] for k in record if k not in ("step", "steps_to_run", "dtype")} | {
            "description": "", "source": "", "spec_ids": [], "steps": steps, "dtypes": [record["dtype"]]}
        if not trajectories:
            as_case |= {"batches": None, "record": [record["step"]]}
        validate(as_case, where)
        records.append(record)
    return records


def verify(folder: Path) -> dict[str, int]:
    """Check an export folder: every file against its manifest, every record valid (ADP-6)."""
    manifest = jsonfile.read(Path(folder) / MANIFEST, "export manifest")
    files = manifest.get("files") if isinstance(manifest, dict) else None
    if not isinstance(files, dict) or not all(isinstance(f, dict) for f in files.values()) \
            or set(files) != {STEPS, TRAJECTORIES, README}:
        raise InputError(f"{Path(folder) / MANIFEST}: not an export manifest (files must list {STEPS}, "
                         f"{TRAJECTORIES} and {README})")
    for name, entry in files.items():
        path = Path(folder) / name
        try:
            digest = vectorset.sha256(path.read_bytes())
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err.strerror})") from None
        if digest != entry.get("sha256"):
            raise InputError(f"{path}: SHA-256 differs from {MANIFEST}; export the inputs again")
    return {"steps": len(read_records(Path(folder) / STEPS)),
            "trajectories": len(read_records(Path(folder) / TRAJECTORIES, trajectories=True))}


def run(args: argparse.Namespace) -> int:
    from bpspec.conformance.runner import select_suites

    if args.verify:
        counts = verify(args.verify)
        print(f"{args.verify}: {counts['steps']} step inputs and {counts['trajectories']} trajectories, "
              "every file as its manifest says")
        return 0
    if args.dtype not in DTYPES:
        raise UsageError(f"--dtype {args.dtype!r}: expected one of {', '.join(DTYPES)}")
    suites = select_suites(args.suite, args.vectors)
    files = build(args.dtype, suites, args.case, args.vectors)
    try:
        atomic.commit(args.out, files)
    except OSError as err:
        raise InputError(f"{args.out}: cannot write the inputs ({err.strerror or err})") from None
    counts = json.loads(files[MANIFEST])["counts"]
    print(f"wrote {counts['steps']} step inputs and {counts['trajectories']} trajectories of "
          f"{counts['cases']} cases to {args.out} ({counts['skipped']} cases not graded in {args.dtype})")
    return 0
