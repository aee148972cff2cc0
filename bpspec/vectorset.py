"""The shipped vector set: manifest, suites, case definitions, loading with verification (spec VEC-5).

A vector folder holds, per suite, ``<suite>.csv`` (the values) and ``<suite>.cases.json`` (the case
definitions), and ``MANIFEST.json`` with the SHA-256 of each. Loading verifies the hashes, validates
each file (VEC-4, CASE-1) and checks that every value belongs to a defined case and recorded step.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bpspec import atomic, jsonfile, vectorcache, vectorfile
from bpspec.cases import CaseError, batch_indices, validate
from bpspec.errors import InputError
from bpspec.names import parse_all

MANIFEST = "MANIFEST.json"


def default_dir() -> Path:
    """The vectors shipped with bpspec: the repository's ``vectors/`` in a source checkout."""
    import bpspec.vectors

    return Path(bpspec.vectors.__file__).parent


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class Suite:
    name: str
    cases: dict[str, dict]
    values: pd.DataFrame


def read_manifest(folder: Path) -> dict:
    """The manifest of a vector folder, its structure checked (VEC-5)."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        raise InputError(f"{path}: no manifest; is {folder} a vector folder?")
    manifest = jsonfile.read(path, "manifest")
    if not isinstance(manifest, dict):
        raise InputError(f"{path}: not a valid manifest (a JSON object is expected)")
    for key in ("suites", "files"):
        entries = manifest.get(key)
        if not isinstance(entries, dict) or not all(isinstance(v, dict) for v in entries.values()):
            raise InputError(f"{path}: not a valid manifest ({key!r} must map names to objects)")
    bad = [n for n, f in manifest["files"].items() if not isinstance(f.get("sha256"), str)]
    if bad:
        raise InputError(f"{path}: not a valid manifest (files.{bad[0]} has no sha256)")
    return manifest


def suites(folder: Path | None = None) -> list[str]:
    folder = Path(folder or default_dir())
    if _writable(folder):
        atomic.recover(folder)
    return list(read_manifest(folder)["suites"])


Annotator = Callable[[pd.DataFrame, dict[str, dict], tuple[np.ndarray, ...]], pd.DataFrame]
"""Adds columns to a suite's validated values: ``annotate(values, cases, parsed)``, ``parsed`` being
``names.parse_all(values["name"])``; e.g. ``conformance.index.annotate`` (CHK-2)."""


def load(suite: str, folder: Path | None = None, *, annotate: Annotator | None = None) -> Suite:
    """One suite, verified against the manifest and validated (VEC-4, VEC-5, CASE-1); with
    ``annotate``, its values are ``annotate``'s result.

    Both files are hashed and checked against the manifest on every call. A suite whose two files
    have been loaded before, the same way, is then read from the parsed-vector cache instead of being
    parsed, validated and annotated again (``vectorcache``, VEC-7); the result is the same either way.
    An annotator is told apart in the cache by its module and name, so only a module-level function
    is cached (a lambda or a local function is not), and ``vectorcache.CACHE_FORMAT`` is bumped when
    one changes.
    """
    folder = Path(folder or default_dir())
    if _writable(folder):
        atomic.recover(folder)
    manifest = read_manifest(folder)
    if suite not in manifest["suites"]:
        raise InputError(f"unknown suite {suite!r}; known: {', '.join(manifest['suites'])}")
    csv_name, cases_name = f"{suite}.csv", f"{suite}.cases.json"
    content, digests = {}, {}
    for name in (csv_name, cases_name):
        path = folder / name
        try:
            content[name] = path.read_bytes()
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err.strerror})") from None
        digests[name] = sha256(content[name])
        if digests[name] != manifest["files"].get(name, {}).get("sha256"):
            raise InputError(f"{path}: SHA-256 differs from {MANIFEST}; regenerate or restore the file")
    how = "" if annotate is None else f"{annotate.__module__}.{annotate.__qualname__}"
    key = vectorcache.key(suite, digests[csv_name], digests[cases_name], how) if "<" not in how else None
    values = vectorcache.read(key) if key else None
    if values is not None:  # these very bytes passed every check below when the entry was written
        cases = {case["case"]: case for case in json.loads(content[cases_name])}
    else:
        cases = _read_cases(content[cases_name], folder / cases_name, suite)
        values = _read_values(content[csv_name], folder / csv_name, cases, annotate)
        if key:
            vectorcache.write(key, values)
    return Suite(suite, cases, values)


def _read_cases(raw: bytes, path: Path, suite: str) -> dict[str, dict]:
    defs = jsonfile.loads(jsonfile.decode(raw, path), path)
    if not isinstance(defs, list):
        raise CaseError(f"{path}: expected a list of case definitions")
    cases = {}
    for i, case in enumerate(defs):
        case = validate(case, f"{path}[{i}]")
        if case["case"] in cases:
            raise CaseError(f"{path}[{i}] ({case['case']}): case id defined twice in the file")
        if case["suite"] != suite:
            raise CaseError(f"{path}[{i}] ({case['case']}): suite {case['suite']!r} in the file of suite "
                            f"{suite!r}")
        cases[case["case"]] = case
    return cases


def _read_values(raw: bytes, path: Path, cases: dict[str, dict], annotate: Annotator | None
                 ) -> pd.DataFrame:
    """The suite's values validated (VEC-4) and annotated, each name parsed once for both."""
    values = vectorfile.parse(raw, path)
    unknown = ~values["case"].isin(list(cases))
    if unknown.any():
        line = int(unknown.to_numpy().nonzero()[0][0]) + 2
        raise InputError(f"{path}:{line}: case {values['case'].iloc[line - 2]!r} is not defined")
    parsed = parse_all(values["name"])
    _check_rows(values, cases, path, parsed)
    return values if annotate is None else annotate(values, cases, parsed)


_LAYERED = {"net": "batch", "out": "batch", "delta": "batch", "W": "matrix", "grad_W": "matrix",
            "new_W": "matrix", "b": "vector", "grad_b": "vector", "new_b": "vector"}


def _check_rows(values: pd.DataFrame, cases: dict[str, dict], path: Path,
                parsed: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]) -> None:
    """Every row lies in a recorded step of its case, and every systematic name (NOT-2) within the
    case's layers, batch and widths, so that no later stage indexes outside an array (VEC-4).
    ``parsed`` is ``names.parse_all`` of the names as written."""
    bad = np.zeros(len(values), dtype=bool)
    quantity, layer, i, j = parsed
    kind = pd.Series(quantity, dtype=object).map(_LAYERED).fillna("").to_numpy()
    has_j = j >= 0
    steps = values["step"].to_numpy()
    for name, rows in values.groupby("case", sort=False).indices.items():
        case = cases[name]
        sizes = np.array(case["layer_sizes"])
        batch_of = {int(s): len(batch_indices(case, int(s))) for s in case["record"]}
        bad[rows] |= ~np.isin(steps[rows], list(batch_of))
        rows = rows[kind[rows] != ""]
        if not len(rows):
            continue
        k, l, r, c, hj = kind[rows], layer[rows], i[rows], j[rows], has_j[rows]
        ok_layer = (l >= 1) & (l < len(sizes))
        at = np.where(ok_layer, l, 1).astype(int)
        n_out, n_in = sizes[at], sizes[at - 1]
        batch = np.zeros(len(rows))
        for s, n in batch_of.items():
            batch[steps[rows] == s] = n
        fits = np.where(k == "batch", hj & (r < batch) & (c < n_out),
                        np.where(k == "matrix", hj & (r < n_out) & (c < n_in), ~hj & (r < n_out)))
        bad[rows] |= ~(ok_layer & fits)
    if bad.any():
        k = int(bad.nonzero()[0][0])
        row = values.iloc[k]
        case = cases[row["case"]]
        if row["step"] not in case["record"]:
            problem = f"step {row['step']} is not a recorded step of case {row['case']} ({case['record']})"
        else:
            problem = (f"{row['name']} lies outside case {row['case']} (layer sizes {case['layer_sizes']}, "
                       f"batch {len(batch_indices(case, int(row['step'])))})")
        raise InputError(f"{path}:{k + 2}: {problem}")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)
