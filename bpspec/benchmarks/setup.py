"""Setting up one candidate: import its framework only now, and turn every failure into a stated skip.

``make("torch eager", "torch_steps.eager", net, arrays, dtype, steps, units=steps)`` imports
``bpspec.benchmarks.torch_steps`` (and so torch) when first asked, calls ``eager(...)`` to build the
``(run, reset)`` pair and returns the Candidate; a framework that is not installed, or a setup that
raises, gives a skipped Candidate whose reason says which.
"""

from __future__ import annotations

import importlib
from typing import Any

from bpspec.benchmarks.core import Candidate, skipped

#: the distribution and bpspec extra that installs each framework a peer module needs
FRAMEWORKS = {"torch_steps": ("torch", "torch"), "jax_steps": ("jax", "jax")}


def make(impl: str, target: str, *args: Any, units: int = 1, unit: str = "step", **fields: Any) -> Candidate:
    """The Candidate of ``bpspec.benchmarks.<module>.<function>(*args)``, or a skip saying why not."""
    module_name, _, function = target.partition(".")
    try:
        module = importlib.import_module(f"bpspec.benchmarks.{module_name}")
    except ModuleNotFoundError as err:
        package, extra = FRAMEWORKS.get(module_name, (err.name, None))
        hint = f" (pip install 'bpspec[{extra}]')" if extra else ""
        return skipped(impl, f"{package} is not installed{hint}", unit)
    try:
        made = getattr(module, function)(*args)
    except Exception as err:  # a peer that cannot be set up here is reported, not fatal
        return skipped(impl, f"setup failed: {type(err).__name__}: {_first_line(err)}", unit)
    run, reset = made if isinstance(made, tuple) else (made, None)
    return Candidate(impl, run, reset, units=units, unit=unit, **fields)


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0][:200] if text else "no message"
