"""What the peer adapters share: reading one step input, and grouping many (spec ADP-1, ADP-3, ADP-4, ADP-5).

``parse`` validates a step input against the contract (ADP-4, CNV-1..CNV-3), converts its arrays to
NumPy in the dtype under test, and raises NotImplementedError (ADP-3, CNV-4) for the two variants no
autodiff can produce:

- ``hidden_delta_weights = post_update`` (CNV-1) with more than one layer: autodiff differentiates
  one function at one point, and the post_update "gradient" is the derivative of no function;
- ``mse_grad_factor = 1`` (CNV-3) with the mse loss: n_L/2 times the derivative of the loss that is
  reported, so not the derivative of any loss an autodiff system can be handed.

Where a variant has no effect (one layer; a loss other than mse) the step is the conforming one and
is computed. ``stack`` puts the inputs of one ``Signature`` on a leading case axis (ADP-5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ml_dtypes
import numpy as np

from bpspec import contract
from bpspec.contract import ContractError

NUMPY_DTYPES = {"float64": np.dtype(np.float64), "float32": np.dtype(np.float32),
                "float16": np.dtype(np.float16), "bfloat16": np.dtype(ml_dtypes.bfloat16)}
DEFAULT_SLOPE = 0.01
"""leaky_relu_slope when a step input does not state one (ACT-5)."""


@dataclass(frozen=True)
class Signature:
    """Everything that fixes the computation but the numbers: a compiled function per signature."""

    activations: tuple[str, ...]
    loss: str
    reduction: str
    freeze_biases: bool
    dtype: str
    shapes: tuple[tuple[int, ...], ...]


@dataclass
class StepInput:
    """One step input, checked, its arrays in ``sig.dtype`` and its scalars as Python floats."""

    sig: Signature
    x: np.ndarray
    y: np.ndarray
    weights: list[np.ndarray]
    biases: list[np.ndarray]
    learning_rate: float
    slope: float


def parse(inp: Mapping[str, Any], framework: str) -> StepInput:
    """Check one step input (ADP-4), refuse what autodiff cannot compute (ADP-3), convert the arrays."""
    if not isinstance(inp, Mapping):
        raise ContractError("a step input must be a dict")
    contract.check_shapes(inp)
    conv = contract.conventions(inp.get("conventions"))
    params = inp.get("activation_params") or {}
    if not isinstance(params, Mapping):
        raise ContractError("activation_params must be a dict")
    dtype = str(inp.get("dtype") or "float64")
    if dtype not in NUMPY_DTYPES:
        raise NotImplementedError(f"dtype {dtype!r}: the {framework} adapter computes in "
                                  f"{', '.join(NUMPY_DTYPES)}")
    if conv["hidden_delta_weights"] == "post_update" and len(inp["weights"]) > 1:
        raise NotImplementedError("hidden_delta_weights=post_update is not the derivative of any function, "
                                  f"so {framework} autodiff cannot compute it (CNV-1)")
    if conv["mse_grad_factor"] == "1" and inp["loss"] == "mse":
        raise NotImplementedError("mse_grad_factor=1 is not the derivative of any loss autodiff can "
                                  "differentiate (CNV-3)")
    dt = NUMPY_DTYPES[dtype]
    x, y = _array(inp["x"], dt, "x"), _array(inp["y"], dt, "y")
    weights = [_array(w, dt, f"weights[{i}]") for i, w in enumerate(inp["weights"])]
    biases = [_array(b, dt, f"biases[{i}]") for i, b in enumerate(inp["biases"])]
    sig = Signature(tuple(inp["activations"]), inp["loss"], inp["reduction"],
                    conv["bias_update"] == "false", dtype, tuple(a.shape for a in (x, *weights)))
    slope = params.get("leaky_relu_slope", DEFAULT_SLOPE)
    return StepInput(sig, x, y, weights, biases, _scalar(inp["learning_rate"], "learning_rate"),
                     _scalar(slope, "leaky_relu_slope"))


def group(inputs: Sequence[StepInput]) -> dict[Signature, list[int]]:
    """Indices of the inputs by signature, in order of first appearance (ADP-5)."""
    groups: dict[Signature, list[int]] = {}
    for i, s in enumerate(inputs):
        groups.setdefault(s.sig, []).append(i)
    return groups


def stack(inputs: Sequence[StepInput]) -> dict[str, Any]:
    """Inputs of one signature with a leading case axis: x (C, B, n_0), weights[l] (C, n_l, n_{l-1})…"""
    return {
        "x": np.stack([s.x for s in inputs]),
        "y": np.stack([s.y for s in inputs]),
        "weights": [np.stack(ws) for ws in zip(*(s.weights for s in inputs), strict=True)],
        "biases": [np.stack(bs) for bs in zip(*(s.biases for s in inputs), strict=True)],
        "learning_rate": np.array([s.learning_rate for s in inputs]),
        "slope": np.array([s.slope for s in inputs]),
    }


def _array(value: Any, dt: np.dtype, name: str) -> np.ndarray:
    try:
        a = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError) as err:
        raise ContractError(f"{name} is not an array of numbers ({err})") from None
    with np.errstate(over="ignore"):
        out = a.astype(dt)
    if not np.isfinite(out).all():
        raise ContractError(f"{name} holds a value that is not finite in {dt.name}")
    return out


def _scalar(value: Any, name: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError) as err:
        raise ContractError(f"{name} is not a number ({err})") from None
    if not np.isfinite(v):
        raise ContractError(f"{name} is not finite")
    return v
