"""Finding an implementation by name: the built-in adapters and ``module:attr`` (spec ADP-1, ADP-5,
ADP-9).

An adapter is a callable taking one step-input dict and returning one result dict, or an object with
a ``step`` method doing that. It may also offer ``step_many(inputs) -> results``, the batched form
(ADP-5), which the checker uses for many single-step cases of one shape at once, and
``trajectory(inp, batches, record) -> {step: result}``, the trajectory form (ADP-9), which runs a
whole free-running case in one call.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bpspec.errors import UsageError

BUILTIN = {
    "numpy": "bpspec.impl.adapter:ADAPTER",
    "reference": "bpspec.reference.adapter:ADAPTER",
    "torch": "bpspec.peers.torch_adapter:ADAPTER",
    "jax": "bpspec.peers.jax_adapter:ADAPTER",
}

Step = Callable[[dict], dict]


@dataclass
class Adapter:
    name: str
    step: Step
    step_many: Callable[[Sequence[dict]], list[dict]] | None = None
    exact: bool = False
    """True for an adapter returning mpmath numbers: graded at the vectors' own precision."""
    trajectory: Callable[[dict, list[list[int]] | None, list[int]], dict[int, dict]] | None = None
    flushes_subnormals: bool = False
    """True for an adapter whose arithmetic reads and writes subnormals as zero (TOL-8)."""


def resolve(spec: str) -> Adapter:
    """The adapter named by ``numpy``, ``reference``, ``torch``, ``jax`` or ``module:attr`` (ADP-5)."""
    target = BUILTIN.get(spec, spec)
    if ":" not in target:
        raise UsageError(f"--impl {spec!r}: expected one of {', '.join(BUILTIN)} or module:attr")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as err:
        hint = f" (pip install 'bpspec[{spec}]')" if spec in ("torch", "jax") else ""
        raise UsageError(f"--impl {spec}: cannot import {err.name!r}{hint}") from None
    except Exception as err:  # an adapter module that fails on import is unusable input
        message = f"importing {module_name} failed: {type(err).__name__}: {err}"
        raise UsageError(f"--impl {spec}: {message}") from None
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise UsageError(f"--impl {spec}: module {module_name} has no attribute {attr!r}")
        obj = getattr(obj, part)
    step = getattr(obj, "step", obj)
    if not callable(step):
        raise UsageError(f"--impl {spec}: {attr} is neither callable nor has a step method")
    many, trajectory = getattr(obj, "step_many", None), getattr(obj, "trajectory", None)
    return Adapter(spec, step, many if callable(many) else None, bool(getattr(obj, "exact", False)),
                   trajectory if callable(trajectory) else None,
                   bool(getattr(obj, "flushes_subnormals", False)))
