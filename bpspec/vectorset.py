"""The shipped vector set: manifest, suites, case definitions, loading with verification (spec VEC-5).

A vector folder holds, per suite, ``<suite>.csv`` (the values) and ``<suite>.cases.json`` (the case
definitions), and ``MANIFEST.json`` with the SHA-256 of each. Loading verifies the hashes, validates
each file (VEC-4, CASE-1) and checks that every value belongs to a defined case and recorded step.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from bpspec import atomic, vectorfile
from bpspec.cases import CaseError, validate
from bpspec.errors import InputError

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
    path = Path(folder) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        manifest["files"], manifest["suites"]
    except FileNotFoundError:
        raise InputError(f"{path}: no manifest; is {folder} a vector folder?") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError) as err:
        raise InputError(f"{path}: not a valid manifest ({err})") from None
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
    try:
        defs = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as err:
        raise InputError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(defs, list):
        raise CaseError(f"{path}: expected a list of case definitions")
    cases = {}
    for i, case in enumerate(defs):
        case = validate(case, f"{path}[{i}]")
        cases[case["case"]] = case
    values = vectorfile.read(folder / csv_name)
    unknown = ~values["case"].isin(list(cases))
    if unknown.any():
        line = int(unknown.to_numpy().nonzero()[0][0]) + 2
        raise InputError(f"{folder / csv_name}:{line}: case {values['case'].iloc[line - 2]!r} is not defined")
    return Suite(suite, cases, values)


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)
