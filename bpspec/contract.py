"""The adapter contract in code: names, conventions and the shape rules of one step (spec ADP, CNV).

Neutral ground shared by the reference, the NumPy implementation and the checker; it computes
nothing, so importing it creates no path between them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bpspec.errors import InputError

ACTIVATION_NAMES = ("sigmoid", "tanh", "relu", "identity", "leaky_relu", "softplus")
LOSS_NAMES = ("half_sse", "sse", "mse")
REDUCTIONS = ("sum", "mean")
DTYPES = ("float64", "float32", "float16", "bfloat16")

#: convention name -> (conforming value, every allowed value)   (CNV-1 .. CNV-3)
CONVENTIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "hidden_delta_weights": ("pre_update", ("pre_update", "post_update")),
    "bias_update": ("true", ("true", "false")),
    "mse_grad_factor": ("2/n", ("2/n", "1")),
}

#: conventions whose non-conforming values make a case a variant (CNV-4); bias_update is a case parameter
VARIANT_CONVENTIONS = ("hidden_delta_weights", "mse_grad_factor")

INPUT_KEYS = (
    "layer_sizes", "activations", "activation_params", "loss", "reduction", "learning_rate",
    "x", "y", "weights", "biases", "dtype", "conventions",
)
OUTPUT_KEYS = ("loss", "grad_weights", "grad_biases", "new_weights", "new_biases")
OPTIONAL_OUTPUT_KEYS = ("nets", "outs", "deltas")

#: largest network one step may declare: guards allocation before any array is built (ADP-4)
MAX_UNITS = 1 << 16
MAX_BATCH = 1 << 16
MAX_LAYERS = 64


class ContractError(InputError):
    """A step input that breaks the adapter contract."""


def conventions(given: Mapping[str, Any] | None) -> dict[str, str]:
    """The full convention dict: defaults filled in, names and values checked (CNV-1..CNV-3)."""
    given = dict(given or {})
    unknown = sorted(set(given) - set(CONVENTIONS))
    if unknown:
        raise ContractError(f"unknown convention {unknown[0]!r}; known: {', '.join(CONVENTIONS)}")
    out = {}
    for name, (default, allowed) in CONVENTIONS.items():
        value = given.get(name, default)
        if value not in allowed:
            raise ContractError(f"convention {name} = {value!r}; allowed: {', '.join(allowed)}")
        out[name] = value
    return out


def is_variant(conv: Mapping[str, str]) -> bool:
    return any(conv[name] != CONVENTIONS[name][0] for name in VARIANT_CONVENTIONS)


def check_architecture(layer_sizes: Any, activations: Any, loss: Any, reduction: Any) -> list[int]:
    """Validate the declared architecture before anything is allocated (ADP-4)."""
    if not isinstance(layer_sizes, (list, tuple)) or len(layer_sizes) < 2:
        raise ContractError("layer_sizes must list at least an input and an output width")
    if len(layer_sizes) - 1 > MAX_LAYERS:
        raise ContractError(f"{len(layer_sizes) - 1} layers declared; at most {MAX_LAYERS}")
    sizes = []
    for n in layer_sizes:
        if isinstance(n, bool) or not isinstance(n, int) and not str(n).isdigit():
            raise ContractError(f"layer width {n!r} is not a whole number")
        n = int(n)
        if not 1 <= n <= MAX_UNITS:
            raise ContractError(f"layer width {n} outside 1..{MAX_UNITS}")
        sizes.append(n)
    if not isinstance(activations, (list, tuple)) or len(activations) != len(sizes) - 1:
        raise ContractError(f"need {len(sizes) - 1} activations, one per non-input layer")
    for a in activations:
        if a not in ACTIVATION_NAMES:
            raise ContractError(f"unknown activation {a!r}; known: {', '.join(ACTIVATION_NAMES)}")
    if loss not in LOSS_NAMES:
        raise ContractError(f"unknown loss {loss!r}; known: {', '.join(LOSS_NAMES)}")
    if reduction not in REDUCTIONS:
        raise ContractError(f"unknown reduction {reduction!r}; known: {', '.join(REDUCTIONS)}")
    return sizes


def shape_of(nested: Any) -> tuple[int, ...]:
    """Shape of a nested list or array, checking it is rectangular."""
    if hasattr(nested, "shape"):
        return tuple(map(int, nested.shape))
    if isinstance(nested, (list, tuple)):
        if not nested:
            return (0,)
        inner = {shape_of(item) for item in nested}
        if len(inner) != 1:
            raise ContractError("ragged nested list")
        return (len(nested), *inner.pop())
    return ()


def check_shapes(inp: Mapping[str, Any]) -> list[int]:
    """Check every array of a step input against the declared architecture (ADP-4)."""
    optional = ("activation_params", "conventions", "dtype")
    missing = [k for k in INPUT_KEYS if k not in inp and k not in optional]
    if missing:
        raise ContractError(f"step input lacks {', '.join(missing)}")
    sizes = check_architecture(inp["layer_sizes"], inp["activations"], inp["loss"], inp["reduction"])
    x, y = shape_of(inp["x"]), shape_of(inp["y"])
    if len(x) != 2 or x[1] != sizes[0] or not 1 <= x[0] <= MAX_BATCH:
        raise ContractError(f"x has shape {x}; expected (batch, {sizes[0]})")
    if y != (x[0], sizes[-1]):
        raise ContractError(f"y has shape {y}; expected ({x[0]}, {sizes[-1]})")
    ws, bs = inp["weights"], inp["biases"]
    if len(ws) != len(sizes) - 1 or len(bs) != len(sizes) - 1:
        raise ContractError(f"need {len(sizes) - 1} weight matrices and bias vectors")
    for layer, (w, b) in enumerate(zip(ws, bs, strict=True), start=1):
        want = (sizes[layer], sizes[layer - 1])
        if shape_of(w) != want:
            raise ContractError(f"weights[{layer - 1}] has shape {shape_of(w)}; expected {want}")
        if shape_of(b) != (sizes[layer],):
            raise ContractError(f"biases[{layer - 1}] has shape {shape_of(b)}; expected ({sizes[layer]},)")
    return sizes
