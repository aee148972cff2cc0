"""W1: seed 000's 2-2-2 network, 10,000 sequential updates at batch 1: per-step latency.

Nothing can be stacked: each update needs the last one's weights, so what is measured is the fixed
cost of one step. Peers: plain Python floats (float64), PyTorch eager, ``torch.compile``, a jitted
JAX step called from a Python loop, and ``lax.scan`` running every update inside XLA.
"""

from __future__ import annotations

from bpspec.benchmarks.core import Candidate
from bpspec.benchmarks.nets import W1_NET, seed_000_arrays
from bpspec.benchmarks.options import Options

TITLE = "seed 000's 2-2-2 net, 10,000 sequential updates, batch 1: per-step latency"
GROUPS = {"W1": ("numpy", "python floats", "torch eager", "torch.compile", "jax jit loop", "jax lax.scan")}
STEPS = 10_000
REPEATS = 7


def groups(dtype: str, options: Options) -> list[tuple[str, list[Candidate | None]]]:
    steps = STEPS // 10 if options.quick else STEPS
    args = (W1_NET, seed_000_arrays(), dtype, steps)
    return [("W1", [
        options.make("numpy", "ours.trainer", *args, units=steps),
        options.make("python floats", "python_steps.loop", *args, units=steps) if dtype == "float64"
        else options.skip("python floats", "Python floats are float64 only"),
        options.make("torch eager", "torch_steps.eager", *args, units=steps),
        options.make("torch.compile", "torch_steps.compiled", *args, units=steps),
        options.make("jax jit loop", "jax_steps.jit_loop", *args, units=steps),
        options.make("jax lax.scan", "jax_steps.scan", *args, units=steps),
    ])]
