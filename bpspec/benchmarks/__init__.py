"""The benchmark workloads W1 .. W6, shared by ``bpspec bench`` and the pytest-benchmark suite.

One module per workload, each with ``TITLE``, ``GROUPS`` (the label of each group of candidates it
times side by side, and the implementations in it), ``REPEATS`` (timed calls per candidate) and
``groups(dtype, options)``: the same labelled lists of
``core.Candidate``, ours (bpspec.impl, ``"numpy"``) first, set up and ready to time. ``core``
times them side by side; ``report`` prints, saves and plots the results; ``blas`` says which BLAS
ran. The peers' training steps live in ``torch_steps``, ``jax_steps``, ``python_steps`` and
``reference_steps``, ours in ``ours``; a framework is imported only when one of its candidates is
set up, and one that is missing is a stated skip.
"""

from __future__ import annotations

from types import ModuleType

from bpspec.benchmarks import (
    w1_latency,
    w2_small,
    w3_large,
    w4_stacked,
    w5_conformance,
    w6_reference,
)

WORKLOADS: dict[str, ModuleType] = {
    "W1": w1_latency, "W2": w2_small, "W3": w3_large, "W4": w4_stacked, "W5": w5_conformance,
    "W6": w6_reference,
}
DTYPES = ("float64", "float32")
