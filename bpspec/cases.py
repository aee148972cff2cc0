"""Case definitions: the schema of ``vectors/cases/*.json`` and how a case becomes step inputs (spec CASE).

A case is data: the network, its conventions, the whole data set, the initial parameters (all numbers
as exact decimal strings), how many updates to run, which mini-batch each update sees, and which steps
the vectors record. It is validated on every load (CASE-1); unknown keys are errors, so a typo never
passes silently.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bpspec import contract, jsonfile
from bpspec.errors import InputError

CASE_ID = re.compile(r"^[a-z0-9][a-z0-9_]*$")

REQUIRED = {
    "case": str, "suite": str, "description": str, "source": str, "spec_ids": list,
    "layer_sizes": list, "activations": list, "activation_params": dict, "loss": str,
    "reduction": str, "learning_rate": str, "conventions": dict, "x": list, "y": list,
    "weights": list, "biases": list, "steps": int, "batches": (list, type(None)), "record": list,
    "dtypes": list,
}
OPTIONAL = {"names": dict, "chain_factors": bool, "notes": str}

#: steps a case may run; bounds the work a (possibly hostile) case file can demand (CASE-3)
MAX_STEPS = 100_000
#: characters of one number: enough for the exact decimal of every float64 (2^-1074 has 1074 decimals)
MAX_NUMBER_CHARS = 1100
SPEC_ID = re.compile(r"^[A-Z]+-[0-9]+$")
ALIAS = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
ACTIVATION_PARAMS = ("leaky_relu_slope",)


class CaseError(InputError):
    """A case definition that breaks the schema; the message names the case and the field."""


def validate(case: Mapping[str, Any], where: str = "case") -> dict[str, Any]:
    """Check a case definition against the schema and the contract (CASE-1, CASE-2, CASE-3)."""
    if not isinstance(case, Mapping):
        raise CaseError(f"{where}: a case definition must be a JSON object")
    name = case.get("case", "?")
    where = f"{where} ({name})" if where != name else where

    def fail(msg: str) -> CaseError:
        return CaseError(f"{where}: {msg}")

    unknown = sorted(set(case) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise fail(f"unknown field {unknown[0]!r}")
    for key, kind in REQUIRED.items():
        if key not in case:
            raise fail(f"missing field {key!r}")
        if not isinstance(case[key], kind) or isinstance(case[key], bool) and kind is int:
            raise fail(f"field {key!r} has the wrong type")
    for key, kind in OPTIONAL.items():
        if key in case and not isinstance(case[key], kind):
            raise fail(f"field {key!r} has the wrong type")
    if not CASE_ID.match(case["case"]):
        raise fail("case id must be lower-case letters, digits and underscores")
    bad = [i for i in case["spec_ids"] if not isinstance(i, str) or not SPEC_ID.match(i)]
    if bad:
        raise fail(f"spec_ids: {bad[0]!r} is not a requirement ID such as FWD-1")
    if any(isinstance(n, bool) or not isinstance(n, int) for n in case["layer_sizes"]):
        raise fail("layer_sizes must list whole numbers")
    unknown = sorted(set(case["activation_params"]) - set(ACTIVATION_PARAMS))
    if unknown:
        raise fail(f"unknown activation parameter {unknown[0]!r}; known: {', '.join(ACTIVATION_PARAMS)}")
    names = case.get("names", {})
    bad = [k for k, v in names.items() if not isinstance(v, str) or not ALIAS.match(v)]
    if bad:
        raise fail(f"names: the alias of {bad[0]!r} must be a name of letters, digits and underscores")
    n = len(case["x"])
    if case["batches"] is not None and not case["batches"]:
        raise fail("batches must be null (full batch) or a non-empty list")
    for i, batch in enumerate(case["batches"] or []):
        if not isinstance(batch, list) or not batch or any(
                isinstance(j, bool) or not isinstance(j, int) or not 0 <= j < n for j in batch):
            raise fail(f"batches[{i}] must list sample indices in 0..{n - 1}")
    try:
        contract.conventions(case["conventions"])
        contract.check_shapes(case)
    except contract.ContractError as err:
        raise fail(str(err)) from None
    if not 1 <= case["steps"] <= MAX_STEPS:
        raise fail(f"steps must be 1..{MAX_STEPS}")
    record = case["record"]
    if not record or any(isinstance(s, bool) or not isinstance(s, int) or not 0 <= s < case["steps"]
                         for s in record):
        raise fail("record must list step numbers in 0..steps-1")
    if case["record"] != sorted(set(case["record"])):
        raise fail("record must be strictly increasing")
    bad = [d for d in case["dtypes"] if d not in contract.DTYPES]
    if bad:
        raise fail(f"unknown dtype {bad[0]!r}")
    for value in _numbers(case):
        if not isinstance(value, str) or len(value) > MAX_NUMBER_CHARS or not _DECIMAL.match(value):
            shown = f"{value[:20]}...{value[-10:]} ({len(value)} characters)" if isinstance(value, str) \
                and len(value) > 40 else repr(value)
            raise fail(f"number {shown} is not a plain decimal string of at most {MAX_NUMBER_CHARS} "
                       "characters")
        if abs(float(value)) > _MAX_FLOAT:
            raise fail(f"number {value!r} is outside the float64 range")
    return dict(case)


_DECIMAL = re.compile(r"^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d{1,3})?$")
_MAX_FLOAT = 1.7976931348623157e308


def _numbers(case: Mapping[str, Any]):
    yield case["learning_rate"]
    for key in ("x", "y", "weights", "biases"):
        yield from _flatten(case[key])
    yield from case["activation_params"].values()


def _flatten(nested: Any):
    if isinstance(nested, list):
        for item in nested:
            yield from _flatten(item)
    else:
        yield nested


def load(path: Path) -> dict[str, Any]:
    """Read and validate one case file; errors name the file (CASE-1)."""
    return validate(jsonfile.read(path, "case definition"), str(path))


def batch_indices(case: Mapping[str, Any], s: int) -> list[int]:
    """Samples seen by update ``s``: the whole set, or ``batches[s mod len(batches)]`` (UPD-3)."""
    batches = case["batches"]
    return list(range(len(case["x"]))) if not batches else list(batches[s % len(batches)])


def step_input(case: Mapping[str, Any], weights: Any, biases: Any, s: int) -> dict[str, Any]:
    """The adapter-contract input of update ``s`` from the given parameters (ADP-1, UPD-3)."""
    rows = batch_indices(case, s)
    return {
        "layer_sizes": list(case["layer_sizes"]),
        "activations": list(case["activations"]),
        "activation_params": dict(case["activation_params"]),
        "loss": case["loss"],
        "reduction": case["reduction"],
        "learning_rate": case["learning_rate"],
        "x": [case["x"][i] for i in rows],
        "y": [case["y"][i] for i in rows],
        "weights": weights,
        "biases": biases,
        "dtype": "float64",
        "conventions": dict(case["conventions"]),
    }
