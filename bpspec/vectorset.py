"""The shipped vector set: manifest, suites, case definitions, loading with verification (spec VEC-5).

A vector folder holds, per suite, ``<suite>.csv`` (the values) and ``<suite>.cases.json`` (the case
definitions), and ``MANIFEST.json`` with the SHA-256 of each. Loading verifies the hashes, validates
each file (VEC-4, CASE-1) and checks that every value belongs to a defined case and recorded step.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from bpspec import atomic, jsonfile, vectorfile
from bpspec.cases import CaseError, batch_indices, validate
from bpspec.errors import InputError
from bpspec.names import SYSTEMATIC

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


def load(suite: str, folder: Path | None = None) -> Suite:
    """One suite, verified against the manifest and validated (VEC-4, VEC-5, CASE-1)."""
    folder = Path(folder or default_dir())
    if _writable(folder):
        atomic.recover(folder)
    manifest = read_manifest(folder)
    if suite not in manifest["suites"]:
        raise InputError(f"unknown suite {suite!r}; known: {', '.join(manifest['suites'])}")
    csv_name, cases_name = f"{suite}.csv", f"{suite}.cases.json"
    for name in (csv_name, cases_name):
        path = folder / name
        try:
            digest = sha256(path.read_bytes())
        except OSError as err:
            raise InputError(f"{path}: cannot read ({err.strerror})") from None
        if digest != manifest["files"].get(name, {}).get("sha256"):
            raise InputError(f"{path}: SHA-256 differs from {MANIFEST}; regenerate or restore the file")
    path = folder / cases_name
    defs = jsonfile.read(path, "case list")
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
    values = vectorfile.read(folder / csv_name)
    unknown = ~values["case"].isin(list(cases))
    if unknown.any():
        line = int(unknown.to_numpy().nonzero()[0][0]) + 2
        raise InputError(f"{folder / csv_name}:{line}: case {values['case'].iloc[line - 2]!r} is not defined")
    _check_rows(values, cases, folder / csv_name)
    return Suite(suite, cases, values)


_LAYERED = {"net": "batch", "out": "batch", "delta": "batch", "W": "matrix", "grad_W": "matrix",
            "new_W": "matrix", "b": "vector", "grad_b": "vector", "new_b": "vector"}


def _check_rows(values: pd.DataFrame, cases: dict[str, dict], path: Path) -> None:
    """Every row lies in a recorded step of its case, and every systematic name (NOT-2) within the
    case's layers, batch and widths, so that no later stage indexes outside an array (VEC-4)."""
    bad = np.zeros(len(values), dtype=bool)
    match = SYSTEMATIC.match
    found = [m.groups() if (m := match(n)) else ("", "nan", "nan", None) for n in values["name"].tolist()]
    kind = np.array([_LAYERED.get(q, "") for q, *_ in found])
    columns = list(zip(*found, strict=True))[1:] if found else [(), (), ()]
    layer, i, j = (np.array([float(v or "nan") for v in column]) for column in columns)
    has_j = ~np.isnan(j)
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
